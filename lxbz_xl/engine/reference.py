"""The reference interpreter: the rubric tree walked node by node for every case, as written.

`lxbz_xl.evaluate` runs the compiled closures of lxbz_xl/compiled.py instead; tests/test_compiled.py proves
both give the same Result, explanations included, on generated cases for every rubric.
"""

from __future__ import annotations

from typing import Any

from lxbz_xl.case import Case
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.evaluate import run
from lxbz_xl.result import Result


def evaluate(
    definition: RubricDefinition,
    case: Case | dict[str, Any],
    *,
    item_scores: list[Any] | None = None,
    items_total: Any = None,
    explain: bool = True,
) -> Result:
    return run(definition, case, item_scores, items_total, explain, fast=False)
