"""Planner of the unit's own inputs (考核情况): labelled fields, vote tables, number lists (on the form or
on a sheet of their own), records, and the pointer to the ballot matrix (plan_ballots)."""

from __future__ import annotations

from decimal import Decimal

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.workbook.model import Block, SheetPlan
from lxbz_xl.workbook.plan_ballots import plan_ballots
from lxbz_xl.workbook.plan_context import PlanContext, cell_name, sheet_title

# Presentation sizes (not scoring rules): how many blank rows/cells a list input gets on the form. The
# cells of a list input may come from the rubric's `form.lists` hints (FormHints).
LIST_DEFAULT = 10
LIST_SHEET_MIN = 11  # lists longer than this get their own sheet
RECORD_ROWS = 8
INPUTS_SECTION = "考核情况(填写)"


def plan_unit_inputs(ctx: PlanContext, sheet: SheetPlan, row: int) -> int:
    """The unit inputs section from `row` (after a blank row on item forms); returns the next free row."""
    defn = ctx.defn
    specs = [s for s in ctx.specs if not s.path.startswith("items.")]
    if not specs:
        return row
    row = ctx.section(sheet, row + 1 if defn.items else row, INPUTS_SECTION)
    for spec in specs:
        if spec.type in ("count", "number", "bool", "enum", "text"):
            row = _field(ctx, sheet, row, spec)
        elif spec.type == "votes":
            row = _votes(ctx, sheet, row, spec)
        elif spec.type == "numbers":
            n = defn.form.lists.get(spec.path, LIST_DEFAULT)
            one = spec.model_copy(update={"type": "number"})
            if n >= LIST_SHEET_MIN:
                row = _list_sheet(ctx, sheet, row, spec, one, n)
            else:
                row = _numbers(ctx, sheet, row, spec, one, n)
        elif spec.type == "records":
            row = _records(ctx, sheet, row, spec)
        elif spec.type == "ballots":
            block = plan_ballots(ctx, spec)
            ctx.blocks.append(block)
            ctx.field_row(sheet, row, spec.label, f"在“{block.sheet}”表逐张填写(每行一张选票,空行不计)")
            ctx.text(sheet, f"F{row}", "见分表", "center")
            row += 1
        else:
            raise ValueError(f"{defn.id}: no form for input type {spec.type} ({spec.path})")
    return row


def _field(ctx: PlanContext, sheet: SheetPlan, row: int, spec: FieldSpec) -> int:
    ctx.field_row(sheet, row, spec.label, ctx.note(spec))
    slot = ctx.slot(
        sheet,
        f"F{row}",
        cell_name(spec.path),
        "input",
        spec.path,
        spec.type,
        spec,
        number_format="0%" if spec.unit == "%" else None,
        bound_label=ctx.bound_label(spec),
    )
    ctx.blocks.append(Block(spec, [slot], sheet.title, f"F{row}", f"F{row}"))
    return row + 1


def _votes(ctx: PlanContext, sheet: SheetPlan, row: int, spec: FieldSpec) -> int:
    base = cell_name(spec.path)
    ctx.text(sheet, f"A{row}", f"{spec.label}(票数)", "header", f"A{row}:E{row}")
    ctx.text(sheet, f"F{row}", "票数", "header")
    ctx.text(sheet, f"G{row}", "说明", "header", f"G{row}:I{row}")
    row += 1
    slots = []
    for k, tier in enumerate(spec.values, 1):
        note = "按有效票填写;各档次票数之和即有效票数" if k == 1 else ""
        ctx.field_row(sheet, row, f"    {tier}", note)
        one = spec.model_copy(
            update={"type": "count", "label": f"{spec.label}{tier}票数", "min": None, "max": Decimal(100000)}
        )
        slots.append(
            ctx.slot(
                sheet,
                f"F{row}",
                f"{base}_{k}",
                "input",
                f"{spec.path}.{tier}",
                "count",
                one,
                number_format="0",
            )
        )
        row += 1
    sheet.groups.append((row - len(spec.values) - 1, row - 1))
    ctx.blocks.append(Block(spec, slots, sheet.title, slots[0].spec.ref, slots[-1].spec.ref))
    return row


