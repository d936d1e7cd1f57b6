"""Across units: the eligibility chain, ranking, 好/中/差 banding and award quotas.

All of it is driven by each definition's `cohort` block; nothing here names a rubric.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from lxbz_xl.case import Case
from lxbz_xl.compiled import compiled
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.definition.rubric import Banding, BottomFlag, Link, Quota, Ranking, RubricDefinition, Streak
from lxbz_xl.engine.conditions import check, held_parts
from lxbz_xl.engine.env import Env
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.exact import exact, fmt, pct
from lxbz_xl.inputs import resolve_num
from lxbz_xl.result import Adjustment, Consequence, MemberResult, Outcome, Result

MAX_PASSES = 5


@dataclass(slots=True)
class LinkRecord:
    """One value the chain carried from one result into another case (same unit and year)."""

    unit: str
    year: int | None
    rubric: str  # the case that received the value
    field: str
    value: Any
    source_rubric: str
    given: Any = None  # what the case itself said, when prefer_batch overrode it
    source_year: int | None = None  # when it is not the receiving case's year (member links)
    source_field: str | None = None  # the source member's input (member links)

    @property
    def conflict(self) -> bool:
        return self.given is not None and self.given != self.value


@dataclass(slots=True)
class RankingRecord:
    rubric: str
    year: int | None
    order: list[Result]  # rank 1 first
    ties: list[str]  # Chinese: which equal totals a tie rule decided, and how


@dataclass(slots=True)
class BandingRecord:
    rubric: str
    year: int | None
    order: list[Result]  # by total, best first
    by_rank: dict[str, str]  # unit → band from the shares alone, before any demotion
    sizes: dict[str, int]  # band → size the share gives (rounded down)
    shares: dict[str, Fraction]
    ties: list[str]
    pending_local: bool
    group: str | None = None  # the assessing body (考核主体) when the banding is grouped by one


@dataclass(slots=True)
class QuotaCandidate:
    result: Result
    name: str  # the unit, or the member for a member pool
    score: Any
    outcome: str  # 入选 | 并列待定 | 未入选 | 无评分


@dataclass(slots=True)
class QuotaRecord:
    rubric: str
    year: int | None
    pool: str
    share: Fraction
    base: int
    quota: int
    eligible: int
    candidates: list[QuotaCandidate]
    requires_parent_in: str | None
    excluded_by_parent: list[str]
    score: str = ""  # the variable candidates are ranked on
    entity: str = "unit"  # unit | member: whom the pool selects
    excluded_by_team: list[str] = field(default_factory=list)  # the unit fails the pool's parent_when
    pending: list[str] = field(default_factory=list)  # 待定: the unit is tied at the parent pool's cut
    open_seats: int = 0  # seats held by pending candidates until that tie is decided


@dataclass(slots=True)
class AwardYearRecord:
    """Whether a year is an award year of a rubric's award cycle (每两年进行一次评选)."""

    rubric: str
    year: int | None
    award_year: bool | None  # None when the case has no year
    every: int
    base_year: int
    pending_local: bool
    text: str


@dataclass(slots=True)
class ShareRecord:
    rubric: str
    year: int | None
    label: str
    hits: list[str]  # units meeting the condition
    misses: list[str]
    goal: Fraction | None
    goal_text: str | None
    pending: list[str] = field(default_factory=list)  # met only provisionally (a record is missing)

    @property
    def share(self) -> Fraction | None:
        n = len(self.hits) + len(self.misses) + len(self.pending)
        return Fraction(len(self.hits), n) if n else None


@dataclass(slots=True)
class CohortResult:
    results: list[Result]
    summary: list[str] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    rankings: list[RankingRecord] = field(default_factory=list)
    bandings: list[BandingRecord] = field(default_factory=list)
    quotas: list[QuotaRecord] = field(default_factory=list)
    shares: list[ShareRecord] = field(default_factory=list)
    award_years: list[AwardYearRecord] = field(default_factory=list)
    summary_by_year: dict[int | None, list[str]] = field(default_factory=dict)
    standalone: list[Result] = field(default_factory=list)  # each case on its own, aligned with results


