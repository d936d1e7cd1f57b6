"""The summary computation: the chosen records, evaluated together, arranged per unit, per cadre and per
year-level indicator. One evaluation path (lxbz_xl.cohort) for every rubric; nothing here names a rubric
except the §1 chain's three, whose ids come from the learning-team definition's links.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from fractions import Fraction
from typing import Any

from lxbz_xl.case import Case
from lxbz_xl.cohort import (
    CohortResult,
    LinkRecord,
    across_years,
    below_full,
    evaluate_group,
    evaluate_linked,
    group_matters,
    group_order,
)
from lxbz_xl.compiled import compiled
from lxbz_xl.definition.loader import all_inputs, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.exact import fmt, pct
from lxbz_xl.result import ItemResult, MemberResult, Result, ValueResult
from lxbz_xl.summary.collect import choose, inputs_digest
from lxbz_xl.summary.model import (
    RECORD_INPUTS,
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
    Tally,
    UnitRow,
)
from lxbz_xl.summary.spool import Chained, Listed, OnDisk, Spool, give_back

# The §1 chain: party organisation title → learning-team title → annual 优秀 and 超标单位. Which rubric
# plays which part is declared in its YAML (`summary: {chain: …}`); nothing here names a rubric.
CHAIN_ROLES: tuple[str, ...] = ("party_org", "learning", "annual")
UNORDERED = 10**6  # rubrics without `summary.order` follow the ordered ones
OUTPUT_KEYS = ("total", "tier", "base_tier", "title", "flags")


def cells_of(defn: RubricDefinition) -> dict[str, tuple[str, str]]:
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
    return CellRefs(sub.path, cells_of(defn))


def _members_key(defn: RubricDefinition) -> str | None:
    return defn.members.key if defn.members is not None else None


class EntryStore:
    """The used submissions' results on disk, by position in the batch: each record is the rubric id,
    the result after the cohort step and the workbook's own (slim) evaluation. `entry` rebuilds the
    `Entry` around a record (its submission, definition and cell refs are not stored with it)."""

    def __init__(self, used: list[Submission], definitions: dict[str, RubricDefinition]) -> None:
        self.used, self.definitions = used, definitions
        self.spool = Spool()
        self.spool.reserve(len(used))

    def put(self, k: int, rubric: str, result: Result, standalone: Result) -> None:
        self.spool.put(k, (rubric, result, standalone))

    def result(self, k: int) -> Result:
        return self.spool.get(k)[1]  # type: ignore[no-any-return]

    def put_result(self, k: int, result: Result) -> None:
        rubric, _, standalone = self.spool.get(k)
        self.spool.put(k, (rubric, result, standalone))

    def entry(self, k: int) -> Entry:
        rubric, result, standalone = self.spool.get(k)
        sub, defn = self.used[k], self.definitions[rubric]
        return Entry(sub, defn, result, standalone, _refs(defn, sub), k)


class Entries(Listed[Entry]):
    """Some entries of an `EntryStore` (all used, or one year's), read from disk on each access."""

    def __init__(self, store: EntryStore, at: Iterable[int]) -> None:
        self.store, self.at = store, array("l", at)

    def __len__(self) -> int:
        return len(self.at)

    def _item(self, i: int) -> Entry:
        return self.store.entry(self.at[i])


class RowEntries(Mapping[str, Entry]):
    """A unit row's entries, rubric id → entry, read from the store on access."""

    __slots__ = ("at", "store")

    def __init__(self, store: EntryStore | None, at: dict[str, int] | None = None) -> None:
        self.store, self.at = store, {} if at is None else at

    def __getitem__(self, rid: str) -> Entry:
        assert self.store is not None
        return self.store.entry(self.at[rid])

    def __iter__(self) -> Iterator[str]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)

    def __contains__(self, rid: object) -> bool:
        return rid in self.at


NO_YEAR = -(2**62)  # a result without a year, in an array of years


def _unit_of(sub: Submission) -> str:
    """The unit of a submission's case (the submission's own string when it is the same)."""
    unit = _case(sub).unit
    return sub.unit if sub.unit == unit else unit


def _case(sub: Submission) -> Case:
    return Case.from_mapping(dict(sub.case or {}), source=sub.path)


