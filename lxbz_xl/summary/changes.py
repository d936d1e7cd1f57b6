"""What the batch changed against what a submitted workbook shows, and why: the highlight and comment
of a summary cell (橙色 changed, 浅黄 only settled a blank or 待定)."""

from __future__ import annotations

from typing import Any

from lxbz_xl.exact import exact, fmt
from lxbz_xl.result import MemberResult, Outcome, Result
from lxbz_xl.summary.context import MISSING, Ctx
from lxbz_xl.summary.model import Ref, outcome_label

__all__ = ["CHAIN_MARK", "as_shown", "cell_text", "changed", "shown", "why_changed"]

CHAIN_MARK = "同批次"  # the core's notes for values carried along the §1 chain contain this


def shown(outcome: Result | MemberResult) -> str:
    """The tier or title verdict as the summary shows it ("" for none)."""
    label = outcome_label(outcome)
    return "" if label == "—" else label


def as_shown(o: Outcome | None, key: str) -> str:
    """A result as a correct form cell shows it: total to 2 places, tier (or the manual decision), 是/待定/否."""
    if o is None:
        return ""
    if key == "total":
        return "" if o.total is None else fmt(o.total)
    if key == "tier":
        return o.tier or o.manual or ""
    if o.title is None:
        return ""
    return "待定" if o.title and o.provisional_on else ("是" if o.title else "否")


def cell_text(value: Any) -> str:
    """A submitted cell's value as text comparable with `as_shown`."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt(exact(value))
    return str(value)


def why_changed(result: Outcome, standalone: Outcome) -> list[str]:
    """What the batch added to the workbook's own evaluation: carried values, caps, failed conditions."""
    why = [n for n in result.notes if CHAIN_MARK in n and n not in standalone.notes]
    why += [
        f"{a.before}降为{a.after}:{a.reason}" for a in result.adjustments if a not in standalone.adjustments
    ]
    why += [f"未满足“{f}”" for f in result.failed if f not in standalone.failed]
    why += [f"尚缺“{p}”" for p in result.provisional_on if p not in standalone.provisional_on]
    return why


def changed(
    ctx: Ctx, result: Outcome, standalone: Outcome | None, ref: Ref | None, key: str
) -> dict[str, Any]:
    """`V` keywords highlighting a figure that differs from what the submitted workbook shows in `ref`
    (or, without a cell, from the workbook's own evaluation), with a comment giving both and why. The
    lighter highlight when the summary only settles what the workbook left blank or 待定."""
    after = as_shown(result, key)
    value = ctx.workbook_value(ref)
    before = as_shown(standalone, key) if value is MISSING else cell_text(value)
    if before == after or (value is MISSING and standalone is None):
        return {}
    why = why_changed(result, standalone) if standalone is not None else []
    if not before:
        notes = [n for n in result.notes if CHAIN_MARK not in n]
        why = ["报送表内此格为空,汇总按考评细则计算" + (f"({';'.join(notes)})" if notes else ""), *why]
    why = why or ["同批次其他考评结果带入后重新计算"]
    text = f"填报表显示:{before or '(空)'};汇总结果:{after or '(空)'}。\n原因:" + ";".join(why)
    return {"mark": text, "settled": before in ("", "待定") and after != "否"}
