"""Across units: the eligibility chain, ranking, 好/中/差 banding and award quotas.

All of it is driven by each definition's `cohort` block; nothing here names a rubric.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from lxbz_xl.case import Case
from lxbz_xl.definition.loader import all_inputs, load_rubric
from lxbz_xl.definition.rubric import Banding, Link, Quota, Ranking, RubricDefinition
from lxbz_xl.engine.conditions import check
from lxbz_xl.engine.env import Env
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import resolve_num
from lxbz_xl.result import Adjustment, Outcome, Result

MAX_PASSES = 5


@dataclass(slots=True)
class CohortResult:
    results: list[Result]
    summary: list[str] = field(default_factory=list)


def result_env(defn: RubricDefinition, outcome: Outcome, parent: Env | None = None) -> Env:
    """An environment over a finished result, so cohort conditions read inputs and outputs alike."""
    specs = (
        {s.path: s for s in all_inputs(defn)}
        if parent is None
        else {s.path: s for s in (defn.members.inputs if defn.members else [])}
    )
    computed: dict[str, Any] = {v.name: v.value for v in outcome.values}
    computed |= {"total": outcome.total, "title": outcome.title, "tier": outcome.tier}
    return Env(defn, outcome.inputs, specs, computed=computed, parent=parent)


# ---------------------------------------------------------------- the section 1 chain


def _link_value(result: Result, link: Link) -> Any:
    if result.errors:
        return None
    if link.output == "title":
        return result.title
    if link.output == "tier":
        return result.tier
    tier = result.base_tier  # tier_before_caps: after vetoes, before caps such as the learning-team cap
    for adj in result.adjustments:
        if adj.kind == "veto":
            tier = adj.after
    return tier


def _inject(case: Case, path: str, value: Any) -> Case:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in case.data.items()}
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return Case(case.rubric, case.unit, case.year, data, case.members, case.source)


def _given(case: Case, path: str) -> bool:
    node: Any = case.data
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return False
        node = node[part]
    return True


def evaluate_linked(cases: list[Case], load: Callable[[str], RubricDefinition] = load_rubric) -> list[Result]:
    """Evaluate cases, feeding one rubric's outputs into another's missing inputs (same unit and year).

    The chain has a cycle (learning_team needs the annual tier; annual_team caps 优秀 by the learning-team
    title), broken because the link reads the annual tier *before* caps. Passes repeat until stable.
    """
    defns = [load(c.rubric) for c in cases]
    results = [evaluate(d, c) for d, c in zip(defns, cases, strict=True)]
    for _ in range(MAX_PASSES):
        index = {(r.rubric, r.unit, r.year): r for r in results}
        changed = False
        for i, (defn, case) in enumerate(zip(defns, cases, strict=True)):
            linked = case
            notes = []
            for link in defn.cohort.links:
                if _given(case, link.field):
                    continue
                source = index.get((link.rubric, case.unit, case.year))
                value = None if source is None else _link_value(source, link)
                if value is not None:
                    linked = _inject(linked, link.field, value)
                    notes.append(f"{link.field}取自同批次{link.rubric}的结果:{value}")
            if linked is case:
                continue
            fresh = evaluate(defn, linked)
            fresh.notes += notes
            if fresh.to_json() != results[i].to_json():
                changed = True
            results[i] = fresh
        if not changed:
            break
    return results


# ---------------------------------------------------------------- ranking, banding, quotas


def _groups(results: Iterable[Result]) -> dict[tuple[str, int | None], list[Result]]:
    groups: dict[tuple[str, int | None], list[Result]] = defaultdict(list)
    for r in results:
        if not r.errors:
            groups[(r.rubric, r.year)].append(r)
    return groups


def _rank(defn: RubricDefinition, spec: Ranking, group: list[Result], summary: list[str]) -> None:
    """优中选优: by total, then fewer items below full marks, then unit name (RUBRICS.md §1)."""
    pool = [r for r in group if r.title or not spec.eligible_only]

    def key(r: Result) -> tuple[Any, ...]:
        parts: list[Any] = [-(r.total or Fraction(0))]
        for tie in spec.ties:
            if tie == "fewer_items_below_full":
                parts.append(sum(1 for i in r.items if i.score < i.points))
            else:
                parts.append(r.unit)
        return tuple(parts)

    for position, r in enumerate(sorted(pool, key=key), 1):
        r.rank = position
    if pool:
        summary.append(
            f"{defn.short_name} {group[0].year}年:符合条件{len(pool)}个,已按总分排序(并列时扣分项少者在前,再按单位名称)"
        )


def _band(defn: RubricDefinition, spec: Banding, group: list[Result], summary: list[str]) -> None:
    """Rank into bands by share (rounded down); equal scores always share a band (the better one)."""
    n = len(group)
    ordered = sorted(group, key=lambda r: (-(r.total or Fraction(0)), r.unit))
    bands = {id(r): spec.middle for r in ordered}
    for b in spec.bands:
        size = math.floor((resolve_num(defn, b.share) or 0) * n)
        picked = ordered[:size] if b.side == "top" else ordered[n - size :]
        if picked:
            edge = (picked[-1] if b.side == "top" else picked[0]).total
            straddle = [r for r in ordered if r.total == edge]
            if any(r not in picked for r in straddle):
                picked = (
                    picked + [r for r in straddle if r not in picked]
                    if b.side == "top"
                    else [r for r in picked if r.total != edge]
                )
                names = "、".join(r.unit for r in straddle)
                summary.append(
                    f"“{b.name}”档分界处并列(得分{fmt(edge or Fraction(0))}):{names},均归入较好一档"
                )
        for r in picked:
            bands[id(r)] = b.name
    better = {b.name for b in spec.bands if b.side == "top"}
    for r in ordered:
        r.band = bands[id(r)]
        if (
            spec.demote_when is not None
            and r.band in better
            and check(spec.demote_when, result_env(defn, r)).value
        ):
            r.adjustments.append(Adjustment("demote", r.band, spec.middle, spec.demote_reason or "不能评优"))
            r.band = spec.middle
    names = [
        *(b.name for b in spec.bands if b.side == "top"),
        spec.middle,
        *(b.name for b in spec.bands if b.side == "bottom"),
    ]
    counts = ",".join(f"{k}{sum(1 for r in ordered if r.band == k)}个" for k in names)
    mark = "(比例待本地确定)" if spec.pending_local else ""
    summary.append(f"{defn.short_name} {group[0].year}年综合排序{n}个:{counts}{mark}")


def _quota(defn: RubricDefinition, spec: Quota, group: list[Result], summary: list[str]) -> None:
    awarded: dict[str, set[str]] = {}
    for pool in spec.pools:
        entries: list[tuple[Result, Outcome, Env]] = []
        base = 0
        for r in group:
            unit_env = result_env(defn, r)
            subjects = (
                [(r, unit_env)]
                if pool.entity == "unit"
                else [(m, result_env(defn, m, parent=unit_env)) for m in r.members]
            )
            for subject, env in subjects:
                if pool.base is None or check(pool.base, env).value:
                    base += 1
                if pool.filter is None or check(pool.filter, env).value:
                    entries.append((r, subject, env))
        share = resolve_num(defn, pool.share) or Fraction(0)
        quota = math.floor(share * base)
        parent_ok = awarded.get(pool.requires_parent_in or "")
        if pool.requires_parent_in is not None:
            entries = [e for e in entries if parent_ok is not None and e[0].unit in parent_ok]
        scored = [(e, e[2].lookup(pool.score)) for e in entries]
        missing = [e for e, s in scored if s is None]
        ranked = sorted([(e, s) for e, s in scored if s is not None], key=lambda x: (-x[1], x[0][0].unit))
        chosen = ranked[:quota]
        tied: list[Any] = []
        if chosen and len(ranked) > quota and ranked[quota][1] == chosen[-1][1]:
            cut = chosen[-1][1]
            tied = [x for x in ranked if x[1] == cut]
            chosen = [x for x in chosen if x[1] != cut]
        names = set()
        for (r, subject, _env), _s in chosen:
            subject.awards.append(pool.name)
            names.add(r.unit)
        for (_r, subject, _env), _s in tied:
            subject.awards.append(f"{pool.name}(名额分界处并列,待研究确定)")
        awarded[pool.name] = names
        line = (
            f"{pool.name}:名额{quota}(基数{base}×{pct(share)}取整),符合标准{len(entries)}个,"
            f"确定{len(chosen)}个"
        )
        if tied:
            line += (
                ";分界处并列"
                + "、".join(_who(x[0]) for x in tied)
                + f"(得分{fmt(Fraction(tied[0][1]))}),未作取舍"
            )
        if missing:
            line += ";缺少评分无法排序:" + "、".join(_who(e) for e in missing)
        summary.append(line)


def _who(entry: tuple[Result, Outcome, Env]) -> str:
    r, subject, _ = entry
    return subject.name if hasattr(subject, "name") and subject is not r else r.unit  # type: ignore[attr-defined]


def evaluate_cohort(cases: list[Case], load: Callable[[str], RubricDefinition] = load_rubric) -> CohortResult:
    """Evaluate a batch: linked inputs first, then ranking, banding, quotas and shares per rubric-year."""
    results = evaluate_linked(cases, load)
    summary: list[str] = []
    for (rubric, _year), group in sorted(_groups(results).items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        defn = load(rubric)
        cohort = defn.cohort
        if cohort.ranking is not None:
            _rank(defn, cohort.ranking, group, summary)
        if cohort.banding is not None:
            _band(defn, cohort.banding, group, summary)
        if cohort.quota is not None:
            _quota(defn, cohort.quota, group, summary)
        if cohort.share_report is not None and len(group) > 1:
            hits = sum(1 for r in group if check(cohort.share_report.when, result_env(defn, r)).value)
            summary.append(
                f"{cohort.share_report.label}:{hits}/{len(group)} = {pct(Fraction(hits, len(group)))}"
            )
    return CohortResult(results, summary)
