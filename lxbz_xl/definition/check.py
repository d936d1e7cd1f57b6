"""Name resolution and type checks of a loaded rubric: every name a rule reads must exist and fit.

The walk is driven by the schema, not by a list of constructs: a string position marked
`Annotated[str, Ref(kind)]` on a pydantic field (definition/base.py) is resolved in the scope it sits in
(the unit, a member, a roster row). A new construct that uses these markers is checked without a change
here; `tests/test_rubric_check.py` fails when a schema string is neither a reference nor known text.

Problems come back as (YAML path, Chinese message), all of them, so `lxbz rubrics check` lists every one.
"""

from __future__ import annotations

import re
import threading
import types
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ForwardRef, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lxbz_xl.definition import logic as L
from lxbz_xl.definition.base import ByField, Ref
from lxbz_xl.definition.fields import TYPE_WORDS, FieldSpec
from lxbz_xl.definition.rubric import (
    Entity,
    Link,
    MemberLink,
    Members,
    PerUnitClause,
    Quota,
    QuotaPool,
    Roster,
    RubricDefinition,
    ShortfallClause,
    Streak,
)

NUMERIC = frozenset({"count", "number"})
# Names the engine computes; what each is and when it exists (RUBRICS.md §0).
RESERVED_WORDS = {
    "items_total": "各项得分合计",
    "items_below_full": "未得满分的项数",
    "member_count": "成员人数",
    "total": "总分",
    "tier": "档次",
    "title": "称号",
}
_SLOT = re.compile(r"\{([A-Za-z_]\w*)\}")
_KIND_WORDS = {
    "value": "数值",
    "flag": "是/否",
    "votes": "票数表",
    "ballots": "选票列表",
    "numbers": "数值列表",
    "records": "记录列表",
    "enum": "选项",
    "score": "数值",
}


@dataclass(slots=True)
class Name:
    type: str  # a FieldSpec type, or "tier"
    spec: FieldSpec | None = None
    input: bool = True  # a declared input (not a variable or reserved name)


@dataclass(slots=True)
class Scope:
    names: dict[str, Name] = field(default_factory=dict)
    parent: Scope | None = None

    def find(self, name: str) -> Name | None:
        if name in self.names:
            return self.names[name]
        return self.parent.find(name) if self.parent else None

    def all_names(self) -> list[str]:
        own = list(self.names)
        return own + [n for n in (self.parent.all_names() if self.parent else []) if n not in self.names]


