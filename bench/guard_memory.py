"""Peak memory and time of validating every hostile kind in one batch, and of the guard on a 1,000,000-row sheet.

Usage: python bench/guard_memory.py [rows]

1. Batch: every kind of tests/hostile/parse_kinds.py (issues 15 and 16: deep nesting, long attributes
   and text, element floods, 1e30000000, formulas in inputs, hidden and merged inputs, bad CRC ...), the
   guard's hostile files of tests/hostile_files.py (1,000,000-row sheet, 300 MB zip bomb, billion laughs,
   21 MB file) and one normal submission, validated by ``lxbz validate`` in a child process (one worker,
   ``--jobs 1``, so one process holds everything). Peak RSS is the child's own high-water mark (VmHWM
   read from /proc/self/status when it finishes: ``ru_maxrss`` of a child would include the high-water
   mark it inherits from this process, which built the hostile files); the target is below 200 MiB.
   Each file's findings are printed.
2. Guard only: ``guard.inspect`` of a ``rows``-row worksheet (three <dimension> variants) under
   tracemalloc (Python allocations only; zlib's and expat's own buffers are not included).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hostile_files  # noqa: E402  (needs the sys.path entries above)

from lxbz_xl.validation.guard import inspect  # noqa: E402
from tests.hostile.parse_kinds import KINDS, good  # noqa: E402

MiB = 1024 * 1024
LIMIT_MIB = 200


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


CHILD = """
import json, sys
from lxbz_xl.cli import main
code = main(json.loads(sys.argv[1]))
with open("/proc/self/status") as fh:
    print(next(line for line in fh if line.startswith("VmHWM:")).strip(), file=sys.stderr)
sys.exit(code)
"""


def batch(directory: Path) -> None:
    files = [kind.make(directory) for kind in KINDS]
    files += [
        hostile_files.many_rows(directory, 1_000_000, name="million_rows.xlsx"),
        hostile_files.zip_bomb(directory),
        hostile_files.billion_laughs(directory, MiB),
        hostile_files.oversize_sparse(directory),
        good(directory),
    ]
    report = directory / "batch.json"
    env = {**os.environ, "TMPDIR": str(directory)}
    argv = ["validate", *map(str, files), "--jobs", "1", "--json", str(report)]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(argv)], capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - started
    lines = [line for line in done.stderr.splitlines() if line.startswith("VmHWM:")]
    peak = int(lines[-1].split()[1]) / 1024 if lines else float("nan")
    traceback = "Traceback" in done.stdout + done.stderr
    verdict = "OK" if peak < LIMIT_MIB and not traceback and done.returncode == 1 else "FAIL"
    print(
        f"batch of {len(files)} files (all hostile kinds + a normal file), one process: {elapsed:.1f} s, "
        f"peak RSS {peak:.0f} MiB (limit {LIMIT_MIB}), exit {done.returncode}, traceback {traceback}: {verdict}"
    )
    for record in json.loads(report.read_text(encoding="utf-8"))["workbooks"]:
        codes = sorted({f["code"] for f in record["findings"]}) or ["valid"]
        print(f"  {Path(record['path']).name:28} {', '.join(codes)}")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "batch").mkdir()
        batch(directory / "batch")
        variants = {
            "no <dimension>": hostile_files.many_rows(directory, rows, name="plain.xlsx"),
            "lying <dimension A1:A10>": hostile_files.many_rows(
                directory, rows, dimension="A1:A10", name="lie.xlsx"
            ),
            "honest <dimension>": hostile_files.many_rows(
                directory, rows, dimension=f"A1:A{rows}", name="honest.xlsx"
            ),
        }
        print(f"guard only, {rows:,}-row worksheet, default GuardLimits")
        for label, path in variants.items():
            inspect(path)  # warm-up: imports are not what we measure
            codes, peak = peak_mib(path)
            elapsed = seconds(path)
            size = path.stat().st_size / MiB
            print(
                f"  {label:26} file {size:5.1f} MiB  findings {codes}  {elapsed * 1000:7.1f} ms  peak {peak:5.2f} MiB"
            )


if __name__ == "__main__":
    main()