def result_env(defn: RubricDefinition, outcome: Outcome, parent: Env | None = None) -> Env:
    """An environment over a finished result, so cohort conditions read inputs and outputs alike."""
    comp = compiled(defn)
    specs = comp.specs if parent is None else comp.member_specs
    computed: dict[str, Any] = {v.name: v.value for v in outcome.values}
    computed |= {"total": outcome.total, "title": outcome.title, "tier": outcome.tier}
    return Env(defn, outcome.inputs, specs, computed=computed, parent=parent)


# ---------------------------------------------------------------- the section 1 chain


def _link_value(result: Result, link: Link, load: Callable[[str], RubricDefinition]) -> Any:
    if result.errors:
        return None
    if link.when is not None:
        return check(link.when, result_env(load(link.rubric), result)).value
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


def _given(case: Case, path: str) -> Any:
    node: Any = case.data
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return None
        node = node[part]
    return node


def evaluate_linked(
    cases: list[Case],
    load: Callable[[str], RubricDefinition] = load_rubric,
    *,
    prefer_batch: bool = False,
    trace: list[LinkRecord] | None = None,
    standalone: list[Result] | None = None,
    keep: Callable[[Result], Result] | None = None,
) -> list[Result]:
    """Evaluate cases, feeding one rubric's outputs into another's inputs (same unit and year).

    By default a value the case gives itself is kept and only missing ones are fed. With ``prefer_batch``
    (the organisation department's summary, where the batch is the record) the batch value wins and a
    differing self-declared value is traced as a conflict. The chain has a cycle (learning_team needs the
    annual tier; annual_team caps 优秀 by the learning-team title), broken because the link reads the
    annual tier *before* caps. Passes repeat until stable; ``trace`` receives the final pass's links and
    ``standalone`` each case's result on its own (no batch), as ``keep`` reduces it (e.g. to what a
    summary compares; default: whole). Returned results are never those objects.
    """
    defns = [load(c.rubric) for c in cases]
    results = [evaluate(d, c) for d, c in zip(defns, cases, strict=True)]
    if standalone is not None:
        standalone.extend(results if keep is None else (keep(r) for r in results))
        results = [_copy(r) for r in results]  # the cohort step annotates results; keep these clean
    member_records: list[LinkRecord] = []
    member_notes: list[list[str]] = [[] for _ in cases]
    if any(d.cohort.member_links for d in defns):
        cases, member_notes = _link_members(cases, defns, results, load, prefer_batch, member_records)
        for i, (defn, case, extra) in enumerate(zip(defns, cases, member_notes, strict=True)):
            if extra:
                results[i] = evaluate(defn, case)
                results[i].notes += extra
    records: list[LinkRecord] = []
    fed: list[Any] = [None] * len(cases)  # what each case was fed last pass: unchanged → no re-evaluation
    for _ in range(MAX_PASSES):
        index = {(r.rubric, r.unit, r.year): r for r in results}
        changed = False
        records = []
        for i, (defn, case) in enumerate(zip(defns, cases, strict=True)):
            linked = case
            notes = []
            labels = _labels(defn) if defn.cohort.links else {}
            for link in defn.cohort.links:
                given = _given(case, link.field)
                if given is not None and not prefer_batch:
                    continue
                source = index.get((link.rubric, case.unit, case.year))
                value = None if source is None else _link_value(source, link, load)
                if value is None:
                    continue
                linked = _inject(linked, link.field, value)
                record = LinkRecord(case.unit, case.year, case.rubric, link.field, value, link.rubric, given)
                records.append(record)
                shown, what, source_name = (
                    _shown(value),
                    labels.get(link.field, link.field),
                    load(link.rubric).short_name,
                )
                if record.conflict:
                    notes.append(
                        f"“{what}”填报为{_shown(given)},与同批次{source_name}的结果({shown})不一致,以后者为准"
                    )
                else:
                    notes.append(f"“{what}”取自同批次{source_name}的结果:{shown}")
            data = None if linked is case else linked.data
            if data == fed[i]:
                continue
            fed[i] = data
            fresh = evaluate(defn, linked)
            fresh.notes += member_notes[i] + notes
            if _link_outputs(fresh) != _link_outputs(results[i]):
                changed = True
            results[i] = fresh
        if not changed:
            break
    if trace is not None:
        trace.extend(member_records + records)
    return results