@dataclass
class Checker:
    defn: RubricDefinition
    problems: list[tuple[str, str]] = field(default_factory=list)
    used_params: set[str] = field(default_factory=set)
    unit: Scope = field(default_factory=Scope)
    member: Scope | None = None
    # Only the names a rubric defines are wanted (the scope a `when` link of another rubric reads): its
    # members and cohort rules are not walked, and nothing is loaded.
    names_only: bool = False

    def add(self, where: str, message: str) -> None:
        self.problems.append((where or "(根)", message))

    # ------------------------------------------------------------ the walk

    def walk(self, value: Any, ann: Any, where: str, scope: Scope) -> None:
        origin = get_origin(ann)
        if origin is Annotated:
            base, *meta = get_args(ann)
            marker = next((m for m in meta if isinstance(m, Ref)), None)
            if marker is not None and isinstance(value, str):
                self.resolve(marker.kind, value, where, scope)
                return
            self.walk(value, base, where, scope)
            return
        if origin in (Union, types.UnionType):
            for arg in get_args(ann):
                if _fits(value, arg):
                    self.walk(value, arg, where, scope)
                    return
            return
        if origin is list and isinstance(value, list):
            (item,) = get_args(ann)
            for i, v in enumerate(value):
                self.walk(v, item, f"{where}.{i}", scope)
            return
        if origin is dict and isinstance(value, dict):
            key_ann, value_ann = get_args(ann)
            for k, v in value.items():
                self.walk(k, key_ann, f"{where}.{k}", scope)
                self.walk(v, value_ann, f"{where}.{k}", scope)
            return
        if isinstance(ann, ForwardRef | str):
            # model_fields() resolves these: reaching one is a gap in the walk, not a rubric's problem.
            raise TypeError(f"unresolved annotation {ann!r} at {where}")
        if isinstance(value, BaseModel):
            self.model(value, where, scope)
        elif isinstance(value, str):
            self.text(value, where)

    def model(self, node: BaseModel, where: str, scope: Scope) -> None:
        if isinstance(node, Members):
            assert self.member is not None
            scope = self.member
        elif isinstance(node, Roster):
            scope = _roster_scope(node)
        elif isinstance(node, MemberLink) and self.member is not None:
            scope = self.member
        elif isinstance(node, QuotaPool | Streak) and node.entity == "member":
            if self.member is None:
                self.add(f"{where}.entity", "按成员(member)计算需要成员明细(members)")
                return
            scope = self.member
        if isinstance(node, Entity):
            self.entity(node, where, scope)
            return
        # A field read in another scope than its node's: (field name, that scope, or None if unknowable).
        elsewhere: tuple[str, Scope | None] | None = None
        if isinstance(node, QuotaPool) and node.parent_when is not None:
            # parent_when is a condition on the member's unit: the unit's names, whatever the pool's entity.
            if node.entity != "member":
                self.add(f"{where}.parent_when", "parent_when 只用于按成员(member)的名额池")
            elsewhere = ("parent_when", self.unit)
        elif isinstance(node, Link) and node.when is not None:
            # `when` holds on the linked rubric's result: its inputs, variables, total, tier and title.
            elsewhere = ("when", self.linked_scope(node.rubric, f"{where}.rubric"))
        self.fields(node, where, scope, skip=() if elsewhere is None else (elsewhere[0],))
        if elsewhere is not None:
            name, other = elsewhere
            if other is not None:
                ann = model_fields(type(node))[name].annotation
                self.walk(getattr(node, name), ann, f"{where}.{name}", other)
        self.special(node, where, scope)

    def fields(self, node: BaseModel, where: str, scope: Scope, skip: tuple[str, ...]) -> None:
        for name, info in model_fields(type(node)).items():
            if name in skip:
                continue
            ann = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
            key = info.alias or name
            self.walk(getattr(node, name), ann, f"{where}.{key}" if where else key, scope)

    def entity(self, node: Entity, where: str, scope: Scope) -> None:
        """Names come into existence in evaluation order: a rule may read only what is computed before it."""
        prefix = f"{where}." if where else ""
        is_unit = isinstance(node, RubricDefinition)
        computed = {
            "items_total": "number",
            "items_below_full": "count",
            **({"member_count": "count"} if self.defn.members is not None else {}),
        }
        if is_unit:
            for name, kind in computed.items():
                if name == "member_count" or self.defn.items:
                    scope.names[name] = Name(kind, input=False)
        self.fields(
            node, where, scope, skip=("variables", "total", "tiers", "title", "flags", "members", "cohort")
        )
        for i, var in enumerate(node.variables):
            self.fields(var, f"{prefix}variables.{i}", scope, skip=())
            own = scope.names.get(var.name)
            if own is not None and own.input:
                self.add(f"{prefix}variables.{i}.name", f"变量名 {var.name} 与已有字段重名")
            scope.names[var.name] = Name("number", input=False)
        self.fields(node, where, scope, skip=_except(node, "total"))
        scope.names["total"] = Name("number", input=False)
        if node.tiers is not None:
            scope.names["tier"] = Name("tier", input=False)
            self.fields(node, where, scope, skip=_except(node, "tiers"))
        if node.title is not None:
            scope.names["title"] = Name("bool", input=False)
            self.fields(node, where, scope, skip=_except(node, "title"))
        self.fields(node, where, scope, skip=_except(node, "flags"))
        if is_unit and not self.names_only:
            self.fields(node, where, scope, skip=_except(node, "members"))
            # Cohort rules read finished results (cohort.result_env), which carry no item sums or counts.
            for reserved in ("items_total", "items_below_full", "member_count"):
                scope.names.pop(reserved, None)
            self.fields(node, where, scope, skip=_except(node, "cohort"))

    def linked_scope(self, rubric: str, where: str) -> Scope | None:
        """The names a condition on another rubric's result reads (cohort.result_env): that rubric's inputs,
        variables, total, tier and title. None, with the problem added, when they cannot be known."""
        from lxbz_xl.definition.loader import DefinitionError, builtin_ids, load_rubric

        if rubric == self.defn.id:
            linked = self.defn
        elif rubric not in builtin_ids():
            return None  # an unknown rubric: already reported by its Ref("rubric")
        elif rubric in _checking():
            self.add(where, f"考评细则 {rubric} 与本细则的 when 链接互相引用,无法检查其条件")
            return None
        else:
            try:
                linked = load_rubric(rubric)
            except DefinitionError:
                self.add(where, f"链接的考评细则 {rubric} 本身有问题,无法检查 when 条件;请先检查该细则")
                return None
        scope = names_of(linked).unit
        # A finished result carries these, not the item sums (cohort.result_env).
        for reserved in ("items_total", "items_below_full", "member_count"):
            scope.names.pop(reserved, None)
        return scope

    # ------------------------------------------------------------ references

    def resolve(self, kind: str, text: str, where: str, scope: Scope) -> None:
        if kind in ("num", "value") and text.startswith("$"):
            self.param(text[1:], where)
            return
        if kind == "num":
            if text.startswith("@"):
                self.name(text[1:], "value", where, scope)
                return
            try:
                Decimal(text)
            except InvalidOperation:
                self.add(where, f"无法识别的数值 {text!r};应为数字、$参数或@字段")
            return
        if kind in ("rubric", "foreign", "pool"):
            if kind == "rubric":
                from lxbz_xl.definition.loader import builtin_ids

                known = [*builtin_ids(), self.defn.id]
                if text not in known:
                    self.add(where, f"未知的考评细则 {text};可用:{'、'.join(sorted(set(known)))}")
            return
        if kind == "tier_name":
            order = self.tier_order(scope)
            if text not in order:
                self.add(where, f"{text!r} 不是档次之一;可用:{'、'.join(order) or '(无档次)'}")
            return
        if kind == "list_input":
            found = self.unit.names.get(text)
            if found is None or not found.input or found.type != "numbers":
                lists = [n for n, v in self.unit.names.items() if v.input and v.type == "numbers"]
                self.add(where, f"未知的数值列表字段 {text};可用字段:{'、'.join(lists) or '(无)'}")
            return
        if kind == "roster_column":
            columns = [c.path for c in self.defn.roster.columns] if self.defn.roster is not None else []
            if text not in columns:
                self.add(where, f"未知的成员明细列 {text};可用列:{'、'.join(columns) or '(无成员明细)'}")
            return
        if kind == "clause_input":
            clause_inputs = [n for n in self.unit.names if n.startswith("items.")]
            if text not in clause_inputs:
                self.add(where, f"未知的检查项字段 {text};可用字段:{'、'.join(clause_inputs)}")
            return
        if kind == "input":
            found = scope.names.get(text)
            if found is None or not found.input:
                inputs = [n for n, v in scope.names.items() if v.input]
                self.add(where, f"未知字段 {text};可用字段:{'、'.join(inputs)}")
            return
        self.name(text, kind, where, scope)

    def name(self, text: str, kind: str, where: str, scope: Scope) -> None:
        found = scope.find(text)
        if found is None:
            self.add(where, f"未知字段 {text};可用字段:{'、'.join(scope.all_names())}")
            return
        ok = {
            "value": found.type in NUMERIC,
            "score": found.type in NUMERIC,
            "flag": found.type == "bool",
            "field": True,
            "enum": found.type == "enum",
        }.get(kind, found.type == kind)
        if not ok:
            shown = TYPE_WORDS.get(found.type, found.type)
            self.add(where, f"类型不符:{text} 的类型为{shown},此处需要{_KIND_WORDS.get(kind, kind)}")

    def tier_order(self, scope: Scope) -> list[str]:
        """The tiers of the entity a scope belongs to (a member's own tiers inside members)."""
        tiers = self.defn.members.tiers if scope is self.member and self.defn.members else self.defn.tiers
        return list(tiers.order) if tiers is not None else []

    def param(self, name: str, where: str) -> None:
        if name in self.defn.parameters:
            self.used_params.add(name)
        else:
            self.add(where, f"未知参数 ${name};可用参数:{'、'.join(self.defn.parameters) or '(无)'}")

    def text(self, text: str, where: str) -> None:
        for slot in _SLOT.findall(text):
            if slot in self.defn.parameters:
                self.used_params.add(slot)
            else:
                self.add(
                    where,
                    f"文字中的 {{{slot}}} 不是参数;可用参数:{'、'.join(self.defn.parameters) or '(无)'}",
                )

    # ------------------------------------------------------------ what names alone cannot say

    def special(self, node: BaseModel, where: str, scope: Scope) -> None:
        if isinstance(node, L.EqualsBody):
            found = scope.find(node.field)
            if found is not None:
                self.equals_value(found, node.value, where)
        elif isinstance(node, L.Share | L.ShareBody):
            self.words(node.votes, node.tiers, f"{where}.tiers", scope)
        elif isinstance(node, L.VotePoints):
            self.words(node.votes, list(node.points), f"{where}.points", scope)
        elif isinstance(node, L.BallotPoints):
            self.words(node.ballots, [*node.points, *([node.tier] if node.tier else [])], where, scope)
        elif isinstance(node, L.InvalidBallots):
            self.words(node.ballots, [node.tier], f"{where}.tier", scope)
        elif isinstance(node, ByField):
            self.words(node.by, list(node.values), f"{where}.values", scope)
        elif isinstance(node, L.ListSum):
            found = scope.find(node.of)
            if found is not None and found.spec is not None and found.type == "records":
                keys = [f.path for f in found.spec.fields]
                if node.key not in keys:
                    self.add(f"{where}.key", f"未知字段 {node.key};{node.of} 的记录字段:{'、'.join(keys)}")
        elif isinstance(node, PerUnitClause | ShortfallClause):
            roles = ("input",) if isinstance(node, PerUnitClause) else ("base", "achieved")
            for role in roles:
                spec = getattr(node, role)
                if spec.type not in NUMERIC:
                    self.add(
                        f"{where}.{role}.type",
                        f"类型不符:{spec.label}({spec.path})的类型为{TYPE_WORDS[spec.type]},"
                        "按人数/个数扣分或得分需要 count(非负整数)或 number(数值)",
                    )
        elif isinstance(node, Quota):
            seen: list[str] = []
            for i, pool in enumerate(node.pools):
                if pool.requires_parent_in is not None and pool.requires_parent_in not in seen:
                    self.add(
                        f"{where}.pools.{i}.requires_parent_in",
                        f"未知名额池 {pool.requires_parent_in};可用(须在前):{'、'.join(seen) or '(无)'}",
                    )
                seen.append(pool.name)

        elif isinstance(node, Streak) and node.tier in self.tier_order(scope):  # else reported once already
            for i, path in enumerate(node.previous):
                found = scope.names.get(path)
                if found is not None and found.spec is not None and found.spec.values:
                    if node.tier not in found.spec.values:
                        self.add(
                            f"{where}.previous.{i}",
                            f"{node.tier} 不是 {path} 的选项;可用:{'、'.join(found.spec.values)}",
                        )
                elif found is not None and found.type != "text":
                    shown = TYPE_WORDS.get(found.type, found.type)
                    self.add(
                        f"{where}.previous.{i}", f"类型不符:{path} 的类型为{shown},此处需要档次(选项或文本)"
                    )
        elif isinstance(node, Link):
            found = scope.names.get(node.field)
            if found is not None and node.output in ("title", None) and found.type != "bool":
                shown = TYPE_WORDS.get(found.type, found.type)
                what = "称号" if node.output == "title" else "when 条件的结果"
                self.add(f"{where}.field", f"类型不符:{node.field} 的类型为{shown},{what}需要是/否(bool)")

    def words(self, path: str, words: list[str], where: str, scope: Scope) -> None:
        found = scope.find(path)
        if found is None or found.spec is None or not found.spec.values:
            return
        for word in words:
            if word not in found.spec.values:
                self.add(where, f"{word} 不是 {path} 的选项;可用:{'、'.join(found.spec.values)}")

    def equals_value(self, found: Name, value: Any, where: str) -> None:
        spec = found.spec
        if found.type == "bool" and not isinstance(value, bool):
            self.add(f"{where}.value", f"类型不符:{value!r} 不是 true/false(是/否)")
        elif found.type == "enum" and spec is not None and value not in spec.values:
            self.add(f"{where}.value", f"{value!r} 不是选项之一;可用:{'、'.join(spec.values)}")
        elif found.type == "tier":
            order = self.defn.tiers.order if self.defn.tiers else []
            if value not in order and self.defn.members and self.defn.members.tiers:
                order = self.defn.members.tiers.order
            if value not in order:
                self.add(f"{where}.value", f"{value!r} 不是档次之一;可用:{'、'.join(order)}")
        elif found.type in NUMERIC and (
            isinstance(value, bool) or not isinstance(value, int | Decimal | float)
        ):
            self.add(f"{where}.value", f"类型不符:{value!r} 不是数值")


