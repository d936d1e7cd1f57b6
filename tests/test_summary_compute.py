"""`lxbz summary` computation on multi-unit batches: the §1 chain, ties, band edges, quotas, indicators and
the records it refuses to guess (RUBRICS.md §1, §8, §9, §11). Submissions are built in memory here; the
workbook round trip is tested in test_summary_workbook.py and test_summary_cli.py."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lxbz_xl.case import Case
from lxbz_xl.cohort import share_goal
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.summary.compute import build_summary
from lxbz_xl.summary.model import Submission, Summary

YEAR = 2025
EXCELLENT_VOTES = {
    "scope": "county",
    "team_votes": {"优秀": 8, "较好": 2},
    "principal_votes": {"优秀": 8, "称职": 2},
    "findings": {"targets_good": True, "team_united": True},
}


def sub(case: dict[str, Any], name: str | None = None, status: str = "valid") -> Submission:
    case = {"year": YEAR, **case}
    path = name or f"{case['rubric']}_{case['unit']}.xlsx"
    return Submission(
        path, f"sha-{path}", status, case["rubric"], "v", "udf", case["unit"], case["year"], [], case
    )


def party_org(unit: str, **items: Any) -> dict[str, Any]:
    return {"rubric": "learning_party_org", "unit": unit, "items": items}


def learning(unit: str, **extra: Any) -> dict[str, Any]:
    return {"rubric": "learning_team", "unit": unit, **extra}


def annual(unit: str, **extra: Any) -> dict[str, Any]:
    return {"rubric": "annual_team", "unit": unit, **EXCELLENT_VOTES, **extra}


def summarise(*subs: Submission) -> Summary:
    return build_summary(list(subs), ["test"])


def row(summary: Summary, unit: str) -> Any:
    return next(r for r in summary.rows if r.unit == unit)


# ---------------------------------------------------------------- §1 chain


def test_chain_removes_title_caps_annual_and_says_why() -> None:
    # 甲县's party organisation scores 89 (< 90): no 学习型党组织 → no learning-team title → 优秀 capped.
    s = summarise(
        sub(party_org("甲县", **{"3": {"missing_elements": 5}, "9": {"members_short_of_hours": 1}})),
        sub(learning("甲县")),
        sub(annual("甲县")),
        sub(party_org("乙县")),
        sub(learning("乙县")),
        sub(annual("乙县")),
    )
    a, b = row(s, "甲县"), row(s, "乙县")
    assert (a.party_org_title, a.learning_title, a.annual_base_tier, a.annual_tier) == (
        False,
        False,
        "优秀",
        "较好",
    )
    assert a.exceed_eligible is False
    assert any("本单位党组织被评为学习型党组织" in r for r in a.reasons)
    assert any("优秀降为较好" in r for r in a.reasons)
    assert any("不能评为超标单位" in r for r in a.reasons)
    assert (b.party_org_title, b.learning_title, b.annual_tier, b.exceed_eligible) == (
        True,
        True,
        "优秀",
        True,
    )
    assert b.reasons == []
    assert s.problems == []
    # The workbook itself (no batch) showed 优秀: the entry says the batch changed it.
    entry = a.entries["annual_team"]
    assert entry.standalone.tier == "优秀" and entry.result.tier == "较好" and entry.changed_by_batch


def test_annual_tier_yiban_blocks_the_learning_title() -> None:
    s = summarise(
        sub(party_org("丙县")),
        sub(learning("丙县")),
        sub(
            annual(
                "丙县",
                findings={"targets_mediocre": True, "team_has_problems": True},
                team_votes={"优秀": 5, "较好": 3, "一般": 2},
            )
        ),
    )
    r = row(s, "丙县")
    assert r.annual_tier == "一般" and r.learning_title is False and r.exceed_eligible is False


def test_batch_value_overrides_a_self_declared_one_and_reports_the_conflict() -> None:
    s = summarise(
        sub(party_org("戊县", **{"2": {"missing_elements": 4}, "3": {"missing_elements": 1}})),  # 88
        sub(learning("戊县", context={"party_org_title": True})),  # the unit says yes; the batch says no
    )
    r = row(s, "戊县")
    assert r.party_org_title is False and r.learning_title is False
    notes = r.entries["learning_team"].result.notes
    assert any("填报为是" in n and "以后者为准" in n for n in notes)
    link = next(x for x in s.cohort.links if x.unit == "戊县")
    assert link.conflict and link.given is True and link.value is False


def test_missing_party_org_is_listed_and_title_is_provisional() -> None:
    s = summarise(sub(learning("己县")), sub(annual("己县")))
    r = row(s, "己县")
    assert r.learning_title is True and r.learning_provisional
    assert r.exceed_eligible is None  # 待定, not guessed either way
    missing = [p for p in s.problems if p.kind == "缺报"]
    assert [(p.unit, p.rubric) for p in missing] == [("己县", "learning_party_org")]
    assert r.missing == ["learning_party_org"]


def test_annual_only_unit_needs_the_whole_chain() -> None:
    s = summarise(sub(annual("庚局", scope="city_dept")))
    assert sorted(p.rubric or "" for p in s.problems) == ["learning_party_org", "learning_team"]
    r = row(s, "庚局")
    assert r.annual_tier == "优秀"  # not capped: the title is unknown, not false …
    assert r.exceed_eligible is None  # … so neither is guessed
    assert any("“优秀”随之待定" in x for x in r.reasons) and any("超标单位资格待定" in x for x in r.reasons)


def test_titles_do_not_carry_over_between_years() -> None:
    last_year = {**party_org("辛县"), "year": YEAR - 1}
    s = summarise(sub(last_year, "2024.xlsx"), sub(learning("辛县")))
    r = next(x for x in s.rows if x.unit == "辛县" and x.year == YEAR)
    assert r.party_org_title is None and r.learning_provisional  # 2024's title does not count for 2025


# ---------------------------------------------------------------- records not guessed


def test_identical_duplicates_count_once_and_differing_ones_not_at_all() -> None:
    same = party_org("壬县")
    s = summarise(
        sub(same, "a.xlsx"),
        sub(same, "b.xlsx"),
        sub(party_org("癸县"), "c.xlsx"),
        sub(party_org("癸县", **{"2": {"missing_elements": 1}}), "d.xlsx"),
    )
    kinds = {(p.kind, p.unit): p for p in s.problems}
    assert kinds[("重复报送", "壬县")].files == ["a.xlsx", "b.xlsx"]
    assert kinds[("报送冲突", "癸县")].files == ["c.xlsx", "d.xlsx"]
    assert [e.submission.path for e in s.entries] == ["a.xlsx"]
    assert all(r.unit != "癸县" for r in s.rows)


def test_invalid_and_unattributable_files_are_listed_not_used() -> None:
    bad = sub(party_org("子县"), "bad.xlsx", status="invalid")
    bad.problems = ["考评表!F7:第1项缺项数应为0–2,实为4"]
    nameless = sub({"rubric": "learning_party_org", "unit": ""}, "nameless.xlsx")
    s = summarise(bad, nameless)
    assert [(p.kind, p.files) for p in s.problems] == [
        ("未通过校验", ["bad.xlsx"]),
        ("无法归属", ["nameless.xlsx"]),
    ]
    assert "实为4" in s.problems[0].detail
    assert s.entries == []


# ---------------------------------------------------------------- ranking, bands, quotas


def test_learning_ranking_ties_fewer_items_below_full_then_name() -> None:
    # Both lose 2 points: 乙 in one item, 甲 in two → 乙 first; 丙/丁 tie completely → by name.
    two_items = {"1": {"members_without_plan": 1}, "2": {"missing_note_person_times": 1}}
    one_item = {"1": {"members_without_plan": 2}}
    cases = [
        learning("甲", items=two_items, context={"party_org_title": True, "annual_team_tier": "较好"}),
        learning("乙", items=one_item, context={"party_org_title": True, "annual_team_tier": "较好"}),
        learning("丁", items=one_item, context={"party_org_title": True, "annual_team_tier": "较好"}),
        learning("丙", items=one_item, context={"party_org_title": True, "annual_team_tier": "较好"}),
    ]
    s = summarise(*(sub(c) for c in cases))
    (ranking,) = s.cohort.rankings
    # 丁 < 丙 < 乙 in code-point (radical-stroke) order of the names
    assert [r.unit for r in ranking.order] == ["丁", "丙", "乙", "甲"]
    assert any("总分98并列" in t for t in ranking.ties)


def _secretary(unit: str, score: int, failed: bool = False) -> dict[str, Any]:
    return {
        "rubric": "party_secretary",
        "unit": unit,
        "secretary": f"{unit}书记",
        "report_marks": [score],
        "field_score": score,
        "party_building_failed": failed,
    }


def test_band_edge_tie_goes_to_the_better_band_and_demotion_is_recorded() -> None:
    scores = [95, 94, 93, 93, 90, 89, 88, 87, 86, 60]  # 好 = floor(30% × 10) = 3; 3rd and 4th tie
    s = summarise(*(sub(_secretary(f"{i}镇", v, failed=(i == 2))) for i, v in enumerate(scores, 1)))
    (band,) = s.cohort.bandings
    assert band.sizes == {"好": 3, "差": 1}
    assert band.by_rank["3镇"] == band.by_rank["4镇"] == "好"
    final = {r.unit: r.band for r in band.order}
    assert final["2镇"] == "中" and band.by_rank["2镇"] == "好"  # 党建未达标 → next band
    assert final["10镇"] == "差" and final["5镇"] == "中"
    assert any("并列" in t for t in band.ties)
    dist = next(d for d in s.distributions() if d.rubric == "party_secretary")
    assert dist.counts == {"好": 3, "中": 6, "差": 1}


def _school(unit: str, score: int, excellent: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "rubric": "innovation",
        "unit": unit,
        "innovative_works": 2,
        "inspections_all_top10": True,
        "team_votes": {"好": 10},
        "conduct_excellent": True,
        "comprehensive_excellent": excellent,
        "assessing_score": score,
        **extra,
    }


def test_quota_tie_at_the_cut_is_listed_and_raw_scores_are_untouched() -> None:
    # 5 comprehensive-excellent teams → quota floor(50% × 5) = 2; 2nd and 3rd tie at 90.
    s = summarise(
        *(sub(_school(f"{n}中", v)) for n, v in zip("一二三四五", [95, 90, 90, 80, 70], strict=True))
    )
    pool = next(q for q in s.cohort.quotas if q.pool == "创新创业型领导班子")
    assert (pool.base, pool.quota) == (5, 2)
    outcome = {c.name: c.outcome for c in pool.candidates}
    assert outcome == {
        "一中": "入选",
        "二中": "并列待定",
        "三中": "并列待定",
        "四中": "未入选",
        "五中": "未入选",
    }
    for e in s.entries:  # selection never rewrites a total
        assert e.result.total == e.standalone.total


def test_principal_award_requires_an_awarded_team() -> None:
    cadre = {
        "position": "正职",
        "adopted_innovations": 1,
        "highlights": 2,
        "articles": 1,
        "commended_results": 2,
        "annual_excellent_rate": "95%",
    }
    cadres_a = [{"name": "甲校长", "assessing_score": 99, **cadre}]
    cadres_b = [{"name": "乙校长", "assessing_score": 98, **cadre}]
    # 18 more 正职 who miss the standard: they count in the base (all 正职) but are not candidates.
    extra_principals = [
        {**cadre, "name": f"正{i}", "highlights": 0, "assessing_score": 10} for i in range(18)
    ]
    s = summarise(
        sub(_school("一中", 95, cadres=cadres_a + extra_principals[:9])),
        sub(_school("二中", 80, cadres=cadres_b + extra_principals[9:])),
    )
    principal = next(q for q in s.cohort.quotas if q.pool.endswith("(正职)"))
    assert principal.quota == 2  # floor(10% × 20 正职)
    assert "乙校长" in principal.excluded_by_parent
    assert {c.name: c.outcome for c in principal.candidates} == {"甲校长": "入选"}


# ---------------------------------------------------------------- year-level indicators


@pytest.mark.parametrize(
    ("year", "goal"), [(2010, "3/5"), (2011, "7/10"), (2012, "4/5"), (2013, "9/10"), (2025, "1")]
)
def test_learning_share_goal_rises_ten_points_a_year(year: int, goal: str) -> None:
    assert share_goal(load_rubric("learning_team"), year) == Fraction(goal)


def test_share_indicator_counts_titled_teams() -> None:
    ok = {"context": {"party_org_title": True, "annual_team_tier": "较好"}}
    s = summarise(
        sub(learning("一县", **ok)),
        sub(learning("二县", **ok)),
        sub(
            learning(
                "三县", items={"5": {"members_failing_daily_study": 2}, "6": {"others_failing": 9}}, **ok
            )
        ),
    )
    (share,) = s.cohort.shares
    assert share.hits == ["一县", "二县"] and share.misses == ["三县"]
    assert share.goal == 1 and "未达到" in (share.goal_text or "")


def _performance(unit: str, satisfaction: str) -> dict[str, Any]:
    return {
        "rubric": "performance",
        "unit": unit,
        "team": {"quantitative": 90, "qualitative": 90},
        "satisfaction_share": satisfaction,
    }


def test_rectification_list_is_below_80_percent_exclusive() -> None:
    s = summarise(sub(_performance("甲局", "80%")), sub(_performance("乙局", "79.99%")))
    flagged = [f for f in s.flags if f.kind == "限期整改"]
    assert [f.unit for f in flagged] == ["乙局"]
    assert "79.99%" in flagged[0].detail
    assert flagged[0].refs and flagged[0].refs[0].file == "performance_乙局.xlsx"


def test_training_list_names_cadres_short_two_years() -> None:
    members = [
        {"name": "甲", "rank": "处级", "credits": 17, "previous_year_credits": 17.5},
        {"name": "乙", "rank": "处级", "credits": 18, "previous_year_credits": 10},
        {"name": "丙", "rank": "科级", "credits": 11, "previous_year_credits": 11},
    ]
    s = summarise(sub({"rubric": "study_credits", "unit": "某部", "members": members}))
    flagged = [(f.unit, f.person) for f in s.flags if f.kind == "集中调训"]
    assert flagged == [("某部", "甲"), ("某部", "丙")]


# ---------------------------------------------------------------- invariants


@settings(max_examples=40, deadline=None)
@given(
    scores=st.lists(st.integers(60, 100), min_size=1, max_size=12),
    excellent=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_quota_never_exceeds_its_share_and_never_changes_scores(
    scores: list[int], excellent: list[bool]
) -> None:
    subs = [sub(_school(f"校{i:02d}", v, excellent[i])) for i, v in enumerate(scores)]
    s = summarise(*subs)
    pool = next(q for q in s.cohort.quotas if q.pool == "创新创业型领导班子")
    chosen = [c for c in pool.candidates if c.outcome == "入选"]
    tied = [c for c in pool.candidates if c.outcome == "并列待定"]
    assert pool.quota == (pool.base * 50) // 100
    assert len(chosen) <= pool.quota
    assert len(chosen) + len(tied) >= min(pool.quota, len(pool.candidates))
    if tied:
        assert len({c.score for c in tied}) == 1
        assert all(c.score > tied[0].score for c in chosen)
    for e in s.entries:
        case = Case.from_mapping(e.submission.case or {})
        assert e.result.total == evaluate(e.defn, case).total


def test_year_narrows_the_report_but_last_year_still_feeds_the_links() -> None:
    last = {
        "rubric": "study_credits",
        "unit": "某部",
        "year": YEAR - 1,
        "members": [{"name": "甲", "rank": "处级", "credits": 16}],
    }
    this = {
        "rubric": "study_credits",
        "unit": "某部",
        "members": [{"name": "甲", "rank": "处级", "credits": 17}],
    }
    s = build_summary([sub(last, "2024.xlsx"), sub(this, "2025.xlsx")], ["t"], year=YEAR)
    assert [e.submission.path for e in s.entries] == ["2025.xlsx"]
    assert [(f.kind, f.person) for f in s.flags] == [("集中调训", "甲")]
    # 本年度学分 from this year's file; 上年度学分 from last year's file, where the value was read
    assert [(r.file, r.cell) for r in s.flags[0].refs] == [("2025.xlsx", "D4"), ("2024.xlsx", "D4")]
    assert "取自同批次2024年学习学分报送:16" in " ".join(s.entries[0].result.notes)
    assert s.years == [] or s.years == [YEAR]


def test_unit_names_differing_only_in_width_or_spaces_are_matched_and_listed() -> None:
    # The chain must find 甲县（城关）'s party organisation form though one clerk typed ASCII brackets.
    s = summarise(
        sub(
            party_org("甲县(城关)", **{"3": {"missing_elements": 5}, "9": {"members_short_of_hours": 1}}),
            "a.xlsx",
        ),
        sub(learning("甲县（城关）"), "b.xlsx"),
        sub(annual("甲县（城关） "), "c.xlsx"),
    )
    (r,) = s.rows
    assert r.unit == "甲县（城关）" and r.party_org_title is False and r.annual_tier == "较好"
    (p,) = s.problems
    assert p.kind == "名称写法不一致" and p.files == ["a.xlsx", "c.xlsx"]
