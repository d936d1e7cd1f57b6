"""Cost of `lxbz summary` over a large batch, against evaluating the same cases one by one.

Usage: python bench/summary.py [--copies 25] [--repeat 3]

The demo city (lxbz_xl.demo.population, ~110 cases of 40 units) is copied ``--copies`` times under
renamed units, so 25 copies = 1,000 units and ~2,800 cases, as validated submissions (no files: the
workbook reading is measured by bench/validate.py). Timed in the same process:

* baseline: ``evaluate`` of every case on its own (what a loop over the forms would cost);
* compute: ``build_summary`` (choose the records, the §1 chain with its repeated passes, ranking,
  bands, quotas, indicators, provenance);
* write: ``write_summary`` of the 11-sheet workbook with charts and cached values.

The ratios say what the cross-unit step costs on top of scoring each form once.

Measured 2026-11-22 on the 2-core development machine, --copies 25 (2,775 cases, 1,200 units incl. cadres):
  baseline: evaluate each case alone :    1.25 s  (450 µs per case)
  build_summary (chain, cohort, refs):    2.97 s  = 2.4x the baseline
  write_summary (11 sheets, charts)  :    7.96 s  = 6.4x the baseline (0.9 MB workbook)

Measured 2026-12-01 (streamed writer, issue 14; the demo city has grown to 124 cases), load average ~4,
--copies 25 --repeat 1 (3,100 cases, 1,300 units):
  baseline: evaluate each case alone :    1.11 s  (359 µs per case)
  build_summary (chain, cohort, refs):    3.70 s  = 3.3x the baseline
  write_summary (12 sheets, charts)  :    8.44 s  = 7.6x the baseline (1.1 MB workbook)
The streamed writer's gain is memory (16 MiB instead of 92 MiB over the built summary at this size),
not time; at 1,000 to 10,000 files see bench/scale_summary.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxbz_xl.case import Case
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.demo.population import population
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.summary.compute import build_summary
from lxbz_xl.summary.model import Submission
from lxbz_xl.summary.write_xlsx import write_summary


def batch(copies: int) -> list[Submission]:
    subs = []
    for k in range(copies):
        for i, case in enumerate(population()):
            renamed: dict[str, Any] = {**case, "unit": f"{case['unit']}{k:03d}" if k else case["unit"]}
            path = f"{renamed['rubric']}_{renamed['unit']}_{i}.xlsx"
            subs.append(
                Submission(
                    path,
                    None,
                    "valid",
                    case["rubric"],
                    "v",
                    "udf",
                    renamed["unit"],
                    case["year"],
                    [],
                    renamed,
                )
            )
    return subs


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    subs = batch(args.copies)
    cases = [(load_rubric(s.rubric or ""), Case.from_mapping(s.case or {})) for s in subs]
    units = len({s.unit for s in subs})

    def baseline() -> None:
        for defn, case in cases:
            evaluate(defn, case)

    def compute() -> None:
        for s in subs:
            s.used = False
        build_summary(subs, ["bench"])

    summary = build_summary(subs, ["bench"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "汇总.xlsx"
        t_base = best(baseline, args.repeat)
        t_compute = best(compute, args.repeat)
        t_write = best(lambda: write_summary(summary, out), 1)
        size = out.stat().st_size
    print(f"{len(subs)} cases, {units} units ({args.copies} copies of the demo city); best of {args.repeat}")
    print(
        f"  baseline: evaluate each case alone : {t_base:7.2f} s  ({t_base / len(subs) * 1e6:.0f} µs per case)"
    )
    print(
        f"  build_summary (chain, cohort, refs): {t_compute:7.2f} s  = {t_compute / t_base:.1f}x the baseline"
    )
    print(f"  write_summary (11 sheets, charts)  : {t_write:7.2f} s  = {t_write / t_base:.1f}x the baseline")
    print(f"  workbook size {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
