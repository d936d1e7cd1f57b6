"""The summary workbook (汇总.xlsx) and JSON, read back and compared with the core's summary.

One real batch for the module: the demo city (lxbz_xl/demo/city.yaml, ~40 units) filled into the
shipped templates, with the demo's planted problems when available, validated and summarised.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from lxbz_xl.case import Case
from lxbz_xl.cohort import below_full
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.demo.planting import plant
from lxbz_xl.demo.population import population
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.office import find_soffice, recalculate
from lxbz_xl.summary.charts import _criterion
from lxbz_xl.summary.collect import submission_of
from lxbz_xl.summary.compute import build_summary
from lxbz_xl.summary.model import Distribution, Summary, outcome_label
from lxbz_xl.summary.sheets import CHANGED_FILL, SETTLED_FILL
from lxbz_xl.summary.write_json import summary_json, write_summary_json
from lxbz_xl.summary.write_xlsx import SHEETS, write_summary
from lxbz_xl.validation.runner import run
from lxbz_xl.workbook.build import DEFAULT_DIR
from lxbz_xl.workbook.cached_values import read_values
from lxbz_xl.workbook.fill import fill_case, output_name

NOW = dt.datetime(2025, 12, 31, 9, 0, 0)
SOFFICE = find_soffice()
needs_lo = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) not found: run `bash scripts/install-system-deps.sh` to enable",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Summary, Path]:
    root = tmp_path_factory.mktemp("batch")
    folder = root / "submissions"
    written = []
    for i, case in enumerate(population()):
        dst = folder / output_name(case, i, "udf")
        written.append((case, fill_case(load_rubric(case["rubric"]), case, dst)))
    plant(written, DEFAULT_DIR)
    reports = run(sorted(folder.glob("*.xlsx")), jobs=2)
    summary = build_summary([submission_of(r) for r in reports], [str(folder)], now=NOW)
    out = root / "汇总" / "汇总.xlsx"
    assert write_summary(summary, out) == out
    return summary, out


@pytest.fixture(scope="module")
def values(built: tuple[Summary, Path]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(built[1], data_only=True)


@pytest.fixture(scope="module")
def formulas(built: tuple[Summary, Path]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(built[1])


def _close(a: Any, b: Fraction | None) -> bool:
    if b is None:
        return a in (None, "")
    return isinstance(a, int | float) and not isinstance(a, bool) and abs(a - float(b)) < 1e-9


def _header_row(ws: Worksheet, first: str, col: int = 1) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, col).value == first)


def _unit_columns(ws: Worksheet) -> tuple[int, dict[tuple[str, str], int]]:
    """First data row of 单位汇总, and (group, label) → column from its two header rows."""
    top = _header_row(ws, "单位")
    cols: dict[tuple[str, str], int] = {}
    group = ""
    for c in range(1, ws.max_column + 1):
        group = ws.cell(top, c).value or group
        label = ws.cell(top + 1, c).value or group
        cols[(group, label)] = c
    return top + 2, cols


# ---------------------------------------------------------------- the file


def test_every_sheet_in_order_with_title_filter_and_print_setup(values: openpyxl.Workbook) -> None:
    assert values.sheetnames == list(SHEETS)
    for ws in values.worksheets:
        assert str(ws["A1"].value).startswith("2025年度考评汇总 — " + ws.title)
        assert ws.page_setup.orientation == "landscape"
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        else:  # too wide to fit readably: 10 pt type at 80 % (8 pt), key columns repeated
            assert int(ws.page_setup.scale) >= 80 and ws.print_title_cols
        assert ws.page_margins.footer < ws.page_margins.bottom  # the footer prints inside the page
        assert ws.print_title_rows and ws.freeze_panes
    for name in ("单位汇总", "干部汇总", "排名", "好中差", "名额评选", "明细与来源", "问题清单", "校验记录"):
        assert values[name].auto_filter.ref, name


def test_written_atomically_and_replaced_atomically(
    built: tuple[Summary, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary, out = built
    assert sorted(p.name for p in out.parent.iterdir()) == ["汇总.xlsx"]  # no temp file left
    target = tmp_path / "汇总.xlsx"
    target.write_bytes(b"previous summary")

    def broken(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("lxbz_xl.summary.write_xlsx.rewrite_package", broken)
    with pytest.raises(OSError):
        write_summary(summary, target)
    assert target.read_bytes() == b"previous summary"  # the old file survives a failed write
    assert [p.name for p in tmp_path.iterdir()] == ["汇总.xlsx"]


def test_readme_states_batch_counts_rubrics_and_reproduction(
    built: tuple[Summary, Path], values: openpyxl.Workbook
) -> None:
    summary, _ = built
    ws = values["说明"]
    rows = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert rows["批次摘要(SHA-256)"] == summary.inputs_digest
    assert rows["生成时间"] == "2025-12-31T09:00:00"
    assert rows["报送文件数"] == len(summary.submissions)
    assert rows["计入汇总"] == sum(1 for s in summary.submissions if s.used)
    assert rows["问题条数"] == len(summary.problems)
    assert str(rows["复现方法"]).startswith("lxbz summary ")
    for rid, defn in summary.definitions.items():
        assert rows[rid] == defn.name
    text = "\n".join(str(ws.cell(r, 2).value) for r in range(1, ws.max_row + 1))
    assert all(line in text for line in summary.cohort.summary)


# ---------------------------------------------------------------- figures equal the core's


def test_unit_rows_equal_the_core(built: tuple[Summary, Path], values: openpyxl.Workbook) -> None:
    summary, _ = built
    ws = values["单位汇总"]
    first, cols = _unit_columns(ws)
    assert ws.max_row - first + 1 == len(summary.rows)
    checked = 0
    for i, row in enumerate(summary.rows):
        r = first + i
        assert (ws.cell(r, 1).value, ws.cell(r, 2).value) == (row.unit, row.year)
        for rid, e in row.entries.items():
            short = e.defn.short_name
            if (short, "总分") in cols:
                assert _close(ws.cell(r, cols[(short, "总分")]).value, e.result.total), (row.unit, rid)
                checked += 1
            for label in ("档次", "称号"):
                if (short, label) in cols:
                    assert ws.cell(r, cols[(short, label)]).value == outcome_label(e.result)
                    checked += 1
            if (short, "好中差档") in cols:
                assert ws.cell(r, cols[(short, "好中差档")]).value == e.result.band
        if row.annual_tier is not None:
            assert ws.cell(r, cols[("资格链", "年度考核档次")]).value == row.annual_tier
            assert ws.cell(r, cols[("资格链", "年度考核档次(资格链前)")]).value == row.annual_base_tier
        if row.reasons:
            assert ws.cell(r, cols[("资格链", "资格链说明")]).value == ";".join(dict.fromkeys(row.reasons))
        expected = {True: "是", False: "否"}.get(row.exceed_eligible)  # type: ignore[arg-type]
        if expected:
            assert ws.cell(r, cols[("资格链", "可评超标单位")]).value == expected
    assert checked > 50


def test_totals_in_the_workbook_equal_the_core_on_the_original_cases(
    built: tuple[Summary, Path], values: openpyxl.Workbook
) -> None:
    """End to end: case → filled form → validated → read back → summary → cell, against evaluate(case)."""
    summary, _ = built
    original = {(c["rubric"], c["unit"]): c for c in population()}
    ws = values["单位汇总"]
    first, cols = _unit_columns(ws)
    checked = 0
    for i, row in enumerate(summary.rows):
        for rid, e in row.entries.items():
            col = cols.get((e.defn.short_name, "总分"))
            if col is None:
                continue
            core = evaluate(load_rubric(rid), Case.from_mapping(original[(rid, row.unit)]))
            assert _close(ws.cell(first + i, col).value, core.total), (row.unit, rid)
            checked += 1
    persons = values["干部汇总"]
    head = _header_row(persons, "单位")
    for i, p in enumerate(summary.persons):
        if p.rubric != "annual_cadre":
            continue
        core = evaluate(load_rubric("annual_cadre"), Case.from_mapping(original[("annual_cadre", p.unit)]))
        assert persons.cell(head + 1 + i, 6).value == (core.tier or "需人工认定"), p.unit
        checked += 1
    assert checked > 60


def test_numbers_are_numbers(values: openpyxl.Workbook) -> None:
    ws = values["单位汇总"]
    first, cols = _unit_columns(ws)
    totals = [c for (_, label), c in cols.items() if label == "总分"]
    seen = [ws.cell(r, c).value for r in range(first, ws.max_row + 1) for c in totals]
    assert seen and all(v is None or isinstance(v, int | float) for v in seen)
    assert any(isinstance(v, float) for v in seen)  # e.g. 92.5, written as a number, not "92.5"


def test_total_links_open_the_right_file_and_cell(
    built: tuple[Summary, Path], formulas: openpyxl.Workbook
) -> None:
    """Each total links to its submitted cell, which shows the same total, or shows nothing (a form
    computes no total while an item is blank): then the summary's figure is marked and explained."""
    summary, out = built
    ws = formulas["单位汇总"]
    first, cols = _unit_columns(ws)
    cache: dict[Path, dict[tuple[str, str], Any]] = {}
    same = blank = 0
    for i, row in enumerate(summary.rows):
        for e in row.entries.values():
            col = cols.get((e.defn.short_name, "总分"))
            if col is None or "total" not in e.refs:
                continue
            cell = ws.cell(first + i, col)
            assert cell.hyperlink is not None, (row.unit, e.rubric)
            m = re.fullmatch(r"(.+)#'(.+)'!([A-Z]+[0-9]+)", cell.hyperlink.target)
            assert m is not None and not Path(m.group(1)).is_absolute(), cell.hyperlink.target
            target = (out.parent / m.group(1)).resolve()
            assert target == Path(e.submission.path).resolve()
            if target not in cache:
                cache[target] = read_values(target)
            shown = cache[target][(m.group(2), m.group(3))]
            if shown == "":
                assert cell.comment is not None and "填报表显示:(空)" in cell.comment.text
                blank += 1
            else:
                assert _close(shown, e.result.total), (row.unit, e.rubric)
                assert cell.comment is None
                same += 1
    assert same >= 10, (same, blank)  # the demo fills every item, so its forms show their totals