def model_fields(cls: type[BaseModel]) -> dict[str, FieldInfo]:
    """The fields of a schema class with every annotation resolved.

    Definition classes defer their schema (definition/base.py `defer_build`): validating a rubric builds
    the outer schema but leaves the recursive models' own `model_fields` as forward references
    (`list[Condition]`), which the walk could not descend into. Rebuilt here once per class.
    """
    if not cls.__pydantic_fields_complete__:
        cls.model_rebuild()
    return cls.model_fields


def _except(node: BaseModel, *names: str) -> tuple[str, ...]:
    return tuple(n for n in model_fields(type(node)) if n not in names)


def _fits(value: Any, ann: Any) -> bool:
    origin = get_origin(ann)
    if origin is Annotated:
        return _fits(value, get_args(ann)[0])
    if origin in (Union, types.UnionType):
        return any(_fits(value, a) for a in get_args(ann))
    if origin is list:
        return isinstance(value, list)
    if origin is dict:
        return isinstance(value, dict)
    if origin is Literal:
        return value in get_args(ann)
    if ann is Any:
        return True
    if ann is None or ann is type(None):
        return value is None
    return isinstance(ann, type) and isinstance(value, ann)


def _roster_scope(roster: Roster) -> Scope:
    return Scope({c.path: Name(c.type, c) for c in roster.columns})