def _labels(defn: RubricDefinition) -> dict[str, str]:
    """Input path → Chinese label (kept by the definition's compiled rubric)."""
    return compiled(defn).labels


def _link_outputs(r: Result) -> tuple[Any, ...]:
    """What another case's link can read from a result: a change here needs another pass."""
    return (r.ok, r.title, r.tier, r.base_tier, tuple((a.kind, a.after) for a in r.adjustments))


def _copy(r: Result) -> Result:
    """A result whose annotated lists (adjustments, awards, notes; members') are its own."""
    members = [
        replace(m, adjustments=list(m.adjustments), awards=list(m.awards), notes=list(m.notes))
        for m in r.members
    ]
    return replace(
        r, adjustments=list(r.adjustments), awards=list(r.awards), notes=list(r.notes), members=members
    )


def _link_members(
    cases: list[Case],
    defns: list[RubricDefinition],
    results: list[Result],
    load: Callable[[str], RubricDefinition],
    prefer_batch: bool,
    trace: list[LinkRecord],
) -> tuple[list[Case], list[list[str]]]:
    """Member inputs from the same person's record in another case of the unit (e.g. last year's credits).

    Only inputs feed inputs here, so one pass suffices. A source case with input errors feeds nothing.
    """
    index = {(c.rubric, c.unit, c.year): c for c, r in zip(cases, results, strict=True) if r.ok}
    out: list[Case] = []
    all_notes: list[list[str]] = []
    for defn, case in zip(defns, cases, strict=True):
        notes: list[str] = []
        all_notes.append(notes)
        if not defn.cohort.member_links or not isinstance(case.members, list) or case.year is None:
            out.append(case)
            continue
        name_field = defn.members.name_field if defn.members else "name"
        labels = {s.path: s.label for s in (defn.members.inputs if defn.members else [])}
        members = [dict(m) if isinstance(m, dict) else m for m in case.members]
        for link in defn.cohort.member_links:
            source = index.get((link.rubric, case.unit, case.year + link.year_offset))
            if source is None or not isinstance(source.members, list):
                continue
            theirs = {
                m.get(name_field): m.get(link.input)
                for m in source.members
                if isinstance(m, dict) and m.get(link.input) is not None
            }
            for m in members:
                if not isinstance(m, dict) or m.get(name_field) not in theirs:
                    continue
                given, value = m.get(link.field), theirs[m[name_field]]
                if given is not None and not prefer_batch:
                    continue
                m[link.field] = value
                who = m[name_field]
                record = LinkRecord(
                    case.unit,
                    case.year,
                    case.rubric,
                    f"{who}.{link.field}",
                    value,
                    link.rubric,
                    given,
                    source.year,
                    link.input,
                )
                trace.append(record)
                what, year = labels.get(link.field, link.field), source.year
                source_name = load(link.rubric).short_name
                if record.conflict and exact(given) != exact(value):
                    notes.append(
                        f"{who}“{what}”填报为{given},与同批次{year}年{source_name}报送的{value}不一致,以后者为准"
                    )
                else:
                    notes.append(f"{who}“{what}”取自同批次{year}年{source_name}报送:{value}")
        out.append(
            Case(case.rubric, case.unit, case.year, case.data, members, case.source) if notes else case
        )
    return out, all_notes


