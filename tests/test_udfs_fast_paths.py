"""The worksheet functions' argument helpers, written out for speed (bench/udfs.py), mean exactly what the
straightforward recursive definitions mean, on any nesting of rows, cells and scalars xlwings can hand."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from udfs import cache, results
from udfs.cache import cell_key, freeze
from udfs.convert import blank, clean, flatten
from udfs.functions import LXBZ_MEMBER

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=True),
    st.sampled_from(["", "  ", "是", " 3 ", "#N/A"]),
)
ARGS = st.recursive(CELLS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner), max_leaves=30)


def freeze_reference(value: Any) -> Any:
    if type(value) in (list, tuple):
        return tuple([freeze_reference(v) if type(v) in (list, tuple) else v for v in value])
    return value


def flatten_reference(arg: Any) -> list[Any]:
    if not isinstance(arg, list | tuple):
        return [clean(arg)]
    out: list[Any] = []
    for row in arg:
        if isinstance(row, list | tuple):
            for value in row:
                out += flatten_reference(value) if isinstance(value, list | tuple) else [clean(value)]
        else:
            out.append(clean(row))
    return out


@given(ARGS)
def test_freeze_is_the_recursive_tuple_copy(value: Any) -> None:
    frozen = freeze(value)
    expected = freeze_reference(value)
    assert frozen == expected
    assert [type(x) for x in _leaves(frozen)] == [type(x) for x in _leaves(expected)]
    hash(frozen)


@given(st.lists(ARGS, max_size=5).map(tuple))
def test_freeze_of_an_argument_tuple(args: tuple[Any, ...]) -> None:
    assert freeze(args) == freeze_reference(args)


@given(ARGS, ARGS)
def test_cell_key_is_equal_only_for_the_same_cells(a: Any, b: Any) -> None:
    """The memo key of an argument list: the same cells (values and types, rows) give the same key, and
    equal keys mean the same cells, so a remembered evaluation is never handed to other cells."""
    key = cell_key(a)
    hash(key)
    assert cell_key(_copy(a)) == key
    if cell_key(b) == key:
        assert freeze(b) == freeze(a)
        assert [type(x) for x in _leaves(freeze(b))] == [type(x) for x in _leaves(freeze(a))]


def test_cell_key_tells_apart_what_freeze_equates() -> None:
    # True == 1 == 1.0 in Python, so freeze's tuples are equal; a yes/no cell and a number cell are not.
    assert freeze([[True]]) == freeze([[1]]) == freeze([[1.0]])
    assert len({cell_key([[True]]), cell_key([[1]]), cell_key([[1.0]])}) == 3
    assert cell_key([[None, "是"]]) != cell_key([["None", "是"]])
    # A value marshal does not know (a date cell) still gets a key: freeze's tuples.
    import datetime

    day = datetime.date(2025, 1, 1)
    assert cell_key([[day, 1.0]]) == ((day, 1.0),)


def _copy(value: Any) -> Any:
    if type(value) in (list, tuple):
        return type(value)(_copy(v) for v in value)
    return value


@given(ARGS)
def test_flatten_and_blank(value: Any) -> None:
    flat = flatten(value)
    expected = flatten_reference(value)
    assert flat == expected and [type(x) for x in flat] == [type(x) for x in expected]
    assert blank(value) is all(v is None for v in expected)


def test_examples() -> None:
    assert freeze([[1.0, "a"], [None, [2.0]]]) == ((1.0, "a"), (None, (2.0,)))
    assert flatten([[3.0, " 是 "], [None, 2.5]]) == [3, "是", None, 2.5]
    assert type(flatten([[3.0]])[0]) is int
    assert blank([["", None], ["  "]]) and not blank([[None, 0]])


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _performance_sheet(table: list[list[Any]]) -> tuple[Any, ...]:
    return ("performance", [[86.0]], [[None]], [[92.0]], [[2.0, "比较法进位"], [None, None]], [[0.75]], table)


def _member_row(name: str, qualitative: Any) -> list[Any]:
    return [name, 9.0, 1.0, 0.0, 16.0, 7.0, 1.0, 2.0, qualitative, None, None]


@pytest.mark.parametrize(
    "table",
    [
        [_member_row("甲", 69.0), _member_row("乙", 94.0), [None] * 11],
        [[None] * 11, _member_row("甲", 69.0), [None, "", None] + [None] * 8, _member_row("乙", 94.0)],
        [_member_row("甲", 69.0), _member_row("甲", 69.0), _member_row("乙", 94.0)],  # a repeated row
        [_member_row("甲", 69.0), [*_member_row("乙", 94.0), 5.0]],  # a row with an extra cell
        [_member_row("甲", 69.0), _member_row("乙", "高")],  # a bad value in one row
    ],
)
def test_members_found_by_their_table_row_as_by_their_record(
    table: list[list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """LXBZ_MEMBER finds a row of the members table by its position (udfs/results._row_of_table): the
    same answers as reading the row again and looking its record up, for every row and output."""
    rid, *args = _performance_sheet(table)
    rows = [[r] for r in table] + [[_member_row("甲", 70.0)], [_member_row("丙", 69.0)]]

    def answers() -> list[Any]:
        cache.clear()
        return [LXBZ_MEMBER(rid, out, row, *args) for row in rows for out in ("total", "tier", "truth_rate")]

    fast = answers()
    monkeypatch.setattr(results, "_row_of_table", lambda *_: None)
    assert fast == answers()
