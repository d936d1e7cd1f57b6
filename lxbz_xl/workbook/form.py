"""The form plan: where every label, input and output of a rubric's workbook goes.

Derived from the definition only, by one planner per block (plan_items: the item table; plan_unit_inputs:
labelled fields, vote tables, lists, records; plan_members: the member table sheet; plan_ballots: the
ballot matrix; plan_roster: the roster sheet; plan_results and plan_main: results, header, sign-off, 说明)
sharing one placement context (plan_context). `plan_for` composes them. The plan's data classes live in
model.py; the names below stay importable from here.
"""

from __future__ import annotations

from lxbz_xl.compiled import compiled
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.model import MAIN_SHEET as MAIN_SHEET
from lxbz_xl.workbook.model import Block as Block
from lxbz_xl.workbook.model import ItemSlots as ItemSlots
from lxbz_xl.workbook.model import MemberTable as MemberTable
from lxbz_xl.workbook.model import Plan as Plan
from lxbz_xl.workbook.model import SheetPlan as SheetPlan
from lxbz_xl.workbook.model import Slot as Slot
from lxbz_xl.workbook.model import Text as Text
from lxbz_xl.workbook.model import quote as quote
from lxbz_xl.workbook.plan_ballots import ballot_rule as ballot_rule
from lxbz_xl.workbook.plan_context import PlanContext
from lxbz_xl.workbook.plan_context import lines_needed as lines_needed
from lxbz_xl.workbook.plan_context import prefix_for as prefix_for
from lxbz_xl.workbook.plan_context import text_width as text_width
from lxbz_xl.workbook.plan_items import ITEM_WIDTHS as ITEM_WIDTHS
from lxbz_xl.workbook.plan_main import HINT_REF as HINT_REF
from lxbz_xl.workbook.plan_main import PLAIN_WIDTHS as PLAIN_WIDTHS
from lxbz_xl.workbook.plan_main import README_SHEET as README_SHEET
from lxbz_xl.workbook.plan_main import README_WIDTH as README_WIDTH
from lxbz_xl.workbook.plan_main import no_functions_hint as no_functions_hint
from lxbz_xl.workbook.plan_main import plan_main, plan_readme
from lxbz_xl.workbook.plan_main import readme_lines as readme_lines
from lxbz_xl.workbook.plan_members import MEMBER_LIST_CELLS as MEMBER_LIST_CELLS
from lxbz_xl.workbook.plan_members import MEMBER_RECORD_PAIRS as MEMBER_RECORD_PAIRS
from lxbz_xl.workbook.plan_members import plan_members
from lxbz_xl.workbook.plan_results import share_path as share_path
from lxbz_xl.workbook.plan_results import vote_shares as vote_shares
from lxbz_xl.workbook.plan_roster import plan_roster
from lxbz_xl.workbook.plan_unit_inputs import LIST_DEFAULT as LIST_DEFAULT
from lxbz_xl.workbook.plan_unit_inputs import LIST_SHEET_MIN as LIST_SHEET_MIN
from lxbz_xl.workbook.plan_unit_inputs import RECORD_ROWS as RECORD_ROWS


def compose(defn: RubricDefinition) -> Plan:
    """Run the planners in placement order. The member table is planned first (the ballot matrix refers
    to member rows, the main sheet points to it); sheets are then ordered main, members, other input
    sheets, roster, 说明."""
    ctx = PlanContext(defn)
    members: list[SheetPlan] = []
    if defn.members is not None:
        plan_members(ctx)
        members, ctx.sheets = ctx.sheets, []
    plan_main(ctx)
    ctx.sheets = [ctx.sheets[0], *members, *ctx.sheets[1:]]
    plan_roster(ctx)
    plan_readme(ctx)
    return ctx.finish()


def plan_for(defn: RubricDefinition) -> Plan:
    """The form plan of `defn`, kept on its compiled rubric (built once per definition object)."""
    memo = compiled(defn).memo
    hit: Plan | None = memo.get("form.plan")
    if hit is not None:
        return hit
    plan = compose(defn)
    memo["form.plan"] = plan
    return plan
