"""The summary computation: the chosen records, evaluated together, arranged per unit, per cadre and per
year-level indicator. One evaluation path (lxbz_xl.cohort) for every rubric; nothing here names a rubric
except the §1 chain's three, whose ids come from the learning-team definition's links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from lxbz_xl.case import Case
from lxbz_xl.cohort import CohortResult, evaluate_cohort
from lxbz_xl.compiled import compiled
from lxbz_xl.definition.loader import all_inputs, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.exact import fmt, pct
from lxbz_xl.result import MemberResult, Result, ValueResult
from lxbz_xl.summary.collect import choose, inputs_digest
from lxbz_xl.summary.model import (
    CellRefs,
    ChainWords,
    ConsequenceRow,
    Entry,
    FlagRow,
    PersonRow,
    Problem,
    Ref,
    Submission,
    Summary,
    UnitRow,
)

# The §1 chain: party organisation title → learning-team title → annual 优秀 and 超标单位. Which rubric
# plays which part is declared in its YAML (`summary: {chain: …}`); nothing here names a rubric.
CHAIN_ROLES: tuple[str, ...] = ("party_org", "learning", "annual")
UNORDERED = 10**6  # rubrics without `summary.order` follow the ordered ones
OUTPUT_KEYS = ("total", "tier", "base_tier", "title", "flags")


def _cells(defn: RubricDefinition) -> dict[str, tuple[str, str]]:
    """Case path → (sheet, cell) of a rubric's form, kept on the compiled rubric (built once per definition)."""
    memo = compiled(defn).memo
    cells: dict[str, tuple[str, str]] | None = memo.get("summary.cells")
    if cells is None:
        from lxbz_xl.workbook.layout import layout_for

        cells = memo["summary.cells"] = {
            path: (cell.sheet, cell.ref)
            for path, cell in layout_for(defn).by_path().items()
            if cell.role != "header" or path in ("unit", "year")
        }
    return cells


def _refs(defn: RubricDefinition, sub: Submission) -> CellRefs:
    return CellRefs(sub.path, _cells(defn))


def _members_key(defn: RubricDefinition) -> str | None:
    return defn.members.key if defn.members is not None else None


def build_summary(
    submissions: list[Submission],
    inputs: list[str],
    load: Callable[[str], RubricDefinition] = load_rubric,
    now: dt.datetime | None = None,
    year: int | None = None,
) -> Summary:
    """``year`` narrows what is reported; records of other years still feed the links (last year's credits)."""
    problems = choose(submissions)
    used = [s for s in submissions if s.used]
    cases = [Case.from_mapping(dict(s.case or {}), source=s.path) for s in used]
    definitions = {s.rubric: load(s.rubric) for s in used if s.rubric}
    cohort = evaluate_cohort(cases, load, prefer_batch=True, keep=_slim)
    entries = []
    for sub, case, result, alone in zip(used, cases, cohort.results, cohort.standalone, strict=True):
        if result.errors:  # validated files have none; a value the batch fed in might still be refused
            detail = ";".join(e.message for e in result.errors)
            problems.append(Problem("未通过校验", case.unit, case.year, case.rubric, [sub.path], detail))
            sub.used = False
            continue
        defn = definitions[case.rubric]
        # The item scores stay (ranking ties count items below full marks); their wording is the forms'.
        result.items = [replace(i, clauses=[], explanations=[]) for i in result.items]
        # Variables keep their values; their wording (read only by the cohort step, now done) goes.
        result.values = _unworded(result.values)
        for m in result.members:
            m.values = _unworded(m.values)
        entries.append(Entry(sub, defn, result, alone, _refs(defn, sub)))  # alone: slim (keep=_slim)
    cohort.standalone = []  # each entry keeps the slim copy: the full results are the biggest holder
    every_year = entries
    if year is not None:
        entries = [e for e in entries if e.result.year == year]
        problems = [p for p in problems if p.year in (None, year)]
        _narrow(cohort, year)
        definitions = {e.rubric: e.defn for e in entries}
    words = chain_words(definitions.values(), load)
    rows = _unit_rows(entries, words)
    problems += _missing(rows, load)
    persons = _persons(entries)
    summary = Summary(
        generated_at=(now or dt.datetime.now()).isoformat(timespec="seconds"),
        inputs=inputs,
        inputs_digest=inputs_digest(submissions),
        submissions=submissions,
        entries=entries,
        rows=rows,
        persons=persons,
        cohort=cohort,
        flags=_flags(entries, cohort, every_year),
        problems=problems,
        definitions=definitions,
        year=year,
        consequences=_consequences(entries, persons),
        chain=words,
    )
    return summary