def build_summary(
    submissions: list[Submission],
    inputs: list[str],
    load: Callable[[str], RubricDefinition] = load_rubric,
    now: dt.datetime | None = None,
    year: int | None = None,
) -> Summary:
    """``year`` narrows what is reported; records of other years still feed the links (last year's credits).

    Memory stays flat whatever the batch: the cases are read and evaluated one unit at a time (the §1
    chain, member links and streaks only join records of one unit), the results go to disk at once
    (`EntryStore`), each rubric-year group is read back for its ranking, bands and quotas (the records
    keep slim copies), and the rows, cadres, consequences and flags are written to disk as they are made.
    """
    give_back()  # what reading the reports freed
    problems = choose(submissions)
    used = [s for s in submissions if s.used]
    definitions = {s.rubric: load(s.rubric) for s in used if s.rubric}
    store = EntryStore(used, definitions)
    cohort = CohortResult([])
    # Long-lived small objects made among the evaluation's short-lived ones would keep the memory they
    # are scattered over in use: what the loops keep is gathered in arrays and bytes, made objects after.
    units = [_unit_of(sub) for sub in used]
    by_unit: dict[str, list[int]] = {}
    for k, unit in enumerate(units):
        by_unit.setdefault(unit, []).append(k)
    del units
    rubric_ids: list[str] = sorted(definitions)
    rubric_at = array("h", [-1]) * len(used)  # per used submission: its rubric, -1 when refused
    year_at = array("q", [NO_YEAR]) * len(used)
    links = io.BytesIO()  # the chain's link records, pickled cluster by cluster
    refused: list[tuple[int, Problem]] = []
    for ks in by_unit.values():
        cases = [_case(used[k]) for k in ks]
        alone: list[Result] = []
        trace: list[LinkRecord] = []
        results = evaluate_linked(cases, load, prefer_batch=True, trace=trace, standalone=alone, keep=_slim)
        across_years(results, load)
        pickle.dump(trace, links, pickle.HIGHEST_PROTOCOL)
        for k, case, result, slim in zip(ks, cases, results, alone, strict=True):
            if result.errors:  # validated files have none; a value the batch fed in might still be refused
                detail = ";".join(e.message for e in result.errors)
                refused.append(
                    (k, Problem("未通过校验", case.unit, case.year, case.rubric, [used[k].path], detail))
                )
            else:
                if case.rubric not in rubric_ids:
                    rubric_ids.append(case.rubric)
                rubric_at[k] = rubric_ids.index(case.rubric)
                year_at[k] = NO_YEAR if result.year is None else result.year
            _unword(result)
            store.put(k, case.rubric, result, slim)
    links.seek(0)
    for _ in by_unit:
        for link in pickle.load(links):  # our own bytes
            link.rubric, link.field = sys.intern(link.rubric), sys.intern(link.field)
            link.source_rubric = sys.intern(link.source_rubric)
            cohort.links.append(link)
    del links
    # Per used submission: (rubric id, result year) of a result without errors, else None.
    keys: list[tuple[str, int | None] | None] = [
        None if r < 0 else (rubric_ids[r], None if y == NO_YEAR else y)
        for r, y in zip(rubric_at, year_at, strict=True)
    ]
    for k, problem in sorted(refused, key=lambda x: x[0]):
        problems.append(problem)
        used[k].used = False
    _cohort_groups(cohort, store, keys, load)
    everyone = [k for k, key in enumerate(keys) if key is not None]
    every_year = Entries(store, everyone)
    entries = every_year
    if year is not None:
        entries = Entries(store, [k for k in everyone if (key := keys[k]) is not None and key[1] == year])
        problems = [p for p in problems if p.year in (None, year)]
        _narrow(cohort, year)
        definitions = {}
        for k in entries.at:
            rid = keys[k][0]  # type: ignore[index]
            definitions.setdefault(rid, store.definitions[rid])
    words = chain_words(definitions.values(), load)
    fed = _member_sources(store, keys, by_unit, cohort)
    persons: OnDisk[PersonRow] = OnDisk(load=lambda rec: _person_of(store, rec), dump=_person_record)
    teams: OnDisk[ConsequenceRow] = OnDisk()  # the consequences of teams, then those of cadres
    cadres: OnDisk[ConsequenceRow] = OnDisk()
    flags: OnDisk[FlagRow] = OnDisk()
    tally = Tally()
    for e in entries:  # one pass: each entry is read from disk once here
        tally.add(e)
        for c in team_consequences(e):
            teams.append(c)
        for p in _persons(e):
            persons.append(p)
            for c in cadre_consequences(p):
                cadres.append(c)
        for f in _flags(e, fed):
            flags.append(f)
    rows = _unit_rows(store, entries, keys, by_unit, words, load, problems)
    give_back()
    summary = Summary(
        generated_at=(now or dt.datetime.now()).isoformat(timespec="seconds"),
        inputs=inputs,
        inputs_digest=inputs_digest(submissions),
        submissions=submissions,
        entries=entries,
        rows=rows,
        persons=persons,
        cohort=cohort,
        flags=flags,
        problems=problems,
        definitions=definitions,
        year=year,
        consequences=Chained(teams, cadres),
        chain=words,
        tally=tally,
    )
    return summary


