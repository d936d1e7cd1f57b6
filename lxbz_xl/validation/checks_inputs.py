"""Inputs: the case read from the cells goes through the core, so every message is the core's own.

evaluate() checks types, ranges and required fields with lxbz_xl.inputs.check_value; the CLI and the
cell functions show the same Chinese text. Here each InputError is placed on the cell it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.result import Result
from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.model import Finding, finding


def check_inputs(
    rubric: RubricContext, get: Callable[[str, str], Any]
) -> tuple[Result | None, list[Finding]]:
    case = rubric.case_from_cells(get)
    result = evaluate(rubric.defn, case)
    by_path = {c.path: c for c in rubric.layout.cells if c.path is not None and c.role != "output"}
    out = []
    for error in result.errors:
        spec = by_path.get(error.field) or next(
            (c for p, c in by_path.items() if p.startswith(error.field + ".")), None
        )
        code = "input_missing" if error.message.startswith("缺少") else "input_invalid"
        out.append(finding(code, error.message, spec.sheet if spec else None, spec.ref if spec else None))
    return result, out