def _shown(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


# ---------------------------------------------------------------- ranking, banding, quotas


def _groups(results: Iterable[Result]) -> dict[tuple[str, int | None], list[Result]]:
    groups: dict[tuple[str, int | None], list[Result]] = defaultdict(list)
    for r in results:
        if not r.errors:
            groups[(r.rubric, r.year)].append(r)
    return groups


def below_full(r: Result) -> int:
    return sum(1 for i in r.items if i.score < i.points)


def _rank(defn: RubricDefinition, spec: Ranking, group: list[Result], summary: list[str]) -> RankingRecord:
    """优中选优: by total, then fewer items below full marks, then unit name (RUBRICS.md §1)."""
    pool = [r for r in group if r.title or not spec.eligible_only]

    def key(r: Result) -> tuple[Any, ...]:
        parts: list[Any] = [-(r.total or Fraction(0))]
        for tie in spec.ties:
            parts.append(below_full(r) if tie == "fewer_items_below_full" else r.unit)
        return tuple(parts)

    order = sorted(pool, key=key)
    for position, r in enumerate(order, 1):
        r.rank = position
    ties: list[str] = []
    by_total: dict[Fraction, list[Result]] = defaultdict(list)
    for r in order:
        by_total[r.total or Fraction(0)].append(r)
    for total, same in by_total.items():
        if len(same) < 2:
            continue
        names = "、".join(f"{r.unit}(第{r.rank}名,{below_full(r)}项未满分)" for r in same)
        counts = {below_full(r) for r in same}
        rule = (
            "按未满分项目少者在前"
            if "fewer_items_below_full" in spec.ties and len(counts) == len(same)
            else "按未满分项目少者在前,仍并列者按单位名称"
        )
        ties.append(f"总分{fmt(total)}并列:{names};{rule}")
    if pool:
        summary.append(
            f"{defn.short_name} {group[0].year}年:符合条件{len(pool)}个,已按总分排序(并列时扣分项少者在前,再按单位名称)"
        )
    summary.extend(ties)
    return RankingRecord(defn.id, group[0].year if group else None, order, ties)


def _band_groups(spec: Banding, group: list[Result]) -> list[tuple[str | None, list[Result]]]:
    """One banding per assessing body (spec.group_by), by name; cases without one form one group, last."""
    if spec.group_by is None:
        return [(None, group)]
    by: dict[str | None, list[Result]] = {}
    for r in group:
        body = str(r.inputs.get(spec.group_by) or "").strip()
        by.setdefault(body or None, []).append(r)
    return sorted(by.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))


def _band(
    defn: RubricDefinition,
    spec: Banding,
    group: list[Result],
    summary: list[str],
    body: str | None = None,
) -> BandingRecord:
    """Rank into bands by share (rounded down); equal scores always share a band (the better one)."""
    n = len(group)
    ordered = sorted(group, key=lambda r: (-(r.total or Fraction(0)), r.unit))
    bands = {id(r): spec.middle for r in ordered}
    sizes: dict[str, int] = {}
    shares: dict[str, Fraction] = {}
    ties: list[str] = []
    for b in spec.bands:
        share = Fraction(resolve_num(defn, b.share) or 0)
        size = math.floor(share * n)
        shares[b.name], sizes[b.name] = share, size
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
                placed = f"均归入“{b.name}”档" if b.side == "top" else f"均不归入“{b.name}”档"
                where = f"考核主体“{body}”" if body else ""
                ties.append(f"{where}“{b.name}”档分界处并列(得分{fmt(edge or Fraction(0))}):{names},{placed}")
        for r in picked:
            bands[id(r)] = b.name
    by_rank = {r.unit: bands[id(r)] for r in ordered}
    better = {b.name for b in spec.bands if b.side == "top"}
    for r in ordered:
        r.band = bands[id(r)]
        if spec.demote_when is not None and r.band in better:
            env = result_env(defn, r)
            if check(spec.demote_when, env).value:
                found = "、".join(held_parts(spec.demote_when, env))
                reason = spec.demote_reason or "不能评优"
                r.adjustments.append(
                    Adjustment("demote", r.band, spec.middle, f"{reason}({found})" if found else reason)
                )
                r.band = spec.middle
    summary.extend(ties)
    counts = ",".join(f"{k}{sum(1 for r in ordered if r.band == k)}个" for k in band_names(spec))
    mark = "(比例待本地确定)" if spec.pending_local else ""
    where = f"{spec.group_label or '考核主体'}“{body}”" if body else ""
    if spec.group_by is not None and body is None:
        where = f"未填写{spec.group_label or '考核主体'}的"
    summary.append(f"{defn.short_name} {group[0].year}年{where}综合排序{n}个:{counts}{mark}")
    return BandingRecord(
        defn.id,
        group[0].year if group else None,
        ordered,
        by_rank,
        sizes,
        shares,
        ties,
        spec.pending_local,
        body,
    )


