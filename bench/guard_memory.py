"""Peak Python memory and time of inspecting a 1,000,000-row workbook with the hostile-input guard.

Usage: python bench/guard_memory.py [rows]

Builds the workbook with tests/hostile_files.py in a temporary directory (sheet XML streamed, no
openpyxl), then runs lxbz_xl.validation.guard.inspect under tracemalloc. tracemalloc sees Python
allocations only; zlib's own inflate window (~tens of KB) is not included.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hostile_files  # noqa: E402  (needs the sys.path entries above)

from lxbz_xl.validation.guard import inspect  # noqa: E402

MiB = 1024 * 1024


def seconds(path: Path, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` inspections, without tracemalloc (it slows allocation ~10x)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        inspect(path)
        best = min(best, time.perf_counter() - started)
    return best


def peak_mib(path: Path) -> tuple[list[str], float]:
    """Finding codes and peak traced Python memory of one inspection."""
    tracemalloc.start()
    try:
        findings = inspect(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return [f.code for f in findings], peak / MiB


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        variants = {
            "no <dimension>": hostile_files.many_rows(directory, rows, name="plain.xlsx"),
            "lying <dimension A1:A10>": hostile_files.many_rows(
                directory, rows, dimension="A1:A10", name="lie.xlsx"
            ),
            "honest <dimension>": hostile_files.many_rows(
                directory, rows, dimension=f"A1:A{rows}", name="honest.xlsx"
            ),
        }
        print(f"{rows:,}-row worksheet, default GuardLimits")
        for label, path in variants.items():
            inspect(path)  # warm-up: imports and regex compilation are not what we measure
            codes, peak = peak_mib(path)
            elapsed = seconds(path)
            size = path.stat().st_size / MiB
            print(
                f"  {label:26} file {size:5.1f} MiB  findings {codes}  {elapsed * 1000:7.1f} ms  peak {peak:5.2f} MiB"
            )


if __name__ == "__main__":
    main()