def test_changes_by_the_batch_are_highlighted_with_the_reason(
    built: tuple[Summary, Path], formulas: openpyxl.Workbook
) -> None:
    summary, _ = built
    ws = formulas["单位汇总"]
    first, cols = _unit_columns(ws)
    strong = 0
    for i, row in enumerate(summary.rows):
        for e in row.entries.values():
            col = cols.get((e.defn.short_name, "称号")) or cols.get((e.defn.short_name, "档次"))
            if col is None or not e.changed_by_batch:
                continue
            cell = ws.cell(first + i, col)
            assert cell.comment is not None, (row.unit, e.rubric)
            assert f"汇总结果:{outcome_label(e.result)}" in cell.comment.text
            assert "原因:" in cell.comment.text
            assert cell.fill.fgColor.rgb in (
                f"00{CHANGED_FILL.fgColor.rgb[-6:]}",
                f"00{SETTLED_FILL.fgColor.rgb[-6:]}",
            )
            strong += cell.fill.fgColor.rgb.endswith(CHANGED_FILL.fgColor.rgb[-6:])
        if row.annual_base_tier != row.annual_tier:  # capped by the chain: say why
            cell = ws.cell(first + i, cols[("资格链", "年度考核档次")])
            assert cell.comment is not None and "降为" in cell.comment.text
    assert strong >= 2  # the demo's two capped units (learning title removed, 优秀 → 较好)


