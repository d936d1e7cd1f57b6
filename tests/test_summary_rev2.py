"""`lxbz summary` for RUBRICS.md revision 2 (part B): the §8 team cap in the chain, party secretaries banded
per assessing body, the §9 award year and pending 正职, the §11 consequences (one filterable row each),
three years of 优秀 and the 满意度 bottom share as a second 限期整改 trigger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from lxbz_xl.case import Case
from lxbz_xl.cohort import award_year, evaluate_cohort
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.summary.write_json import summary_json
from lxbz_xl.summary.write_xlsx import write_summary
from tests.test_summary_compute import EXCELLENT_VOTES, row, sub, summarise
from tests.test_summary_compute import _performance as perf

EXCELLENT_ASPECTS = {
    k: "excellent" for k in ("political_quality", "leadership", "work_style", "duty_performance", "integrity")
}


def secretary(unit: str, score: int, body: str | None = None, **extra: Any) -> dict[str, Any]:
    case = {"rubric": "party_secretary", "unit": unit, "report_marks": [score], "field_score": score, **extra}
    return case | ({"assessing_body": body} if body else {})


def cadre(name: str, year: int) -> dict[str, Any]:
    return {
        "rubric": "annual_cadre",
        "unit": name,
        "year": year,
        "scope": "county",
        "votes": {"优秀": 7, "称职": 3},
        "aspects": EXCELLENT_ASPECTS,
    }


def test_party_building_finding_caps_the_team_in_the_chain_with_its_reason() -> None:
    s = summarise(
        sub(secretary("东坡乡", 90, "某县委", attention_insufficient=True)),
        sub({"rubric": "annual_team", "unit": "东坡乡", **EXCELLENT_VOTES}),
        sub(secretary("西岭乡", 90, "某县委")),
        sub({"rubric": "annual_team", "unit": "西岭乡", **EXCELLENT_VOTES}),
    )
    east, west = row(s, "东坡乡"), row(s, "西岭乡")
    assert (east.annual_base_tier, east.annual_tier) == ("优秀", "较好")
    assert any("优秀降为较好" in r and "领导班子当年不能评优" in r for r in east.reasons)
    assert west.annual_tier == "优秀"
    # The secretary link is optional: a unit without a secretary case is no 缺报.
    assert not any(p.rubric == "party_secretary" for p in s.problems)


def test_secretaries_band_within_their_assessing_body(tmp_path: Path) -> None:
    subs = [sub(secretary(f"{n}镇", 95 - i, "某县委")) for i, n in enumerate("一二三四五六七八九十")]
    subs += [sub(secretary(f"{n}村", 80 - i, "东坡乡党委")) for i, n in enumerate("甲乙丙丁")]
    s = summarise(*subs)
    groups = {b.group: b for b in s.cohort.bandings}
    assert set(groups) == {"某县委", "东坡乡党委"}
    assert [r.band for r in groups["东坡乡党委"].order] == ["好", "中", "中", "中"]
    assert summary_json(s)["bandings"][0]["group"] in ("某县委", "东坡乡党委")
    out = write_summary(s, tmp_path / "汇总.xlsx")
    ws = openpyxl.load_workbook(out)["好中差"]
    texts = [str(c.value) for line in ws.iter_rows() for c in line if c.value]
    assert any("考核主体“东坡乡党委”" in t for t in texts)
    assert "东坡乡党委" in texts


def test_consequences_are_a_filterable_column_and_one_row_each(tmp_path: Path) -> None:
    subs = [sub(cadre("张三", y)) for y in (2023, 2024, 2025)]
    subs += [
        sub(perf(f"{n}局", s)) for n, s in zip("甲乙丙丁戊己庚辛壬癸", [*["0.95"] * 9, "0.85"], strict=True)
    ]
    s = summarise(*subs)
    salary = [c for c in s.consequences if c.kind == "salary"]
    assert [(c.person, c.year, c.kind_label) for c in salary] == [("张三", 2025, "晋升工资")]
    rectify = [c for c in s.consequences if c.kind == "rectify" and "评议结果靠后" in c.reason]
    assert [c.unit for c in rectify] == ["癸局"]
    # The 满意度 bottom share is a 限期整改 entry of the year-level list beside < 80%.
    assert any(f.kind == "限期整改" and f.unit == "癸局" and "倒数第1名" in f.detail for f in s.flags)
    out = write_summary(s, tmp_path / "汇总.xlsx")
    wb = openpyxl.load_workbook(out)
    sheet = wb["处理意见"]
    assert sheet.auto_filter.ref
    head = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "年度")
    kinds = [sheet.cell(r, 5).value for r in range(head + 1, sheet.max_row + 1)]
    assert kinds.count("晋升工资") == 1 and "限期整改" in kinds
    units = wb["单位汇总"]
    assert units.auto_filter.ref
    top = next(r for r in range(1, units.max_row + 1) if units.cell(r, 1).value == "单位")
    col = next(c for c in range(1, units.max_column + 1) if units.cell(top, c).value == "处理意见")
    cells = {units.cell(r, 1).value: units.cell(r, col).value for r in range(top + 2, units.max_row + 1)}
    assert "限期整改" in (cells["癸局"] or "") and not cells["甲局"]
    persons = wb["干部汇总"]
    ptop = next(r for r in range(1, persons.max_row + 1) if persons.cell(r, 1).value == "单位")
    pcol = next(c for c in range(1, persons.max_column + 1) if persons.cell(ptop, c).value == "处理意见")
    shown = [persons.cell(r, pcol).value or "" for r in range(ptop + 1, persons.max_row + 1)]
    assert sum("晋升工资" in t for t in shown) == 1


def test_award_year_is_reported_in_the_summary(tmp_path: Path) -> None:
    team = {
        "rubric": "innovation",
        "unit": "一中",
        "innovative_works": 2,
        "inspections_all_top10": True,
        "team_votes": {"好": 10},
        "conduct_excellent": True,
        "comprehensive_excellent": True,
    }
    s = summarise(sub(team), sub({**team, "year": 2026}, "b.xlsx"))
    years = {(a.year, a.award_year) for a in s.cohort.award_years}
    assert years == {(2025, True), (2026, False)}
    assert [a["award_year"] for a in summary_json(s)["award_years"]] == [True, False]
    out = write_summary(s, tmp_path / "汇总.xlsx")
    ws = openpyxl.load_workbook(out)["名额评选"]
    texts = [str(c.value) for line in ws.iter_rows() for c in line if c.value]
    assert any(t.startswith("否。2026年不是评选年") for t in texts)


@settings(max_examples=40, deadline=None)
@given(st.integers(1990, 2100))
def test_award_years_alternate(year: int) -> None:
    defn = load_rubric("innovation")
    a, b = award_year(defn, year), award_year(defn, year + 1)
    assert a is not None and b is not None
    assert a.award_year != b.award_year  # every two years: exactly one of two consecutive years


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(50, 100), min_size=1, max_size=25))
def test_bottom_share_never_splits_equal_values_and_never_exceeds_the_share(values: list[int]) -> None:
    cases = [
        Case.from_mapping({"year": 2025, **perf(f"单位{i:02d}", f"{v / 100}")}) for i, v in enumerate(values)
    ]
    batch = evaluate_cohort(cases)
    hit = [r for r in batch.results if any("评议结果靠后" in f for f in r.flags)]
    assert len(hit) <= len(values) // 10  # 10%, rounded down
    flagged = {r.inputs["satisfaction_share"] for r in hit}
    rest = {r.inputs["satisfaction_share"] for r in batch.results if r not in hit}
    assert not flagged & rest  # an equal value is never on both sides of the cut
    if hit:
        assert max(r.inputs["satisfaction_share"] for r in hit) < min(rest)
