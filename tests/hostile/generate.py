"""Write every hostile kind into a folder: `python -m tests.hostile.generate DIR` (or `python
tests/hostile/generate.py DIR`).

Kinds come from `boundary_kinds` (discovery, reports, case files), `parse_kinds` (the sheet/XML side, when
present) and the project's earlier builders (`tests/hostile_files.py`). Each kind gets its own subfolder
DIR/<kind>/, so kinds that share a file name or a canary never collide. Prints one line per kind.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lxbz_xl.validation.safe_text import plain
from tests import hostile_files as hf
from tests.hostile.boundary_kinds import CASE_KINDS, KINDS
from tests.hostile.kinds import HostileKind

MiB = 1024 * 1024

# The project's earlier kinds, one per guard finding (small payloads: each builds in well under a second).
EARLIER_KINDS: list[HostileKind] = [
    HostileKind("random_garbage", hf.random_garbage, "not_a_zip"),
    HostileKind("pdf_renamed", hf.pdf_renamed, "wrong_type"),
    HostileKind("oversize_sparse", hf.oversize_sparse, "too_large"),
    HostileKind("truncated_zip", hf.truncated_zip, "corrupt"),
    HostileKind("encrypted_cfb", hf.encrypted_cfb, "encrypted"),
    HostileKind("ratio_bomb", hf.ratio_bomb, "zip_bomb"),
    HostileKind("billion_laughs", hf.billion_laughs, "xml_bomb"),
    HostileKind("sparse_high_row", hf.sparse_high_row, "too_many_rows"),
]


def parse_kinds() -> list[HostileKind]:
    """The "parse" side's kinds (tests/hostile/parse_kinds.py), once merged; none before."""
    try:
        module = importlib.import_module("tests.hostile.parse_kinds")
    except ModuleNotFoundError as exc:
        if exc.name != "tests.hostile.parse_kinds":
            raise
        return []
    return list(module.KINDS)


def all_kinds() -> list[HostileKind]:
    """Every submission kind (validate / summary / score --from-workbook); case files are CASE_KINDS."""
    return [*KINDS, *parse_kinds(), *EARLIER_KINDS]


def generate(root: Path) -> list[tuple[HostileKind, Path]]:
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for kind in [*all_kinds(), *CASE_KINDS]:
        folder = root / kind.name
        folder.mkdir(exist_ok=True)
        made.append((kind, kind.make(folder)))
    return made


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("用法:python tests/hostile/generate.py DIR", file=sys.stderr)
        return 2
    for kind, path in generate(Path(argv[0])):
        print(f"{kind.name:<28} {kind.finding:<16} {plain(path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
