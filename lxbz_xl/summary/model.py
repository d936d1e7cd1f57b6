"""What `lxbz summary` computes: plain data, written out by lxbz_xl.summary.write_xlsx and as JSON.

Data flows one way: validated submissions → cases → the cohort evaluation (lxbz_xl.cohort) → this model
→ workbook / JSON. Every figure keeps a `Ref` to the file and cell it was read from, or says that the
summary recomputed it (the §1 chain changes figures no single workbook shows).
"""

from __future__ import annotations

import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lxbz_xl.cohort import CohortResult
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.result import MemberResult, Result
from lxbz_xl.summary.spool import Spool

# The inputs the cohort sheets show beside a result they list (好中差: the secretary's name); the rest
# of a listed result's inputs is not kept (compute.record_view).
RECORD_INPUTS: tuple[str, ...] = ("secretary",)
# Histogram bins of totals on a 100-point scale, lower bound inclusive: [0,60) [60,70) … [90,100].
HISTOGRAM_BINS: tuple[tuple[int, int], ...] = ((0, 60), (60, 70), (70, 80), (80, 90), (90, 101))


def file_name(path: str) -> str:
    """`Path(path).name`, without pathlib (which interns every part of every path it parses: 10,000
    submissions' file names would stay in the interpreter's table)."""
    return os.path.basename(path.rstrip(os.sep + (os.altsep or "")))


@dataclass(frozen=True, slots=True)
class Ref:
    """Where a figure comes from: a cell of a submitted file, or a recomputation named in `note`."""

    file: str
    sheet: str | None = None
    cell: str | None = None
    note: str = ""

    @property
    def text(self) -> str:
        where = file_name(self.file)
        if self.sheet and self.cell:
            where += f" {self.sheet}!{self.cell}"
        return where + (f"({self.note})" if self.note else "")


class CellRefs(Mapping[str, Ref]):
    """Case path → `Ref` in one submitted file, built on access (a form has hundreds of cells)."""

    __slots__ = ("_cells", "_file")

    def __init__(self, file: str, cells: Mapping[str, tuple[str, str]]) -> None:
        self._file, self._cells = file, cells

    def __getitem__(self, key: str) -> Ref:
        sheet, cell = self._cells[key]
        return Ref(self._file, sheet, cell)

    def __iter__(self) -> Iterator[str]:
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)

    def __contains__(self, key: object) -> bool:
        return key in self._cells


def _payloads() -> Spool:
    """Where submissions keep their case and shown cells: one spool per process, read without a cache
    (each read of `Submission.case` is a fresh mapping the caller may change)."""
    global _PAYLOADS
    if _PAYLOADS is None:
        _PAYLOADS = Spool(recent=0)
    return _PAYLOADS


_PAYLOADS: Spool | None = None


def _word(text: str | None) -> str | None:
    """One object per distinct short word (status, rubric id, version, variant) across the batch."""
    return None if text is None else sys.intern(text)


