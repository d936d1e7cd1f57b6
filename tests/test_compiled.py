"""The compiled evaluation (lxbz_xl/compiled.py) equals the reference interpreter (lxbz_xl/engine/reference.py)
on generated cases for every rubric, every explanation included (issue 11)."""

from __future__ import annotations

import copy
import dataclasses
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.compiled import compiled
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine import reference
from lxbz_xl.engine.items import score_item, score_item_reference
from tests.strategies import ALL_RUBRICS, cases

TEST_RUBRIC = Path(__file__).parent / "rubrics" / "test_mixed.yaml"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(defn: RubricDefinition, case: dict[str, Any]) -> None:
    fast = evaluate(defn, copy.deepcopy(case))
    slow = reference.evaluate(defn, copy.deepcopy(case))
    assert fast == slow
    assert _types(fast) == _types(slow)  # 1 == Fraction(1), but a shown rate is "100%" only for a Fraction
    assert fast.to_json() == slow.to_json()  # key order and number forms too
    assert list(fast.inputs) == list(slow.inputs)  # parsed inputs in field order
    assert [list(m.inputs) for m in fast.members] == [list(m.inputs) for m in slow.members]
    assert evaluate(defn, case, explain=False) == reference.evaluate(defn, case, explain=False)


def _types(result: Any) -> list[Any]:
    """The types of the totals, computed values and parsed inputs of a Result, in order. (Item and clause
    scores are ints on the compiled path where the reference has Fraction(0) + …: equal numbers, shown
    alike, and only ever shown through fmt/as_json_number/to_cell.)"""
    out: list[Any] = [type(result.total_points)]
    for o in [result, *result.members]:
        out += [type(o.total), *(type(v.value) for v in o.values)]
        out += [(k, type(v)) for k, v in o.inputs.items()]
    return out


@st.composite
def _spoilt(draw: st.DrawFn, case: dict[str, Any]) -> dict[str, Any]:
    """A generated case with one input dropped, retyped or misspelt: errors must agree too."""
    out = copy.deepcopy(case)
    node: Any = out
    path: list[Any] = []
    while isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node, key=str)))
        path.append(key)
        if not isinstance(node[key], dict) or draw(st.booleans()):
            break
        node = node[key]
    if not path or path[0] in ("rubric", "unit", "year"):
        return out
    action = draw(st.sampled_from(["drop", "text", "negative", "rename"]))
    key = path[-1]
    if action == "drop":
        del node[key]
    elif action == "text":
        node[key] = "不知道"
    elif action == "negative":
        node[key] = -1
    else:
        node[f"{key}x"] = node.pop(key)
    return out


@pytest.mark.parametrize("rubric", ALL_RUBRICS)
@SETTINGS
@given(data=st.data())
def test_compiled_equals_reference(rubric: str, data: st.DataObject) -> None:
    case = data.draw(cases(rubric))
    _same(load_rubric(rubric), case)
    _same(load_rubric(rubric), data.draw(_spoilt(case)))


def _test_rubric_cases() -> st.SearchStrategy[dict[str, Any]]:
    def fix(case: dict[str, Any]) -> dict[str, Any]:
        return case | {"rubric": "test_mixed"}

    return cases(str(TEST_RUBRIC)).map(fix)


@SETTINGS
@given(data=st.data())
def test_compiled_equals_reference_on_a_rubric_written_for_the_tests(data: st.DataObject) -> None:
    defn = load_rubric(TEST_RUBRIC)
    case = data.draw(_test_rubric_cases())
    _same(defn, case)
    _same(defn, data.draw(_spoilt(case)))
    scores = [data.draw(st.integers(-1, int(i.points) + 1)) for i in defn.items]
    assert evaluate(defn, case, item_scores=scores) == reference.evaluate(defn, case, item_scores=scores)


def test_the_test_rubric_really_exercises_every_item_mode() -> None:
    defn = load_rubric(TEST_RUBRIC)
    assert {i.mode for i in defn.items} == {"deduct", "award", "proportional"}
    case = {
        "rubric": "test_mixed",
        "unit": "甲",
        "year": 2025,
        "items": {
            1: {"missed": 2, "late": 5, "members": 9, "lectured": 2},
            2: {"results": 4},
            3: {"done": 3, "target": 5, "quality": 5, "quality_target": 5},
        },
        "level": "县区",
        "votes": {"好": 6, "中": 3, "差": 1},
        "findings": {"praised": True},
    }
    result = evaluate(defn, case)
    assert [i.score for i in result.items] == [1, 5, 11]
    assert result.items[0].explanations[1] == "迟报每次扣0.5分:5次,扣2.5分(本条最多扣2分)"
    assert result.tier == "中" and result.title is False
    assert result == reference.evaluate(defn, case)


@pytest.mark.parametrize("rubric", ALL_RUBRICS)
def test_item_scorer_equals_reference_on_every_count(rubric: str) -> None:
    defn = load_rubric(rubric)
    for item in defn.items:
        for n in range(0, 12):
            values = {s.path: n for s in item.inputs()}
            if item.mode == "proportional":
                values |= {s.path: n + 1 for s in item.inputs() if s.path.endswith("target")}
            assert score_item(defn, item, values) == score_item_reference(defn, item, values)


def test_compiled_rubric_is_built_once_and_follows_a_copy() -> None:
    defn = load_rubric("learning_team")
    assert compiled(defn) is compiled(defn)
    copy_ = defn.model_copy(update={"version": "x"})
    assert compiled(copy_) is not compiled(defn) and compiled(copy_).defn is copy_


