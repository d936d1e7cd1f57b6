"""Tier ladders, one-vote vetoes, caps, titles and notices."""

from __future__ import annotations

from lxbz_xl.definition.rubric import Cap, Entity, TierRule, Tiers, Veto
from lxbz_xl.engine.conditions import check, held_parts
from lxbz_xl.engine.env import Env
from lxbz_xl.engine.exprs import describe, evaluate_expr, num
from lxbz_xl.exact import fmt
from lxbz_xl.result import Adjustment, Outcome

PENDING = "待本地确定"


def apply_rule(rule: TierRule, reasons: str, out: Outcome) -> bool:
    """A tier rule that holds: its tier and why, or (True: stop deciding) the body that decides by hand."""
    if rule.manual:
        out.manual = rule.manual
        out.tier_reason = f"{reasons}:{rule.manual}"
        return True
    out.base_tier = rule.tier
    out.tier_reason = f"{rule.tier}:{reasons}"
    return False


def unknown_note(label: str) -> str:
    """The note for a tier condition that cannot be decided for want of data (it counts as not holding)."""
    return f"无法判断“{label}”(缺少数据),按不成立处理"


def decide_tier(tiers: Tiers, env: Env, out: Outcome) -> None:
    """Base tier: the first rule that holds, else the score ladder, else the default."""
    for rule in tiers.rules:
        verdict = check(rule.when, env)
        if rule.note and rule.note not in out.notes:
            out.notes.append(rule.note)  # e.g. “一般在…以上” applied as a hard threshold: say so either way
        if verdict.value:
            if apply_rule(rule, "、".join(held_parts(rule.when, env)) or verdict.label, out):
                return
            break
        if verdict.value is None:
            out.notes.append(unknown_note(verdict.label))
    else:
        score = evaluate_expr(tiers.score, env) if tiers.score is not None else None
        for step in tiers.thresholds:
            bound = num(env, step.min)
            if score is not None and bound is not None and score >= bound:
                out.base_tier = step.tier
                out.tier_reason = f"{step.tier}:{describe(tiers.score, env)}达到{fmt(bound)}分以上"
                break
        else:
            out.base_tier = tiers.default
            out.tier_reason = out.tier_reason or f"{tiers.default}:不符合其他档次的条件"
    if tiers.pending_local:
        out.notes.append(f"档次分界为默认值,{PENDING}")
    out.tier = out.base_tier
    for adj in tiers.adjustments:
        _adjust(tiers, adj, env, out)


def _adjust(tiers: Tiers, adj: Veto | Cap, env: Env, out: Outcome) -> None:
    if out.tier is None:
        return
    order = tiers.order
    index = order.index(out.tier)
    if isinstance(adj, Veto):
        hits = [env.label(f) for f in adj.flags if env.lookup(f)]
        if not hits:
            return
        steps = adj.steps * (len(hits) if adj.stack else 1)
        after = order[min(index + steps, len(order) - 1)]
        if after != out.tier:
            out.adjustments.append(Adjustment("veto", out.tier, after, f"{adj.reason}:{'、'.join(hits)}"))
            out.tier = after
        else:
            out.notes.append(f"{adj.reason}:{'、'.join(hits)};已是最低档次{out.tier}")
        return
    verdict = check(adj.when, env)
    cap_index = order.index(adj.max)
    if verdict.value and index < cap_index:
        out.adjustments.append(Adjustment("cap", out.tier, adj.max, adj.reason))
        out.tier = adj.max


def decide_title(entity: Entity, env: Env, out: Outcome) -> None:
    if entity.title is None:
        return
    out.title_name = entity.title.name
    for req in entity.title.requires:
        verdict = check(req.when, env)
        if verdict.value is False:
            out.failed.append(f"{req.label}:{verdict.label}" if verdict.label != req.label else req.label)
        elif verdict.value is None:
            out.provisional_on.append(req.label)
    out.title = not out.failed
    if out.title and out.provisional_on:
        out.notes.append(f"{entity.title.name}待定:尚缺{'、'.join(out.provisional_on)}")


def raise_flags(entity: Entity, env: Env, out: Outcome) -> None:
    for req in entity.flags:
        if check(req.when, env).value:
            out.flags.append(req.label)
