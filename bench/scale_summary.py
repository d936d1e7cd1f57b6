"""`lxbz summary` at a province's scale: wall time and peak memory over 1,000 and 10,000 submissions.

Usage: python bench/scale_summary.py [--n 1000 10000] [--keep DIR] [--jobs N] [--no-baseline]

1. Fills the demo city (lxbz_xl.demo.population, 124 cases of about 40 units, one in four the
   native-formula variant) into real workbooks once, from workbook_templates/.
2. Copies them until there are N files; copy k renames every unit to ``<unit>·k`` by rewriting only the
   unit's cell in the sheet XML of the zip, so a copy is a new city (the §1 chain, rankings, bands and
   quotas all grow with N) and generation stays fast (no openpyxl per file).
3. Runs, each as its own subprocess (through a small wrapper, so ``RUSAGE_CHILDREN`` covers that command
   alone): the baseline ``lxbz validate FOLDER`` (the same files, the same validation, no summary), then
   ``lxbz summary FOLDER --out 汇总.xlsx``. Reports wall time, peak RSS of the largest process of the
   tree (``ru_maxrss`` of the children, i.e. the parent or one worker) and the peak of the sum of RSS
   over the whole tree sampled every 50 ms from /proc, and the summary's ratio to the baseline.

Targets (issue 14): under 60 s and under 250 MiB at 10,000 files, flat from 1,000 to 10,000.

Measured 2026-12-02 on a quiet machine (load 1.5), final code of the round, --no-baseline:
  1000 files   lxbz summary: 6.0 s wall, 8.1 s CPU, largest process 87.1 MiB, whole tree 235.4 MiB
  10000 files  lxbz summary: 36.9 s wall, 45.7 s CPU, largest process 105.3 MiB (x1.21), whole tree 269.6 MiB
Measured 2026-12-02 on the 2-core machine shared with other jobs, 2 workers, the code before the flat
summary (old, PYTHONPATH=<checkout of main>) and after it (new) in the same round, one after the other:
  (load 2.5-2.9, two rounds, "a / b")       wall            CPU             largest process
  1000 files   old lxbz summary         :  6.6 / 8.5 s      6.6 / 8.1 s     90.1 / 90.1 MiB
  1000 files   new lxbz summary         :  8.5 / 8.8 s      8.4 / 8.7 s     80.4 / 80.5 MiB
  10000 files  old lxbz summary         : 68.7 / 69.9 s    66.1 / 67.9 s   245.9 / 244.4 MiB
  10000 files  new lxbz summary         : 69.4 / 54.3 s    69.7 / 59.9 s   105.9 / 105.7 MiB
  10000 / 1000, largest process: new x1.31-1.32, old x2.71-2.73; whole tree 223 / 252 MiB both.
  Final code with the baseline (load 1.1-2.1): 1000 files validate 3.3 s 79.2 MiB, summary 5.4 s
  80.8 MiB; 10000 files validate 31.4 s 89.6 MiB, summary 58.7 s (79.5 s CPU) 105.9 MiB.
The tree figure sums RSS over the processes (pages shared with forked workers count more than once);
it peaks while validating. Earlier: 46.0-55.7 s and a parent of 243-246 MiB at 10,000 (load 1.4-2.0),
89.1 MiB at 1,000; 89.3 s and 265.7 MiB on 2026-12-01.
See docs/summary.md ("Scale").
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LXBZ = Path(sys.executable).with_name("lxbz")
SHEETS = "xl/worksheets/"

# Runs one command, samples its process tree's RSS, prints JSON (wall, ru_maxrss of children, tree peak).
WRAPPER = r"""
import json, os, resource, subprocess, sys, time

def tree_rss(root):
    kids = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(pid))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            with open(f'/proc/{pid}/statm') as f:
                total += int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        except OSError:
            pass
    return total

start = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
peak = 0
while p.poll() is None:
    peak = max(peak, tree_rss(p.pid))
    time.sleep(0.05)
wall = time.perf_counter() - start
err = p.stderr.read().decode(errors='replace')[-2000:]
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({'rc': p.returncode, 'wall': wall, 'maxrss_kib': ru.ru_maxrss, 'tree_peak': peak,
                  'cpu': ru.ru_utime + ru.ru_stime, 'stderr': err}))
"""


def filled_city(folder: Path) -> list[tuple[bytes, str, str]]:
    """(xlsx bytes, unit, file name) of each demo case, filled once."""
    from lxbz_xl.definition.loader import load_rubric
    from lxbz_xl.demo.population import population
    from lxbz_xl.workbook.fill import fill_case, output_name

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, case in enumerate(population()):
        variant = "native" if i % 4 == 3 else "udf"
        dst = folder / output_name(case, i, variant)
        fill_case(load_rubric(case["rubric"]), case, dst, variant)
        out.append((dst.read_bytes(), str(case["unit"]), dst.name))
    return out


def rename_unit(data: bytes, old: str, new: str) -> bytes:
    """The workbook with its unit cell(s) `old` rewritten to `new`; every other part copied as is."""
    needle, repl = f">{old}<".encode(), f">{new}<".encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info)
            if info.filename.startswith(SHEETS) and needle in part:
                part = part.replace(needle, repl)
            zout.writestr(info, part)
    return buffer.getvalue()


def make_batch(city: list[tuple[bytes, str, str]], folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        copy, k = divmod(i, len(city))
        data, unit, name = city[k]
        if copy:
            data = rename_unit(data, unit, f"{unit}·{copy}")
        (folder / f"{copy:03d}_{name}").write_bytes(data)


def measure(*cmd: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def mib(n: float) -> str:
    return f"{n / 2**20:6.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--jobs", type=int, help="--jobs for lxbz (default: all cores)")
    parser.add_argument("--no-baseline", action="store_true", help="skip lxbz validate")
    args = parser.parse_args()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        started = time.perf_counter()
        city = filled_city(root / "_city")
        print(f"demo city: {len(city)} workbooks filled in {time.perf_counter() - started:.1f} s")
        for n in args.n:
            folder = root / f"n{n}"
            started = time.perf_counter()
            if not folder.is_dir():
                make_batch(city, folder, n)
            print(f"\n{n} submissions generated in {time.perf_counter() - started:.1f} s")
            base = None if args.no_baseline else measure(str(LXBZ), "validate", str(folder), *jobs)
            out = root / f"汇总_{n}.xlsx"
            summ = measure(str(LXBZ), "summary", str(folder), "--out", str(out), *jobs)
            for label, r in (("lxbz validate (baseline)", base), ("lxbz summary", summ)):
                if r is None:
                    continue
                print(
                    f"  {label:25s}: {r['wall']:6.1f} s wall, {r['cpu']:6.1f} s CPU, exit {r['rc']}; "
                    f"peak RSS largest process {mib(r['maxrss_kib'] * 1024)}, whole tree {mib(r['tree_peak'])}"
                )
                if r["rc"] not in (0, 1):
                    print(r["stderr"])
            if base is not None:
                print(f"  summary / validate wall time: {summ['wall'] / base['wall']:.2f}x")
            if out.exists():
                print(f"  workbook {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