def _unworded(values: list[ValueResult]) -> list[ValueResult]:
    return [replace(v, explanation="") if v.explanation else v for v in values]


def _slim(alone: Result) -> Result:
    """The workbook's own evaluation as the summary compares with it (total, tier, title, notes,
    adjustments, failed and pending conditions, members): without item scores, values and inputs,
    which at 10,000 submissions would be most of the summary's memory."""
    members = [replace(m, values=[], inputs={}) for m in alone.members]
    return replace(alone, items=[], values=[], inputs={}, members=members)


def _consequences(entries: list[Entry], persons: list[PersonRow]) -> list[ConsequenceRow]:
    """Every consequence of a unit's result and of each cadre (a person-subject case or a member)."""
    out: list[ConsequenceRow] = []
    for e in entries:
        if e.defn.subject != "unit":
            continue
        r = e.result
        out += [
            ConsequenceRow(r.year, r.unit, None, e.rubric, c.kind, c.action, c.reason, e.ref("tier"))
            for c in r.consequences
        ]
    for p in persons:
        year = p.entry.result.year
        out += [
            ConsequenceRow(year, p.unit, p.person, p.rubric, c.kind, c.action, c.reason, p.ref)
            for c in p.outcome.consequences
        ]
    return out


def _narrow(cohort: CohortResult, year: int) -> None:
    cohort.rankings = [r for r in cohort.rankings if r.year == year]
    cohort.bandings = [r for r in cohort.bandings if r.year == year]
    cohort.quotas = [r for r in cohort.quotas if r.year == year]
    cohort.shares = [r for r in cohort.shares if r.year == year]
    cohort.links = [r for r in cohort.links if r.year == year]
    cohort.award_years = [r for r in cohort.award_years if r.year == year]
    cohort.summary = cohort.summary_by_year.get(year, [])


# ---------------------------------------------------------------- per unit and the §1 chain


def _unit_rows(entries: list[Entry], words: ChainWords) -> list[UnitRow]:
    rows: dict[tuple[str, int | None], UnitRow] = {}
    for e in entries:
        if e.defn.subject != "unit":
            continue
        key = (e.result.unit, e.result.year)
        row = rows.setdefault(key, UnitRow(*key))
        row.entries[e.rubric] = e
        row.flags += e.result.flags
    for row in rows.values():
        _chain(row, words)
    return sorted(rows.values(), key=_row_order)


def _row_order(row: UnitRow) -> tuple[int, int, str]:
    """Year, then units grouped by the first rubric they report under (县处级 teams, departments,
    schools, townships), then by name."""
    ranks = [summary_rank(e.defn) for e in row.entries.values()]
    return (row.year or 0, min(ranks, default=UNORDERED), row.unit)


def summary_rank(defn: RubricDefinition) -> int:
    """Where the summary lists a rubric's units (`summary.order` in its YAML; unordered ones last)."""
    return defn.summary.order if defn.summary.order is not None else UNORDERED


def chain_entries(row: UnitRow) -> tuple[Entry | None, ...]:
    """The row's entries of the rubrics that declare a part in the §1 chain, in CHAIN_ROLES order."""
    by_role: dict[str, Entry] = {
        e.defn.summary.chain: e for e in row.entries.values() if e.defn.summary.chain is not None
    }
    return tuple(by_role.get(role) for role in CHAIN_ROLES)


def chain_words(
    definitions: Iterable[RubricDefinition], load: Callable[[str], RubricDefinition]
) -> ChainWords:
    """Which rubric plays each part of the §1 chain, found from the batch's rubrics and, for a part the
    batch lacks, through their `cohort.links` (a missing learning-team form is still named by its words)."""
    by_role: dict[str, RubricDefinition] = {}
    seen: set[str] = set()
    frontier = sorted(definitions, key=lambda d: d.id)
    while frontier:
        defn = frontier.pop(0)
        if defn.id in seen:
            continue
        seen.add(defn.id)
        role = defn.summary.chain
        if role is None:
            continue
        by_role.setdefault(role, defn)
        frontier += [load(link.rubric) for link in defn.cohort.links if link.rubric not in seen]

    def label(role: str, default: str) -> str:
        d = by_role.get(role)
        return (d.summary.chain_label or d.short_name) if d is not None else default

    plain = ChainWords()
    learning = by_role.get("learning")
    return ChainWords(
        party_org=label("party_org", plain.party_org),
        learning=label("learning", plain.learning),
        annual=label("annual", plain.annual),
        unlocks=learning.summary.unlocks if learning is not None else None,
    )


