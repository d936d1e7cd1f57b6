"""Which files a `lxbz validate PATH...` run covers: files, folders (recursive) and glob patterns.

Trust boundary: only regular files inside the given folders are read. Nothing below a given folder or
glob anchor is followed through a symlink (a link out of the batch would publish a stranger's file and
its SHA-256; a link loop would never end), and entries that are not regular files (FIFOs, devices,
sockets) are never opened (a FIFO or /dev/zero would hang the run). Such entries are not skipped
silently either: each one becomes a finding (`symlink`, `not_a_file`) on its own report line, decided
from `lstat` alone, like a file over the size limit (`too_large`), so no byte of it is read.

The folders and files named on the command line are the user's own choice: a folder argument may itself
be a symlink. A file argument that is a symlink is a finding like any other.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxbz_xl.validation.guard import DEFAULT_LIMITS, GuardLimits, fmt_bytes
from lxbz_xl.validation.model import Finding, WorkbookReport, finding

SUFFIXES = (".xlsx", ".xlsm")
MAX_ENTRIES = 200_000  # directory entries looked at per argument; a folder this large is not a batch

_KINDS = {
    stat.S_IFIFO: "命名管道(FIFO)",
    stat.S_IFCHR: "字符设备",
    stat.S_IFBLK: "块设备",
    stat.S_IFSOCK: "套接字",
    stat.S_IFDIR: "文件夹",
}


def _wanted(name: str) -> bool:
    # Excel's lock files (~$报表.xlsx) are not submissions.
    return name.lower().endswith(SUFFIXES) and not name.startswith("~$")


class TooManyEntries(Exception):
    """An argument covers more than MAX_ENTRIES directory entries: reported, never cut silently."""


@dataclass
class Discovery:
    """What a run covers, in a stable order: regular files to check and entries refused from `lstat`."""

    entries: list[Path] = field(default_factory=list)  # every reported path, in order
    refused: dict[str, Finding] = field(default_factory=dict)  # str(path) → its one finding
    unmatched: list[str] = field(default_factory=list)  # arguments that matched nothing
    too_many: list[str] = field(default_factory=list)  # arguments over MAX_ENTRIES entries (not searched)

    @property
    def files(self) -> list[Path]:
        """The regular files that may be opened."""
        return [p for p in self.entries if str(p) not in self.refused]

    def merge(self, reports: Iterable[WorkbookReport]) -> list[WorkbookReport]:
        """Reports of `files` (in their order) merged with one report per refused entry, in entry order."""
        checked = iter(reports)
        out = []
        for path in self.entries:
            refused = self.refused.get(str(path))
            out.append(WorkbookReport(str(path), findings=[refused]) if refused else next(checked))
        return out

    def without(self, paths: set[Path]) -> Discovery:
        """The same discovery minus some files (e.g. this run's own report files)."""
        keep = [p for p in self.entries if str(p) in self.refused or p.resolve() not in paths]
        return Discovery(keep, self.refused, self.unmatched, self.too_many)


def admit(path: Path, limits: GuardLimits = DEFAULT_LIMITS) -> Finding | None:
    """None when ``path`` is a regular file within the size limit, else the finding, from `lstat` only."""
    label = f"文件「{path.name}」"
    try:
        info = os.lstat(path)
    except OSError as exc:
        return finding("unreadable", f"{label}无法读取({exc.strerror or '读取失败'})。请重新上传")
    if stat.S_ISLNK(info.st_mode):
        try:
            target = "文件夹" if os.path.isdir(path) else "文件"
        except OSError:
            target = "文件"
        return finding(
            "symlink",
            f"{label}是指向其他位置的符号链接(指向{target}),出于安全考虑未读取也未跟随。请提交文件本身",
        )
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "特殊文件")
        return finding(
            "not_a_file", f"{label}不是普通文件({kind}),未读取。仅接受 .xlsx 或 .xlsm 格式的 Excel 工作簿"
        )
    if info.st_size > limits.max_file_bytes:
        return finding(
            "too_large",
            f"{label}过大:{fmt_bytes(info.st_size)},允许上限 {fmt_bytes(limits.max_file_bytes)}",
        )
    return None


