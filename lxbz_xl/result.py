"""Evaluation results: plain dataclasses (cheap to build in a cell) with a stable JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from lxbz_xl.exact import as_json_number
from lxbz_xl.exact import show as show_as
from lxbz_xl.inputs import InputError


@dataclass(slots=True, frozen=True)
class ClauseResult:
    """Immutable: the compiled scorers hand the same ClauseResult to every Result with the same counts."""

    id: str
    label: str
    value: Fraction  # points deducted (deduct items) or earned (award/proportional items), after its cap
    explanation: str | None


@dataclass(slots=True)
class ItemResult:
    id: int
    name: str
    points: Fraction
    score: Fraction
    deduction: Fraction  # points − score, whatever the item's mode: the form's 扣分 column
    clauses: list[ClauseResult]
    explanations: list[str]


@dataclass(slots=True)
class ValueResult:
    name: str
    label: str
    value: Fraction | None
    explanation: str
    display: str = "number"


@dataclass(slots=True)
class Adjustment:
    kind: str  # veto | cap | demote
    before: str
    after: str
    reason: str


@dataclass(slots=True)
class Consequence:
    """What the organisation department does with a tier or a multi-year record (RUBRICS.md §11).

    ``kind`` is a stable code for filters and JSON: commend (表彰奖励) | rectify (集体谈话、限期改进 /
    限期整改) | admonish (诫勉、限期改进) | decide (免职/责令辞职/降职, listed for the body in charge,
    never chosen) | per_documents (按现行有关文件执行) | salary (连续三年优秀, 晋升工资) | training
    (集中调训). ``action`` and ``reason`` are the Chinese a clerk reads.
    """

    kind: str
    action: str
    reason: str


@dataclass(slots=True)
class Outcome:
    """Tier, title and notices of one unit or one member."""

    total: Fraction | None = None
    values: list[ValueResult] = field(default_factory=list)
    base_tier: str | None = None
    tier: str | None = None
    tier_reason: str | None = None
    manual: str | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    title_name: str | None = None
    title: bool | None = None
    failed: list[str] = field(default_factory=list)
    provisional_on: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Filled by the cohort step (lxbz_xl.cohort), which needs the parsed inputs to test conditions.
    inputs: dict[str, Any] = field(default_factory=dict, repr=False)
    rank: int | None = None
    band: str | None = None
    awards: list[str] = field(default_factory=list)
    # §11: consequences of the tier and of multi-year records; may_promote is None when undecided
    # (no tier), False for tiers that bar 选拔任用 to a higher post, True for 优秀/称职.
    consequences: list[Consequence] = field(default_factory=list)
    may_promote: bool | None = None

    def outcome_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.values:
            out["values"] = {v.name: _value_json(v) for v in self.values}
        if self.base_tier is not None or self.tier is not None or self.manual is not None:
            out["base_tier"] = self.base_tier
            out["tier"] = self.tier
            out["tier_reason"] = self.tier_reason
            if self.manual:
                out["manual"] = self.manual
        out["adjustments"] = [
            {"kind": a.kind, "from": a.before, "to": a.after, "reason": a.reason} for a in self.adjustments
        ]
        if self.title_name is not None:
            out["title_name"] = self.title_name
            out["title"] = self.title
            out["failed_conditions"] = self.failed
            out["provisional_on"] = self.provisional_on
        out["flags"] = self.flags
        out["notes"] = self.notes
        if self.rank is not None:
            out["rank"] = self.rank
        if self.band is not None:
            out["band"] = self.band
        if self.awards:
            out["awards"] = self.awards
        out["consequences"] = [
            {"kind": c.kind, "action": c.action, "reason": c.reason} for c in self.consequences
        ]
        if self.may_promote is not None:
            out["may_promote"] = self.may_promote
        return out


@dataclass(slots=True)
class MemberResult(Outcome):
    name: str = ""


@dataclass(slots=True)
class Result(Outcome):
    rubric: str = ""
    rubric_version: str = ""
    unit: str = ""
    year: int | None = None
    source: str | None = None
    total_points: Fraction | None = None
    items: list[ItemResult] = field(default_factory=list)
    members: list[MemberResult] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def item(self, item_id: int) -> ItemResult:
        return next(i for i in self.items if i.id == item_id)

    def value(self, name: str) -> Fraction | None:
        return next((v.value for v in self.values if v.name == name), None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rubric": self.rubric,
            "rubric_version": self.rubric_version,
            "unit": self.unit,
            "year": self.year,
            "source": self.source,
            "total": _num(self.total),
            "total_exact": _exact(self.total),
            "items": [
                {
                    "id": i.id,
                    "name": i.name,
                    "points": _num(i.points),
                    "points_exact": _exact(i.points),
                    "score": _num(i.score),
                    "score_exact": _exact(i.score),
                    "deduction": _num(i.deduction),
                    "deduction_exact": _exact(i.deduction),
                    "explanations": i.explanations,
                    "clauses": [
                        {"id": c.id, "label": c.label, "value": _num(c.value), "value_exact": _exact(c.value)}
                        for c in i.clauses
                    ],
                }
                for i in self.items
            ],
        }
        out.update(self.outcome_json())
        if self.members:
            out["members"] = [
                {"name": m.name, "total": _num(m.total), "total_exact": _exact(m.total), **m.outcome_json()}
                for m in self.members
            ]
        out["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return out


def _num(value: Fraction | None) -> int | float | None:
    return None if value is None else as_json_number(value)


def _exact(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def _value_json(v: ValueResult) -> dict[str, Any]:
    """`value` is the display number (a rate to 2 decimals of its percentage: 0.825), `display` the text a
    report shows (82.5%), `exact` the exact fraction (RUBRICS.md §0)."""
    rate = v.display == "percent"
    value = None if v.value is None else as_json_number(v.value, 4 if rate else 2)
    out = {"label": v.label, "value": value, "exact": _exact(v.value), "display": show(v.value, v.display)}
    if rate:
        out["unit"] = "%"
    out["explanation"] = v.explanation
    return out


def show(value: Fraction | None, display: str = "number") -> str:
    return "—" if value is None else show_as(value, display)