def _cohort_groups(
    cohort: CohortResult,
    store: EntryStore,
    keys: list[tuple[str, int | None] | None],
    load: Callable[[str], RubricDefinition],
) -> None:
    """Ranking, bands, quotas and shares per rubric-year group (lxbz_xl.cohort.evaluate_group), each
    group read from the store and written back; the records keep slim copies of the results."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for k, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(k)
    made: list[bytes] = []
    for (rubric, year), ks in sorted(groups.items(), key=lambda kv: group_order(kv[0])):
        if not group_matters(load(rubric).fixed(year)):
            cohort.summary_by_year.setdefault(year, [])
            continue
        group = [store.result(k) for k in ks]
        marks = len(cohort.rankings), len(cohort.bandings), len(cohort.quotas)
        evaluate_group(cohort, load, rubric, year, group)
        for k, r in zip(ks, group, strict=True):
            store.put_result(k, r)
        _keep_views(cohort, marks)
        # The new records wait as bytes while the group goes: copies made once every group is done are
        # not scattered among the groups' freed memory (which they would keep in use).
        made.append(
            pickle.dumps(
                (cohort.rankings[marks[0] :], cohort.bandings[marks[1] :], cohort.quotas[marks[2] :]),
                pickle.HIGHEST_PROTOCOL,
            )
        )
        del group[:], cohort.rankings[marks[0] :], cohort.bandings[marks[1] :], cohort.quotas[marks[2] :]
        give_back()
    for records in made:
        rankings, bandings, quotas = pickle.loads(records)  # our own bytes
        cohort.rankings += rankings
        cohort.bandings += bandings
        cohort.quotas += quotas


def _keep_views(cohort: CohortResult, marks: tuple[int, int, int]) -> None:
    """The records made since `marks` hold slim copies (`record_view`) of their results, one per result."""
    views: dict[int, Result] = {}
    shared = _Shared()

    def view(r: Result) -> Result:
        found = views.get(id(r))
        if found is None:
            found = views[id(r)] = record_view(r, shared)
        return found

    for ranking in cohort.rankings[marks[0] :]:
        ranking.order = [view(r) for r in ranking.order]
    for banding in cohort.bandings[marks[1] :]:
        banding.order = [view(r) for r in banding.order]
    for quota in cohort.quotas[marks[2] :]:
        for c in quota.candidates:
            c.result = view(c.result)


class _Shared:
    """The empty lists and mapping, and the stand-in item below full marks, that the slim copies of one
    group's results share (pickled together, they stay shared): the records only read them."""

    def __init__(self) -> None:
        self.none: list[Any] = []
        self.no_inputs: dict[str, Any] = {}
        self.below = ItemResult(0, "", Fraction(1), Fraction(0), Fraction(1), self.none, self.none)

    def member(self, name: str) -> MemberResult:
        e = self.none
        return MemberResult(
            name=name, values=e, adjustments=e, failed=e, provisional_on=e, flags=e, notes=e, awards=e,
            consequences=e, inputs=self.no_inputs,
        )  # fmt: skip


