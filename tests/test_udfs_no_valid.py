"""The worksheet functions where no vote or ballot is valid: each cell shows what the core reports for it;
and a long-running add-in noticing an edited linked rubric file.

A unit-level error (no valid ballot at all, a unit vote table of zeros) shows in every unit cell and on
every member row; a member's own error (its vote table all 0, no valid ballot rating it) shows on its
row only, and the unit and the other members keep the values the core computes for them
(lxbz_xl/workbook/shown_errors.py). The rule is restated here from the core's error fields, not imported.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.inputs import InputError
from lxbz_xl.result import Result
from tests.test_udfs_support import cases, unit_args
from udfs import LXBZ_MEMBER, LXBZ_RUBRIC_VERSION, LXBZ_TIER, LXBZ_VALUE, LXBZ_VETO, LXBZ_VOTE_SHARE

pytestmark = pytest.mark.core

PREFIX = "#LXBZ! "


def _shown(message: str) -> str:
    return PREFIX + (message if len(message) <= 200 else message[:199] + "…")


def _same(got: Any, want: Fraction | None) -> bool:
    if want is None:
        return got == ""
    return isinstance(got, int | float) and abs(Fraction(got) - want) < Fraction(1, 10**9)


def _unit_error(result: Result) -> InputError | None:
    return next((e for e in result.errors if not e.field.startswith("members.")), None)


def _own_error(result: Result, k: int) -> InputError | None:
    mine = f"members.{k + 1}"
    return next((e for e in result.errors if e.field == mine or e.field.startswith(mine + ".")), None)


def _check(rid: str, case: dict[str, Any], args: list[Any], result: Result) -> None:
    """Every unit variable and every member's values, against the core and its errors."""
    defn = load_rubric(rid)
    assert defn.members is not None
    unit = _unit_error(result)
    for var in defn.variables:
        got = LXBZ_VALUE(rid, var.name, *args)
        if unit is not None:
            assert got == _shown(unit.message)
        else:
            assert _same(got, result.value(var.name)), (var.name, got)
    if defn.total is not None:
        got = LXBZ_VALUE(rid, "total", *args)
        assert got == _shown(unit.message) if unit is not None else _same(got, result.total)
    scored = {m.name: m for m in result.members}
    table = args[-1]
    for k, record in enumerate(case["members"]):
        row = [table[k]]
        error = _own_error(result, k) or unit
        for key in ["total", *(v.name for v in defn.members.variables)]:
            got = LXBZ_MEMBER(rid, key, row, *args)
            if error is not None:
                assert got == _shown(error.message), (k, key, got)
                continue
            member = scored[record["name"]]
            want = member.total if key == "total" else next(v.value for v in member.values if v.name == key)
            assert _same(got, want), (k, key, got, want)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_layered_ballots_of_any_validity(data: st.DataObject) -> None:
    """Random ballots, valid or not (more than 30% 好), rating any of the cadres: no valid ballot at all,
    none rating one cadre, or every cadre rated."""
    defn = load_rubric("layered")
    case = data.draw(cases(defn))
    names = [m["name"] for m in case["members"]]
    ballot = st.dictionaries(st.sampled_from(names), st.sampled_from(["好", "较好", "一般"]), min_size=1)
    case["ballots"] = data.draw(st.lists(ballot, min_size=1, max_size=5))
    result = evaluate(defn, case)
    assume(all(e.field == "ballots" or e.field.endswith(".name") for e in result.errors))
    _check("layered", case, data.draw(unit_args(defn, case, None)), result)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_member_vote_tables_of_zeros(data: st.DataObject) -> None:
    """Members whose vote tables are all 0 (every ballot blank or invalid) beside members scored."""
    defn = load_rubric("performance")
    assert defn.members is not None
    case = data.draw(cases(defn))
    tables = [s for s in defn.members.inputs if s.type == "votes"]
    for member in case["members"]:
        for spec in tables:
            if data.draw(st.booleans()):
                member[spec.path] = dict.fromkeys(spec.values, 0)
    result = evaluate(defn, case)
    _check("performance", case, data.draw(unit_args(defn, case, None)), result)


