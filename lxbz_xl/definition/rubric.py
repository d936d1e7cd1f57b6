"""The rubric definition: items and clauses, variables, tiers, titles, members and cohort rules."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated, Any, Literal

from lxbz_xl.definition.base import (
    Dec,
    FlagRef,
    InputRef,
    NumLike,
    Parameter,
    Ref,
    Reference,
    ScoreRef,
    Strict,
)
from lxbz_xl.definition.derived import fill_derived
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.logic import Condition, Expr
from lxbz_xl.definition.pydantic_api import Discriminator, Field, PrivateAttr, Tag, model_validator

# ---------------------------------------------------------------- clauses


class _ClauseBase(Strict):
    id: str
    label: str  # the 检查情况 row label on the form
    # 评分标准 fragment used in explanations, e.g. "每1名班子成员无个人计划扣1分". May use {parameter} slots.
    rule_text: str
    cap: Dec | None = None  # a clause's own cap, smaller than its item (learning_team item 5: 每项2分)
    reference: Reference | None = None


class PerUnitClause(_ClauseBase):
    """Capped deduction or award: units × per_unit (the item's `mode` says which)."""

    kind: Literal["per_unit"] = "per_unit"
    input: FieldSpec
    per_unit: NumLike


class ShortfallClause(_ClauseBase):
    """Shortfall against a ratio: required = ceil(ratio × base); per missing unit (learning_team item 7)."""

    kind: Literal["shortfall"] = "shortfall"
    base: FieldSpec
    achieved: FieldSpec
    ratio: NumLike
    per_unit: NumLike


class ProportionalClause(_ClauseBase):
    """Proportional: points × min(1, done / target) (完成的得满分,完不成的同比例扣分)."""

    kind: Literal["proportional"] = "proportional"
    done: FieldSpec
    target: FieldSpec
    points: Dec


def _clause_kind(value: Any) -> str | None:
    # `kind` may be omitted: the inputs a clause names say which primitive it is.
    if isinstance(value, dict):
        if "kind" in value:
            return str(value["kind"])
        for key, kind in (("input", "per_unit"), ("base", "shortfall"), ("done", "proportional")):
            if key in value:
                return kind
        return None
    return getattr(value, "kind", None)


Clause = Annotated[
    Annotated[PerUnitClause, Tag("per_unit")]
    | Annotated[ShortfallClause, Tag("shortfall")]
    | Annotated[ProportionalClause, Tag("proportional")],
    Discriminator(_clause_kind),
]


class Item(Strict):
    id: int
    name: str  # short heading for tables
    content: str  # 考核内容, verbatim from the seed
    points: Dec  # 分值
    standard: str  # 评分标准, verbatim from the seed
    mode: Literal["deduct", "award", "proportional"]
    clauses: list[Clause]
    reference: Reference
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Item:
        ids = [c.id for c in self.clauses]
        if len(set(ids)) != len(ids):
            raise ValueError(f"第{self.id}项:检查内容 id 重复 {ids}")
        for clause in self.clauses:
            if clause.cap is not None and clause.cap > self.points:
                raise ValueError(
                    f"第{self.id}项 {clause.id}:本条上限 cap {clause.cap} 大于本项分值 {self.points}"
                )
            if isinstance(clause, ProportionalClause) and clause.points > self.points:
                raise ValueError(f"第{self.id}项 {clause.id}:分值大于本项分值 {self.points}")
            if (clause.kind == "proportional") != (self.mode == "proportional"):
                raise ValueError(
                    f"第{self.id}项:{clause.id} 的 kind {clause.kind} 与本项 mode {self.mode} 不符"
                )
        if self.mode == "proportional":
            total = sum((c.points for c in self.clauses if isinstance(c, ProportionalClause)), Decimal(0))
            if total != self.points:
                raise ValueError(f"第{self.id}项:各条分值合计 {total},不等于本项分值 {self.points}")
        return self

    def inputs(self) -> list[FieldSpec]:
        out: list[FieldSpec] = []
        for c in self.clauses:
            if isinstance(c, PerUnitClause):
                out.append(c.input)
            elif isinstance(c, ShortfallClause):
                out += [c.base, c.achieved]
            else:
                out += [c.done, c.target]
        return out


# ---------------------------------------------------------------- variables, tiers, titles


class Variable(Strict):
    name: str
    label: str
    expr: Expr
    unit: str = ""
    display: Literal["number", "percent"] = "number"
    reference: Reference | None = None


class TierRule(Strict):
    """First matching rule decides. `manual` means no tier is guessed (e.g. 受纪律处分 → 按现行文件认定)."""

    tier: str | None = None
    manual: str | None = None
    when: Condition
    note: str | None = None
    reference: Reference | None = None

    @model_validator(mode="after")
    def _one(self) -> TierRule:
        if (self.tier is None) == (self.manual is None):
            raise ValueError("档次规则须且只须写 tier 或 manual 之一")
        return self


class Threshold(Strict):
    tier: str
    min: NumLike  # `>=` (以上)


class Veto(Strict):
    """一票否决: any flag set drops the tier `steps` steps; several flags stack only if `stack`."""

    kind: Literal["veto"]
    flags: list[FlagRef]
    steps: int = 1
    stack: bool = False
    reason: str
    reference: Reference | None = None


class Cap(Strict):
    """A ceiling on the tier when a condition holds (learning-team cap: no title → not 优秀)."""

    kind: Literal["cap"]
    when: Condition
    max: str
    reason: str
    reference: Reference | None = None


Adjustment = Annotated[Veto | Cap, Field(discriminator="kind")]

ConsequenceKind = Literal["commend", "rectify", "admonish", "decide", "per_documents", "salary", "training"]


class ConsequenceRule(Strict):
    """What the organisation department does with a final tier (RUBRICS.md §11, seed 002 第二十四/二十五条).

    `decide` actions are listed for the body in charge, never chosen by the core.
    """

    kind: ConsequenceKind
    action: str  # the Chinese a clerk reads, e.g. 集体谈话、限期改进
    reason: str | None = None  # default: 考核档次为{tier}
    reference: Reference | None = None


class Tiers(Strict):
    order: list[str]  # best first
    rules: list[TierRule] = Field(default_factory=list)
    # Score ladder sugar: [{tier, min}], best first, each `score >= min`.
    score: Expr | None = None
    thresholds: list[Threshold] = Field(default_factory=list)
    default: str
    adjustments: list[Adjustment] = Field(default_factory=list)
    pending_local: bool = False
    # Consequences of the FINAL tier (after vetoes, caps and the cohort step), keyed by tier name or by a
    # rule's `manual` text (受纪律处分 → 按现行有关文件执行).
    consequences: dict[str, list[ConsequenceRule]] = Field(default_factory=dict)
    # Tiers from which a cadre may be 选拔担任上一级领导职务; None: the rubric says nothing about promotion.
    promotable: list[str] | None = None
    promotable_reference: Reference | None = None

    @model_validator(mode="after")
    def _check(self) -> Tiers:
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"tiers:order 中档次重名 {self.order}")
        manual = {r.manual for r in self.rules if r.manual}
        for key in self.consequences:
            if key not in self.order and key not in manual:
                raise ValueError(
                    f"tiers.consequences:{key!r} 既不是档次({'、'.join(self.order)})也不是 manual 结果"
                )
        for name in self.promotable or []:
            if name not in self.order:
                raise ValueError(f"tiers.promotable:{name!r} 不是档次之一;可用:{'、'.join(self.order)}")
        named = [r.tier for r in self.rules if r.tier] + [t.tier for t in self.thresholds] + [self.default]
        named += [a.max for a in self.adjustments if isinstance(a, Cap)]
        for name in named:
            if name not in self.order:
                raise ValueError(f"tiers:{name!r} 不是档次之一;可用:{'、'.join(self.order)}")
        positions = [self.order.index(t.tier) for t in self.thresholds]
        if positions != sorted(positions) or len(set(positions)) != len(positions):
            raise ValueError(f"tiers:thresholds 顺序错误,须按 {'、'.join(self.order)} 由高到低")
        if self.thresholds and self.score is None:
            raise ValueError("tiers:thresholds 需要 score 表达式")
        return self


