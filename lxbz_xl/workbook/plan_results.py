"""Planner of the results section of the main sheet (考评结果): every unit-level output the rubric
defines (variables, total, the vote shares its tier and title conditions test, tiers and what the final
tier means (结果运用 / 选拔任用, shown_consequences.py), title, notices, the unfilled items)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from lxbz_xl.definition import logic as L
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.model import SheetPlan
from lxbz_xl.workbook.plan_context import PlanContext, lines_needed
from lxbz_xl.workbook.shown_consequences import LABELS, outputs, texts


def share_path(votes: str, tiers: list[str] | tuple[str, ...]) -> str:
    return f"shares.{votes}.{'+'.join(tiers)}"


def vote_shares(defn: RubricDefinition) -> list[tuple[str, tuple[str, ...]]]:
    """(votes input, tiers) of every `share` condition on the unit's own vote tables, each once, in the
    tables' order (widest first: 优秀+较好 before 优秀)."""
    votes_inputs = {s.path: s for s in defn.inputs if s.type == "votes"}
    found: list[tuple[str, tuple[str, ...]]] = []

    def walk(node: Any) -> None:
        if isinstance(node, L.ShareBody):
            spec = votes_inputs.get(node.votes)
            if spec is not None:
                key = (node.votes, tuple(t for t in spec.values if t in node.tiers))
                if key not in found:
                    found.append(key)
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)

    for part in (defn.variables, defn.total, defn.tiers, defn.title, defn.flags):
        walk(part)
    order = list(votes_inputs)

    def key(pair: tuple[str, tuple[str, ...]]) -> tuple[int, int, int]:
        values = votes_inputs[pair[0]].values
        return order.index(pair[0]), values.index(pair[1][0]) if pair[1] else 0, -len(pair[1])

    return sorted(found, key=key)


def is_count(expr: Any) -> bool:
    return isinstance(expr, L.InvalidBallotsExpr)


def plan_results(ctx: PlanContext, sheet: SheetPlan, row: int) -> int:
    """The results section (档次 / 结果运用 / 称号 / variables / shares / notices) from `row`; returns the
    next row."""
    defn = ctx.defn
    rows: list[tuple[str, str, str, str]] = []  # (path, label, kind, name)
    for var in defn.variables:
        kind = "percent" if var.display == "percent" else "count" if is_count(var.expr) else "number"
        rows.append((f"values.{var.name}", var.label, kind, f"V_{var.name}"))
    if defn.total is not None:
        rows.append(("total", defn.total_label, "number", "TOTAL"))
    for k, (votes, tiers) in enumerate(vote_shares(defn), 1):
        # The shares the tier and title conditions test, shown as percentages (exact in the core).
        spec = next(s for s in defn.inputs if s.path == votes)
        label = f"{spec.label}:{'、'.join(tiers)}得票率{'之和' if len(tiers) > 1 else ''}"
        rows.append((share_path(votes, tiers), label, "percent", f"SHARE_{k}"))
    if defn.tiers is not None:
        if defn.tiers.adjustments:
            rows.append(("base_tier", "初定档次(调整前)", "tier", "BASE_TIER"))
        label = "评定档次" + ("(档次分界待本地确定)" if defn.tiers.pending_local else "")
        rows.append(("tier", label, "tier", "TIER"))
        for key in outputs(defn):  # RUBRICS.md §11: what the form's own final tier means
            rows.append((key, f"{LABELS[key]}(按本表评定档次)", "text", key.upper()))
    if defn.title is not None:
        rows.append(("title", f"是否达到“{defn.title.name}”", "bool", "TITLE"))
    if defn.flags:
        rows.append(("flags", "提示事项(如限期整改)", "text", "FLAGS"))
    if defn.items:  # RUBRICS.md §0: the items left blank, in the core's words
        rows.append(("unfilled", "未填写项目(按未发现问题计)", "text", "UNFILLED"))
    if not rows:
        return row
    row = ctx.section(sheet, row + 1, "考评结果(自动计算)")
    for path, label, kind, name in rows:
        ctx.field_row(sheet, row, label)
        text_kind = kind in ("tier", "bool", "text")
        shows = texts(defn, path) if path in LABELS else []
        ctx.outputs[path] = ctx.slot(
            sheet,
            f"F{row}",
            name,
            "output",
            path,
            kind,
            number_format={"percent": "0.00%", "count": "0"}.get(kind, "0.00"),
            merge=f"F{row}:I{row}" if text_kind else None,
            style="output_text" if shows else None,
        )
        if shows:  # tall enough for the longest text the tier can bring
            width = sum(sheet.widths[c] for c in "FGHI")
            tall = 13.5 * max(lines_needed(t, width, 9) for t in shows)
            sheet.heights[row] = max(sheet.heights.get(row, 17.0), tall)
        if not text_kind:
            ctx.text(sheet, f"G{row}", "", "text", f"G{row}:I{row}")
        row += 1
    return row