def _numbers(ctx: PlanContext, sheet: SheetPlan, row: int, spec: FieldSpec, one: FieldSpec, n: int) -> int:
    base = cell_name(spec.path)
    ctx.text(sheet, f"A{row}", spec.label + "(空白不计)", "header", f"A{row}:E{row}")
    ctx.text(sheet, f"F{row}", "分数", "header")
    ctx.text(sheet, f"G{row}", ctx.note(spec), "header", f"G{row}:I{row}")
    row += 1
    slots = []
    for k in range(1, n + 1):
        ctx.field_row(sheet, row, f"    第{k}个")
        slots.append(ctx.slot(sheet, f"F{row}", f"{base}_{k}", "input", f"{spec.path}.{k}", "number", one))
        row += 1
    ctx.blocks.append(Block(spec, slots, sheet.title, slots[0].spec.ref, slots[-1].spec.ref))
    return row


def _records(ctx: PlanContext, sheet: SheetPlan, row: int, spec: FieldSpec) -> int:
    base = cell_name(spec.path)
    points, reason = spec.fields[0], spec.fields[1]
    ctx.text(sheet, f"A{row}", spec.label, "header", f"A{row}:E{row}")
    ctx.text(sheet, f"F{row}", points.label, "header")
    ctx.text(sheet, f"G{row}", reason.label, "header", f"G{row}:I{row}")
    row += 1
    slots = []
    for k in range(1, RECORD_ROWS + 1):
        ctx.text(sheet, f"A{row}", f"    第{k}条(加分填正数,减分填负数)", "label", f"A{row}:E{row}")
        slots.append(
            ctx.slot(
                sheet,
                f"F{row}",
                f"{base}_{k}_{points.path}",
                "input",
                f"{spec.path}.{k}.{points.path}",
                "number",
                points,
            )
        )
        slots.append(
            ctx.slot(
                sheet,
                f"G{row}",
                f"{base}_{k}_{reason.path}",
                "input",
                f"{spec.path}.{k}.{reason.path}",
                "text",
                reason,
                merge=f"G{row}:I{row}",
            )
        )
        sheet.heights[row] = 20
        row += 1
    ctx.blocks.append(Block(spec, slots, sheet.title, slots[0].spec.ref, slots[-1].spec.ref, cols=2))
    return row


def _list_sheet(ctx: PlanContext, main: SheetPlan, row: int, spec: FieldSpec, one: FieldSpec, n: int) -> int:
    title = sheet_title(spec.label.split("(")[0])
    sheet = SheetPlan(title, {"A": 8, "B": 14, "C": 40}, freeze="A3", print_rows="2:2", landscape=False)
    ctx.sheets.append(sheet)
    ctx.text(sheet, "A1", spec.label, "title", "A1:C1")
    sheet.heights[1] = 30
    for c, label in zip("ABC", ("序号", "分数", "说明"), strict=True):
        ctx.text(sheet, f"{c}2", label, "header")
    slots = []
    base = cell_name(spec.path)
    for k in range(1, n + 1):
        r = k + 2
        ctx.text(sheet, f"A{r}", str(k), "center")
        slots.append(ctx.slot(sheet, f"B{r}", f"{base}_{k}", "input", f"{spec.path}.{k}", "number", one))
        ctx.text(sheet, f"C{r}", "每人一个百分制分数;空白不计" if k == 1 else "", "text")
    sheet.last_row, sheet.last_col = n + 2, 3
    ctx.blocks.append(Block(spec, slots, title, "B3", f"B{n + 2}"))
    ctx.field_row(main, row, spec.label, f"在“{title}”表逐行填写(共{n}行,空白不计)")
    ctx.text(main, f"F{row}", "见分表", "center")
    return row + 1