def _inputs_scope(specs: list[FieldSpec], parent: Scope | None = None) -> Scope:
    return Scope({s.path: Name(s.type, s) for s in specs}, parent)


_STATE = threading.local()


def _checking() -> set[str]:
    """Ids of the rubrics whose check is under way in this thread (a `when` link back to one cannot load)."""
    if not hasattr(_STATE, "ids"):
        _STATE.ids = set()
    return _STATE.ids  # type: ignore[no-any-return]


def _checker(defn: RubricDefinition, names_only: bool = False) -> Checker:
    from lxbz_xl.definition.loader import all_inputs

    checker = Checker(defn, names_only=names_only)
    checker.unit = _inputs_scope(all_inputs(defn))
    if defn.members is not None:
        # Members are evaluated after the unit is complete: the unit's names are all visible to them.
        checker.member = _inputs_scope(defn.members.inputs, parent=checker.unit)
    checker.model(defn, "", checker.unit)
    return checker


def names_of(defn: RubricDefinition) -> Checker:
    """The names a loaded (already checked) rubric defines, unit and member scopes, in evaluation order."""
    return _checker(defn, names_only=True)


def check_definition(defn: RubricDefinition) -> list[tuple[str, str]]:
    """Every problem of a validated definition as (YAML path, Chinese message); empty when sound."""
    ids = _checking()
    fresh = defn.id not in ids
    ids.add(defn.id)
    try:
        checker = _checker(defn)
    finally:
        if fresh:
            ids.discard(defn.id)
    for name, param in defn.parameters.items():
        if param.derived:
            checker.used_params |= set(re.findall(r"\$(\w+)", param.derived))
        if param.consumer == "every_item_points":
            checker.used_params.add(name)
            for item in defn.items:
                if item.points != param.value:
                    checker.add(
                        f"items.{item.id}.points", f"分值{item.points}与参数 {name}({param.value})不符"
                    )
    for name in defn.parameters:
        if name not in checker.used_params:
            checker.add(
                f"parameters.{name}",
                f"参数 {name} 未被使用(规则中没有 ${name} 或 {{{name}}});请删除或在规则中引用",
            )
    return checker.problems