def test_person_rows_equal_the_core(built: tuple[Summary, Path], values: openpyxl.Workbook) -> None:
    summary, _ = built
    ws = values["干部汇总"]
    head = _header_row(ws, "单位")
    assert ws.max_row - head == len(summary.persons)
    for i, p in enumerate(summary.persons):
        r = head + 1 + i
        assert ws.cell(r, 2).value == p.person
        assert _close(ws.cell(r, 5).value, p.outcome.total)
        assert ws.cell(r, 6).value == outcome_label(p.outcome)
        assert ws.cell(r, 9).value == p.ref.text


def test_ranking_and_bands_equal_the_records(built: tuple[Summary, Path], values: openpyxl.Workbook) -> None:
    summary, _ = built
    ws = values["排名"]
    head = _header_row(ws, "考评细则")
    order = [r for rec in summary.cohort.rankings for r in rec.order]
    for i, r in enumerate(order):
        got = [ws.cell(head + 1 + i, c).value for c in (3, 4, 6)]
        assert got == [r.rank, r.unit, below_full(r)]
        assert _close(ws.cell(head + 1 + i, 5).value, r.total)
    ws = values["好中差"]
    head = max(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "考评细则")
    bands = [(r.unit, rec.by_rank[r.unit], r.band) for rec in summary.cohort.bandings for r in rec.order]
    got = [tuple(ws.cell(head + 1 + i, c).value for c in (4, 7, 8)) for i in range(len(bands))]
    assert got == bands