class Requirement(Strict):
    label: str  # named in the result when it fails
    when: Condition
    reference: Reference | None = None
    # For flags: the year-level list of the summary workbook this notice belongs to (e.g. 限期整改).
    category: str | None = None


class Title(Strict):
    name: str
    requires: list[Requirement]


class Entity(Strict):
    """The parts of a rubric evaluated once per unit, or once per member (OpenFisca's entities)."""

    inputs: list[FieldSpec] = Field(default_factory=list)
    variables: list[Variable] = Field(default_factory=list)
    total: Expr | None = None
    tiers: Tiers | None = None
    title: Title | None = None
    flags: list[Requirement] = Field(default_factory=list)  # notices such as 集中调训, 限期整改
    one_of: list[list[InputRef]] = Field(default_factory=list)  # exactly one of these inputs must be given


class Members(Entity):
    key: str = "members"
    label: str
    name_field: InputRef = "name"


# ---------------------------------------------------------------- across units


TieBreak = Literal["fewer_items_below_full", "unit"]


def _unit_ties() -> list[TieBreak]:
    return ["unit"]


class Ranking(Strict):
    key: ScoreRef = "total"
    ties: list[TieBreak] = Field(default_factory=_unit_ties)
    eligible_only: bool = True


class Band(Strict):
    name: str
    share: NumLike
    side: Literal["top", "bottom"]