def band_names(spec: Banding) -> list[str]:
    """Best band first."""
    return [
        *(b.name for b in spec.bands if b.side == "top"),
        spec.middle,
        *(b.name for b in spec.bands if b.side == "bottom"),
    ]


def _quota(defn: RubricDefinition, spec: Quota, group: list[Result], summary: list[str]) -> list[QuotaRecord]:
    awarded: dict[str, set[str]] = {}
    tied_units: dict[str, set[str]] = {}
    records: list[QuotaRecord] = []
    for pool in spec.pools:
        entries: list[tuple[Result, Outcome, Env]] = []
        base = 0
        team_failed: list[str] = []
        for r in group:
            unit_env = result_env(defn, r)
            subjects = (
                [(r, unit_env)]
                if pool.entity == "unit"
                else [(m, result_env(defn, m, parent=unit_env)) for m in r.members]
            )
            team_ok = (
                pool.parent_when is None or pool.entity == "unit" or check(pool.parent_when, unit_env).value
            )
            for subject, env in subjects:
                if pool.base is None or check(pool.base, env).value:
                    base += 1
                if pool.filter is None or check(pool.filter, env).value:
                    if not team_ok:
                        team_failed.append(_who((r, subject, env)))
                        subject.notes.append(
                            f"{pool.name}:{pool.parent_reason or '所在班子不符合条件'},不参加评选"
                        )
                        continue
                    entries.append((r, subject, env))
        share = Fraction(resolve_num(defn, pool.share) or 0)
        quota = math.floor(share * base)
        eligible = len(entries)
        excluded: list[str] = []
        waiting: set[str] = set()
        if pool.requires_parent_in is not None:
            parent_ok = awarded.get(pool.requires_parent_in) or set()
            waiting = (tied_units.get(pool.requires_parent_in) or set()) - parent_ok
            excluded = [_who(e) for e in entries if e[0].unit not in parent_ok | waiting]
            for e in entries:
                if e[0].unit not in parent_ok | waiting:
                    e[1].notes.append(f"{pool.name}:所在班子未获评{pool.requires_parent_in},不参加排序")
            entries = [e for e in entries if e[0].unit in parent_ok | waiting]
        scored = [(e, e[2].lookup(pool.score)) for e in entries]
        missing = [e for e, s in scored if s is None]
        ranked = sorted([(e, s) for e, s in scored if s is not None], key=lambda x: (-x[1], x[0][0].unit))
        chosen = ranked[:quota]
        tied: list[Any] = []
        if chosen and len(ranked) > quota and ranked[quota][1] == chosen[-1][1]:
            cut = chosen[-1][1]
            tied = [x for x in ranked if x[1] == cut]
            chosen = [x for x in chosen if x[1] != cut]
        # A seat taken by a candidate whose team is itself tied at the team cut stays open (待定).
        pending = [x for x in chosen if x[0][0].unit in waiting]
        chosen = [x for x in chosen if x[0][0].unit not in waiting]
        names = set()
        for (winner, awardee, _env), _s in chosen:
            awardee.awards.append(pool.name)
            names.add(winner.unit)
        for (_r, awardee, _env), _s in tied:
            awardee.awards.append(f"{pool.name}(名额分界处并列,待研究确定)")
        for (_r, awardee, _env), _s in pending:
            awardee.awards.append(
                f"{pool.name}(待定:所在班子在{pool.requires_parent_in}名额分界处并列,该席位待并列确定后定)"
            )
        awarded[pool.name] = names
        tied_units[pool.name] = {x[0][0].unit for x in tied}
        outcome = (
            {id(x[0][1]): "入选" for x in chosen}
            | {id(x[0][1]): "并列待定" for x in tied}
            | {id(x[0][1]): "待定" for x in pending}
        )
        candidates = [
            QuotaCandidate(e[0], _who(e), s, outcome.get(id(e[1]), "未入选")) for e, s in ranked
        ] + [QuotaCandidate(e[0], _who(e), None, "无评分") for e in missing]
        records.append(
            QuotaRecord(
                defn.id,
                group[0].year if group else None,
                pool.name,
                share,
                base,
                quota,
                eligible,
                candidates,
                pool.requires_parent_in,
                excluded,
                pool.score,
                pool.entity,
                team_failed,
                [_who(x[0]) for x in pending],
                len(pending),
            )
        )
        line = (
            f"{pool.name}:名额{quota}(基数{base}×{pct(share)}取整),符合标准{eligible}个,确定{len(chosen)}个"
        )
        if tied:
            line += (
                ";分界处并列"
                + "、".join(_who(x[0]) for x in tied)
                + f"(得分{fmt(Fraction(tied[0][1]))}),未作取舍"
            )
        if pending:
            line += (
                f";{len(pending)}个席位待定(所在班子在{pool.requires_parent_in}名额分界处并列,待并列确定后定):"
                + "、".join(f"{_who(x[0])}({x[0][0].unit})" for x in pending)
            )
        if missing:
            line += ";缺少评分无法排序:" + "、".join(_who(e) for e in missing)
        if team_failed:
            line += f";{pool.parent_reason or '所在班子不符合条件'},不参加评选:" + "、".join(team_failed)
        if excluded:
            line += f";所在班子未获评{pool.requires_parent_in},不参加排序:" + "、".join(excluded)
        summary.append(line)
    return records