def record_view(r: Result, shared: _Shared | None = None) -> Result:
    """What the ranking, banding and quota sheets read of a result they list: unit, total, rank, band,
    tier or title, adjustments, how many items are below full marks (the ranking counts them), the
    members' names (a member pool finds the member's row) and RECORD_INPUTS; its `source` and `rubric`
    find its cells. Everything else is empty (and shared)."""
    s = shared or _Shared()
    e = s.none
    inputs = {k: r.inputs[k] for k in RECORD_INPUTS if k in r.inputs}
    return replace(
        r,
        rubric=sys.intern(r.rubric),
        rubric_version="",
        tier_reason=None,
        title_name=None,
        total_points=None,
        items=[s.below] * below_full(r) or e,
        values=e,
        inputs=inputs or s.no_inputs,
        members=[s.member(m.name) for m in r.members] or e,
        adjustments=r.adjustments or e,
        provisional_on=r.provisional_on or e,
        notes=e,
        flags=e,
        awards=e,
        consequences=e,
        failed=e,
        errors=e,
    )


def _unword(result: Result) -> None:
    """Drop what the summary never reads (the forms show it): the items at full marks (the ranking only
    counts those below, `cohort.below_full`), the clauses and explanations of the others, and the
    variables' explanations. The values stay (cohort conditions read them)."""
    result.items = [replace(i, clauses=[], explanations=[]) for i in result.items if i.score < i.points]
    result.values = _unworded(result.values)
    for m in result.members:
        m.values = _unworded(m.values)


def _unworded(values: list[ValueResult]) -> list[ValueResult]:
    return [replace(v, explanation="") if v.explanation else v for v in values]


def _slim(alone: Result) -> Result:
    """The workbook's own evaluation as the summary compares with it (total, tier, title, notes,
    adjustments, failed and pending conditions, members): without item scores, values and inputs,
    which at 10,000 submissions would be most of the summary's memory."""
    members = [replace(m, values=[], inputs={}) for m in alone.members]
    return replace(alone, items=[], values=[], inputs={}, members=members)


def _row_record(row: UnitRow) -> UnitRow:
    """A row as stored: its entries as positions (the store is attached again on reading)."""
    at = row.entries.at if isinstance(row.entries, RowEntries) else {}
    return replace(row, entries=RowEntries(None, at))


def _row_of(store: EntryStore, row: UnitRow) -> UnitRow:
    assert isinstance(row.entries, RowEntries)
    row.entries.store = store
    return row


def _person_record(p: PersonRow) -> tuple[Any, ...]:
    return (p.unit, p.person, p.rubric, p.entry.at, p.ref, p.detail, p.index)


def _person_of(store: EntryStore, rec: tuple[Any, ...]) -> PersonRow:
    unit, person, rubric, at, ref, detail, index = rec
    e = store.entry(at)
    outcome = e.result if index is None else e.result.members[index - 1]
    return PersonRow(unit, person, rubric, e, outcome, ref, detail, index)


def team_consequences(e: Entry) -> list[ConsequenceRow]:
    """Every consequence of a unit's result (a cadre's come from its `PersonRow`)."""
    if e.defn.subject != "unit":
        return []
    r = e.result
    return [
        ConsequenceRow(r.year, r.unit, None, e.rubric, c.kind, c.action, c.reason, e.ref("tier"))
        for c in r.consequences
    ]


def cadre_consequences(p: PersonRow) -> list[ConsequenceRow]:
    """Every consequence of one cadre (a person-subject case or a member)."""
    year = p.entry.result.year
    return [
        ConsequenceRow(year, p.unit, p.person, p.rubric, c.kind, c.action, c.reason, p.ref)
        for c in p.outcome.consequences
    ]


def _narrow(cohort: CohortResult, year: int) -> None:
    cohort.rankings = [r for r in cohort.rankings if r.year == year]
    cohort.bandings = [r for r in cohort.bandings if r.year == year]
    cohort.quotas = [r for r in cohort.quotas if r.year == year]
    cohort.shares = [r for r in cohort.shares if r.year == year]
    cohort.links = [r for r in cohort.links if r.year == year]
    cohort.award_years = [r for r in cohort.award_years if r.year == year]
    cohort.summary = cohort.summary_by_year.get(year, [])


# ---------------------------------------------------------------- per unit and the §1 chain


