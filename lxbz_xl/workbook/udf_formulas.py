"""The UDF back end of the formula compiler (formulas.py): every node is a call of an LXBZ_* worksheet
function, so the core itself computes it.

Argument order follows the shared UDF conventions (see udfs/): item functions take one argument per
clause input in `Item.inputs()` order; unit functions take the items total (if the rubric has items),
then one argument per `defn.inputs` entry in YAML order, then the members table range; member functions
take the output's name, the member row's input cells, then the unit arguments.
"""

from __future__ import annotations

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import Entity, Variable
from lxbz_xl.workbook.embed import is_embedded_ref
from lxbz_xl.workbook.formulas import Cell, Scope, compile_formulas
from lxbz_xl.workbook.model import MAIN_SHEET, Block, ItemSlots, Plan, Slot, enum_label, xl_string
from lxbz_xl.workbook.plan_main import HINT_REF, no_functions_hint

_s = xl_string


def enum_arg(cell: str, spec: FieldSpec) -> str:
    """Dropdowns show Chinese labels; the functions take the core values."""
    expr = cell
    for v in reversed(spec.values):
        if enum_label(spec, v) != v:
            expr = f"IF({cell}={_s(enum_label(spec, v))},{_s(v)},{expr})"
    return expr


def block_arg(plan: Plan, block: Block, here: str) -> str:
    if len(block.slots) == 1 and block.spec.type in ("count", "number", "bool", "enum", "text"):
        cell = plan.ref(block.slots[0], here)
        return enum_arg(cell, block.spec) if block.spec.type == "enum" else cell
    return plan.block_range(block, here)


def unit_args(plan: Plan, here: str) -> list[str]:
    args = []
    if plan.defn.items:
        args.append(plan.ref(plan.outputs[plan.total_key()], here))
    by_path = {b.spec.path: b for b in plan.blocks}
    for spec in plan.defn.inputs:
        args.append(block_arg(plan, by_path[spec.path], here))
    if plan.members is not None:
        args.append(plan.member_range(here))
    return args


def _call(func: str, *args: str) -> str:
    return f"{func}({','.join(args)})"


def hint_formula(plan: Plan, rid: str) -> str:
    """Blank while the LXBZ_* functions answer; the way out when they don't (#NAME? in WPS, LibreOffice,
    or Excel before the re-bind), or the add-in's own complaint (e.g. another rubric version)."""
    version = f"LXBZ_RUBRIC_VERSION({rid})"
    return (
        f"=IF(ISERROR({version}),{_s(no_functions_hint(plan.defn.id))},"
        f'IF(LEFT({version},5)="#LXBZ",{version},""))'
    )


class UdfBackend:
    """LXBZ_* calls; `rubric_ref` is the functions' first argument (`id@version` or an `_lxbz` range)."""

    def __init__(self, plan: Plan, rubric_ref: str):
        self.plan = plan
        self.rid = rubric_ref if is_embedded_ref(rubric_ref) else _s(rubric_ref)
        self._args: dict[str, list[str]] = {}

    def args(self, here: str) -> list[str]:
        if here not in self._args:
            self._args[here] = unit_args(self.plan, here)
        return self._args[here]

    def unit_or_member(self, func: str, output: str, scope: Scope, *named: str) -> str:
        """`func(rid, *named, unit args)` on the main sheet; LXBZ_MEMBER(rid, output, row, …) on a member row."""
        m = self.plan.members
        if scope.row is not None and scope.member_index is not None and m is not None:
            row = m.row_range(scope.member_index)
            return _call("LXBZ_MEMBER", self.rid, _s(output), row, *self.args(scope.here))
        return _call(func, self.rid, *named, *self.args(scope.here))

    def preamble(self) -> dict[Cell, str]:
        return {(MAIN_SHEET, HINT_REF): hint_formula(self.plan, self.rid)}

    def item(self, its: ItemSlots, args: list[str]) -> tuple[str, str, str]:
        call = [self.rid, str(its.item.id), *args]
        return (_call("LXBZ_ITEM_SCORE", *call), _call("LXBZ_DEDUCTION", *call), _call("LXBZ_EXPLAIN", *call))

    def items_total(self, items: list[ItemSlots]) -> str:
        first = items[0].score.spec.ref
        last_row = int("".join(ch for ch in items[-1].inputs[-1].spec.ref if ch.isdigit()))
        return _call("LXBZ_TOTAL", self.rid, f"{first}:H{last_row}")

    def value(self, entity: Entity, var: Variable, scope: Scope) -> str:
        return self.unit_or_member("LXBZ_VALUE", var.name, scope, _s(var.name))

    def total(self, entity: Entity, scope: Scope) -> str:
        return self.unit_or_member("LXBZ_VALUE", "total", scope, _s("total"))

    def share(self, votes: str, tiers: tuple[str, ...], scope: Scope) -> str:
        block = next(b for b in self.plan.blocks if b.spec.path == votes)
        positions = [str(block.spec.values.index(t) + 1) for t in tiers]  # 1 = the table's first tier
        return _call("LXBZ_VOTE_SHARE", self.plan.block_range(block, scope.here), *positions)

    def base_tier(self, entity: Entity, scope: Scope) -> str:
        return self.unit_or_member("LXBZ_BASE_TIER", "base_tier", scope)

    def tier(self, entity: Entity, base: Slot | None, scope: Scope) -> str:
        return self.unit_or_member("LXBZ_TIER", "tier", scope)

    def title(self, entity: Entity, scope: Scope) -> str:
        return self.unit_or_member("LXBZ_TITLE", "title", scope)

    def flags(self, entity: Entity, scope: Scope) -> str:
        return self.unit_or_member("LXBZ_FLAGS", "flags", scope)

    def consequence(self, entity: Entity, key: str, tier: Slot, scope: Scope) -> str:
        # The core's text for the final tier, computed anew (not read from the tier cell).
        return self.unit_or_member("LXBZ_VALUE", key, scope, _s(key))


def udf_formulas(plan: Plan, rubric_ref: str) -> dict[Cell, str]:
    """The UDF variant's formulas (formulas.compile_formulas with the UDF back end)."""
    return compile_formulas(plan, UdfBackend(plan, rubric_ref))
