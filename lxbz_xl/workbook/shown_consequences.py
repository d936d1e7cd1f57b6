"""What the form's 结果运用 / 选拔任用 cells show (RUBRICS.md §11), shared by the worksheet functions
(udfs/results.py), the cached values (cached_values.py), the planners and the native back end.

The text is the core's own: the notes `lxbz_xl.engine.consequences.apply` writes for the final tier,
without their prefix (结果运用: / 选拔任用:), joined with "；" as the other text outputs are. A form shows
the consequences of its own final tier; the cohort step of a batch (multi-year streaks, bottom shares,
a tier changed across forms) may add to them in `lxbz score` / the summary, never on the form.

Rows appear only for an entity (the unit, or the members) whose YAML has `tiers.consequences` (结果运用)
or `tiers.promotable` (选拔任用).
"""

from __future__ import annotations

from lxbz_xl.definition.rubric import Entity
from lxbz_xl.engine.consequences import NOTE_PREFIX, PROMOTE_NOTE, apply
from lxbz_xl.result import Outcome

SEP = "；"  # as LXBZ_EXPLAIN / LXBZ_FLAGS join their texts
CONSEQUENCES = "consequences"
PROMOTION = "promotion"
PREFIXES = {CONSEQUENCES: NOTE_PREFIX, PROMOTION: PROMOTE_NOTE}
LABELS = {CONSEQUENCES: "结果运用", PROMOTION: "选拔任用"}


def outputs(entity: Entity) -> list[str]:
    """The consequence outputs `entity` has (CONSEQUENCES, PROMOTION), in the order the form shows them."""
    tiers = entity.tiers
    if tiers is None:
        return []
    found = [CONSEQUENCES] if tiers.consequences else []
    return found + ([PROMOTION] if tiers.promotable is not None else [])


def shown(outcome: Outcome, key: str) -> str:
    """The text of output `key` for `outcome`: its notes with that prefix, prefix dropped, joined."""
    prefix = PREFIXES[key]
    return SEP.join(n[len(prefix) :] for n in outcome.notes if n.startswith(prefix))


def by_tier(entity: Entity, key: str) -> list[tuple[str, str]]:
    """(what the tier cell shows, the text of output `key`) for every tier of `entity` and every manual
    result of its rules, in order: the core's own text for that final tier (native formulas map the
    tier cell through it; a tier cell showing anything else shows "")."""
    tiers = entity.tiers
    assert tiers is not None
    out: list[tuple[str, str]] = []
    finals = [Outcome(tier=t) for t in tiers.order]
    finals += [Outcome(manual=m) for m in dict.fromkeys(r.manual for r in tiers.rules if r.manual)]
    for outcome in finals:
        apply(entity, outcome)
        out.append((outcome.tier or outcome.manual or "", shown(outcome, key)))
    return out


def texts(entity: Entity, key: str) -> list[str]:
    """Every text output `key` can show (for sizing its cell)."""
    return list(dict.fromkeys(text for _tier, text in by_tier(entity, key) if text))