def award_year(defn: RubricDefinition, year: int | None) -> AwardYearRecord | None:
    """Whether ``year`` is an award year of the rubric's award cycle (None when it has none)."""
    cycle = defn.cohort.award_cycle
    if cycle is None:
        return None
    every = int(resolve_num(defn, cycle.every) or 1)
    base = int(resolve_num(defn, cycle.base_year) or 0)
    pending = any(
        isinstance(v, str) and v.startswith("$") and defn.parameters[v[1:]].pending_local
        for v in (cycle.every, cycle.base_year)
    )
    rule = f"每{every}年评选一次,以{base}年为评选年起算" + (",起算年待本地确定" if pending else "")
    if year is None:
        return AwardYearRecord(
            defn.id, None, None, every, base, pending, f"缺少年度,无法判断是否{cycle.label}({rule})"
        )
    hit = (year - base) % every == 0
    text = (
        f"{year}年为{cycle.label}({rule})"
        if hit
        else f"{year}年不是{cycle.label}({rule}):本年只考核不评选,名额排序仅供参考"
    )
    return AwardYearRecord(defn.id, year, hit, every, base, pending, text)


def _who(entry: tuple[Result, Outcome, Env]) -> str:
    r, subject, _ = entry
    return subject.name if isinstance(subject, MemberResult) else r.unit


def share_goal(defn: RubricDefinition, year: int | None) -> Fraction | None:
    """The share a rubric's share report aims at in ``year`` (None when it sets no goal)."""
    report = defn.cohort.share_report
    if report is None or report.goal is None or year is None:
        return None
    g = report.goal
    start = Fraction(resolve_num(defn, g.start) or 0)
    step = Fraction(resolve_num(defn, g.step) or 0)
    top = Fraction(resolve_num(defn, g.max) or 1)
    return max(Fraction(0), min(top, start + step * (year - g.base_year)))


def _share(defn: RubricDefinition, group: list[Result], summary: list[str]) -> ShareRecord | None:
    report = defn.cohort.share_report
    if report is None:
        return None
    met = [r for r in group if check(report.when, result_env(defn, r)).value]
    # A title still provisional on a missing record is neither counted nor held against the share.
    pending = [r.unit for r in met if r.provisional_on]
    hits = [r.unit for r in met if not r.provisional_on]
    misses = [r.unit for r in group if r not in met]
    year = group[0].year if group else None
    goal = share_goal(defn, year)
    goal_text = None
    if goal is not None:
        ratio = Fraction(len(hits), len(group)) if group else Fraction(0)
        goal_text = f"{year}年目标{pct(goal)}以上," + ("已达到" if ratio >= goal else "未达到")
    if len(group) > 1:
        line = f"{report.label}:{len(hits)}/{len(group)} = {pct(Fraction(len(hits), len(group)))}"
        line += f"({goal_text})" if goal_text else ""
        line += f";另有{len(pending)}个待定:{'、'.join(pending)}" if pending else ""
        summary.append(line)
    return ShareRecord(defn.id, year, report.label, hits, misses, goal, goal_text, pending)


