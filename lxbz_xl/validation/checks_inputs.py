"""Inputs: the case read from the cells goes through the core, so every message is the core's own.

evaluate() checks types, ranges and required fields with lxbz_xl.inputs.check_value; the CLI and the
cell functions show the same Chinese text. Here each InputError is placed on the cell it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.result import Result
from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.model import Finding, finding


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
    by_path = {c.path: c for c in rubric.layout.cells if c.path is not None and c.role != "output"}
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
