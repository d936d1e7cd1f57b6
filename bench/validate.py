"""Throughput of `lxbz validate` against a naive openpyxl baseline and a bare python-calamine read.

Usage: python bench/validate.py [--n 2000] [--baseline-n 100] [--jobs N] [--keep DIR]

1. Builds the templates of six rubrics (both variants), fills one example case into each, and writes
   ``--n`` submissions (the unit name varied per file, so no two files are identical).
2. Baseline (single process): ``openpyxl.load_workbook`` of each file twice, formulas and data_only.
   It runs ~100 ms per file here, so it is timed on ``--baseline-n`` files spread over the set.
3. Floor: a bare python-calamine read of every sheet of every file, single process.
4. lxbz validate: lxbz_xl.validation.runner.run over all files with ``--jobs`` processes (default: all
   cores), wall time including the process pool start.
5. Distinct forms: the demo city's 124 filled forms, every one different; the first of each rubric and
   variant warms a fresh process, the other 105 are each checked once, against calamine on the same files.
6. Peak memory, worst case: the hostile set (1,000,000-row sheet, 300 MB zip bomb, billion laughs,
   21 MB file) plus the largest legal submission (a form with 99,000 extra rows) validated in a fresh
   process; peak RSS of that process (ru_maxrss) and its increment over the idle interpreter.

Measured 2026-12-02 (second round: member and sheet memos, row_scan, inputs read once), --n 1000 --jobs 1,
three runs at load 0.2-1.1: bare python-calamine 0.58-0.66 ms CPU per workbook, lxbz validate 1.25-1.76 ms
= 2.2-2.7x calamine in the same run; distinct forms 2.22-2.98 ms against 0.62-0.77 ms = 3.6-3.9x; worst case
memory 116-118 MiB.

Earlier, 2026-12-02 on the 2-core development machine, shared with other jobs, --n 1000:
  --jobs 1, load 1.1-2.8, three runs: bare python-calamine 0.67-0.83 ms CPU per workbook, lxbz validate
  3.6-4.8 ms = 5.2-6.0x calamine in the same run (the code before issue 14's row memo, same script and
  load: 8.5-9.5 ms = 10.6-13.7x)
  default jobs, load 2.2:
  baseline openpyxl x2, 1 process :    6.1 workbooks/s
  bare python-calamine, 1 process : 1004.2 workbooks/s  (0.95 ms CPU per workbook)
  lxbz validate, 2 processes      :  176.1 workbooks/s  = 29x the baseline; calamine 5.7x faster (wall),
                                     5.7x less CPU per workbook incl. worker start
  (load 5.0: 86 workbooks/s, wall 3.5x, CPU 5.2x; before, 2026-12-01, load 6.2: wall 8.3x, CPU 9.5x)
  worst case memory: peak RSS 105-108 MiB in one process, no growth over the idle interpreter
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

RUBRICS = (
    "learning_party_org",
    "annual_team",
    "annual_cadre",
    "learning_team",
    "water_saving",
    "party_secretary",
)
MAIN = "xl/worksheets/sheet1.xml"


def make_submissions(folder: Path, n: int) -> list[Path]:
    from lxbz_xl import load_rubric
    from lxbz_xl.case import read_case_file
    from lxbz_xl.workbook.build import build_template
    from lxbz_xl.workbook.fill import fill_case

    bases: list[tuple[bytes, str]] = []
    templates = folder / "_templates"
    for rid in RUBRICS:
        case = read_case_file(sorted((ROOT / "examples" / "cases").glob(f"{rid}_*.yaml"))[0])[0]
        for variant in ("udf", "native"):
            tpl = build_template(load_rubric(rid), templates, variant)
            dst = templates / f"filled_{rid}_{variant}.xlsx"
            fill_case(load_rubric(rid), case, dst, variant, tpl)
            bases.append((dst.read_bytes(), case.unit))
    out = folder / "submissions"
    out.mkdir()
    paths = []
    for i in range(n):
        data, unit = bases[i % len(bases)]
        path = out / f"{i:05d}.xlsx"
        path.write_bytes(_rename_unit(data, unit, f"{unit}{i}") if unit else data)
        paths.append(path)
    return paths


def _rename_unit(data: bytes, old: str, new: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info)
            if info.filename == MAIN:
                part = part.replace(f">{old}<".encode(), f">{new}<".encode(), 1)
            zout.writestr(info, part)
    return buffer.getvalue()


def baseline(paths: list[Path]) -> float:
    import openpyxl

    started = time.perf_counter()
    for path in paths:
        openpyxl.load_workbook(path)
        openpyxl.load_workbook(path, data_only=True)
    return time.perf_counter() - started


def _cpu(children: bool = False) -> float:
    t = os.times()
    return t.children_user + t.children_system if children else t.user + t.system


def calamine(paths: list[Path]) -> tuple[float, float]:
    """(wall seconds, CPU seconds)."""
    from python_calamine import CalamineWorkbook

    started, cpu = time.perf_counter(), _cpu()
    for path in paths:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    return time.perf_counter() - started, _cpu() - cpu


def ours(paths: list[Path], jobs: int | None) -> tuple[float, float, dict[str, int]]:
    """(wall seconds, CPU seconds of this process and its workers, statuses). CPU time shows the cost per
    workbook even when other programs share the cores (wall time then measures the machine, not the
    validator); with ``--jobs 1`` everything runs in this process."""
    from lxbz_xl.validation.runner import run

    started, cpu = time.perf_counter(), _cpu() + _cpu(children=True)
    reports = run(paths, jobs=jobs)
    elapsed, used = time.perf_counter() - started, _cpu() + _cpu(children=True) - cpu
    statuses: dict[str, int] = {}
    for r in reports:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return elapsed, used, statuses


# ------------------------------------------------------------------------------------------------ memory


def worst_case_files(folder: Path, good: Path) -> list[Path]:
    import hostile_files as hf

    folder.mkdir()
    files = [
        hf.many_rows(folder, 1_000_000),
        hf.zip_bomb(folder),
        hf.billion_laughs(folder, 1024 * 1024),
        hf.oversize_sparse(folder),
    ]
    with zipfile.ZipFile(good) as z:
        sheet = z.read(MAIN)
    junk = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>junk %d</t></is></c><c r="B%d"><v>%d</v></c></row>'
        % (r, r, r, r, r)
        for r in range(1000, 100_000)
    )
    big = sheet.replace(b"</sheetData>", junk + b"</sheetData>", 1)
    largest = folder / "largest_legal.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(largest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, big if info.filename == MAIN else zin.read(info))
    return [*files, largest]


MEMORY_CHILD = """
import json, resource, sys, time
from pathlib import Path
from typing import Any
sys.path[:0] = [sys.argv[1]]
from lxbz_xl.validation.runner import run
import lxbz_xl.workbook.layout, lxbz_xl.engine.evaluate  # the imports are not what we measure
idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
reports = run([Path(p) for p in sys.argv[2:]], jobs=1)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"idle_kib": idle, "peak_kib": peak, "seconds": elapsed,
                  "codes": {Path(r.path).name: sorted({f.code for f in r.findings}) for r in reports}}))