def _chain(row: UnitRow, words: ChainWords) -> None:
    """Fill the chain columns and say, for each title or tier the chain removed, why."""
    party, learning, annual = chain_entries(row)
    title, unlocks = words.learning, words.unlocks
    if party is not None:
        row.party_org_title = party.result.title
    if learning is not None:
        r = learning.result
        row.learning_title = r.title
        row.learning_provisional = list(r.provisional_on)
        if r.title is False:
            row.reasons += [f"未评为{title}:{why}" for why in r.failed]
    if annual is not None:
        r = annual.result
        row.annual_tier = r.tier
        row.annual_base_tier = r.tier
        for adj in r.adjustments:
            if adj.kind == "cap":
                row.annual_base_tier = adj.before
                row.reasons.append(f"{words.annual}{adj.before}降为{adj.after}:{adj.reason}")
    pending = learning is None or bool(row.learning_title and row.learning_provisional)
    top = annual.defn.tiers.order[0] if annual is not None and annual.defn.tiers is not None else None
    if pending and row.annual_tier is not None and row.annual_tier == top:
        # The cap needs the title; with the title unknown the top tier stands but is not settled.
        row.reasons.append(f"{words.annual}“{top}”以评为{title}为前提,该称号待定,“{top}”随之待定")
    if learning is None:
        row.exceed_eligible = None
        if unlocks and (party is not None or annual is not None):
            row.reasons.append(f"缺少{title}考评表,{unlocks}资格待定")
    elif row.learning_title and row.learning_provisional:
        row.exceed_eligible = None
        if unlocks:
            row.reasons.append(
                f"{title}称号待定(" + "、".join(row.learning_provisional) + f"),{unlocks}资格随之待定"
            )
    elif row.learning_title:
        row.exceed_eligible = True
    else:
        row.exceed_eligible = False
        if unlocks:
            row.reasons.append(f"未评为{title},不能评为{unlocks}")


def _missing(rows: list[UnitRow], load: Callable[[str], RubricDefinition]) -> list[Problem]:
    """A rubric the chain needs for a unit (through `cohort.links`, transitively) but the batch lacks."""
    problems = []
    for row in rows:
        needed: set[str] = set()
        frontier = list(row.entries)
        while frontier:
            rid = frontier.pop()
            for link in load(rid).cohort.links:
                if link.required and link.rubric not in needed:
                    needed.add(link.rubric)
                    frontier.append(link.rubric)
        for rid in sorted(needed - set(row.entries)):
            row.missing.append(rid)
            defn = load(rid)
            problems.append(
                Problem(
                    "缺报",
                    row.unit,
                    row.year,
                    rid,
                    [],
                    f"缺少有效的{defn.short_name}报送,资格链相关结论为待定或按未获评处理",
                )
            )
    return problems


# ---------------------------------------------------------------- cadres


def _persons(entries: list[Entry]) -> list[PersonRow]:
    rows: list[PersonRow] = []
    for e in entries:
        if e.defn.subject == "person":
            key = next((k for k in ("tier", "total", "title") if k in e.refs), "unit")
            rows.append(PersonRow(e.result.unit, e.result.unit, e.rubric, e, e.result, e.ref(key)))
            continue
        mkey = _members_key(e.defn)
        for i, m in enumerate(e.result.members, 1):
            key = next(
                (f"{mkey}.{i}.{k}" for k in ("tier", "total", "title") if f"{mkey}.{i}.{k}" in e.refs),
                f"{mkey}.{i}.name",
            )
            rows.append(PersonRow(e.result.unit, m.name, e.rubric, e, m, e.ref(key), _detail(e, m), i))
    return rows


