"""Consequences of the final tier (RUBRICS.md §11, seed 002 第二十四/二十五条), from the rubric's data.

`apply(entity, outcome)` fills `outcome.consequences`, `outcome.may_promote` and the matching notes from
`tiers.consequences` / `tiers.promotable`. It is idempotent: the cohort step calls it again after it
changes a tier (a demotion, a cap), and the earlier consequences are replaced, never added to.
"""

from __future__ import annotations

from lxbz_xl.definition.rubric import Entity
from lxbz_xl.result import Consequence, Outcome

NOTE_PREFIX = "结果运用:"
PROMOTE_NOTE = "选拔任用:"
KIND_WORDS = {"decide": "(由主管机关视具体情况决定,列出供选择,不代为选择)"}


def apply(entity: Entity, outcome: Outcome) -> None:
    """(Re)compute the consequences of `outcome`'s final tier (or of its manual result)."""
    tiers = entity.tiers
    outcome.notes[:] = [n for n in outcome.notes if not n.startswith((NOTE_PREFIX, PROMOTE_NOTE))]
    outcome.consequences = []
    outcome.may_promote = None
    if tiers is None:
        return
    key = outcome.tier if outcome.tier is not None else outcome.manual or ""
    for rule in tiers.consequences.get(key, []) if key else []:
        reason = rule.reason or (f"考核档次为{key}" if outcome.tier is not None else key)
        if rule.reference is not None:
            reason += f"(依据:{rule.reference.passage})"
        outcome.consequences.append(Consequence(rule.kind, rule.action, reason))
    decide = [c.action for c in outcome.consequences if c.kind == "decide"]
    for c in outcome.consequences:
        if c.kind != "decide":
            outcome.notes.append(f"{NOTE_PREFIX}{c.action}")
    if decide:
        outcome.notes.append(f"{NOTE_PREFIX}{'/'.join(decide)}{KIND_WORDS['decide']}")
    if tiers.promotable is not None and outcome.tier is not None:
        outcome.may_promote = outcome.tier in tiers.promotable
        allowed = "、".join(tiers.promotable)
        verdict = "可" if outcome.may_promote else "不能"
        outcome.notes.append(f"{PROMOTE_NOTE}{verdict}作为选拔担任上一级领导职务的人选(限{allowed}档次)")
