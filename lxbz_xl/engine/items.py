"""Item scoring: capped deductions, awards, shortfalls against a ratio, proportional leaves.

RUBRICS.md §0: an item worth P never loses more than P (score = P − min(P, Σ deductions)); an award item
scores min(P, Σ awards); a clause may carry its own smaller cap (learning_team item 5: 每项2分).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from lxbz_xl.compiled import compiled
from lxbz_xl.definition.rubric import (
    Item,
    ProportionalClause,
    RubricDefinition,
    ShortfallClause,
)
from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import dec, resolve_num
from lxbz_xl.result import ClauseResult, ItemResult


def render(text: str, defn: RubricDefinition) -> str:
    """Fill {parameter} slots so texts follow an edited definition (110学时 stays in one place)."""
    return compiled(defn).text(text)


def _num(defn: RubricDefinition, value: Any) -> Fraction:
    number = Fraction(value) if type(value) is int else resolve_num(defn, value)
    assert number is not None
    return number


def clause_points(
    defn: RubricDefinition, item: Item, clause: Any, values: dict[str, Any]
) -> tuple[Fraction, str | None]:
    """The clause's raw points (before caps) and its explanation; None explanation when nothing applies."""
    verb = "扣" if item.mode == "deduct" else "得"
    if clause.kind == "per_unit":  # the common case first, with nothing rendered unless points move
        n = values.get(clause.input.path, 0)
        if not n:
            return Fraction(0), None
        raw = n * _num(defn, clause.per_unit)
        return raw, f"{render(clause.rule_text, defn)}:{n}{clause.input.unit},{verb}{fmt(raw)}分"
    rule = render(clause.rule_text, defn)
    if isinstance(clause, ShortfallClause):
        base = values.get(clause.base.path, 0)
        achieved = values.get(clause.achieved.path, 0)
        ratio = resolve_num(defn, clause.ratio) or Fraction(0)
        required = math.ceil(ratio * base)
        short = max(0, required - achieved)
        if not short:
            return Fraction(0), None
        raw = short * _num(defn, clause.per_unit)
        unit = clause.achieved.unit
        return raw, (
            f"{rule}:{clause.base.label}{base}{clause.base.unit}×{pct(ratio)}应为{required}{unit},"
            f"实为{achieved}{unit},少{short}{unit},{verb}{fmt(raw)}分"
        )
    if isinstance(clause, ProportionalClause):
        done = values.get(clause.done.path)
        target = values.get(clause.target.path)
        points = dec(clause.points)
        if done is None or target is None:
            return Fraction(0), None
        rate = min(Fraction(1), Fraction(done) / target) if target else Fraction(1)
        score = points * rate
        if rate == 1:
            return score, None
        return (
            score,
            f"{rule}:完成{fmt(Fraction(done))}/{fmt(Fraction(target))}({pct(rate)}),得{fmt(score)}分",
        )
    raise TypeError(f"unknown clause kind {clause!r}")


def score_item(defn: RubricDefinition, item: Item, values: dict[str, Any]) -> ItemResult:
    """Score one item from its clause inputs (keys are the clause input paths, without `items.N.`)."""
    return compiled(defn).item(item)(values)


def score_item_reference(defn: RubricDefinition, item: Item, values: dict[str, Any]) -> ItemResult:
    """The straightforward interpreter of an item, which the compiled item must equal (tests/test_compiled.py)."""
    points = dec(item.points)
    clauses: list[ClauseResult] = []
    explanations: list[str] = []
    total: Fraction | int = 0
    for clause in item.clauses:
        raw, text = clause_points(defn, item, clause, values)
        value = raw
        if raw and clause.cap is not None and raw > dec(clause.cap):
            value = dec(clause.cap)
            text = f"{text}(本条最多{'扣' if item.mode == 'deduct' else '得'}{fmt(value)}分)"
        total += value
        clauses.append(ClauseResult(clause.id, render(clause.label, defn), value, text))
        if text:
            explanations.append(text)
    score, deduction = item_outcome(item.mode, points, total, explanations)
    return ItemResult(item.id, item.name, points, score, deduction, clauses, explanations)


def item_outcome(mode: str, points: Any, total: Any, explanations: list[str]) -> tuple[Any, Any]:
    """(score, deduction) of an item from its clauses' total, RUBRICS.md §0: a deduction never exceeds the
    item's points, an award never exceeds them; says so in `explanations` when a cap bites."""
    if mode == "deduct":
        deduction = min(points, total)
        if total > points:
            explanations.append(f"合计扣{fmt(total)}分,本项最多扣{fmt(points)}分(扣分封顶)")
        return points - deduction, deduction
    score = min(points, total)
    if mode == "award" and total > points:
        explanations.append(f"合计得{fmt(total)}分,本项最多{fmt(points)}分")
    deduction = points - score
    if deduction and mode == "award":
        explanations.append(f"本项{fmt(points)}分,得{fmt(score)}分,未得{fmt(deduction)}分")
    return score, deduction