"""


def memory(files: list[Path]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(ROOT), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


DISTINCT_CHILD = """
import json, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[1]]
from python_calamine import CalamineWorkbook
from lxbz_xl.validation.check_file import check_file
from lxbz_xl.validation.context import Context
n = int(sys.argv[2])
warm, paths = [Path(p) for p in sys.argv[3:3 + n]], [Path(p) for p in sys.argv[3 + n:]]
context = Context()  # one per `lxbz validate` run
for path in warm:
    check_file(path, context)
cpu = time.process_time  # os.times() ticks in 10 ms: too coarse for 124 files
started = cpu()
for path in paths:
    wb = CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()
calamine = cpu() - started
started = cpu()
statuses = {}
for path in paths:
    status = check_file(path, context).status
    statuses[status] = statuses.get(status, 0) + 1
print(json.dumps({"calamine": calamine, "ours": cpu() - started, "statuses": statuses}))
"""


def distinct(folder: Path, rounds: int = 3) -> dict[str, Any]:
    """Every file a different filled form: the 124 cases of the demo city (lxbz_xl.demo). The first form
    of each rubric and variant warms the worker (a worker in mid-batch: every rubric compiled, the parts a
    template shares seen once); each of the others is then checked once (``check_file``, the runner's
    per-file call, one context), so no filled row of it was read before. Best of ``rounds`` processes."""
    sys.path.insert(0, str(ROOT / "bench"))
    from scale_summary import filled_city

    city = folder / "city"
    city.mkdir(exist_ok=True)
    warm: dict[tuple[str, bool], Path] = {}
    paths = []
    for data, _unit, name in filled_city(folder / "_city"):
        path = city / name
        path.write_bytes(data)
        kind = (name.split("_20", 1)[0].rsplit("_", 1)[0], name.endswith("_原生公式.xlsx"))
        if kind in warm:
            paths.append(path)
        else:
            warm[kind] = path
    best: dict[str, Any] | None = None
    for _ in range(rounds):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                DISTINCT_CHILD,
                str(ROOT),
                str(len(warm)),
                *map(str, warm.values()),
                *map(str, paths),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        found["n"] = len(paths)
        if best is None or found["ours"] / found["calamine"] < best["ours"] / best["calamine"]:
            best = found
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--baseline-n", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", type=Path, help="write the submissions here instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lxbz-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        paths = make_submissions(folder, args.n)
        print(
            f"{len(paths)} submissions of {len(RUBRICS)} rubrics x 2 variants "
            f"({sum(p.stat().st_size for p in paths) / len(paths) / 1024:.0f} KiB avg), "
            f"built in {time.perf_counter() - started:.1f} s; {os.cpu_count()} cores"
        )
        step = max(1, len(paths) // max(1, args.baseline_n))
        sample = paths[::step][: args.baseline_n]
        t_base = baseline(sample)
        base_rate = len(sample) / t_base
        t_cal, cpu_cal = calamine(paths)
        cal_rate = len(paths) / t_cal
        jobs = args.jobs or os.cpu_count() or 1
        t_ours, cpu_ours, statuses = ours(paths, args.jobs)
        our_rate = len(paths) / t_ours
        print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
        print(
            f"baseline openpyxl x2, 1 process : {base_rate:8.1f} workbooks/s  ({len(sample)} files, {t_base:.1f} s)"
        )
        print(
            f"bare python-calamine, 1 process : {cal_rate:8.1f} workbooks/s  ({t_cal:.1f} s; "
            f"{cpu_cal / len(paths) * 1000:.2f} ms CPU per workbook)"
        )
        print(
            f"lxbz validate, {jobs} processes      : {our_rate:8.1f} workbooks/s  ({t_ours:.1f} s; "
            f"{cpu_ours / len(paths) * 1000:.2f} ms CPU per workbook incl. worker start; {statuses})"
        )
        print(f"  = {our_rate / base_rate:.1f}x the baseline; calamine is {cal_rate / our_rate:.1f}x faster")
        print(
            f"  ratio lxbz validate / bare calamine (same run, same files): wall {t_ours / t_cal:.1f}x, "
            f"CPU per workbook {cpu_ours / cpu_cal:.1f}x (target: at most 3x)"
        )
        idle_rate = jobs * len(paths) / cpu_ours
        print(
            f"  estimate for {jobs} idle cores (from the workers' CPU time): {idle_rate:.0f} workbooks/s = "
            f"{idle_rate / base_rate:.0f}x the baseline, {cal_rate / idle_rate:.1f}x below calamine"
        )
        d = distinct(folder)
        print(
            f"distinct forms ({d['n']} demo-city cases, each a different filled form, 1 process, best of 3): "
            f"calamine {d['calamine'] / d['n'] * 1000:.2f} ms, lxbz validate {d['ours'] / d['n'] * 1000:.2f} ms "
            f"CPU per workbook = {d['ours'] / d['calamine']:.1f}x; {d['statuses']}"
        )
        worst = worst_case_files(folder / "worst", paths[0])
        mem = memory(worst)
        print(
            f"worst case memory (hostile set + {worst[-1].name}, one process): peak RSS "
            f"{int(mem['peak_kib']) / 1024:.0f} MiB, {(int(mem['peak_kib']) - int(mem['idle_kib'])) / 1024:.0f} MiB "
            f"over the idle interpreter; {float(mem['seconds']):.1f} s"
        )
        for name, codes in mem["codes"].items():
            print(f"  {name}: {', '.join(codes) or 'valid'}")


if __name__ == "__main__":
    main()
