"""Planner of the item table on the main sheet: one input row per clause input, the item's deduction,
score and explanation beside it, and the total row below.

Grid: A 项目 | B 考核内容 | C 分值 | D 评分标准 | E:F 检查情况 (label, value) | G 扣分 | H 得分 | I 扣分说明
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.items import render
from lxbz_xl.exact import fmt
from lxbz_xl.workbook.model import ItemSlots, SheetPlan
from lxbz_xl.workbook.plan_context import PlanContext, lines_needed

# 159 columns fit landscape A4 at 90 %: 9 pt type prints at 8 pt.
ITEM_WIDTHS = {"A": 10, "B": 31, "C": 6, "D": 25, "E": 31, "F": 10, "G": 7, "H": 7, "I": 32}


def clause_inputs(clause: Any) -> list[FieldSpec]:
    for attrs in (("input",), ("base", "achieved"), ("done", "target")):
        if all(hasattr(clause, a) for a in attrs):
            return [getattr(clause, a) for a in attrs]
    return []


def score_format(defn: RubricDefinition) -> str:
    """Whole-point rubrics show plain integers; proportional scores show two decimals (display only)."""
    return "0.00" if any(i.mode == "proportional" for i in defn.items) else "General"


def plan_items(ctx: PlanContext, sheet: SheetPlan, row: int) -> int:
    """The heading row at `row`, the items, the total row; returns the row after the total."""
    defn = ctx.defn
    for c, label in zip(
        "ABCDEGHI",
        ("项目", "考核内容", "分值", "评分标准", "检查情况", "扣分", "得分", "扣分说明"),
        strict=True,
    ):
        ctx.text(sheet, f"{c}{row}", label, "header", f"E{row}:F{row}" if c == "E" else None)
    sheet.freeze = f"A{row + 1}"
    sheet.print_rows = f"{row}:{row}"
    sheet.heights[row] = 22
    row += 1
    derived = (
        {(d.item, d.field) for d in ctx.roster.derived} | {ctx.roster.count_field} if ctx.roster else set()
    )
    for item in defn.items:
        specs = item.inputs()
        first, last = row, row + max(1, len(specs)) - 1
        span = lambda c, a=first, b=last: f"{c}{a}:{c}{b}"  # noqa: E731
        ctx.text(sheet, f"A{first}", f"{item.id}. {item.name}", "center", span("A"))
        content = render(item.content, defn)
        standard = render(item.standard, defn) + (f"\n({render(item.note, defn)})" if item.note else "")
        ctx.text(sheet, f"B{first}", content, "text", span("B"))
        ctx.text(sheet, f"C{first}", fmt(Fraction(item.points)), "center", span("C"))
        ctx.text(sheet, f"D{first}", standard, "text", span("D"))
        slots = []
        for k, spec in enumerate(specs):
            r = first + k
            path = f"items.{item.id}.{spec.path}"
            clause = next(c for c in item.clauses if spec in clause_inputs(c))
            label = render(clause.label, defn)
            if len(clause_inputs(clause)) > 1:
                label = f"{label}:{spec.label}"
            if (item.id, spec.path) in derived:
                label += "(明细已填时按明细统计)"
            ctx.text(sheet, f"E{r}", label, "label")
            full = ctx.spec_at(path)
            assert full is not None, path
            slot = ctx.slot(
                sheet,
                f"F{r}",
                f"I{item.id}_{spec.path}",
                "input",
                path,
                spec.type,
                full,
                number_format="0" if spec.type == "count" else "General",
                bound_label=ctx.bound_label(spec),
            )
            slots.append(slot)
            sheet.heights[r] = max(20.0, 15.0 * lines_needed(label, ITEM_WIDTHS["E"]) + 3)
        out = {}
        for key, c, kind, st in (
            ("deduction", "G", "number", "output"),
            ("score", "H", "number", "output"),
            ("explanation", "I", "text", "output_text"),
        ):
            out[key] = ctx.slot(
                sheet,
                f"{c}{first}",
                f"I{item.id}_{key[:7] if key == 'explanation' else key}",
                "output",
                f"items.{item.id}.{key}",
                kind,
                style=st,
                number_format="General" if item.mode != "proportional" else "0.00",
                merge=span(c),
            )
        # Merged content/standard texts need the rows to be tall enough in total (no auto-fit on merges).
        need = (
            max(lines_needed(content, ITEM_WIDTHS["B"], 9), lines_needed(standard, ITEM_WIDTHS["D"], 9))
            * 14.5  # 9 pt CJK type: LibreOffice (Noto CJK) lays out about 14.5 pt a line
            + 6
        )
        have = sum(sheet.heights.get(r, 20.0) for r in range(first, last + 1))
        if need > have:
            extra = (need - have) / (last - first + 1)
            for r in range(first, last + 1):
                sheet.heights[r] = sheet.heights.get(r, 20.0) + extra
        ctx.items.append(ItemSlots(item, slots, out["score"], out["deduction"], out["explanation"]))
        sheet.groups.append((first, last))
        row = last + 1
    return _total_row(ctx, sheet, row)


def _total_row(ctx: PlanContext, sheet: SheetPlan, row: int) -> int:
    defn = ctx.defn
    ctx.text(
        sheet,
        f"A{row}",
        defn.total_label if defn.total is None else defn.form.items_total_label,
        "header",
        f"A{row}:B{row}",
    )
    ctx.text(sheet, f"C{row}", fmt(Fraction(defn.total_points or 0)), "header")
    ctx.text(sheet, f"D{row}", "", "header", f"D{row}:G{row}")
    path = "total" if defn.total is None else "items_total"
    ctx.outputs[path] = ctx.slot(
        sheet,
        f"H{row}",
        "TOTAL" if path == "total" else "ITEMS_TOTAL",
        "output",
        path,
        "number",
        number_format=score_format(defn),
    )
    ctx.text(sheet, f"I{row}", "", "header")
    sheet.heights[row] = 24
    return row + 1