# Schema strings that are prose, declarations or checked by their model's own validator — not references.
# tests/test_rubric_check.py fails when a schema string is in neither this list nor marked with Ref, so a
# new construct cannot add an unchecked name by accident.
TEXT_FIELDS = frozenset(
    {
        "Reference.seed",
        "Reference.passage",
        "Reference.note",
        "Parameter.label",
        "SummaryHints.chain_label",  # words in the summary only
        "RubricDefinition.retired_inputs",  # hints only; RubricDefinition._check refuses a live name
        "SummaryHints.unlocks",
        "Parameter.unit",
        "Parameter.description",
        "Parameter.derived",  # computed and checked by definition/derived.py
        "FieldSpec.path",  # declares a name
        "FieldSpec.label",
        "FieldSpec.unit",
        "FieldSpec.values",  # declares the options
        "FieldSpec.value_labels",  # checked by FieldSpec._check_enum_words
        "FieldSpec.value_aliases",  # checked by FieldSpec._check_enum_words
        "FieldSpec.description",
        "Share.tiers",  # options of the votes input: Checker.special
        "ShareBody.tiers",
        "ListSum.key",  # a records field: Checker.special
        "VotePoints.points",
        "BallotPoints.points",
        "BallotPoints.tier",
        "InvalidBallots.tier",
        "ByField.values",
        "WeightedTerm.label",
        "FlagCond.label",
        "EqualsCond.label",
        "NotCond.label",
        "AllCond.label",
        "AnyCond.label",
        "AtLeastCond.label",
        "ShareCond.label",
        "CompareCond.label",
        "PerUnitClause.id",
        "PerUnitClause.label",
        "PerUnitClause.rule_text",
        "ShortfallClause.id",
        "ShortfallClause.label",
        "ShortfallClause.rule_text",
        "ProportionalClause.id",
        "ProportionalClause.label",
        "ProportionalClause.rule_text",
        "Item.name",
        "Item.content",
        "Item.standard",
        "Item.note",
        "Variable.name",  # declares a name
        "Variable.label",
        "Variable.unit",
        "TierRule.tier",  # tier names: Tiers._check
        "TierRule.manual",
        "TierRule.note",
        "Threshold.tier",
        "Veto.reason",
        "Cap.max",
        "Cap.reason",
        "ConsequenceRule.action",
        "ConsequenceRule.reason",
        "Tiers.order",
        "Tiers.default",
        "Tiers.consequences",
        "Tiers.promotable",
        "Requirement.label",
        "Requirement.category",
        "ShareReport.label",
        "ShareReport.category",
        "Title.name",
        "Members.key",
        "Members.label",
        "Band.name",
        "Banding.middle",
        "Banding.demote_reason",
        "Banding.group_label",
        "QuotaPool.name",
        "QuotaPool.parent_reason",
        "AwardCycle.label",
        "Streak.reason",
        "ConsequenceSpec.action",
        "BottomFlag.label",
        "BottomFlag.category",
        "ShareGoal.label",
        "Roster.key",
        "Roster.label",
        "RubricDefinition.id",
        "RubricDefinition.version",
        "RubricDefinition.name",
        "RubricDefinition.short_name",
        "RubricDefinition.description",
        "RubricDefinition.total_label",
        "FormHints.items_total_label",
        "RubricDefinition.notes",
        "RubricDefinition.parameters",  # declares the names
    }
)


def unmarked_strings() -> set[str]:
    """`Model.field` of every schema position holding a plain string (no Ref marker)."""
    out: set[str] = set()
    seen: set[type] = set()

    def visit(ann: Any, owner: str) -> None:
        origin = get_origin(ann)
        if origin is Annotated:
            base, *meta = get_args(ann)
            if not (base is str and any(isinstance(m, Ref) for m in meta)):
                visit(base, owner)
            return
        if origin is Literal:
            return
        if origin is not None:
            for arg in get_args(ann):
                visit(arg, owner)
            return
        if ann is str:
            out.add(owner)
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            model(ann)
        elif isinstance(ann, ForwardRef | str):
            raise TypeError(f"unresolved annotation {ann!r} in {owner}")

    def model(cls: type[BaseModel]) -> None:
        if cls in seen:
            return
        seen.add(cls)
        for name, info in model_fields(cls).items():
            ann = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
            visit(ann, f"{cls.__name__}.{name}")

    model(RubricDefinition)
    return out
