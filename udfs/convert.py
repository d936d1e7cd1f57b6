"""Cell values in, cell values out.

xlwings hands a worksheet function what Excel holds: a scalar for a single cell, a list of rows for a
range (the functions declare ``ndim=2``), None for an empty cell, a float for every number and, with
``err_to_str``, text such as ``#N/A`` for an error cell. Here an argument becomes its cells (flattened row
by row, or as rows); what one cell means is decided by the shared reader ``lxbz_xl.cells``, the same one
the filled form is read with. Results are turned back into cell values.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

# What one cell means is the shared reader's; these names stay importable from here.
from lxbz_xl.cells import clean, is_name
from lxbz_xl.cells import filled as filled
from lxbz_xl.cells import single as single
from lxbz_xl.cells import text as text
from lxbz_xl.workbook.shown_errors import error_text

EMPTY = ""  # what an empty result shows: a half-filled form stays clean


def flatten(arg: Any) -> list[Any]:
    """All cells of an argument, row by row, blanks kept as None so positions stay meaningful."""
    kind = type(arg)
    if kind is not list and kind is not tuple and not isinstance(arg, list | tuple):
        return [clean(arg)]
    out: list[Any] = []
    for row in arg:  # xlwings (ndim=2) hands a list of rows; anything deeper is walked too
        kind = type(row)
        if kind is list or kind is tuple or isinstance(row, list | tuple):
            for value in row:
                kind = type(value)
                if kind is float or kind is str:
                    out.append(clean(value))
                elif kind is list or kind is tuple or isinstance(value, list | tuple):
                    out += flatten(value)
                else:
                    out.append(value)  # None, int, bool …: clean() keeps them as they are
        else:
            out.append(clean(row))
    return out


def flatten_all(args: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        out += flatten(arg)
    return out


def grid(arg: Any) -> list[list[Any]]:
    """An argument as rows of cleaned cells (a scalar is one row of one cell)."""
    if not isinstance(arg, list | tuple):
        return [[clean(arg)]]
    if not arg:
        return []
    if all(isinstance(row, list | tuple) for row in arg):
        return [flatten(row) for row in arg]
    return [flatten(arg)]


def blank(arg: Any) -> bool:
    """Every cell of the argument is empty (stops at the first filled cell)."""
    if not isinstance(arg, list | tuple):
        return clean(arg) is None
    return all(blank(v) for v in arg)


def labelled_pairs(arg: Any) -> list[tuple[str, Any]] | None:
    """(name, value) pairs when the range carries its own labels: a name row above the values, or a name
    column left of them. None when it is a plain run of values."""
    rows = grid(arg)
    if len(rows) == 2 and any(is_name(v) for v in rows[0]) and all(v is None or is_name(v) for v in rows[0]):
        return [(n, v) for n, v in zip(rows[0], rows[1], strict=False) if n is not None]
    if rows and all(len(r) == 2 for r in rows):
        names = [r[0] for r in rows]
        if any(is_name(n) for n in names) and all(n is None or is_name(n) for n in names):
            return [(r[0], r[1]) for r in rows if r[0] is not None]
    return None


def error_cell(message: str) -> str:
    return error_text(message)  # the form's cached-value model and native formulas use the same text


def to_cell(value: Fraction | int | None) -> int | float | str:
    """Exact numbers leave the core as Fractions; a cell holds a double. Integers stay integers."""
    if value is None:
        return EMPTY
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else float(value)


def yes_no(flag: bool | None, provisional: bool = False) -> str:
    if flag is None:
        return EMPTY
    if flag and provisional:
        return "待定"
    return "是" if flag else "否"