def test_one_unrated_cadre_does_not_shift_the_others() -> None:
    """陈乡长 (second row) is on no valid ballot: the rows after his show their own totals."""
    rows = [[n, 60 - i, 90, 88, None, None, 80 + i] for i, n in enumerate(["刘书记", "陈乡长", "孙副乡长"])]
    ballots = [["较好", None, "一般"], ["好", None, "较好"]]
    case = {
        "rubric": "layered",
        "unit": "某乡",
        "year": 2025,
        "ballots": [{"刘书记": "较好", "孙副乡长": "一般"}, {"刘书记": "好", "孙副乡长": "较好"}],
        "members": [
            {
                "name": r[0],
                "target_score": r[1],
                "leader_review": 90,
                "social_review": 88,
                "leader_scores": [r[6]],
            }
            for r in rows
        ],
    }
    result = evaluate(load_rubric("layered"), case)
    (error,) = result.errors
    assert error.field == "members.2.name" and "没有对陈乡长的评价" in error.message
    third = next(m for m in result.members if m.name == "孙副乡长")
    assert _same(LXBZ_MEMBER("layered", "total", [rows[2]], ballots, rows), third.total)
    assert LXBZ_MEMBER("layered", "total", [rows[1]], ballots, rows) == _shown(error.message)
    assert result.value("invalid_ballots") == 1  # 3 cadres: no 好 allowed on a ballot
    assert LXBZ_VALUE("layered", "invalid_ballots", ballots, rows) == 1  # the unit's result stands


def test_a_unit_vote_table_of_zeros_names_the_table() -> None:
    args = [[["county"]], [[0, 0, 0, 0]], [[70, 25, 4, 1]]]
    want = evaluate(
        load_rubric("annual_team"),
        {
            "rubric": "annual_team",
            "year": 2025,
            "scope": "county",
            "team_votes": {"优秀": 0, "较好": 0, "一般": 0, "较差": 0},
            "principal_votes": {"优秀": 70, "称职": 25, "基本称职": 4, "不称职": 1},
        },
    ).errors[0]
    assert (
        LXBZ_TIER("annual_team", *args)
        == _shown(want.message)
        == PREFIX + "领导班子民主测评没有有效票(各档次票数之和为0)"
    )
    # A share knows its counts, not the table's name; a table of zeros is still no valid vote.
    assert LXBZ_VOTE_SHARE([[0, 0, 0, 0]], 1, 2) == PREFIX + "票数没有有效票(各档次票数之和为0)"


# ---------------------------------------------------------------- a linked rubric file edited


@pytest.fixture
def rubric_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the built-in rubrics the loader reads, no on-disk definition cache, no re-check delay."""
    from lxbz_xl.definition import loader
    from udfs import cache

    folder = tmp_path / "rubrics"
    shutil.copytree(loader.RUBRIC_DIR, folder)
    monkeypatch.setattr(loader, "RUBRIC_DIR", folder)
    monkeypatch.setenv("LXBZ_NO_CACHE", "1")
    monkeypatch.setattr(cache, "RECHECK_SECONDS", 0.0)
    loader._load_cached.cache_clear()
    cache.clear()
    yield folder
    loader._load_cached.cache_clear()
    cache.clear()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_edited_linked_rubric_is_noticed(rubric_dir: Path) -> None:
    """annual_team's cohort link reads party_secretary's flags: renaming one there breaks annual_team's
    definition, which the functions must notice although annual_team.yaml itself did not change."""
    from lxbz_xl.definition.loader import DefinitionError, load_definition

    args = [[["county"]], [[62, 30, 6, 2]], [[70, 25, 4, 1]]]
    assert LXBZ_RUBRIC_VERSION("annual_team") == load_definition(rubric_dir / "annual_team.yaml").version
    tier = LXBZ_TIER("annual_team", *args)
    assert tier in ("优秀", "较好", "一般", "较差")
    _edit(rubric_dir / "party_secretary.yaml", "attention_insufficient", "attention_lacking")
    with pytest.raises(DefinitionError) as broken:
        load_definition(rubric_dir / "annual_team.yaml")  # what a fresh `lxbz` process says
    assert "attention_insufficient" in str(broken.value)
    for got in (LXBZ_RUBRIC_VERSION("annual_team"), LXBZ_TIER("annual_team", *args)):
        assert got.startswith(PREFIX) and "attention_insufficient" in got, got
    _edit(rubric_dir / "party_secretary.yaml", "attention_lacking", "attention_insufficient")
    assert LXBZ_TIER("annual_team", *args) == tier


def test_an_edited_veto_rule_is_noticed(rubric_dir: Path) -> None:
    """LXBZ_VETO takes its steps from annual_team's definition, whatever rubric the sheet names."""
    assert LXBZ_VETO("优秀", "是") == "较好"
    _edit(rubric_dir / "annual_team.yaml", "steps: 1", "steps: 2")
    assert LXBZ_VETO("优秀", "是") == "一般"