def _performance_case(**changes: Any) -> dict[str, Any]:
    member = {
        "name": "甲",
        "truth_votes": {"真实": 9, "不完全真实": 1, "不真实": 0},
        "overall_votes": {"好": 16, "较好": 7, "一般": 1, "较差": 2},
        "qualitative": 69,
    }
    case: dict[str, Any] = {
        "rubric": "performance",
        "unit": "某县",
        "year": 2025,
        "team": {"quantitative": 86, "qualitative": 92},
        "members": [member],
    }
    for key, value in changes.items():
        if key in member:
            member[key] = value
        else:
            case["team"][key] = value
    return case


@pytest.mark.parametrize(
    "votes",
    [
        {"真实": 9, "不完全真实": 1, "不真实": 0},
        {"真实": 0, "不完全真实": 0, "不真实": 0},  # no valid vote: an error
        {"真实": 9, "不完全真实": 1},  # a tier left out counts 0
        {"真实": 9, "不完全真实": 1, "不真实": None},
        {"真实": 9, "不完全真实": 1, "不真实": 0, "无效": 3},
        {"真实": 9, "不完全真实": 1, "无效": 3},
        {"真实": 9.0, "不完全真实": 1, "不真实": 0},
        {"真实": True, "不完全真实": 1, "不真实": 0},
        {"真实": -1, "不完全真实": 5, "不真实": 0},
        {"真实": 10**30, "不完全真实": 1, "不真实": 0},
        {"真实": "9", "不完全真实": 1, "不真实": 0},
        {"真实": 9, "不完全真实": 1, "不真实": 0, "其他": 1},
        [9, 1, 0],
    ],
)
def test_vote_tables_read_inline_as_the_reference_reads_them(votes: Any) -> None:
    _same(load_rubric("performance"), _performance_case(truth_votes=votes))


@pytest.mark.parametrize(
    "value", [0, 1, 100, 101, -1, 86, 10**30, -(10**30), 86.0, 86.5, "86", True, None, Fraction(173, 2)]
)
def test_whole_numbers_read_inline_as_the_reference_reads_them(value: Any) -> None:
    defn = load_rubric("performance")
    _same(defn, _performance_case(quantitative=value))
    _same(defn, _performance_case(qualitative=value))


def test_results_share_no_mutable_parts() -> None:
    """Item and clause outcomes for the same counts are kept and reused: each Result still gets its own
    ItemResults and lists, and the reused ClauseResults cannot be changed."""
    defn = load_rubric("learning_team")
    case = {"rubric": "learning_team", "unit": "甲", "year": 2025, "items": {1: {"missing_elements": 2}}}
    first, second = evaluate(defn, case), evaluate(defn, case)
    assert first == second
    for a, b in zip(first.items, second.items, strict=True):
        assert a is not b and a.clauses is not b.clauses and a.explanations is not b.explanations
    first.items[0].explanations.append("另加")
    assert "另加" not in second.items[0].explanations
    assert evaluate(defn, case).items[0].explanations == second.items[0].explanations
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.items[0].clauses[0].value = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("members", "failing"),
    [(10, 10), (10, 11), (0, 0), (0, 1), (None, 50), ("10", 11), (10, "11"), (10, 2.0), (10, -1), (10, True)],
)
def test_counts_bounded_by_another_field_read_as_the_reference_reads_them(members: Any, failing: Any) -> None:
    """learning_team: every 人数 is at most the team's members (items.7.members, `max: "@items.7.members"`)."""
    items: dict[int, dict[str, Any]] = {5: {"members_failing_daily_study": failing}}
    if members is not None:
        items[7] = {"members": members, "members_lectured": 2}
    case = {"rubric": "learning_team", "unit": "甲", "year": 2025, "items": items}
    _same(load_rubric("learning_team"), case)


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(-2, 2))
def test_plain_decimals_are_read_as_inputs_reads_a_float(x: float, step: int) -> None:
    """The reading plan takes a float written without an exponent as its shortest repr, exactly, and
    compares it with a whole bound as a float (as its shortest repr compares)."""
    from lxbz_xl.engine.reader import _plain_decimal
    from lxbz_xl.inputs import number_of

    if x == 0.0 or 0.0001 <= abs(x) < 1e16:
        q = _plain_decimal(x)
        assert q == number_of(x)
        bound = math.floor(x) + step
        assert (x >= bound) == (q >= bound) and (x <= bound) == (q <= bound)


@pytest.mark.parametrize(
    "value", [0.75, 0.0, -0.0, 1.0, 1.5, 0.0001, 0.00009, 1e16, float("inf"), "75%", "0.75"]
)
def test_rates_read_inline_as_the_reference_reads_them(value: Any) -> None:
    defn = load_rubric("performance")
    case = _performance_case()
    case["satisfaction_share"] = value
    case["adjustments"] = [{"points": 2.5, "reason": "比较法"}, {"points": -1, "reason": "梳理法"}]
    _same(defn, case)
    case["adjustments"] = [{"points": 2.5}, {"points": "x", "reason": "梳理法"}]
    _same(defn, case)


@pytest.mark.parametrize("scope", ["county", "city_dept", " county", "县区", "市直", "County", "", None, 1])
def test_coded_values_read_inline_as_the_reference_reads_them(scope: Any) -> None:
    import yaml

    path = Path(__file__).parents[1] / "examples" / "cases" / "annual_team_红星县委.yaml"
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    case["scope"] = scope
    _same(load_rubric("annual_team"), case)
