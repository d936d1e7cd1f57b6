"""Recomputation: what the core computes against the values cached in the file.

A workbook written by a program and never opened in a spreadsheet has formulas without cached values;
that is reported once, as information, not as a mismatch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxbz_xl.result import Result
from lxbz_xl.validation.checks_structure import cap
from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.model import Finding, finding
from lxbz_xl.validation.read_fast import Cell, FastBook

TOLERANCE = 1e-6  # engines compute in binary floats; the core is exact


def same_value(expected: Any, actual: Any) -> bool:
    kind = type(expected)
    if kind is type(actual) and (kind is str or kind is int) and expected == actual:
        return True  # the common case: the very text or whole number
    if expected in (None, "") and actual in (None, ""):
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(float(expected) - float(actual)) <= TOLERANCE * max(1.0, abs(float(expected)))
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip() == actual.strip()
    return bool(expected == actual)


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "(空)"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def check_recompute(
    book: FastBook,
    rubric: RubricContext,
    variant: str,
    result: Result,
    get: Callable[[str, str], Any] | None = None,
    case: dict[str, Any] | None = None,
) -> list[Finding]:
    expected = rubric.expected_outputs(result, variant, get, case)
    cached = 0
    formulas: list[tuple[str, str, Any, Cell]] = []  # the formula cells of the outputs, in order
    cells_of = {}
    for name in rubric.layout.sheets:
        sheet = book.sheet(name, rubric.max_rows.get(name))
        if sheet is not None:
            cells_of[name] = sheet.cells
    for (sheet_name, ref), want in expected.items():
        cells = cells_of.get(sheet_name)
        cell = None if cells is None else cells.get(ref)
        if cell is None or not cell.formula:
            continue  # a missing or overwritten formula is reported by the tamper check
        if cell.cached:
            cached += 1
        formulas.append((sheet_name, ref, want, cell))
    if cached == 0:
        return [
            finding(
                "no_cached_values",
                "文件中的公式没有计算结果(文件未在 Excel/WPS 中打开保存过),"
                "无法核对表内显示的分数;以系统重新计算的结果为准",
            )
        ]
    errors: list[Finding] = []
    mismatches: list[Finding] = []
    for sheet_name, ref, want, cell in formulas:
        if cell.is_error:
            hint = "(未加载 LXBZ 加载项时 LXBZ_* 函数显示 #NAME?)" if variant == "udf" else ""
            errors.append(
                finding(
                    "cached_error",
                    f"{sheet_name}!{ref}显示错误值{cell.value}{hint};系统计算结果为{_shown(want)}",
                    sheet_name,
                    ref,
                )
            )
        elif not same_value(want, cell.value):
            mismatches.append(
                finding(
                    "value_mismatch",
                    f"{sheet_name}!{ref}表内显示{_shown(cell.value)},系统重新计算为{_shown(want)}",
                    sheet_name,
                    ref,
                )
            )
    return cap(mismatches, "value_mismatch", "处计算结果不一致") + cap(errors, "cached_error", "处显示错误值")