def test_quota_outcomes_equal_the_records(built: tuple[Summary, Path], values: openpyxl.Workbook) -> None:
    summary, _ = built
    ws = values["名额评选"]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value == "位次")
    expected = [
        (q.pool, c.result.unit, c.name, c.outcome) for q in summary.cohort.quotas for c in q.candidates
    ]
    got = []
    for i in range(len(expected)):
        pool, unit, name, outcome = (ws.cell(head + 1 + i, c).value for c in (3, 5, 6, 8))
        got.append((pool, unit, name or unit, outcome))
    assert got == expected
    scores = [c.score for q in summary.cohort.quotas for c in q.candidates]
    assert all(_close(ws.cell(head + 1 + i, 7).value, s) for i, s in enumerate(scores))
    assert {"入选", "并列待定", "未入选"} <= {x[3] for x in expected}  # the demo's tie at the cut
    text = " ".join(str(ws.cell(r, 1).value) for r in range(1, head))
    assert summary.inputs_digest in text and "不改变" in text  # inputs recorded; totals untouched


def test_indicator_lists(built: tuple[Summary, Path], values: openpyxl.Workbook) -> None:
    summary, _ = built
    ws = values["年度指标"]
    kv = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    (share,) = summary.cohort.shares
    assert kv["达到称号的单位数"] == len(share.hits)
    assert share.share is not None and abs(kv["比例"] - float(share.share)) < 1e-12
    units = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    for flag in summary.flags:
        assert flag.unit in units


# ---------------------------------------------------------------- charts: formulas that carry values


def _chart_tables(ws: Worksheet) -> dict[str, dict[str, tuple[int, Any]]]:
    """Chart title → category → (row, count) from the data tables on 图表."""
    tables: dict[str, dict[str, tuple[int, Any]]] = {}
    for r in range(1, ws.max_row + 1):
        if ws.cell(r + 1, 2).value == "数量" and ws.cell(r, 1).value:
            rows = {}
            k = r + 2
            while ws.cell(k, 1).value not in (None, "合计"):
                rows[ws.cell(k, 1).value] = (k, ws.cell(k, 2).value)
                k += 1
            tables[ws.cell(r, 1).value] = rows
    return tables


def test_chart_tables_equal_the_distributions_and_are_countif_formulas(
    built: tuple[Summary, Path], values: openpyxl.Workbook, formulas: openpyxl.Workbook
) -> None:
    summary, _ = built
    cached, written = _chart_tables(values["图表"]), _chart_tables(formulas["图表"])
    expected = summary.distributions() + summary.histograms()
    assert [d.title for d in expected] == list(cached)
    for d in expected:
        assert {k: v for k, (_, v) in cached[d.title].items()} == d.counts, d.title
        for _category, (_, formula) in written[d.title].items():
            # This batch needs no fallback: every count is traceable to the tables it counts.
            assert isinstance(formula, str) and formula.startswith(("=COUNTIF(", "=COUNTIFS(")), d.title
    assert len(formulas["图表"]._charts) == len(expected)