@dataclass(slots=True, init=False)
class Submission:
    """One file of the batch, valid or not.

    The case read from the cells and the cells the file shows are kept on disk (`Spool`): ``case`` and
    ``shown`` unpickle a fresh mapping on each read (assign to change them). 10,000 nested mappings were
    a quarter of the summary's memory, their bytes a sixth."""

    path: str
    sha256: str | None
    status: Literal["valid", "invalid"]
    rubric: str | None
    version: str | None
    variant: str | None
    unit: str | None
    year: int | None
    problems: list[str]  # Chinese, the validator's findings (first few)
    used: bool  # chosen as the unit's record for this rubric and year
    _case_at: int  # record of the case in the payload spool, -1 for none
    _shown_at: int  # record of the shown cells, -1 for none

    def __init__(
        self,
        path: str,
        sha256: str | None,
        status: Literal["valid", "invalid"],
        rubric: str | None = None,
        version: str | None = None,
        variant: str | None = None,
        unit: str | None = None,
        year: int | None = None,
        problems: list[str] | None = None,
        case: dict[str, Any] | None = None,
        used: bool = False,
        shown: dict[str, Any] | None = None,
    ) -> None:
        self.path, self.sha256, self.status = path, sha256, status
        self.rubric, self.version, self.variant = _word(rubric), _word(version), _word(variant)
        self.unit, self.year = unit, year
        self.problems = [] if problems is None else problems
        self.case = case
        self.used, self.shown = used, shown

    @property
    def case(self) -> dict[str, Any] | None:
        return None if self._case_at < 0 else _payloads().get(self._case_at)  # type: ignore[no-any-return]

    @case.setter
    def case(self, value: dict[str, Any] | None) -> None:
        self._case_at = -1 if value is None else _payloads().append(value)

    @property
    def has_case(self) -> bool:
        return self._case_at >= 0

    @property
    def shown(self) -> dict[str, Any] | None:
        """ "Sheet!A1" → what the file shows in its headline output cells."""
        return None if self._shown_at < 0 else _payloads().get(self._shown_at)  # type: ignore[no-any-return]

    @shown.setter
    def shown(self, value: dict[str, Any] | None) -> None:
        self._shown_at = -1 if value is None else _payloads().append(value)

    def __getstate__(self) -> dict[str, Any]:  # a pickled submission carries its mappings
        return {
            f: getattr(self, f)
            for f in (
                "path",
                "sha256",
                "status",
                "rubric",
                "version",
                "variant",
                "unit",
                "year",
                "problems",
                "used",
                "case",
                "shown",
            )
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        Submission.__init__(self, **state)


@dataclass(slots=True)
class Entry:
    """One used submission, evaluated with the rest of the batch."""

    submission: Submission
    defn: RubricDefinition
    result: Result  # after the chain, ranking, banding and quotas
    standalone: Result  # what the workbook itself computes (no batch): the figure the unit saw
    refs: Mapping[str, Ref] = field(default_factory=dict)  # "total", "tier", "title", "base_tier", inputs
    at: int = -1  # its record in the summary's entry store (compute.EntryStore), -1 when not stored

    @property
    def rubric(self) -> str:
        return self.defn.id

    def ref(self, key: str) -> Ref:
        return self.refs.get(key) or Ref(self.submission.path)

    @property
    def changed_by_batch(self) -> bool:
        """The chain changed the tier or title the workbook itself shows."""
        a, b = self.result, self.standalone
        return (a.tier, a.title) != (b.tier, b.title)


@dataclass(frozen=True, slots=True)
class ChainWords:
    """The §1 chain's words, taken from the rubrics that play its parts (`summary.chain`, `chain_label`,
    `unlocks` in their YAML); the defaults only stand in when no rubric of the batch or its links plays one."""

    party_org: str = "党组织称号"
    learning: str = "班子称号"
    annual: str = "年度考核"
    unlocks: str | None = None  # what the learning title is also the condition of (超标单位)

    def headers(self) -> tuple[str, ...]:
        unlocks = (f"可评{self.unlocks}",) if self.unlocks else ()
        return (
            self.party_org,
            self.learning,
            f"{self.annual}档次(资格链前)",
            f"{self.annual}档次",
            *unlocks,
            "资格链说明",
        )


@dataclass(slots=True)
class UnitRow:
    """One unit and year: its records across rubrics and the §1 eligibility chain."""

    unit: str
    year: int | None
    entries: Mapping[str, Entry] = field(default_factory=dict)  # rubric id → entry (read from disk)
    party_org_title: bool | None = None  # None: no usable record of the chain's party_org rubric
    learning_title: bool | None = None  # None: no usable record of the chain's learning rubric
    learning_provisional: list[str] = field(default_factory=list)  # conditions still open (待定)
    annual_base_tier: str | None = None  # the chain's annual tier before the learning-team cap
    annual_tier: str | None = None
    exceed_eligible: bool | None = None  # may hold what the learning title unlocks (ChainWords.unlocks)
    reasons: list[str] = field(default_factory=list)  # Chinese: each title or tier the chain removed, why
    flags: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # rubric ids the chain needs but the batch lacks


@dataclass(slots=True)
class PersonRow:
    """One cadre: a person-subject case, or a member of a rubric with a members table."""

    unit: str
    person: str
    rubric: str
    entry: Entry
    outcome: Result | MemberResult
    ref: Ref  # the cell of this person's total/tier/title
    detail: str = ""  # e.g. 职务 正职, 级别 处级
    index: int | None = None  # 1-based row among the entry's members; None for a person-subject case


@dataclass(slots=True)
class FlagRow:
    """A year-level indicator hit: 限期整改 (satisfaction < 80%) or 集中调训 (credits short twice)."""

    kind: str
    unit: str
    person: str | None
    detail: str  # Chinese: value, threshold and consequence
    refs: list[Ref]


# Consequence kinds (lxbz_xl.result.Consequence) as a clerk filters them.
CONSEQUENCE_KINDS = {
    "commend": "表彰奖励",
    "rectify": "限期整改",
    "admonish": "诫勉",
    "decide": "待组织研究决定",
    "per_documents": "按现行有关文件执行",
    "salary": "晋升工资",
    "training": "集中调训",
}


@dataclass(slots=True)
class ConsequenceRow:
    """One consequence (RUBRICS.md §11) of one unit or one cadre: a row a clerk filters and acts on."""

    year: int | None
    unit: str
    person: str | None  # None: the team (领导班子)
    rubric: str
    kind: str  # stable code, see CONSEQUENCE_KINDS
    action: str
    reason: str
    ref: Ref

    @property
    def kind_label(self) -> str:
        return CONSEQUENCE_KINDS.get(self.kind, self.kind)

    @property
    def text(self) -> str:
        """How a summary cell lists it: the action, then the rubric it comes from."""
        return self.action


@dataclass(slots=True)
class Problem:
    kind: Literal["缺报", "重复报送", "报送冲突", "未通过校验", "无法归属", "名称写法不一致"]
    unit: str | None
    year: int | None
    rubric: str | None
    files: list[str]
    detail: str


@dataclass(slots=True)
class Summary:
    generated_at: str  # ISO time, local
    inputs: list[str]  # the PATH arguments
    inputs_digest: str  # sha256 over the sorted (path name, file sha256) of every submission
    submissions: list[Submission]
    # The per-file tables live on disk (lxbz_xl.summary.spool) and are read in order by the writers.
    entries: Sequence[Entry]
    rows: Sequence[UnitRow]
    persons: Sequence[PersonRow]
    cohort: CohortResult
    flags: Sequence[FlagRow]
    problems: list[Problem]
    definitions: dict[str, RubricDefinition]  # rubric id → the definition used
    year: int | None = None  # the --year the report was narrowed to, if any
    consequences: Sequence[ConsequenceRow] = field(default_factory=list)
    chain: ChainWords = field(default_factory=ChainWords)
    tally: Tally | None = None  # counted while the entries were made; None: counted on demand

    def consequences_of(self, unit: str, year: int | None, person: str | None = None) -> list[ConsequenceRow]:
        """The team's consequences (person None) or one cadre's, for one unit and year."""
        return [c for c in self.consequences if c.unit == unit and c.year == year and c.person == person]

    @property
    def counted(self) -> Tally:
        if self.tally is None:
            self.tally = Tally.of(self.entries)
        return self.tally

    @property
    def years(self) -> list[int]:
        return sorted(self.counted.years)

    def entries_of(self, rubric: str) -> list[Entry]:
        return [e for e in self.entries if e.rubric == rubric]

    def distributions(self) -> list[Distribution]:
        """Tier (or title, or 好/中/差 band) counts per rubric: of units, and of members where members are
        rated, in the rubric's own order with zero counts kept, so charts have stable categories."""
        out: list[Distribution] = []
        t = self.counted
        for rid, defn in sorted(self.definitions.items()):
            if defn.cohort.banding is not None:
                from lxbz_xl.cohort import band_names

                labels = band_names(defn.cohort.banding)
                out.append(_counted(rid, f"{defn.short_name}(综合排序)", labels, t.bands[rid]))
                continue
            subject = "干部" if defn.subject == "person" else "单位"
            unit_labels = t.units[rid]
            if any(x != "—" for x in unit_labels):
                out.append(_counted(rid, f"{defn.short_name}({subject})", _order(defn), unit_labels))
            if defn.members is not None:
                member_labels = t.members[rid]
                if any(x != "—" for x in member_labels):
                    label = f"{defn.short_name}({defn.members.label})"
                    out.append(_counted(rid, label, _order(defn.members), member_labels))
        return out

    def histograms(self) -> list[Distribution]:
        """Totals per rubric in HISTOGRAM_BINS: of units when units have totals, else of members."""
        out: list[Distribution] = []
        t = self.counted
        for rid, defn in sorted(self.definitions.items()):
            bins, found = t.unit_bins[rid], t.unit_totals[rid]
            who = "单位" if defn.subject == "unit" else "干部"
            if not found and defn.members is not None:
                bins, found = t.member_bins[rid], t.member_totals[rid]
                who = defn.members.label
            if found:
                counts = {bin_label(lo, hi): bins[i] for i, (lo, hi) in enumerate(HISTOGRAM_BINS)}
                out.append(Distribution(rid, f"{defn.short_name}({who})总分分布", counts))
        return out


def _bins() -> list[int]:
    return [0] * len(HISTOGRAM_BINS)


def _binned(bins: list[int], total: Any) -> None:
    for i, (lo, hi) in enumerate(HISTOGRAM_BINS):
        if lo <= total < hi:
            bins[i] += 1


@dataclass(slots=True)
class Tally:
    """What the charts and the 说明 sheet count over the entries, per rubric, gathered in one pass (the
    entries are on disk: a count per rubric must not read them all again)."""

    entries: Counter[str] = field(default_factory=Counter)  # entries per rubric
    with_total: set[str] = field(default_factory=set)  # rubrics where some unit has a total
    years: set[int] = field(default_factory=set)
    bands: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    units: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    members: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    unit_bins: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(_bins))
    member_bins: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(_bins))
    unit_totals: Counter[str] = field(default_factory=Counter)  # how many totals were binned
    member_totals: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Tally:
        out = cls()
        for e in entries:
            out.add(e)
        return out

    def add(self, e: Entry) -> None:
        rid, r = e.rubric, e.result
        self.entries[rid] += 1
        if r.year is not None:
            self.years.add(r.year)
        self.bands[rid][r.band or "—"] += 1
        self.units[rid][outcome_label(r)] += 1
        if r.total is not None:
            self.with_total.add(rid)
            self.unit_totals[rid] += 1
            _binned(self.unit_bins[rid], r.total)
        for m in r.members:
            self.members[rid][outcome_label(m)] += 1
            if m.total is not None:
                self.member_totals[rid] += 1
                _binned(self.member_bins[rid], m.total)


@dataclass(slots=True)
class Distribution:
    rubric: str
    title: str  # Chinese chart title
    counts: dict[str, int]  # category → count, in display order

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _order(entity: Any) -> list[str]:
    if entity.tiers is not None:
        return [*entity.tiers.order]
    if entity.title is not None:
        return ["是", "待定", "否"]
    return []


def _counted(rubric: str, title: str, labels: list[str], counted: Counter[str]) -> Distribution:
    counts = Counter(counted)
    out = {label: counts.pop(label, 0) for label in labels}
    out.update(sorted(counts.items()))
    return Distribution(rubric, title, out)


def outcome_label(r: Result | MemberResult) -> str:
    """The one word a distribution counts: tier, else manual decision, else title verdict."""
    if r.tier:
        return r.tier
    if r.manual:
        return "需人工认定"
    if r.title is not None:
        return "待定" if r.title and r.provisional_on else ("是" if r.title else "否")
    return "—"


def bin_label(lo: int, hi: int) -> str:
    if lo == 0:
        return f"不足{hi}分"
    if hi > 100:
        return f"{lo}分以上"
    return f"{lo}–{hi}分(不含{hi})"