class Banding(Strict):
    key: ScoreRef = "total"
    bands: list[Band]
    middle: str
    # An input naming who ranks (考核主体): ranking, banding and ties happen within one (year, value);
    # cases without it form one group.
    group_by: InputRef | None = None
    group_label: str | None = None
    demote_when: Condition | None = None
    demote_reason: str | None = None
    pending_local: bool = False


class QuotaPool(Strict):
    name: str
    entity: Literal["unit", "member"] = "unit"
    filter: Condition | None = None  # who is in this pool (e.g. position 正职)
    base: Condition | None = None  # who counts toward the quota base; default: everyone in the pool
    share: NumLike
    score: ScoreRef  # variable ranked on
    requires_parent_in: Annotated[str, Ref("pool")] | None = (
        None  # an awarded 正职 must come from an awarded team
    )
    # Members only: a condition on the member's unit (e.g. the team meets the standard and is 综合考评优秀);
    # members of other units do not take part, and the result says why.
    parent_when: Condition | None = None
    parent_reason: str | None = None


class Quota(Strict):
    pools: list[QuotaPool]


class AwardCycle(Strict):
    """An award held every `every` years counted from `base_year` (e.g. 每两年进行一次评选)."""

    every: NumLike
    base_year: NumLike
    label: str = "评选年"
    reference: Reference | None = None


class Link(Strict):
    """Feed another rubric's output into this case when the case doesn't give it (the section 1 chain).

    `output` carries the source's title or tier; `when` instead carries whether a condition holds on the
    source result (e.g. a party-building finding on the secretary's case → the team cannot be 优秀).
    """

    field: InputRef
    rubric: Annotated[str, Ref("rubric")]
    output: Literal["title", "tier", "tier_before_caps"] | None = None
    # Resolved against the linked rubric's inputs and outputs, not this one's (definition/check.py).
    when: Condition | None = None
    # False: a unit may have no such case (not every unit has a township secretary); its absence is no 缺报.
    required: bool = True
    reference: Reference | None = None

    @model_validator(mode="after")
    def _one(self) -> Link:
        if (self.output is None) == (self.when is None):
            raise ValueError(f"链接 {self.field}:output 与 when 须且只须写一个")
        return self


class MemberLink(Strict):
    """Fill a member's input from the same person's record in another case of the unit, matched by name
    (e.g. 上年度学分 from last year's 本年度学分)."""

    field: InputRef  # the member input to fill
    rubric: Annotated[str, Ref("rubric")]  # the source case's rubric
    input: Annotated[str, Ref("foreign")]  # the source member's input
    year_offset: int = 0  # -1: last year's record
    reference: Reference | None = None


