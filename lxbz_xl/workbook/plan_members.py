"""Planner of the member table sheet (`members:` rubrics): one row per member (`form.members` rows), one
column per member input (votes one column per tier, a trailing list or record input across the rest of
the row), each member's results at the right and a hidden helper column counting named rows."""

from __future__ import annotations

from decimal import Decimal

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import Members
from lxbz_xl.workbook.model import MemberTable, SheetPlan, Slot, col
from lxbz_xl.workbook.plan_context import PlanContext, sheet_title, text_width
from lxbz_xl.workbook.shown_consequences import LABELS
from lxbz_xl.workbook.shown_consequences import outputs as consequence_outputs

# Presentation sizes (not scoring rules): cells of a trailing list / record input on a member row.
MEMBER_LIST_CELLS = 5
MEMBER_RECORD_PAIRS = 3


# One input cell of a member row: (slot key, column, name suffix, path suffix, kind, field spec, format);
# the suffixes follow the input's own path in the cell's defined name and case path.
Cell = tuple[str, int, str, str, str, FieldSpec, str | None]


def _columns(defn_id: str, spec: Members) -> list[tuple[FieldSpec, list[int], list[str]]]:
    """(input, its columns, sub-headings) of each member input, from column B on."""
    columns: list[tuple[FieldSpec, list[int], list[str]]] = []
    c = 2
    for i, f in enumerate(spec.inputs):
        if f.type in ("numbers", "records") and i != len(spec.inputs) - 1:
            raise ValueError(
                f"{defn_id}: list input {f.path} must be the last member input (member-row rule)"
            )
        if f.type == "votes":
            subs = list(f.values)
        elif f.type == "numbers":
            subs = [f"{k}" for k in range(1, MEMBER_LIST_CELLS + 1)]
        elif f.type == "records":
            subs = [
                x
                for k in range(1, MEMBER_RECORD_PAIRS + 1)
                for x in (f"{f.fields[0].label}{k}", f"{f.fields[1].label}{k}")
            ]
        else:
            subs = []
        width = max(1, len(subs))
        columns.append((f, list(range(c, c + width)), subs))
        c += width
    return columns


def _outputs(spec: Members) -> list[tuple[str, str, str]]:
    """(key, heading, kind) of each member result, in the order of the columns at the right."""
    outputs: list[tuple[str, str, str]] = []
    for var in spec.variables:
        outputs.append((f"values.{var.name}", var.label, "percent" if var.display == "percent" else "number"))
    if spec.total is not None:
        outputs.append(("total", "总分", "number"))
    if spec.tiers is not None:
        if spec.tiers.adjustments:
            outputs.append(("base_tier", "初定档次", "tier"))
        outputs.append(("tier", "档次", "tier"))
        outputs += [(key, LABELS[key], "text") for key in consequence_outputs(spec)]  # RUBRICS.md §11
    if spec.title is not None:
        outputs.append(("title", spec.title.name.split("(")[0], "bool"))
    if spec.flags:
        outputs.append(("flags", "提示事项", "text"))
    return outputs


def _cells(f: FieldSpec, cols: list[int]) -> list[Cell]:
    """The input cells of member input `f` on one row (votes per tier, list cells, record pairs)."""
    if f.type == "votes":
        return [
            (
                f"{f.path}.{tier}",
                cc,
                f"_{j}",
                f".{tier}",
                "count",
                f.model_copy(
                    update={"type": "count", "label": f"{f.label}{tier}票数", "max": Decimal(100000)}
                ),
                None,
            )
            for j, (cc, tier) in enumerate(zip(cols, f.values, strict=True), 1)
        ]
    if f.type == "numbers":
        one = f.model_copy(update={"type": "number"})
        return [(f"{f.path}.{j}", cc, f"_{j}", f".{j}", "number", one, None) for j, cc in enumerate(cols, 1)]
    if f.type == "records":
        return [
            (
                f"{f.path}.{j + 1}.{part.path}",
                cols[2 * j + h],
                f"_{j + 1}_{part.path}",
                f".{j + 1}.{part.path}",
                part.type,
                part,
                None,
            )
            for j in range(MEMBER_RECORD_PAIRS)
            for h, part in enumerate(f.fields[:2])
        ]
    return [(f.path, cols[0], "", "", f.type, f, "0%" if f.unit == "%" else None)]