def _detail(e: Entry, m: MemberResult) -> str:
    """Position or rank as the member's row gives it (职务/级别 fields are enums or text)."""
    shown = []
    specs = e.defn.members.inputs if e.defn.members else []
    for spec in specs:
        if spec.type in ("enum", "text") and spec.path != (
            e.defn.members.name_field if e.defn.members else ""
        ):
            value = m.inputs.get(spec.path)
            if value not in (None, ""):
                shown.append(f"{spec.label}:{value}")
    return ",".join(shown[:2])


# ---------------------------------------------------------------- year-level lists


def _condition_fields(node: Any) -> list[str]:
    """Input paths a condition reads (its `left`, `right`, `field` operands that are not parameters)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("left", "right", "field") and isinstance(value, str) and not value.startswith("$"):
                found.append(value)
            else:
                found += _condition_fields(value)
    elif isinstance(node, list):
        for value in node:
            found += _condition_fields(value)
    return found


def _flags(entries: list[Entry], cohort: CohortResult, every_year: list[Entry]) -> list[FlagRow]:
    out: list[FlagRow] = []
    fed = _member_sources(every_year, cohort)
    for e in entries:
        unit_specs = {s.path: s for s in all_inputs(e.defn)}
        for flag in e.defn.flags:
            if flag.category and flag.label in e.result.flags:
                out.append(_flag_row(flag, e, e.result, None, unit_specs, ""))
        for bottom in e.defn.cohort.bottom_flags:  # §11 评议结果靠后: the cohort raised it from the ranking
            if bottom.category and bottom.label in e.result.flags:
                where = [n for n in e.result.notes if n.startswith(bottom.label)]
                detail = where[0] if where else bottom.label
                refs = [e.ref(bottom.key)] if bottom.key in unit_specs else [e.ref("total")]
                out.append(FlagRow(bottom.category, e.result.unit, None, detail, refs))
        if e.defn.members is None:
            continue
        member_specs = {s.path: s for s in e.defn.members.inputs}
        mkey = e.defn.members.key
        for i, m in enumerate(e.result.members, 1):
            for flag in e.defn.members.flags:
                if flag.category and flag.label in m.flags:
                    row = _flag_row(flag, e, m, m.name, member_specs, f"{mkey}.{i}.")
                    # A value a member link fed in came from another file: point there.
                    row.refs = [fed.get((id(e), m.name, ref.cell), ref) for ref in row.refs]
                    out.append(row)
    return out


def _member_sources(entries: list[Entry], cohort: CohortResult) -> dict[tuple[int, str, str | None], Ref]:
    """(entry, member, cell in the entry's file) → the source cell of a value a member link fed in."""
    by_key = {(e.rubric, e.result.unit, e.result.year): e for e in entries}
    out: dict[tuple[int, str, str | None], Ref] = {}
    for link in cohort.links:
        if link.source_field is None or link.source_year is None:
            continue
        target = by_key.get((link.rubric, link.unit, link.year))
        source = by_key.get((link.source_rubric, link.unit, link.source_year))
        if target is None or source is None or target.defn.members is None or source.defn.members is None:
            continue
        who, field = link.field.rsplit(".", 1)
        i = next((n for n, m in enumerate(target.result.members, 1) if m.name == who), None)
        j = next((n for n, m in enumerate(source.result.members, 1) if m.name == who), None)
        if i is None or j is None:
            continue
        here = target.ref(f"{target.defn.members.key}.{i}.{field}")
        there = source.ref(f"{source.defn.members.key}.{j}.{link.source_field}")
        out[(id(target), who, here.cell)] = Ref(
            there.file, there.sheet, there.cell, f"{link.source_year}年报送"
        )
    return out


def _flag_row(
    flag: Any,
    e: Entry,
    outcome: Result | MemberResult,
    person: str | None,
    specs: dict[str, Any],
    prefix: str,
) -> FlagRow:
    fields = [f for f in dict.fromkeys(_condition_fields(flag.when.model_dump())) if f in specs]
    values = []
    refs = []
    for f in fields:
        value = outcome.inputs.get(f)
        spec = specs[f]
        shown = (
            pct(value)
            if spec.unit == "%" and value is not None
            else (fmt(value) if value is not None else "—")
        )
        values.append(f"{spec.label}{shown}")
        refs.append(e.ref(prefix + f))
    return FlagRow(flag.category, e.result.unit, person, f"{flag.label}({','.join(values)})", refs)
