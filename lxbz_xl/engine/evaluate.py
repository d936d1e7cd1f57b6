"""evaluate(definition, case) -> Result: the single evaluation path for every rubric.

definition → case → evaluation → result. Nothing here knows a rubric by name.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from lxbz_xl.case import Case
from lxbz_xl.compiled import compiled
from lxbz_xl.definition.rubric import Entity, RubricDefinition
from lxbz_xl.engine import consequences
from lxbz_xl.engine.env import Env
from lxbz_xl.engine.exprs import describe, evaluate_expr, missing_reason
from lxbz_xl.engine.items import score_item_reference
from lxbz_xl.engine.roster import apply_roster
from lxbz_xl.engine.tiers import decide_tier, decide_title, raise_flags
from lxbz_xl.inputs import INVALID_BALLOTS, InputError, read_fields
from lxbz_xl.result import MemberResult, Outcome, Result, ValueResult


def _entity(entity: Entity, env: Env, out: Outcome, total: Fraction | None, explain: bool = True) -> None:
    """Variables, total, tier, title and notices: the same steps for a unit and for a member."""
    for var in entity.variables:
        env.labels[var.name] = var.label
        value = evaluate_expr(var.expr, env)
        env.computed[var.name] = value
        display = "percent" if var.display == "percent" or var.unit == "%" else "number"
        # Worksheet functions need values, not prose; rates read as percentages (RUBRICS.md §0).
        text = describe(var.expr, env, display == "percent") if explain else ""
        out.values.append(ValueResult(var.name, var.label, value, text, display))
    if total is None and entity.total is not None:
        total = evaluate_expr(entity.total, env)
    out.total = total
    env.computed["total"] = total
    if entity.tiers is not None:
        decide_tier(entity.tiers, env, out)
    env.computed["tier"] = out.tier
    decide_title(entity, env, out)
    env.computed["title"] = out.title
    raise_flags(entity, env, out)
    consequences.apply(entity, out)


def evaluate(
    definition: RubricDefinition,
    case: Case | dict[str, Any],
    *,
    item_scores: list[Any] | None = None,
    items_total: Any = None,
    explain: bool = True,
) -> Result:
    """Score one unit-year. Input errors are returned in `Result.errors`, never raised or clamped.

    `item_scores` / `items_total` let a caller that already holds item scores (a worksheet's 得分
    column) evaluate tiers and titles without the item inputs; the given scores are range-checked.
    `explain=False` skips the prose of computed values (worksheet functions need only the numbers).
    """
    return run(definition, case, item_scores, items_total, explain, fast=True)


def run(
    definition: RubricDefinition,
    case: Case | dict[str, Any],
    item_scores: list[Any] | None,
    items_total: Any,
    explain: bool,
    *,
    fast: bool,
) -> Result:
    """The evaluation pipeline. `fast`: items and conditions run as the compiled closures of
    lxbz_xl/compiled.py; otherwise as the reference interpreter (lxbz_xl/engine/reference.py)."""
    if not isinstance(case, Case):
        case = Case.from_mapping(case)
    # The rules of the case's year: dated parameters take the value in force on 1 January (a case
    # without a year is an input error below; its rules would be the latest values).
    defn, problem = definition, None
    if case.year is not None and definition.dated:
        try:
            defn = definition.for_year(case.year)
        except ValueError as exc:  # a year before a dated parameter's first start date
            problem = str(exc)
    result = Result(
        rubric=defn.id,
        rubric_version=defn.version,
        unit=case.unit,
        year=case.year,
        source=case.source,
        total_points=None,
    )
    if case.rubric not in (defn.id, defn.name, defn.short_name):
        result.errors.append(_mismatch(case, defn))
        return result
    comp = compiled(defn)
    specs = comp.specs
    data, members_raw = case.data, case.members
    if defn.members is not None and defn.members.key != "members":
        # Members live under the rubric's own key (e.g. `cadres`); `members` is then an unknown field.
        data = {k: v for k, v in case.data.items() if k != defn.members.key}
        if members_raw is not None:
            data["members"] = members_raw
        members_raw = case.data.get(defn.members.key)
    scores_given = item_scores is not None or items_total is not None
    data, roster_errors, roster_note = apply_roster(defn, data)
    if scores_given:  # the worksheet already holds the item scores: item inputs are neither needed nor read
        data = {k: v for k, v in data.items() if k != "items"}
    fast_values = (comp.read_unit if scores_given else comp.read_all).read(data) if fast else None
    errors: list[InputError]
    if fast_values is not None:
        values, errors = fast_values, []
    else:
        values, errors = read_fields(defn, comp.unit_specs if scores_given else comp.spec_list, data)
    errors = roster_errors + errors
    if case.year is None:
        errors.insert(0, InputError("year", case.year_problem or "缺少年度(year),应为四位整数年份,如2025"))
    elif problem is not None:
        errors.insert(0, InputError("year", problem))
    if defn.members is None and members_raw is not None:
        errors.append(InputError("members", "此考评细则没有成员明细(members)"))
    elif defn.members is not None and members_raw is not None and not isinstance(members_raw, list):
        key = defn.members.key
        errors.append(InputError(key, f"{defn.members.label}({key})应为列表(每人一条),实为{members_raw!r}"))
    for group in defn.one_of:
        present = [p for p in group if p in values]
        if len(present) != 1:
            labels = "或".join(f"{specs[p].label}({p})" for p in group)
            errors.append(InputError(group[0], f"应填写{labels}中的一项,实际填写了{len(present)}项"))
    result.errors = errors
    if errors:
        return result
    env = Env(
        defn, values, specs, labels={"items_total": "各项得分合计", "total": defn.total_label}, fast=fast
    )
    result.inputs = values
    total = None
    if defn.items and (item_scores is not None or items_total is not None):
        total = given_scores(defn, result, item_scores, items_total)
        if result.errors:
            return result
        env.computed["items_total"] = total
        env.computed["items_below_full"] = sum(1 for i in result.items if i.score < i.points)
    elif defn.items:
        result.total_points = comp.total_points
        if fast:  # the compiled scorers read items.N.name from the case values directly
            result.items, total, below_full = comp.score_items(values)
        else:
            by_item: dict[str, dict[str, Any]] = {}
            for key, value in values.items():
                if key.startswith("items."):
                    _, item_id, name = key.split(".", 2)
                    by_item.setdefault(item_id, {})[name] = value
            result.items = [
                score_item_reference(defn, item, by_item.get(str(item.id), {})) for item in defn.items
            ]
            total = Fraction(0)
            below_full = 0
            for i in result.items:
                total += i.score
                below_full += i.score < i.points
        env.computed["items_total"] = total
        given = data.get("items") or {}  # after the roster: an item whose counts it derives is not absent
        absent = [text for number, text in comp.item_ids if number not in given and text not in given]
        if absent:
            result.notes.append(f"第{'、'.join(absent)}项未填写,按未发现问题计(扣分项不扣分,加分项计满分)")
        env.computed["items_below_full"] = below_full
    if defn.members is not None:
        env.computed["member_count"] = len(members_raw) if isinstance(members_raw, list) else 0
    if defn.total is not None:
        total = None  # a composite total (water_saving) is computed from items_total and other parts
    if fast:
        comp.plan(defn).run(env, result, total, explain)
    else:
        _entity(defn, env, result, total, explain)
    if defn.members is not None:
        _members(defn, env, members_raw or [], result, explain, fast)
    if defn.total is not None and result.total is None:
        _blank(result, defn.total, env, defn.total_label, "")
    for note in defn.notes:
        result.notes.append(note)
    if roster_note:
        result.notes.append(roster_note)
    for path in comp.vote_paths:
        value = values.get(path)
        if isinstance(value, dict) and value.get(INVALID_BALLOTS):
            result.notes.append(f"{specs[path].label}无效票{value[INVALID_BALLOTS]}张,不计入得票率")
    return result


def given_scores(
    defn: RubricDefinition, result: Result, item_scores: list[Any] | None, items_total: Any
) -> Fraction | None:
    """Item scores a worksheet already holds, range-checked by the core (0–分值 per item, 0–总分).

    Fills result.items / result.errors and returns the items total (None when a score is bad).
    """
    from lxbz_xl.exact import exact, fmt
    from lxbz_xl.result import ItemResult

    result.total_points = Fraction(defn.total_points) if defn.total_points is not None else None
    if item_scores is not None:
        if len(item_scores) != len(defn.items):
            result.errors.append(InputError("items", f"应有{len(defn.items)}项得分,实为{len(item_scores)}项"))
            return None
        for item, raw in zip(defn.items, item_scores, strict=True):
            points = Fraction(item.points)
            try:
                score = Fraction(raw) if type(raw) is int else exact(raw)
            except (TypeError, ValueError, ArithmeticError):
                result.errors.append(InputError(f"items.{item.id}", f"第{item.id}项得分应为数值,实为{raw!r}"))
                continue
            if not 0 <= score <= points:
                result.errors.append(
                    InputError(f"items.{item.id}", f"第{item.id}项得分应为0–{fmt(points)},实为{fmt(score)}")
                )
                continue
            result.items.append(ItemResult(item.id, item.name, points, score, points - score, [], []))
        return sum((i.score for i in result.items), Fraction(0))
    try:
        total = exact(items_total)
    except (TypeError, ValueError, ArithmeticError):
        result.errors.append(InputError("total", f"总分应为数值,实为{items_total!r}"))
        return None
    top = result.total_points
    if total < 0 or (top is not None and total > top):
        result.errors.append(InputError("total", f"总分应为0–{fmt(top or Fraction(0))},实为{fmt(total)}"))
        return None
    return total


def _members(
    defn: RubricDefinition,
    unit_env: Env,
    raw: list[Any],
    result: Result,
    explain: bool = True,
    fast: bool = True,
) -> None:
    spec = defn.members
    assert spec is not None
    comp = compiled(defn)
    member_specs = comp.member_specs
    reader = comp.read_member if fast else None
    plan = comp.plan(spec) if fast else None
    for i, record in enumerate(raw, 1):
        prefix = f"{spec.key}.{i}."
        if not isinstance(record, dict):
            result.errors.append(InputError(prefix[:-1], f"{spec.label}第{i}条应为键值记录"))
            continue
        quick = reader.read(record) if reader is not None else None
        values, errors = (
            (quick, []) if quick is not None else read_fields(defn, spec.inputs, record, prefix=prefix)
        )
        if errors:
            result.errors += [e.__class__(e.field, f"{spec.label}第{i}条:{e.message}") for e in errors]
            continue
        env = Env(defn, values, member_specs, labels={"total": "个人得分"}, parent=unit_env, fast=fast)
        member = MemberResult(name=str(values.get(spec.name_field, i)), inputs=values)
        if plan is not None:
            plan.run(env, member, None, explain)
        else:
            _entity(spec, env, member, None, explain)
        result.members.append(member)
        if spec.total is not None and member.total is None:
            _blank(result, spec.total, env, "个人得分", f"{spec.label}第{i}条({member.name}):", prefix)


def _blank(result: Result, expr: Any, env: Env, label: str, who: str, prefix: str = "") -> None:
    """A total that cannot be computed is an error naming the input and why, never a blank (RUBRICS.md §0)."""
    field_, reason = missing_reason(expr, env) or ("total", "缺少数据")
    if prefix and field_ in env.specs:  # the member's own input: name the member's row
        error = InputError(prefix + field_, f"{who}无法计算{label}:{reason}")
    else:  # a unit input (e.g. the ballots): one error for the unit, however many members it blanks
        error = InputError(field_, reason if prefix else f"无法计算{label}:{reason}")
    if error not in result.errors:
        result.errors.append(error)


def _mismatch(case: Case, defn: RubricDefinition) -> InputError:
    return InputError("rubric", f"案例的考评细则为{case.rubric!r},与{defn.id}({defn.short_name})不符")
