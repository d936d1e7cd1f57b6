"""The note naming the unfilled items (RUBRICS.md §0 "one meaning of absent"), as a formula and a value.

An item whose input cells are all blank is absent: it scores as nothing found (the clause inputs take the
core's absent defaults), and the form names it in the same words as the core's result note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxbz_xl.workbook.model import Plan, xl_string

# The core's note (lxbz_xl.engine.evaluate); the proofs compare the two texts on every case.
NOTE = "第{ids}项未填写,按未发现问题计(扣分项不扣分,加分项计满分)"
PATH = "unfilled"


def note(ids: Sequence[int | str]) -> str:
    return NOTE.format(ids="、".join(str(i) for i in ids)) if ids else ""


def unfilled_ids(plan: Plan, case: dict[str, Any]) -> list[int]:
    """Items the case (as read back from the cells) leaves out."""
    given = case.get("items") or {}
    return [its.item.id for its in plan.items if its.item.id not in given and str(its.item.id) not in given]


def unfilled_formula(plan: Plan) -> str:
    """Both variants: the note, shown once the items total is a number (as the core, which has no note
    when the case has errors). An item is absent when every argument of its clauses is blank (a roster
    count counts as filled)."""
    total = plan.ref(plan.outputs[plan.total_key()])
    parts = []
    for its in plan.items:
        blank = [f'{plan.ref(s)}=""' for s in its.inputs]
        if any(plan.roster_source(its.item.id, s.path) is not None for s in its.item.inputs()):
            blank.append(f"NOT({plan.ref(plan.roster_cells['count'])}>0)")
        parts.append(f'IF(AND({",".join(blank)}),"、{its.item.id}","")')
    ids = f"MID({'&'.join(parts)},2,400)"
    head, tail = NOTE.split("{ids}")
    text = f'IF({ids}="","",{xl_string(head)}&{ids}&{xl_string(tail)})'
    # An error in the total (functions not loaded: #NAME?) shows as an error here too, not as "".
    return f'=IF(ISERROR({total}),{total},IF(ISNUMBER({total}),{text},""))'