def plan_members(ctx: PlanContext) -> None:
    """The member table sheet (one row per member, results at the right); sets `ctx.members`."""
    defn = ctx.defn
    spec = defn.members
    if spec is None:
        return
    title = sheet_title(spec.label)
    first_row, n = 4, defn.form.members
    columns = _columns(defn.id, spec)
    last_input = columns[-1][1][-1] if columns else 1
    outputs = _outputs(spec)
    widths = {"A": 5.0}
    for f, cols, subs in columns:
        for j, cc in enumerate(cols):
            sub = subs[j] if subs else f.label
            widths[col(cc)] = max(7.0, min(16.0, text_width(sub) * 0.9 + 1)) if f.type != "text" else 12.0
    for k, (_key, label, kind) in enumerate(outputs):
        widths[col(last_input + 1 + k)] = (
            30.0 if kind == "text" else max(8.0, min(14.0, text_width(label) * 0.6 + 2))
        )
    last_col = last_input + len(outputs)
    flag_col = last_col + 1  # hidden helper: 1 when the row has a name (counts members, no SUMPRODUCT)
    widths[col(flag_col)] = 5.0
    heading = f"{defn.short_name} · {spec.label}明细(每行一人,空行不计)"
    sheet = ctx.row_sheet(title, widths, first_row, [col(flag_col)], heading, col(last_col), 32)
    for f, cols, subs in columns:
        head = f.label + ("(票数)" if f.type == "votes" else "")
        if subs:
            ctx.text(sheet, f"{col(cols[0])}2", head, "header", f"{col(cols[0])}2:{col(cols[-1])}2")
            for cc, sub in zip(cols, subs, strict=True):
                ctx.text(sheet, f"{col(cc)}3", sub, "header")
        else:
            ctx.text(sheet, f"{col(cols[0])}2", head, "header", f"{col(cols[0])}2:{col(cols[0])}3")
    for k, (_key, label, _kind) in enumerate(outputs):
        out_col = col(last_input + 1 + k)
        ctx.text(sheet, f"{out_col}2", label, "header", f"{out_col}2:{out_col}3")
    sheet.heights[2] = 30
    sheet.heights[3] = 44
    cells = [(f.path, cell) for f, cols, _subs in columns for cell in _cells(f, cols)]
    row_slots = []
    for r in range(n):
        row = first_row + r
        ctx.text(sheet, f"A{row}", str(r + 1), "center")
        slots: dict[str, Slot] = {}
        for f_path, (key, cc, suffix, sub_path, kind, fs, number_format) in cells:
            slots[key] = ctx.slot(
                sheet,
                f"{col(cc)}{row}",
                f"M{r + 1}_{f_path}{suffix}",
                "input",
                f"{spec.key}.{r + 1}.{f_path}{sub_path}",
                kind,
                fs,
                number_format=number_format,
            )
        for k, (key, _label, kind) in enumerate(outputs):
            slots[key] = ctx.slot(
                sheet,
                f"{col(last_input + 1 + k)}{row}",
                f"M{r + 1}_{key.replace('values.', 'V_')}",
                "output",
                f"{spec.key}.{r + 1}.{key}",
                kind,
                number_format="0.00%" if kind == "percent" else "0.00",
            )
        row_slots.append(slots)
        ctx.helpers[(title, f"{col(flag_col)}{row}")] = f'=IF(${col(columns[0][1][0])}{row}="",0,1)'
        ctx.text(sheet, f"{col(flag_col)}{row}", "", "helper")
        sheet.heights[row] = 18
    sheet.last_row, sheet.last_col = first_row + n - 1, last_col
    ctx.members = MemberTable(
        title,
        first_row,
        n,
        2,
        last_input,
        [(f, cols) for f, cols, _ in columns],
        row_slots,
        outputs,
        col(flag_col),
    )


def plan_member_pointer(ctx: PlanContext, sheet: SheetPlan, row: int, section: str) -> int:
    """The main sheet's line pointing to the member table (under the inputs section `section`)."""
    if ctx.members is None:
        return row
    m = ctx.members
    if not any(t.value == section for t in ctx.texts if t.sheet == sheet.title):
        row = ctx.section(sheet, row, section)
    ctx.field_row(
        sheet,
        row,
        f"{ctx.defn.members.label}明细" if ctx.defn.members else "成员明细",
        f"在“{m.sheet}”表逐行填写(共{m.rows}行,空行不计);每人的结果在该表右侧自动计算",
    )
    ctx.text(sheet, f"F{row}", "见分表", "center")
    return row + 1