def _unit_rows(
    store: EntryStore,
    entries: Entries,
    keys: list[tuple[str, int | None] | None],
    by_unit: dict[str, list[int]],
    words: ChainWords,
    load: Callable[[str], RubricDefinition],
    problems: list[Problem],
) -> OnDisk[UnitRow]:
    """One row per unit and year of the unit-subject entries, with the chain columns and the forms the
    chain misses (added to `problems`), in order, on disk.

    The rows are planned from what is known without reading an entry (unit, year, rubrics), then made
    one at a time in their order, each written out before the next is made."""
    listed = bytearray(len(keys))
    for k in entries.at:
        listed[k] = 1
    plan: dict[tuple[str, int | None], dict[str, int]] = {}
    for unit, ks in by_unit.items():
        for k in ks:
            key = keys[k]
            if key is not None and listed[k] and store.definitions[key[0]].subject == "unit":
                plan.setdefault((unit, key[1]), {})[key[0]] = k

    def order(item: tuple[tuple[str, int | None], dict[str, int]]) -> tuple[int, int, str]:
        """Year, then units grouped by the first rubric they report under (县处级 teams, departments,
        schools, townships), then by name."""
        (unit, year), at = item
        ranks = [summary_rank(store.definitions[rid]) for rid in at]
        return (year or 0, min(ranks, default=UNORDERED), unit)

    rows: OnDisk[UnitRow] = OnDisk(load=lambda row: _row_of(store, row), dump=_row_record)
    for (unit, year), at in sorted(plan.items(), key=order):
        row = UnitRow(unit, year, entries=RowEntries(store, at))
        for e in row.entries.values():
            row.flags += e.result.flags
        _chain(row, words)
        problems += _missing([row], load)
        rows.append(row)
    return rows


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


def _persons(e: Entry) -> list[PersonRow]:
    """The cadres of one entry: its person, or its members."""
    if e.defn.subject == "person":
        key = next((k for k in ("tier", "total", "title") if k in e.refs), "unit")
        return [PersonRow(e.result.unit, e.result.unit, e.rubric, e, e.result, e.ref(key))]
    rows: list[PersonRow] = []
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


def _flags(e: Entry, fed: dict[tuple[int, str, str | None], Ref]) -> list[FlagRow]:
    """The year-level indicator hits of one entry (its flags with a category, its bottom-share flags,
    its members' flags); `fed` points a value a member link fed in to the file it came from."""
    out: list[FlagRow] = []
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
        return out
    member_specs = {s.path: s for s in e.defn.members.inputs}
    mkey = e.defn.members.key
    for i, m in enumerate(e.result.members, 1):
        for flag in e.defn.members.flags:
            if flag.category and flag.label in m.flags:
                row = _flag_row(flag, e, m, m.name, member_specs, f"{mkey}.{i}.")
                # A value a member link fed in came from another file: point there.
                row.refs = [fed.get((e.at, m.name, ref.cell), ref) for ref in row.refs]
                out.append(row)
    return out


def _member_sources(
    store: EntryStore,
    keys: list[tuple[str, int | None] | None],
    by_unit: dict[str, list[int]],
    cohort: CohortResult,
) -> dict[tuple[int, str, str | None], Ref]:
    """(entry, member, cell in the entry's file) → the source cell of a value a member link fed in."""

    def find(rubric: str, unit: str, year: int | None) -> Entry | None:
        found = [k for k in by_unit.get(unit, []) if keys[k] == (rubric, year)]
        if not found:
            return None
        e = store.entry(found[-1])
        return e if e.result.unit == unit else None

    out: dict[tuple[int, str, str | None], Ref] = {}
    for link in cohort.links:
        if link.source_field is None or link.source_year is None:
            continue
        target = find(link.rubric, link.unit, link.year)
        source = find(link.source_rubric, link.unit, link.source_year)
        if target is None or source is None or target.defn.members is None or source.defn.members is None:
            continue
        who, field = link.field.rsplit(".", 1)
        i = next((n for n, m in enumerate(target.result.members, 1) if m.name == who), None)
        j = next((n for n, m in enumerate(source.result.members, 1) if m.name == who), None)
        if i is None or j is None:
            continue
        here = target.ref(f"{target.defn.members.key}.{i}.{field}")
        there = source.ref(f"{source.defn.members.key}.{j}.{link.source_field}")
        out[(target.at, who, here.cell)] = Ref(
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