# ---------------------------------------------------------------- multi-year rules and bottom shares


def refresh_consequences(defn: RubricDefinition, outcome: Outcome) -> None:
    """Recompute an outcome's per-tier consequences after the cohort step changed its tier.

    Every tier change the cohort makes today happens inside ``evaluate`` (links feed inputs, the caps run
    there), so the engine's consequences are already those of the final tier. This is the one place a
    later cohort-side tier change must call.
    """
    # merge: call part A's per-tier consequence function here (lxbz_xl.engine) once it lands.
    return None


def _streaks(defn: RubricDefinition, results: list[Result], everything: list[Result]) -> None:
    """连续N年同一档次 (RUBRICS.md §11): a consequence on this year's outcome, with the years that count."""
    for rule in defn.cohort.streaks:
        by_key: dict[tuple[str, str | None, int], Outcome] = {}
        for r in everything:
            if r.rubric != defn.id or r.errors or r.year is None:
                continue
            if rule.entity == "unit":
                by_key[(r.unit, None, r.year)] = r
            else:
                for m in r.members:
                    by_key[(r.unit, m.name, r.year)] = m
        for r in results:
            if r.year is None or r.errors:
                continue
            subjects: list[tuple[str | None, Outcome]] = (
                [(None, r)] if rule.entity == "unit" else [(m.name, m) for m in r.members]
            )
            for name, now in subjects:
                _streak(rule, r, name, now, by_key)


def _streak(
    rule: Streak,
    r: Result,
    name: str | None,
    now: Outcome,
    by_key: dict[tuple[str, str | None, int], Outcome],
) -> None:
    assert r.year is not None
    if now.tier != rule.tier:
        return
    years = [r.year]
    sources: list[str] = [f"{r.year}年{rule.tier}"]
    for back in range(1, rule.years):
        year = r.year - back
        earlier = by_key.get((r.unit, name, year))
        tier = earlier.tier if earlier is not None else None
        where = "同批次考核结果"
        if earlier is None and back <= len(rule.previous):
            tier = now.inputs.get(rule.previous[back - 1])
            where = "本表填报"
        if tier != rule.tier:
            return
        years.append(year)
        sources.append(f"{year}年{rule.tier}({where})")
    span = "、".join(f"{y}" for y in sorted(years))
    reason = f"{rule.reason}:{span}年均为{rule.tier}(" + ";".join(reversed(sources)) + ")"
    now.consequences.append(Consequence(rule.consequence.kind, rule.consequence.action, reason))
    now.notes.append(f"{rule.reason},{rule.consequence.action}({span}年)")


def _bottom(defn: RubricDefinition, spec: BottomFlag, group: list[Result], summary: list[str]) -> list[str]:
    """The bottom share of the ranking on ``spec.key``; equal values at the edge stay out (the better side)."""
    scored = [(r, result_env(defn, r).lookup(spec.key)) for r in group]
    ranked = sorted([x for x in scored if x[1] is not None], key=lambda x: (x[1], x[0].unit))  # worst first
    n = len(ranked)
    share = Fraction(resolve_num(defn, spec.share) or 0)
    size = math.floor(share * n)
    picked = ranked[:size]
    note = ""
    if picked and size < n and ranked[size][1] == picked[-1][1]:
        edge = picked[-1][1]
        picked = [x for x in picked if x[1] != edge]
        names = "、".join(x[0].unit for x in ranked if x[1] == edge)
        note = f";分界处并列({names}),均不列入"
    for position, (r, value) in enumerate(picked, 1):
        r.flags.append(spec.label)
        r.notes.append(f"{spec.label}:{n}个单位中倒数第{position}名({_shown_value(value)})")
        if spec.consequence is not None:
            r.consequences.append(
                Consequence(
                    spec.consequence.kind,
                    spec.consequence.action,
                    f"{spec.label}(后{pct(share)},{n}个单位中倒数第{position}名)",
                )
            )
    year = group[0].year if group else None
    if n:
        names = "、".join(r.unit for r, _ in picked) or "无"
        summary.append(
            f"{defn.short_name} {year}年{spec.label}:排序{n}个,后{pct(share)}取整为{size}个:{names}{note}"
        )
    return [r.unit for r, _ in picked]


