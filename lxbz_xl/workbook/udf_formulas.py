"""Formulas of the UDF variant: every computed cell calls an LXBZ_* worksheet function.

Argument order follows the shared UDF conventions (see udfs/): item functions take one argument per
clause input in `Item.inputs()` order; unit functions take the items total (if the rubric has items),
then one argument per `defn.inputs` entry in YAML order, then the members table range.
"""

from __future__ import annotations

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.workbook.embed import is_embedded_ref
from lxbz_xl.workbook.form import (
    HINT_REF,
    MAIN_SHEET,
    Block,
    Plan,
    no_functions_hint,
    share_path,
    vote_shares,
)
from lxbz_xl.workbook.layout import enum_label
from lxbz_xl.workbook.unfilled import unfilled_formula


def _s(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


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
        key = "total" if plan.defn.total is None else "items_total"
        args.append(plan.ref(plan.outputs[key], here))
    by_path = {b.spec.path: b for b in plan.blocks}
    for spec in plan.defn.inputs:
        args.append(block_arg(plan, by_path[spec.path], here))
    if plan.members is not None:
        args.append(plan.member_range(here))
    return args


def _call(func: str, *args: str) -> str:
    return f"={func}({','.join(args)})"


def hint_formula(plan: Plan, rid: str) -> str:
    """Blank while the LXBZ_* functions answer; the way out when they don't (#NAME? in WPS, LibreOffice,
    or Excel before the re-bind), or the add-in's own complaint (e.g. another rubric version)."""
    version = f"LXBZ_RUBRIC_VERSION({rid})"
    return (
        f"=IF(ISERROR({version}),{_s(no_functions_hint(plan.defn.id))},"
        f'IF(LEFT({version},5)="#LXBZ",{version},""))'
    )


def udf_formulas(plan: Plan, rubric_ref: str) -> dict[tuple[str, str], str]:
    rid = rubric_ref if is_embedded_ref(rubric_ref) else _s(rubric_ref)
    out: dict[tuple[str, str], str] = dict(plan.helpers)
    main = MAIN_SHEET
    out[(main, HINT_REF)] = hint_formula(plan, rid)
    for its in plan.items:
        args = [rid, str(its.item.id), *its.args]
        out[(main, its.score.spec.ref)] = _call("LXBZ_ITEM_SCORE", *args)
        out[(main, its.deduction.spec.ref)] = _call("LXBZ_DEDUCTION", *args)
        out[(main, its.explain.spec.ref)] = _call("LXBZ_EXPLAIN", *args)
    if plan.items:
        first = plan.items[0].score.spec.ref
        last_row = int("".join(ch for ch in plan.items[-1].inputs[-1].spec.ref if ch.isdigit()))
        key = "total" if plan.defn.total is None else "items_total"
        out[(main, plan.outputs[key].spec.ref)] = _call("LXBZ_TOTAL", rid, f"{first}:H{last_row}")
    uargs = unit_args(plan, main)
    for path, slot in plan.outputs.items():
        if (
            path in ("total", "items_total")
            and plan.defn.items
            and (path == "items_total" or plan.defn.total is None)
        ):
            continue
        if path == "tier":
            out[(main, slot.spec.ref)] = _call("LXBZ_TIER", rid, *uargs)
        elif path == "base_tier":
            out[(main, slot.spec.ref)] = _call("LXBZ_BASE_TIER", rid, *uargs)
        elif path == "title":
            out[(main, slot.spec.ref)] = _call("LXBZ_TITLE", rid, *uargs)
        elif path == "flags":
            out[(main, slot.spec.ref)] = _call("LXBZ_FLAGS", rid, *uargs)
        elif path == "total":
            out[(main, slot.spec.ref)] = _call("LXBZ_VALUE", rid, _s("total"), *uargs)
        elif path.startswith("shares."):
            votes, tiers = next((v, t) for v, t in vote_shares(plan.defn) if share_path(v, t) == path)
            block = next(b for b in plan.blocks if b.spec.path == votes)
            positions = [str(block.spec.values.index(t) + 1) for t in tiers]  # 1 = the table's first tier
            out[(main, slot.spec.ref)] = _call("LXBZ_VOTE_SHARE", plan.block_range(block, main), *positions)
        elif path == "unfilled":
            out[(main, slot.spec.ref)] = unfilled_formula(plan)
        elif path.startswith("values."):
            out[(main, slot.spec.ref)] = _call("LXBZ_VALUE", rid, _s(path.split(".", 1)[1]), *uargs)
    m = plan.members
    if m is not None:
        margs = unit_args(plan, m.sheet)
        name_col = m.inputs[0][1][0]
        from openpyxl.utils import get_column_letter as col

        for r, slots in enumerate(m.row_slots):
            row = m.first_row + r
            row_range = f"{col(m.first_col)}{row}:{col(m.last_input_col)}{row}"
            for key, _label, _kind in m.outputs:
                output = key.split(".", 1)[1] if key.startswith("values.") else key
                call = _call("LXBZ_MEMBER", rid, _s(output), row_range, *margs)[1:]
                out[(m.sheet, slots[key].spec.ref)] = f'=IF(${col(name_col)}{row}="","",{call})'
    return out
