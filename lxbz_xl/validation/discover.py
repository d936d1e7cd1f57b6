"""Which files a `lxbz validate PATH...` run covers: files, folders (recursive) and glob patterns."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

SUFFIXES = (".xlsx", ".xlsm")


def _wanted(path: Path) -> bool:
    # Excel's lock files (~$报表.xlsx) are not submissions.
    return path.suffix.lower() in SUFFIXES and not path.name.startswith("~$")


def discover(args: Iterable[str]) -> tuple[list[Path], list[str]]:
    """(files in a stable order without duplicates, arguments that matched nothing).

    A file named explicitly is always taken, whatever its suffix, so a mis-named upload is still checked.
    Symlinked folders are not followed (a loop would never end).
    """
    found: dict[str, Path] = {}
    unmatched: list[str] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            hits = [c for c in sorted(path.rglob("*")) if c.is_file() and _wanted(c)]
        elif path.exists() or path.is_symlink():
            hits = [path]
        elif glob.has_magic(arg):
            hits = []
            for match in sorted(glob.glob(arg, recursive=True)):
                child = Path(match)
                if child.is_dir():
                    hits += [c for c in sorted(child.rglob("*")) if c.is_file() and _wanted(c)]
                elif child.is_file() and _wanted(child):
                    hits.append(child)
        else:
            hits = []
        for hit in hits:
            found.setdefault(str(hit.resolve()), hit)
        if not hits:
            unmatched.append(arg)
    return list(found.values()), unmatched