class ShareGoal(Strict):
    """A yearly target for a share: start in base_year, rising by step a year, never above max."""

    base_year: int
    start: NumLike
    step: NumLike = Decimal(0)
    max: NumLike = Decimal(1)
    label: str | None = None
    reference: Reference | None = None


class ShareReport(Requirement):
    goal: ShareGoal | None = None


class ConsequenceSpec(Strict):
    kind: Literal["commend", "rectify", "admonish", "decide", "per_documents", "salary", "training"]
    action: str


class Streak(Strict):
    """A tier held `years` years running (this year and the ones before) has a consequence (RUBRICS.md §11,
    连续三年优秀 → 晋升工资). Earlier years come from the batch (same unit, or same member name in the same
    unit) or, failing that, from the inputs named in `previous` (last year first)."""

    tier: Annotated[str, Ref("tier_name")]  # a tier of the entity's own tiers.order
    years: int = Field(ge=2)
    entity: Literal["unit", "member"] = "unit"
    previous: list[InputRef] = Field(default_factory=list)  # inputs of the entity (unit or member)
    consequence: ConsequenceSpec
    reason: str
    reference: Reference | None = None


class BottomFlag(Strict):
    """The bottom share of a ranking on `key` (rounded down; ties at the edge stay out) raises a notice
    (RUBRICS.md §11: 满意度评议结果靠后 → 限期整改)."""

    key: ScoreRef
    share: NumLike
    label: str
    category: str | None = None
    consequence: ConsequenceSpec | None = None
    reference: Reference | None = None


class Cohort(Strict):
    ranking: Ranking | None = None
    banding: Banding | None = None
    quota: Quota | None = None
    award_cycle: AwardCycle | None = None
    links: list[Link] = Field(default_factory=list)
    member_links: list[MemberLink] = Field(default_factory=list)
    share_report: ShareReport | None = None
    streaks: list[Streak] = Field(default_factory=list)
    bottom_flags: list[BottomFlag] = Field(default_factory=list)


class Roster(Strict):
    """A per-person table (班子成员明细) from which clause counts are derived with the rubric's thresholds.

    `derive` maps a clause input path (items.N.name) to the condition a row must meet to be counted;
    null counts every row.
    """

    key: str = "roster"
    label: str
    columns: list[FieldSpec]
    derive: dict[Annotated[str, Ref("clause_input")], Condition | None]


class FormHints(Strict):
    """How the generated workbook lays the rubric out (presentation, not scoring): page orientation as
    the paper form is printed, and how many rows the member table, the ballot matrix and list inputs
    offer. A case with more members or ballots than the form holds cannot be filled (a clear error)."""

    orientation: Literal["portrait", "landscape"] = "portrait"
    members: int = Field(default=30, ge=1, le=1000)
    ballots: int = Field(default=60, ge=1, le=5000)
    # input path (a `numbers` input of the unit) → cells
    lists: dict[Annotated[str, Ref("list_input")], Annotated[int, Field(ge=1, le=1000)]] = Field(
        default_factory=dict
    )
    # roster column path → column width (characters) on the roster sheet, where the type's default is wrong
    roster_widths: dict[Annotated[str, Ref("roster_column")], Annotated[float, Field(gt=0, le=100)]] = Field(
        default_factory=dict
    )
    # the label of the item table's sum row when the rubric computes a total of its own from it
    items_total_label: str = Field(default="各项得分合计", min_length=1, max_length=40)


