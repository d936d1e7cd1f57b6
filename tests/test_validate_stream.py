"""Issue 14: `lxbz validate` keeps no report in the parent. Reports go to the runner's spool and every
writer streams them out one at a time; the streamed console, JSON and JUnit text is exactly what the
whole-batch renderers give, and the parent's memory does not grow with the reports' size."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from lxbz_xl.cli import main
from lxbz_xl.validation import report_console, report_json, report_junit, runner
from lxbz_xl.validation.model import CODES, MergedReports, SpooledReports, WorkbookReport, finding

TEXT = st.lists(
    st.sampled_from(
        ["红", "星", "a", " ", "[", "]", "/", "=", "\x1b", "\u202e", "长", "b c", "\n", "x" * 30]
    ),
    max_size=12,
).map("".join)


@st.composite
def reports(draw: st.DrawFn) -> WorkbookReport:
    r = WorkbookReport(
        draw(TEXT) + ".xlsx",
        sha256=draw(st.none() | st.just("ab" * 32)),
        rubric=draw(st.none() | st.sampled_from(["learning_team", "annual_team"])),
        unit=draw(st.none() | TEXT),
        year=draw(st.none() | st.integers(1990, 2100)),
        total=draw(st.none() | st.integers(0, 100) | st.just(12.5)),
        tier=draw(st.none() | TEXT),
        seconds=draw(st.floats(0, 5)),
    )
    for code in draw(st.lists(st.sampled_from(sorted(CODES)), max_size=10)):
        r.findings.append(finding(code, draw(TEXT) + "说明", draw(st.none() | TEXT), draw(st.none() | TEXT)))
    return r


def _console(width: int, color: bool) -> Console:
    """A console writing to a string: plain text (as in CI logs), or a terminal with colours."""
    return Console(
        file=io.StringIO(),
        width=width,
        highlight=False,
        force_terminal=color,
        color_system="standard" if color else None,
    )


def _whole_console(batch: list[WorkbookReport], width: int, color: bool) -> str:
    """The table as one rich Table of every row (what the console report printed before streaming)."""
    console = _console(width, color)
    table = report_console._table()
    for r in batch:
        table.add_row(*report_console._row(r))
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    batch=st.lists(reports(), min_size=1, max_size=9),
    width=st.sampled_from([40, 80, 160]),
    color=st.booleans(),
)
def test_streamed_reports_equal_the_whole_batch_renderers(
    batch: list[WorkbookReport], width: int, color: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    old_block = report_console.BLOCK
    report_console.BLOCK = 2  # several blocks, full and partial, in a handful of rows
    try:
        console = _console(width, color)
        report_console.print_report(batch, console)
    finally:
        report_console.BLOCK = old_block
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert text.startswith(_whole_console(batch, width, color))
    folder = tmp_path_factory.mktemp("reports")
    report_json.write_json(batch, folder / "r.json")
    whole = json.dumps(report_json.to_json(batch), ensure_ascii=False, indent=1) + "\n"
    assert (folder / "r.json").read_bytes() == whole.encode("utf-8", "backslashreplace")
    report_junit.write_junit(batch, folder / "r.xml")
    tree = ET.ElementTree(report_junit.to_junit(batch))
    ET.indent(tree)
    tree.write(folder / "whole.xml", encoding="utf-8", xml_declaration=True)
    assert (folder / "r.xml").read_bytes() == (folder / "whole.xml").read_bytes()


def test_spool_and_merged_view_keep_order_and_refused_entries(tmp_path: Path) -> None:
    spool = SpooledReports(3)
    for i in (2, 0, 1):  # reports arrive in any order
        spool.put(i, WorkbookReport(f"f{i}", findings=[finding("macros", "m" * i)]))
    refused = {"link": finding("symlink", "链接")}
    merged = MergedReports(["f0", "link", "f1", "f2"], refused, spool)
    assert [r.path for r in merged] == ["f0", "link", "f1", "f2"]
    assert merged[1].findings[0].code == "symlink" and merged[3].findings[0].message == "mm"
    assert [r.path for r in merged[1:3]] == ["link", "f1"]
    with pytest.raises(ValueError):
        MergedReports(["f0"], {}, spool)  # the reports must match the files to check
    spool.close()


HEAVY = 3  # findings per fake report
REPORT = 400 * 1024  # bytes of each fake report (its case)


def _validate_peak(folder: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Peak traced memory of a whole `lxbz validate --jobs 1` run with every report written, over ``n``
    files whose check returns a heavy report (the real check is replaced: this measures the parent)."""
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:05d}.xlsx").write_bytes(b"")

    def check(path: Path, context: object, limits: object) -> WorkbookReport:
        found = [
            finding("value_mismatch", f"{path.name}:计算结果不一致", "考评表", f"H{k}") for k in range(HEAVY)
        ]
        report = WorkbookReport(
            str(path), sha256="0" * 64, rubric="learning_team", unit="某县", findings=found
        )
        # The case read from the cells (for `lxbz summary`): 400 KB of text of this file's own.
        report.case = {"items": {str(k): path.name + "填报内容" * 1000 for k in range(50)}}
        return report

    monkeypatch.setattr(runner, "check_file", check)
    out = folder.parent / f"out{n}"
    out.mkdir()
    argv = ["validate", str(folder), "--jobs", "1", "--json", str(out / "r.json")]
    argv += ["--junit", str(out / "r.xml"), "--xlsx", str(out / "r.xlsx")]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        tracemalloc.start()
        try:
            assert main(argv) == 1
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    records = json.loads((out / "r.json").read_text(encoding="utf-8"))["workbooks"]
    assert len(records) == n and all(len(r["findings"]) == HEAVY for r in records)
    return peak


def test_parent_memory_does_not_grow_with_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """4x the files, each report about 400 KB: the parent's peak grows by less than a tenth of a report
    per file (paths, offsets, bounded caches), not by the reports."""
    _validate_peak(tmp_path / "warm", 5, monkeypatch)  # imports and caches of a first run are not growth
    small = _validate_peak(tmp_path / "small", 40, monkeypatch)
    big = _validate_peak(tmp_path / "big", 160, monkeypatch)
    # Bounded caches (rich's cell widths) still fill; the reports would add 48 MB.
    assert big - small < 120 * REPORT // 10, (small, big)
