"""An entity's evaluation steps compiled once: variables, total, tier, title, flags and consequences.

engine/evaluate._entity runs the same steps through the generic dispatchers (`evaluate_expr`, `check`,
engine/tiers.py), which find a node's closure again on every call; for the reference interpreter that is
the point. An EntityPlan holds the closures of one entity (the unit, or the members) in the order they
run, so a case pays for the arithmetic and the result it gets, not for finding its rules again.
tests/test_compiled.py proves the two give the same Result, explanations included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lxbz_xl.definition import logic as L
from lxbz_xl.definition.rubric import Cap, Entity, Tiers, Veto
from lxbz_xl.engine import consequences
from lxbz_xl.engine.env import Env
from lxbz_xl.engine.tiers import PENDING, apply_rule, unknown_note
from lxbz_xl.exact import fmt
from lxbz_xl.result import Adjustment, Outcome, ValueResult

if TYPE_CHECKING:
    from lxbz_xl.compiled import CompiledRubric


class EntityPlan:
    """The compiled steps of one entity. Get it with `CompiledRubric.plan(entity)`."""

    def __init__(self, comp: CompiledRubric, entity: Entity) -> None:
        expr, cond = comp.expr, comp.cond
        self.entity = entity
        self.variables = []
        for v in entity.variables:
            display = "percent" if v.display == "percent" or v.unit == "%" else "number"
            self.variables.append(
                (v.name, v.label, expr(v.expr), display, comp.describe(v.expr, display == "percent"))
            )
        self.total = expr(entity.total) if entity.total is not None else None
        self.tier = _tiers(comp, entity.tiers) if entity.tiers is not None else None
        title = entity.title
        self.title_name = title.name if title is not None else None
        # Conditions run for their value; the Verdict (with its label) only where a label is shown.
        self.requires = (
            [(r.label, cond.value(r.when), _label_of(comp, r.when)) for r in title.requires]
            if title is not None
            else []
        )
        self.flags = [(r.label, cond.value(r.when)) for r in entity.flags]
        # Without consequences or promotion rules, consequences.apply only clears what it recomputes
        # (its own notes, none on a fresh outcome): it is skipped then, unless there is something to clear.
        tiers = entity.tiers
        self.plain = tiers is None or (not tiers.consequences and tiers.promotable is None)
        self.prefixes = (consequences.NOTE_PREFIX, consequences.PROMOTE_NOTE)

    def run(self, env: Env, out: Outcome, total: Any, explain: bool) -> None:
        """As engine/evaluate._entity: the same values, tier, title, notes and explanations."""
        computed = env.computed
        if self.variables:
            labels = env.labels
            values = out.values
            for name, label, fn, display, explained in self.variables:
                labels[name] = label
                value = fn(env)
                computed[name] = value
                text = explained(env) if explain else ""
                values.append(ValueResult(name, label, value, text, display))
        if total is None and self.total is not None:
            total = self.total(env)
        out.total = total
        computed["total"] = total
        if self.tier is not None:
            self.tier(env, out)
        computed["tier"] = out.tier
        if self.title_name is not None:
            out.title_name = self.title_name
            failed, provisional = out.failed, out.provisional_on
            for label, holds, label_of in self.requires:
                value = holds(env)
                if value is False:
                    shown = label_of(env)
                    failed.append(f"{label}:{shown}" if shown != label else label)
                elif value is None:
                    provisional.append(label)
            out.title = not failed
            if out.title and provisional:
                out.notes.append(f"{self.title_name}待定:尚缺{'、'.join(provisional)}")
        computed["title"] = out.title
        for label, holds in self.flags:
            if holds(env):
                out.flags.append(label)
        if self.plain and not out.consequences and out.may_promote is None:
            for note in out.notes:
                if note.startswith(self.prefixes):
                    break
            else:
                return  # nothing for consequences.apply to set or clear
        consequences.apply(self.entity, out)


def _label_of(comp: CompiledRubric, cond: Any) -> Callable[[Env], str]:
    """The condition's Verdict label. A label the rubric writes on the condition is its label whatever
    the values (a share's adds 实为…: it is built by the Verdict)."""
    written = getattr(cond, "label", None)
    if written and not isinstance(cond, L.ShareCond):
        return lambda env: written
    check = comp.cond(cond)
    return lambda env: check(env).label


def _held(comp: CompiledRubric, when: Any) -> Callable[[Env], list[str]]:
    """engine/conditions.held_parts of one condition, compiled."""
    if isinstance(when, L.AnyCond):
        parts = [comp.cond(c) for c in when.any]
        return lambda env: [v.label for v in (p(env) for p in parts) if v.value]
    if isinstance(when, L.AllCond):
        parts = [comp.cond(c) for c in when.all]
        return lambda env: [v.label for v in (p(env) for p in parts) if v.value is False]
    whole = comp.cond(when)
    return lambda env: [whole(env).label]


def _tiers(comp: CompiledRubric, tiers: Tiers) -> Callable[[Env, Outcome], None]:
    """engine/tiers.decide_tier (and its adjustments) of one tier ladder, compiled."""
    rules = [(r, comp.cond.value(r.when), comp.cond(r.when), _held(comp, r.when)) for r in tiers.rules]
    score_of = comp.expr(tiers.score) if tiers.score is not None else None
    score_text = comp.describe(tiers.score) if tiers.score is not None else None
    steps = [(s.tier, comp.expr.num(s.min)) for s in tiers.thresholds]
    default = tiers.default
    default_reason = f"{default}:不符合其他档次的条件"
    pending = f"档次分界为默认值,{PENDING}" if tiers.pending_local else None
    adjustments = [_adjustment(comp, tiers, a) for a in tiers.adjustments]

    def decide(env: Env, out: Outcome) -> None:
        notes = out.notes
        for rule, holds, check, held in rules:
            value = holds(env)
            if rule.note and rule.note not in notes:
                notes.append(rule.note)
            if value:
                if apply_rule(rule, "、".join(held(env)) or check(env).label, out):
                    return
                break
            if value is None:
                notes.append(unknown_note(check(env).label))
        else:
            score = score_of(env) if score_of is not None else None
            for tier, bound_of in steps:
                bound = bound_of(env)
                if score is not None and bound is not None and score >= bound:
                    out.base_tier = tier
                    out.tier_reason = f"{tier}:{score_text(env)}达到{fmt(bound)}分以上"  # type: ignore[misc]
                    break
            else:
                out.base_tier = default
                out.tier_reason = out.tier_reason or default_reason
        if pending is not None:
            notes.append(pending)
        out.tier = out.base_tier
        for adjust in adjustments:
            adjust(env, out)

    return decide


def _adjustment(comp: CompiledRubric, tiers: Tiers, adj: Veto | Cap) -> Callable[[Env, Outcome], None]:
    """engine/tiers._adjust of one veto or cap, compiled."""
    order = tiers.order
    if isinstance(adj, Veto):
        flags, reason = adj.flags, adj.reason
        steps, stack = adj.steps, adj.stack

        def veto(env: Env, out: Outcome) -> None:
            if out.tier is None:
                return
            hits = [env.label(f) for f in flags if env.lookup(f)]
            if not hits:
                return
            index = order.index(out.tier)
            after = order[min(index + steps * (len(hits) if stack else 1), len(order) - 1)]
            if after != out.tier:
                out.adjustments.append(Adjustment("veto", out.tier, after, f"{reason}:{'、'.join(hits)}"))
                out.tier = after
            else:
                out.notes.append(f"{reason}:{'、'.join(hits)};已是最低档次{out.tier}")

        return veto
    when, cap, cap_index, cap_reason = comp.cond.value(adj.when), adj.max, order.index(adj.max), adj.reason

    def capped(env: Env, out: Outcome) -> None:
        if out.tier is None:
            return
        index = order.index(out.tier)
        if when(env) and index < cap_index:
            out.adjustments.append(Adjustment("cap", out.tier, cap, cap_reason))
            out.tier = cap

    return capped