def _walk(
    root: Path, budget: list[int], hidden: bool = True
) -> Iterator[tuple[Path, list[os.DirEntry[str]]]]:
    """(folder, its entries in name order) for ``root`` and every real folder below it, depth first, never
    through a symlink (``hidden``: also folders named ".…"); stops when the entry budget is spent."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        budget[0] -= len(entries)
        if budget[0] < 0:
            raise TooManyEntries
        yield folder, entries
        stack += reversed(
            [
                folder / e.name
                for e in entries
                if e.is_dir(follow_symlinks=False) and (hidden or not e.name.startswith("."))
            ]
        )


def _scan(root: Path, budget: list[int]) -> Iterator[Path]:
    """Wanted entries below a folder, depth first in name order, never through a symlink.

    Yields regular files, and symlinks / special files whose name looks like a submission (or symlinks
    to folders), which `admit` then refuses: they appear in the report instead of vanishing.
    """
    for folder, entries in _walk(root, budget):
        for entry in entries:
            child = folder / entry.name
            if entry.is_symlink():
                if _wanted(entry.name) or _points_to_dir(child):
                    yield child
            elif not entry.is_dir(follow_symlinks=False) and _wanted(entry.name):
                yield child  # a regular file, or a FIFO/device/socket that admit() refuses


def _points_to_dir(path: Path) -> bool:
    try:
        return os.path.isdir(path)
    except OSError:
        return False


def _match(anchor: Path, parts: list[str], budget: list[int]) -> Iterator[Path]:
    """A glob pattern below ``anchor``, component by component, without following symlinks.

    `**` matches the folder itself and every real folder below it; `*`/`?`/`[...]` match names in one
    folder (hidden names only when the component starts with "."). A symlink that matches is yielded
    (and refused), never entered.
    """
    level = [anchor]
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        next_level: list[Path] = []
        for folder in level:
            if part == "**":
                next_level += [f for f, _entries in _walk(folder, budget, hidden=False)]
                continue
            for child in _children(folder, part, budget):
                if last or (child.is_dir() and not child.is_symlink()):
                    next_level.append(child)
                elif child.is_symlink() and _points_to_dir(child):
                    yield child  # a symlinked folder on the way: refused, not entered
        level = next_level
    for hit in level:
        if hit.is_dir() and not hit.is_symlink():
            yield from _scan(hit, budget)
        elif hit.is_symlink() or _wanted(hit.name):
            yield hit


def _children(folder: Path, part: str, budget: list[int]) -> list[Path]:
    if not glob.has_magic(part):
        child = folder / part
        return [child] if os.path.lexists(child) else []
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it)
    except OSError:
        return []
    budget[0] -= len(names)
    if budget[0] < 0:
        raise TooManyEntries
    hidden_ok = part.startswith(".")
    return [
        folder / n for n in names if fnmatch.fnmatchcase(n, part) and (hidden_ok or not n.startswith("."))
    ]


def _glob(arg: str, budget: list[int]) -> Iterator[Path]:
    parts = list(Path(arg).parts)
    first = next(i for i, p in enumerate(parts) if glob.has_magic(p))
    anchor = Path(*parts[:first]) if first else Path(".")
    if not anchor.is_dir():
        return iter(())
    rest = parts[first:]
    if first == 0:
        return (Path(*p.parts[1:]) if p.parts[:1] == (".",) else p for p in _match(anchor, rest, budget))
    return _match(anchor, rest, budget)


def find(args: Iterable[str], limits: GuardLimits = DEFAULT_LIMITS) -> Discovery:
    """Every argument's entries, without duplicates, each either admitted or refused with a finding.

    A file named explicitly is always taken, whatever its suffix, so a mis-named upload is still checked.
    """
    out = Discovery()
    seen: set[str] = set()
    for arg in args:
        path = Path(arg)
        budget = [MAX_ENTRIES]
        if path.is_dir() and not (path.is_symlink() and _wanted(path.name)):
            hits: Iterable[Path] = _scan(path, budget)
        elif os.path.lexists(path):
            hits = [path]
        elif glob.has_magic(arg):
            hits = _glob(arg, budget)
        else:
            hits = []
        try:
            listed = list(hits)
        except TooManyEntries:
            out.too_many.append(arg)
            continue
        for hit in listed:
            refused = admit(hit, limits)
            key = os.path.abspath(hit) if refused else str(hit.resolve())
            if key in seen:
                continue
            seen.add(key)
            out.entries.append(hit)
            if refused:
                out.refused[str(hit)] = refused
        if not listed:
            out.unmatched.append(arg)
    return out


def discover(args: Iterable[str]) -> tuple[list[Path], list[str]]:
    """(regular files in a stable order without duplicates, arguments that matched nothing).

    Refused entries (symlinks, special files, oversize files) are left out; use `find` to report them.
    """
    found = find(args)
    return found.files, found.unmatched
