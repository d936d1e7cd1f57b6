"""The formula compiler: one walk deciding which cells of a plan get a formula and from which node of
the definition, with two back ends behind one interface.

The walk (`compile_formulas`) visits the items (clauses → score, deduction, explanation), the items
total, every unit-level output (variables, total, vote shares, base tier, tier with its vetoes and caps,
what the final tier means (结果运用 / 选拔任用), title, notices, unfilled items) and every member row's outputs, and asks the back end for the formula
of that node in that scope. Back ends: udf_formulas.UdfBackend (a call of an LXBZ_* worksheet function:
the core computes the node) and native_formulas.NativeBackend (the node compiled to built-in
functions). What both share (helper cells of the plan, the unfilled note, the name guard of member
rows) is written here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lxbz_xl.definition.rubric import Entity, Variable
from lxbz_xl.workbook.model import MAIN_SHEET, ItemSlots, Plan, Slot
from lxbz_xl.workbook.plan_results import share_path, vote_shares
from lxbz_xl.workbook.shown_consequences import LABELS as CONSEQUENCE_OUTPUTS
from lxbz_xl.workbook.unfilled import unfilled_formula

Cell = tuple[str, str]  # (sheet, ref)


@dataclass
class Scope:
    """Where a node is computed and its names resolve: a member row (if any), then the unit."""

    plan: Plan
    here: str
    row: dict[str, Slot] | None = None
    member_index: int | None = None

    def ref(self, slot: Slot) -> str:
        return self.plan.ref(slot, self.here)


class Backend(Protocol):
    """One formula text (without the leading "=") per node of the definition, in a scope."""

    def preamble(self) -> dict[Cell, str]: ...  # variant-only cells (full formulas)

    def item(self, its: ItemSlots, args: list[str]) -> tuple[str, str, str]:
        """Score, deduction and explanation of an item, from one argument per clause input."""
        ...

    def items_total(self, items: list[ItemSlots]) -> str: ...

    def value(self, entity: Entity, var: Variable, scope: Scope) -> str: ...

    def total(self, entity: Entity, scope: Scope) -> str: ...

    def share(self, votes: str, tiers: tuple[str, ...], scope: Scope) -> str: ...

    def base_tier(self, entity: Entity, scope: Scope) -> str: ...

    def tier(self, entity: Entity, base: Slot | None, scope: Scope) -> str: ...

    def title(self, entity: Entity, scope: Scope) -> str: ...

    def flags(self, entity: Entity, scope: Scope) -> str: ...

    def consequence(self, entity: Entity, key: str, tier: Slot, scope: Scope) -> str:
        """结果运用 / 选拔任用 (`key`, shown_consequences) of the final tier shown in `tier`."""
        ...


def compile_formulas(plan: Plan, backend: Backend) -> dict[Cell, str]:
    """(sheet, ref) → formula text "=…" of every formula cell of `plan`, from `backend`."""
    out: dict[Cell, str] = dict(plan.helpers)
    out.update(backend.preamble())
    for its in plan.items:
        score, deduction, text = backend.item(its, item_args(plan, its))
        out[_cell(its.score)] = "=" + score
        out[_cell(its.deduction)] = "=" + deduction
        out[_cell(its.explain)] = "=" + text
    if plan.items:
        out[_cell(plan.outputs[plan.total_key()])] = "=" + backend.items_total(plan.items)
    defn = plan.defn
    unit = Scope(plan, MAIN_SHEET)
    for path, slot in plan.outputs.items():
        if plan.items and path == plan.total_key():
            continue  # the items total, above
        if path == "unfilled":
            out[_cell(slot)] = unfilled_formula(plan)
        elif path.startswith("shares."):
            votes, tiers = next((v, t) for v, t in vote_shares(defn) if share_path(v, t) == path)
            out[_cell(slot)] = "=" + backend.share(votes, tiers, unit)
        else:
            out[_cell(slot)] = "=" + _entity_output(backend, defn, path, plan.outputs, unit)
    m = plan.members
    if m is not None and defn.members is not None:
        for r, slots in enumerate(m.row_slots):
            scope = Scope(plan, m.sheet, slots, r)
            for key, _label, _kind in m.outputs:
                text = _entity_output(backend, defn.members, key, slots, scope)
                out[_cell(slots[key])] = f'=IF({m.name_cell(r)}="","",{text})'  # a row without a name
    return out


def item_args(plan: Plan, its: ItemSlots) -> list[str]:
    """The formula argument of each clause input of an item (Item.inputs() order): its cell, or, for a
    count the roster derives, the roster's count when the roster has names, else the typed cell."""
    out = []
    for spec, slot in zip(its.item.inputs(), its.inputs, strict=True):
        cell = plan.ref(slot)
        source = plan.roster_source(its.item.id, spec.path)
        if source is None:
            out.append(cell)
            continue
        count = plan.ref(plan.roster_cells["count"])
        typed = f'IF({cell}="","",{cell})'  # "" not 0 when blank, in every engine
        out.append(f"IF({count}>0,{plan.ref(source)},{typed})")
    return out


def _entity_output(backend: Backend, entity: Entity, key: str, slots: dict[str, Slot], scope: Scope) -> str:
    """The formula of output `key` (values.<var>, total, base_tier, tier, title, flags, consequences,
    promotion) of `entity`."""
    if key.startswith("values."):
        var = next(v for v in entity.variables if v.name == key.split(".", 1)[1])
        return backend.value(entity, var, scope)
    if key == "total":
        return backend.total(entity, scope)
    if key == "base_tier":
        return backend.base_tier(entity, scope)
    if key == "tier":
        return backend.tier(entity, slots.get("base_tier"), scope)
    if key == "title":
        return backend.title(entity, scope)
    if key == "flags":
        return backend.flags(entity, scope)
    if key in CONSEQUENCE_OUTPUTS:
        return backend.consequence(entity, key, slots["tier"], scope)
    raise ValueError(f"no formula for output {key!r}")


def _cell(slot: Slot) -> Cell:
    return (slot.spec.sheet, slot.spec.ref)
