"""The summary's memory stays flat whatever the batch (issue 14): what `build_summary` keeps, and the peak
of writing the workbook and the JSON, grow by far less than a result per submission. A per-file
structure held in memory again (the results, the rows, the cadres, the hyperlinks or comments of a
sheet…) makes these bounds fail: a result alone is 4–12 KB."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path
from typing import Any

from lxbz_xl.demo.population import population
from lxbz_xl.summary.compute import build_summary
from lxbz_xl.summary.model import Submission
from lxbz_xl.summary.write_json import write_summary_json
from lxbz_xl.summary.write_xlsx import write_summary

# Bytes a submission may add. Measured on 2026-12-02: 0.8 KB kept (the submission itself) and 3.4 KB at
# the writers' peak (bounded caches such as the 4,096 link targets fill up at these sizes, and the cohort
# sheets list their rows); the code before issue 14's flat summary kept 6.7 KB and peaked at 22.4 KB.
KEPT_PER_FILE = 2000
PEAK_PER_FILE = 6000


def _city(copies: int) -> list[Submission]:
    """The demo city (124 cases of about 40 units) `copies` times, each copy with its units renamed:
    every copy is a new city, so the chain, rankings, bands and quotas all grow with it."""
    out = []
    for c in range(copies):
        for i, case in enumerate(population()):
            unit = case["unit"] if c == 0 else f"{case['unit']}·{c}"
            data: dict[str, Any] = {**case, "unit": unit}
            path = f"{c:03d}_{i:03d}_{case['rubric']}.xlsx"
            out.append(
                Submission(
                    path, f"{c}-{i}", "valid", case["rubric"], "v", "udf", unit, case["year"], [], data
                )
            )
    return out


def _measure(copies: int, tmp_path: Path) -> tuple[int, int]:
    """(bytes the summary keeps once built, peak bytes while its workbook and JSON are written)."""
    subs = _city(copies)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        summary = build_summary(subs, ["t"])
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.reset_peak()
        write_summary(summary, tmp_path / f"汇总{copies}.xlsx")
        write_summary_json(summary, tmp_path / f"汇总{copies}.json")
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return kept, peak


def test_memory_grows_by_much_less_than_a_result_per_file(tmp_path: Path) -> None:
    _measure(1, tmp_path)  # rubrics loaded, plans compiled, layouts read: once per process
    small_kept, small_peak = _measure(1, tmp_path)
    big_kept, big_peak = _measure(4, tmp_path)
    more = 3 * len(population())
    assert (big_kept - small_kept) / more < KEPT_PER_FILE, (small_kept, big_kept)
    assert (big_peak - small_peak) / more < PEAK_PER_FILE, (small_peak, big_peak)