def test_a_count_no_formula_reproduces_is_written_as_a_number_with_a_note(
    built: tuple[Summary, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary, _ = built
    odd = Distribution("learning_team", "学习型领导班子(单位)", {"是": 999})  # no column holds 999 是
    monkeypatch.setattr(Summary, "distributions", lambda self: [odd])
    monkeypatch.setattr(Summary, "histograms", lambda self: [])
    out = write_summary(summary, tmp_path / "汇总.xlsx")
    ws = openpyxl.load_workbook(out)["图表"]
    (table,) = _chart_tables(ws).values()
    assert table["是"][1] == 999
    notes = " ".join(str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1))
    assert "不能用简单公式表示" in notes


def test_problems_and_validation_records(built: tuple[Summary, Path], formulas: openpyxl.Workbook) -> None:
    summary, out = built
    ws = formulas["问题清单"]
    head = _header_row(ws, "类型")
    assert [ws.cell(head + 1 + i, 1).value for i in range(len(summary.problems))] == [
        p.kind for p in summary.problems
    ]
    for i, p in enumerate(summary.problems):
        for k, f in enumerate(p.files):
            link = ws.cell(head + 1 + i, 5 + k).hyperlink
            assert link is not None and (out.parent / link.target).resolve() == Path(f).resolve()
    ws = formulas["校验记录"]
    head = _header_row(ws, "文件")
    got = {
        ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 7).value)
        for r in range(head + 1, ws.max_row + 1)
    }
    assert got == {
        Path(x.path).name: ("通过" if x.status == "valid" else "不通过", "是" if x.used else "否")
        for x in summary.submissions
    }


def test_countif_criteria_match_exactly() -> None:
    assert _criterion("=", "优秀") == '"优秀"'
    assert _criterion("=", "a*b?c~") == '"a~*b~?c~~"'
    assert _criterion("=", ">60") == '"=>60"'
    assert _criterion(">=", 60) == '">=60"'


# ---------------------------------------------------------------- JSON


def test_json_is_stable_and_complete(built: tuple[Summary, Path], tmp_path: Path) -> None:
    summary, _ = built
    data = summary_json(summary)
    assert json.dumps(data, ensure_ascii=False) == json.dumps(summary_json(summary), ensure_ascii=False)
    assert data["inputs_digest"] == summary.inputs_digest
    assert [r["unit"] for r in data["rows"]] == [r.unit for r in summary.rows]
    assert len(data["persons"]) == len(summary.persons)
    q = data["quotas"][0]
    assert [c["outcome"] for c in q["candidates"]] == [c.outcome for c in summary.cohort.quotas[0].candidates]
    share = data["shares"][0]
    record = summary.cohort.shares[0]
    assert share["share_exact"] == str(record.share) and share["n"] == len(record.hits) + len(
        record.misses
    ) + len(record.pending)
    out = write_summary_json(summary, tmp_path / "汇总.json")
    assert json.loads(out.read_text(encoding="utf-8"))["rows"] == json.loads(json.dumps(data["rows"]))
    assert "青山" in out.read_text(encoding="utf-8")  # not ASCII-escaped
    assert [p.name for p in tmp_path.iterdir()] == ["汇总.json"]


# ---------------------------------------------------------------- LibreOffice: a real engine agrees


def _formula_cells(path: Path) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }


@needs_lo
@pytest.mark.libreoffice
def test_libreoffice_recalculates_every_formula_to_the_cached_value(
    built: tuple[Summary, Path], tmp_path: Path
) -> None:
    _, out = built
    cells = _formula_cells(out)
    assert any("COUNTIF" in f for f in cells.values())
    before = read_values(out)
    after = read_values(recalculate(out, tmp_path))
    wrong = {k: (before.get(k), after.get(k)) for k in cells if before.get(k) != after.get(k)}
    assert not wrong


@needs_lo
@pytest.mark.libreoffice
def test_preview_renders_a_page_per_sheet(built: tuple[Summary, Path], tmp_path: Path) -> None:
    from lxbz_xl.summary.preview import preview_summary

    _, out = built
    made = preview_summary(out, tmp_path, sheets=["说明", "图表"])
    assert [p.name for p in made] == ["summary_readme.png", "summary_charts.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in made)
    with zipfile.ZipFile(out) as z:  # the workbook itself is untouched by the preview
        assert 'state="hidden"' not in z.read("xl/workbook.xml").decode("utf-8")
