"""Properties of the revision-2 cohort rules (RUBRICS.md §8, §10, §11) over random batches."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from lxbz_xl.case import Case
from lxbz_xl.cohort import evaluate_cohort

BODIES = ["某县委", "东坡乡党委", "西岭乡党委", None]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(BODIES), st.integers(60, 100), st.booleans()),
        min_size=1,
        max_size=20,
    )
)
def test_each_assessing_body_is_banded_on_its_own(rows: list[tuple[str | None, int, bool]]) -> None:
    """Band sizes follow each body's own count; equal scores of one body share a band; a finding is never 好."""
    cases = []
    for i, (body, score, finding) in enumerate(rows):
        case = {
            "rubric": "party_secretary",
            "unit": f"单位{i:02d}",
            "year": 2025,
            "report_marks": [score],
            "field_score": score,
            "measures_ineffective": finding,
        }
        cases.append(Case.from_mapping(case | ({"assessing_body": body} if body else {})))
    batch = evaluate_cohort(cases)
    assert sorted(b.group or "" for b in batch.bandings) == sorted({b or "" for b, _, _ in rows})
    for record in batch.bandings:
        members = record.order
        assert {r.inputs.get("assessing_body") for r in members} == {record.group}
        assert record.sizes["好"] == math.floor(Fraction(3, 10) * len(members))
        for a in members:
            for b in members:
                if a.total == b.total:
                    assert record.by_rank[a.unit] == record.by_rank[b.unit]
        for r in members:
            if r.inputs.get("measures_ineffective"):
                assert r.band != "好"


RANKS = st.sampled_from(["处级", "科级"])


@settings(max_examples=60, deadline=None)
@given(RANKS, RANKS, st.integers(0, 40), st.integers(0, 40))
def test_two_years_short_each_against_its_own_rank(before: str, now: str, last: int, this: int) -> None:
    """集中调训 iff both years were short of the requirement of the rank held that year (fed by the batch)."""
    need = {"处级": 18, "科级": 12}
    cases = [
        {
            "rubric": "study_credits",
            "unit": "某局",
            "year": 2024,
            "members": [{"name": "甲", "rank": before, "credits": last}],
        },
        {
            "rubric": "study_credits",
            "unit": "某局",
            "year": 2025,
            "members": [{"name": "甲", "rank": now, "credits": this}],
        },
    ]
    batch = evaluate_cohort([Case.from_mapping(c) for c in cases])
    member = next(r for r in batch.results if r.year == 2025).members[0]
    flagged = any("集中调训" in f for f in member.flags)
    assert flagged == (last < need[before] and this < need[now])


TIERS = st.sampled_from(["优秀", "称职"])


@settings(max_examples=40, deadline=None)
@given(st.lists(TIERS, min_size=1, max_size=5))
def test_salary_exactly_after_three_excellent_years_running(tiers: list[str]) -> None:
    aspects = ("political_quality", "leadership", "work_style", "duty_performance", "integrity")
    cases = []
    for i, tier in enumerate(tiers):
        good = tier == "优秀"
        cases.append(
            {
                "rubric": "annual_cadre",
                "unit": "张三",
                "year": 2020 + i,
                "scope": "county",
                "votes": {"优秀": 7, "称职": 3} if good else {"优秀": 3, "称职": 7},
                "aspects": dict.fromkeys(aspects, "excellent" if good else "normal"),
            }
        )
    batch = evaluate_cohort([Case.from_mapping(c) for c in cases])
    for i, r in enumerate(sorted(batch.results, key=lambda r: r.year or 0)):
        assert r.tier == tiers[i]
        salary = [c for c in r.consequences if c.kind == "salary"]
        expected = i >= 2 and tiers[i - 2 : i + 1] == ["优秀"] * 3
        assert bool(salary) == expected
