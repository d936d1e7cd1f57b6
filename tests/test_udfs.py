"""LXBZ_* worksheet functions agree with `evaluate`, called with what xlwings hands them.

Arguments are shaped as xlwings delivers them under the functions' declared options (ndim=2: every range
or cell argument is a list of rows; empty cells None; numbers as floats or text; booleans as TRUE/FALSE
or 是/否/✓). Nothing here needs Windows, Excel or a licence key.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.definition.rubric import Entity
from lxbz_xl.engine.exprs import share
from lxbz_xl.result import Outcome
from tests.test_udfs_support import RUBRIC_IDS, cases, cell, get_path, unit_args
from udfs import (
    LXBZ_BASE_TIER,
    LXBZ_DEDUCTION,
    LXBZ_EXPLAIN,
    LXBZ_FLAGS,
    LXBZ_ITEM_SCORE,
    LXBZ_MEMBER,
    LXBZ_TIER,
    LXBZ_TITLE,
    LXBZ_TOTAL,
    LXBZ_VALUE,
    LXBZ_VETO,
    LXBZ_VOTE_SHARE,
)
from udfs.args import item_specs
from udfs.convert import to_cell

EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same_number(got: Any, want: Fraction | None) -> bool:
    if want is None:
        return got == ""
    if isinstance(got, str):
        return False
    return abs(Fraction(got) - want) < Fraction(1, 10**9)  # a cell holds a double


def tier_cell(entity: Entity, out: Outcome) -> str | None:
    """What LXBZ_TIER shows, from the core's outcome; None where it must be an #LXBZ! message."""
    if entity.tiers is not None:
        return out.manual or out.tier or ""
    if entity.title is not None:
        if not out.title:
            return "未达标"
        return entity.title.name + ("(待定)" if out.provisional_on else "")
    return None


def title_cell(entity: Entity, out: Outcome) -> str | None:
    if entity.title is None:
        return None
    return ("待定" if out.provisional_on else "是") if out.title else "否"


def check_text(got: Any, want: str | None) -> None:
    if want is None:
        assert isinstance(got, str) and got.startswith("#LXBZ! "), got
    else:
        assert got == want


@pytest.mark.parametrize("rid", RUBRIC_IDS)
@EXAMPLES
@given(data=st.data())
def test_every_function_agrees_with_evaluate(rid: str, data: st.DataObject) -> None:
    defn = load_rubric(rid)
    case = data.draw(cases(defn))
    expected = evaluate(defn, case)
    assert not expected.errors, expected.errors  # the strategy draws valid cases only

    for item in defn.items:
        raw = [get_path(case, f"items.{item.id}.{spec.path}") for spec in item.inputs()]
        cells = [data.draw(cell(spec.type, v)) for spec, v in zip(item.inputs(), raw, strict=True)]
        # One argument per input, or one row range holding them all: both are allowed.
        args = [[[c]] for c in cells] if data.draw(st.booleans()) else [[cells]]
        got = LXBZ_ITEM_SCORE(rid, float(item.id), *args), LXBZ_DEDUCTION(rid, item.id, *args)
        explain = LXBZ_EXPLAIN(rid, str(item.id), *args)
        if all(c is None for c in cells) and any(s.default is None for s in item_specs(defn, item)):
            assert got == ("", "") and explain == ""  # done/target not given yet: nothing to say
            continue
        # RUBRICS.md §0: an empty row is an absent item, scored as the core scores it (nothing found).
        want = expected.item(item.id)
        assert same_number(got[0], want.score) and same_number(got[1], want.deduction)
        assert explain == "；".join(want.explanations)

    items_total: Any = None
    if defn.items:
        scores = [[to_cell(i.score)] for i in expected.items]
        items_total = LXBZ_TOTAL(rid, scores)
        assert same_number(items_total, sum((i.score for i in expected.items), Fraction(0)))

    args = data.draw(unit_args(defn, case, items_total))
    check_text(LXBZ_TIER(rid, *args), tier_cell(defn, expected))
    check_text(
        LXBZ_BASE_TIER(rid, *args), None if defn.tiers is None else expected.manual or expected.base_tier
    )
    check_text(LXBZ_TITLE(rid, *args), title_cell(defn, expected))
    assert LXBZ_FLAGS(rid, *args) == "；".join(expected.flags)
    if expected.total is not None or defn.total is not None:
        assert same_number(LXBZ_VALUE(rid, "total", *args), expected.total)
    for var in defn.variables:
        assert same_number(LXBZ_VALUE(rid, var.name, *args), expected.value(var.name))

    if defn.members is not None:
        table = args[-1]
        assert len(expected.members) == len(case[defn.members.key])
        for row, member in zip(table, expected.members, strict=False):
            m = defn.members
            assert same_number(LXBZ_MEMBER(rid, "total", [row], *args), member.total)
            check_text(LXBZ_MEMBER(rid, "tier", [row], *args), tier_cell(m, member))
            check_text(LXBZ_MEMBER(rid, "title", [row], *args), title_cell(m, member))
            assert LXBZ_MEMBER(rid, "flags", [row], *args) == "；".join(member.flags)
            for var in m.variables:
                want = next(v.value for v in member.values if v.name == var.name)
                assert same_number(LXBZ_MEMBER(rid, var.name, [row], *args), want)


@EXAMPLES
@given(data=st.data())
def test_veto_agrees_with_annual_team(data: st.DataObject) -> None:
    """LXBZ_VETO(base tier, flags) is the tier annual_team reaches by its veto rule (no cap involved)."""
    defn = load_rubric("annual_team")
    case = data.draw(cases(defn))
    case.pop("learning_team_title", None)
    expected = evaluate(defn, case)
    flags = [
        data.draw(cell("bool", get_path(case, f"vetoes.{f}") or False))
        for f in ("veto_population", "veto_public_security")
    ]
    assert LXBZ_VETO(expected.base_tier, *[[[f]] for f in flags]) == expected.tier


@EXAMPLES
@given(counts=st.lists(st.integers(0, 50), min_size=4, max_size=4).filter(sum), data=st.data())
def test_vote_share_is_the_exact_share(counts: list[int], data: st.DataObject) -> None:
    tiers = ["优秀", "较好", "一般", "较差"]
    wanted = data.draw(st.lists(st.sampled_from(tiers), min_size=1, max_size=4, unique=True))
    exact = share(dict(zip(tiers, counts, strict=True)), wanted)
    labelled = LXBZ_VOTE_SHARE([tiers, [float(c) for c in counts]], *wanted)
    plain = LXBZ_VOTE_SHARE([[float(c) for c in counts]], *wanted)  # order found among the rubrics' tables
    assert labelled == plain == float(exact)


def test_rubric_by_chinese_name() -> None:
    args = (92.0, "是", "较好")
    want = LXBZ_TIER("learning_team", *args)
    assert want == "学习型领导班子"
    assert (
        LXBZ_TIER("学习型领导班子", *args) == LXBZ_TIER("推进学习型领导班子建设活动考评细则", *args) == want
    )
    assert LXBZ_ITEM_SCORE("学习型领导班子", "第7项", [["10", "1"]]) == 9