class SummaryHints(Strict):
    """How `lxbz summary` reports the rubric (no scoring: a workbook's results do not depend on it).

    `order`: where the rubric's units are listed in the summary (smaller first; rubrics without one
    follow by id). `chain`: the rubric's part in the eligibility chain of RUBRICS.md §1 — `party_org`
    (the Party-organisation title), `learning` (the learning-team title, which 超标单位 requires) or
    `annual` (the annual tier, whose top tier the learning-team title caps). `chain_label`: the words the
    summary uses for that part (its column heading and reasons; default: `short_name`). `unlocks`: on the
    `learning` part, what else its title is the condition of (超标单位), named in its own column."""

    order: int | None = Field(default=None, ge=1, le=1000)
    chain: Literal["party_org", "learning", "annual"] | None = None
    chain_label: str | None = Field(default=None, min_length=1, max_length=20)
    unlocks: str | None = Field(default=None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _labels_need_a_part(self) -> SummaryHints:
        if self.chain_label is not None and self.chain is None:
            raise ValueError("chain_label(资格链用语)只能与 chain(资格链角色)同时填写")
        if self.unlocks is not None and self.chain != "learning":
            raise ValueError("unlocks(称号的其他用途,如 超标单位)只能写在 chain: learning 的细则中")
        return self


class RubricDefinition(Entity):
    id: str
    version: str
    name: str
    short_name: str
    source: Reference
    description: str = ""
    total_points: Dec | None = None
    total_label: str = "总分"
    # Whom one case scores: a unit (team, Party organisation, township) or one person (a cadre).
    subject: Literal["unit", "person"] = "unit"
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    members: Members | None = None
    roster: Roster | None = None
    cohort: Cohort = Field(default_factory=Cohort)
    notes: list[str] = Field(default_factory=list)
    form: FormHints = Field(default_factory=FormHints)
    summary: SummaryHints = Field(default_factory=SummaryHints)
    # Inputs an earlier version had (case path, member fields as `members.<field>`) → what replaced them:
    # a case file still using one is told so, instead of a bare 未知字段. Changes no result.
    retired_inputs: dict[
        Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$")],
        Annotated[str, Field(min_length=1, max_length=300)],
    ] = Field(default_factory=dict)
    # What is derived from this definition, built once (lxbz_xl/compiled.py): input specs, the compiled
    # evaluation, rendered texts. A copy (model_copy) rebuilds its own: the owner is checked on access.
    _compiled: Any = PrivateAttr(default=None)

    _years: Any = PrivateAttr(default=None)
    _dated: Any = PrivateAttr(default=None)

    @property
    def dated(self) -> bool:
        """Whether any parameter has dated values (`values:`), so the case's year selects the rules."""
        private = self.__pydantic_private__
        found = private.get("_dated") if private else None
        if found is None or found[0] is not self.parameters:  # a copy with other parameters: look again
            found = (self.parameters, any(p.values for p in self.parameters.values()))
            self._dated = found
        return found[1]

    def year_problem(self, year: int) -> str | None:
        """Chinese message when `year` is before the first start date of a dated parameter."""
        for name, param in self.parameters.items():
            if param.values and param.in_force(year) is None:
                first = param.start.isoformat() if param.start else ""
                return (
                    f"年度 {year} 早于参数 {name}({param.label})的最早起始日期 {first},"
                    f"该年度没有适用的值;请改用 {first[:4]} 年或以后的年度,或在 values 中补充该年度的值"
                )
        return None

    def for_year(self, year: int | None) -> RubricDefinition:
        """This definition with every dated parameter set to its value in force on 1 January of `year`
        (derived parameters recomputed). `None`, or no dated parameter: the definition itself (latest
        values). Built once per year and kept on the definition. Raises ValueError (Chinese) for a year
        before a parameter's first start date."""
        if year is None or not self.dated:
            return self
        private = self.__pydantic_private__ or {}
        cached = private.get("_years")  # (owner, views): a model_copy must not use its original's views
        if cached is None or cached[0] is not self:
            cached = (self, {})
            self._years = cached
        views: dict[int, RubricDefinition] = cached[1]
        found = views.get(year)
        if found is None:
            problem = self.year_problem(year)
            if problem:
                raise ValueError(problem)
            found = views[year] = self._year_view(year)
        return found

    def rules_year(self, year: int | None) -> int | None:
        """The year whose rules a form built "for `year`" uses: `year`, or for None the year of the latest
        start date of any dated parameter (None when nothing is dated)."""
        if year is not None or not self.dated:
            return year
        return max((p.values and max(p.values).year) or 0 for p in self.parameters.values())

    def fixed(self, year: int | None) -> RubricDefinition:
        """The rules of `year` (None: the latest values) with no dated parameter left: what a form built
        for that year computes, whatever year its cells are evaluated under."""
        return self.for_year(self.rules_year(year))

    def _year_view(self, year: int) -> RubricDefinition:
        raw: dict[str, Any] = {}
        for name, param in self.parameters.items():
            if param.derived:
                raw[name] = {"derived": param.derived}
            else:
                dated = param.in_force(year)
                assert dated is not None
                raw[name] = {"value": dated.value}
        values = fill_derived({"parameters": raw})["parameters"]
        params = {}
        for name, param in self.parameters.items():
            update: dict[str, Any] = {"value": Decimal(values[name]["value"])}
            if param.values:
                dated = param.in_force(year)
                assert dated is not None
                update["reference"] = dated.reference or param.reference
                update["values"] = None  # a year's rules are fixed: later evaluation keeps them
            params[name] = param.model_copy(update=update)
        view = self.model_copy(update={"parameters": params})
        view._compiled = None
        view._years = None
        return view

    def __getstate__(self) -> dict[Any, Any]:
        # The compiled rubric holds generated closures (not picklable) and is derived data: a pickled
        # definition (definition/cache.py) leaves it out and compiles again on first use.
        state = super().__getstate__()
        private = state.get("__pydantic_private__")
        if private and any(private.get(k) is not None for k in ("_compiled", "_years", "_dated")):
            state = {
                **state,
                "__pydantic_private__": {**private, "_compiled": None, "_years": None, "_dated": None},
            }
        return state

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, raw: Any) -> Any:
        return fill_derived(raw)

    @model_validator(mode="after")
    def _check(self) -> RubricDefinition:
        ids = [i.id for i in self.items]
        if ids != sorted(set(ids)):
            raise ValueError(f"items:id 须唯一且递增,实为 {ids}")
        if self.items:
            points = sum((i.points for i in self.items), Decimal(0))
            if self.total_points is None:
                raise ValueError("total_points:有评分项目(items)时必填")
            if points != self.total_points:
                raise ValueError(f"items:各项分值合计 {points},不等于 total_points {self.total_points}")
        for defn, when in self._dated_views():
            for where, tiers in (
                ("tiers", defn.tiers),
                ("members.tiers", defn.members.tiers if defn.members else None),
            ):
                if tiers is not None:
                    defn._check_minima(where + when, tiers)
        live = self._live_paths()
        for path in self.retired_inputs:
            if path in live:
                raise ValueError(f"retired_inputs.{path}:停用的输入与现有输入同名;停用的输入须是本版已没有的")
        return self

    def _live_paths(self) -> set[str]:
        """Every input path a case may hold (member fields as `members.<field>`), for retired_inputs."""
        paths = {s.path for s in self.inputs}
        paths |= {f"items.{i.id}.{s.path}" for i in self.items for s in i.inputs()}
        if self.members is not None:
            paths |= {f"{self.members.key}.{s.path}" for s in self.members.inputs}  # Entity.inputs
        if self.roster is not None:
            paths |= {f"{self.roster.key}.{s.path}" for s in self.roster.columns}
        return paths

    def _dated_views(self) -> list[tuple[RubricDefinition, str]]:
        """The definition, and for dated parameters its rules of every start year in which every
        parameter has a value (each year's rules must be sound on their own)."""
        starts = sorted({d for p in self.parameters.values() if p.values for d in p.values})
        if not starts:
            return [(self, "")]
        first = max(p.start for p in self.parameters.values() if p.start is not None)
        return [(self._year_view(d.year), f"({d.year}年起的参数值)") for d in starts if d >= first]

    def _check_minima(self, where: str, tiers: Tiers) -> None:
        """Score ladders must fall strictly from best to worst once $parameters are filled in."""

        def value(v: object) -> Decimal | None:
            if isinstance(v, Decimal):
                return v
            if isinstance(v, str) and v.startswith("$") and v[1:] in self.parameters:
                return self.parameters[v[1:]].value
            return None

        mins = [value(t.min) for t in tiers.thresholds]
        known = [m for m in mins if m is not None]
        if any(a <= b for a, b in itertools.pairwise(known)):
            raise ValueError(
                f"{where}:档次分数线顺序错误,thresholds 的 min {[str(k) for k in known]} 须严格递减"
            )