def _shown_value(value: Any) -> str:
    if isinstance(value, Fraction) and 0 <= value <= 1:
        return pct(value)
    return fmt(value) if isinstance(value, Fraction | int) else str(value)


def evaluate_cohort(
    cases: list[Case],
    load: Callable[[str], RubricDefinition] = load_rubric,
    *,
    prefer_batch: bool = False,
    keep: Callable[[Result], Result] | None = None,
) -> CohortResult:
    """Evaluate a batch: linked inputs first, then ranking, banding, quotas and shares per rubric-year.
    ``keep`` reduces each standalone result as it is stored (a batch of 10,000 need not hold two full
    results per case)."""
    links: list[LinkRecord] = []
    alone: list[Result] = []
    results = evaluate_linked(
        cases, load, prefer_batch=prefer_batch, trace=links, standalone=alone, keep=keep
    )
    out = CohortResult(results, links=links, standalone=alone)
    across_years(results, load)
    for (rubric, year), group in sorted(_groups(results).items(), key=lambda kv: group_order(kv[0])):
        evaluate_group(out, load, rubric, year, group)
    return out


def across_years(results: list[Result], load: Callable[[str], RubricDefinition]) -> None:
    """The multi-year rules (streaks) over linked results. They only join records of one unit, so a
    caller may run this (and `evaluate_linked`) unit by unit."""
    for defn, r in ((load(r.rubric).fixed(r.year), r) for r in results if r.ok):
        refresh_consequences(defn, r)
    for rubric in dict.fromkeys(r.rubric for r in results if r.ok):
        defn = load(rubric)
        if defn.cohort.streaks:
            _streaks(defn, [r for r in results if r.rubric == rubric], results)


def group_order(key: tuple[str, int | None]) -> tuple[str, int]:
    """The order in which the rubric-year groups are evaluated (and their summary lines written)."""
    return (key[0], key[1] or 0)


def group_matters(defn: RubricDefinition) -> bool:
    """Whether `evaluate_group` reads or changes a group of this (year-fixed) rubric's results."""
    c = defn.cohort
    return bool(c.ranking or c.banding or c.award_cycle or c.quota or c.bottom_flags or c.share_report)


def evaluate_group(
    out: CohortResult,
    load: Callable[[str], RubricDefinition],
    rubric: str,
    year: int | None,
    group: list[Result],
) -> None:
    """Ranking, banding, award cycle, quotas, bottom flags and share of one rubric-year group (its
    results without errors, in batch order), recorded in `out`. Only the group's results change."""
    first_line = len(out.summary)
    defn = load(rubric).fixed(year)  # shares and quotas of the cohort's year (dated parameters)
    cohort = defn.cohort
    if cohort.ranking is not None:
        out.rankings.append(_rank(defn, cohort.ranking, group, out.summary))
    if cohort.banding is not None:
        for body, members in _band_groups(cohort.banding, group):
            out.bandings.append(_band(defn, cohort.banding, members, out.summary, body))
    cycle = award_year(defn, year)
    if cycle is not None:
        out.award_years.append(cycle)
        out.summary.append(f"{defn.short_name}:{cycle.text}")
        for r in group:
            r.notes.append(cycle.text)
    if cohort.quota is not None:
        out.quotas += _quota(defn, cohort.quota, group, out.summary)
    for spec in cohort.bottom_flags:
        _bottom(defn, spec, group, out.summary)
    share = _share(defn, group, out.summary)
    if share is not None:
        out.shares.append(share)
    out.summary_by_year.setdefault(year, []).extend(out.summary[first_line:])
