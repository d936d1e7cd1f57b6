"""Invariants that hold for every rubric, checked on generated cases (RUBRICS.md §0, §3)."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl import evaluate, load_rubric
from tests.strategies import ALL_RUBRICS, ITEM_RUBRICS, cases

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("rubric", ALL_RUBRICS)
@SETTINGS
@given(data=st.data())
def test_generated_cases_score_without_errors(rubric: str, data: st.DataObject) -> None:
    case = data.draw(cases(rubric))
    result = evaluate(load_rubric(rubric), case)
    assert not result.errors, (case, result.errors)


@pytest.mark.parametrize("rubric", ITEM_RUBRICS)
@SETTINGS
@given(data=st.data())
def test_item_scores_stay_within_bounds_and_sum_to_total(rubric: str, data: st.DataObject) -> None:
    defn = load_rubric(rubric)
    result = evaluate(defn, data.draw(cases(rubric)))
    for item in result.items:
        assert 0 <= item.score <= item.points
        assert item.score + item.deduction == item.points
        if item.deduction and defn.items[item.id - 1].mode == "deduct":
            assert item.explanations, "every point deducted carries an explanation"
    items_total = sum((i.score for i in result.items), Fraction(0))
    if defn.total is None:
        assert result.total == items_total
    assert 0 <= items_total <= Fraction(defn.total_points or 0)


def _deduct_inputs(rubric: str) -> list[tuple[int, str]]:
    defn = load_rubric(rubric)
    return [
        (i.id, c.input.path)
        for i in defn.items
        if i.mode == "deduct"
        for c in i.clauses
        if hasattr(c, "input")
    ]


@pytest.mark.parametrize("rubric", ["learning_team", "learning_party_org"])
@SETTINGS
@given(data=st.data())
def test_more_failures_never_raise_a_score(rubric: str, data: st.DataObject) -> None:
    defn = load_rubric(rubric)
    case = data.draw(cases(rubric))
    item_id, path = data.draw(st.sampled_from(_deduct_inputs(rubric)))
    worse = copy.deepcopy(case)
    clause = worse.setdefault("items", {}).setdefault(item_id, {})
    clause[path] = clause.get(path, 0) + 1
    before, after = evaluate(defn, case), evaluate(defn, worse)
    if after.errors:  # the extra failure broke a bound (e.g. 4 of 3 elements): an error, never a clamp
        assert any(e.field == f"items.{item_id}.{path}" for e in after.errors)
        return
    assert after.item(item_id).score <= before.item(item_id).score
    assert after.total is not None and before.total is not None and after.total <= before.total


ORDER = ["优秀", "较好", "一般", "较差"]


@SETTINGS
@given(data=st.data())
def test_a_veto_never_raises_a_tier(data: st.DataObject) -> None:
    defn = load_rubric("annual_team")
    case = data.draw(cases("annual_team"))
    clean = copy.deepcopy(case)
    clean["vetoes"] = {"veto_population": False, "veto_public_security": False}
    vetoed = copy.deepcopy(case)
    vetoed["vetoes"] = {"veto_population": True, "veto_public_security": data.draw(st.booleans())}
    a, b = evaluate(defn, clean), evaluate(defn, vetoed)
    assert a.tier is not None and b.tier is not None
    assert ORDER.index(b.tier) >= ORDER.index(a.tier)
    assert ORDER.index(b.tier) - ORDER.index(a.base_tier or "") <= 2  # one step for the veto, one for the cap
    assert a.base_tier == b.base_tier


@SETTINGS
@given(data=st.data())
def test_more_excellent_votes_never_lower_the_base_tier_when_flags_are_fixed(data: st.DataObject) -> None:
    defn = load_rubric("annual_team")
    case = data.draw(cases("annual_team"))
    better = copy.deepcopy(case)
    tier = data.draw(st.sampled_from(["较好", "一般", "较差"]))
    if better["team_votes"][tier] == 0:
        return
    better["team_votes"][tier] -= 1
    better["team_votes"]["优秀"] += 1
    a, b = evaluate(defn, case), evaluate(defn, better)
    assert ORDER.index(b.base_tier or "") <= ORDER.index(a.base_tier or "")
