"""Inputs: the case read from the cells goes through the core, so every message is the core's own.

evaluate() checks types, ranges and required fields with lxbz_xl.inputs.check_value; the CLI and the
cell functions show the same Chinese text. Here each InputError is placed on the cell it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.result import Result
from lxbz_xl.validation.checks_structure import cap
from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.model import Finding, finding
from lxbz_xl.validation.numbers_guard import (
    INPUT_LIMIT,
    INPUT_LIMIT_TEXT,
    MAX_NUMBER_CHARS,
    MAX_TEXT_CHARS,
    out_of_range,
)


def check_inputs(
    rubric: RubricContext, get: Callable[[str, str], Any]
) -> tuple[dict[str, Any], Result | None, list[Finding]]:
    """The case read from the cells, its standalone result, and findings placed on cells."""
    case = rubric.case_from_cells(get)
    result = evaluate(rubric.defn, case)
    if rubric.defn.roster is not None:
        # The sheet scores a filled roster's counts; the core, given typed counts too, wants them to agree.
        from lxbz_xl.workbook.cases import roster_errors

        extra = roster_errors(rubric.defn, get)
        if extra:
            result = replace(result, errors=extra + result.errors)
    by_path = rubric.input_by_path
    out = []
    for error in result.errors:
        spec = by_path.get(error.field) or next(
            (c for p, c in by_path.items() if p.startswith(error.field + ".")), None
        )
        missing = error.message.startswith("缺少") or (
            error.field.startswith("roster.") and ":缺少" in error.message
        )
        code = "input_missing" if missing else "input_invalid"
        out.append(finding(code, error.message, spec.sheet if spec else None, spec.ref if spec else None))
    unfilled = [n for n in result.notes if "未填写" in n] if not result.errors else []
    if unfilled:
        # RUBRICS.md §0: an unfilled item counts as nothing found; the file still passes.
        where = next((c for c in rubric.layout.cells if c.path == "unfilled"), None)
        out.append(
            finding(
                "items_unfilled",
                unfilled[0] + ",请确认确未发现问题",
                where.sheet if where else None,
                where.ref if where else None,
            )
        )
    return case, result, out


def check_values(
    rubric: RubricContext, values: Mapping[tuple[str, str], Any]
) -> tuple[set[tuple[str, str]], list[Finding]]:
    """Input values that must never reach the core: numbers out of range (or number text too long to
    convert safely, ``1e30000000``) and over-long text. ``values``: (sheet, ref) → value of the input
    cells that have one, in layout order. Returns the cells to mask and their findings."""
    masked: set[tuple[str, str]] = set()
    out: list[Finding] = []
    given = values.items() if rubric.inputs_unique else [(k, values.get(k)) for k in rubric.input_keys]
    for (sheet, ref), value in given:
        if value is None or (
            (type(value) is float or type(value) is int) and -INPUT_LIMIT < value < INPUT_LIMIT
        ):
            continue  # blank, or the common case: a number in range
        where = f"{sheet}!{ref}"
        if out_of_range(value):
            masked.add((sheet, ref))
            shown = str(value)
            shown = shown if len(shown) <= 24 else shown[:24] + "…"
            out.append(
                finding(
                    "number_out_of_range",
                    f"{where}填写的数值“{shown}”超出允许范围:绝对值应小于 {INPUT_LIMIT_TEXT},"
                    f"且数字文本不超过 {MAX_NUMBER_CHARS} 个字符。请填写正确的数值",
                    sheet,
                    ref,
                )
            )
        elif isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            masked.add((sheet, ref))
            out.append(
                finding(
                    "text_too_long",
                    f"{where}填写的文字长达 {len(value):,} 个字符,超过允许上限 {MAX_TEXT_CHARS} 个字符",
                    sheet,
                    ref,
                )
            )
    return masked, cap(out, "number_out_of_range", "个填写格的值超出范围")
