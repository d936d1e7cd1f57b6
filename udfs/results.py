"""Calling the core for a worksheet function and picking the cell value out of its result."""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any, cast

from lxbz_xl import Result, evaluate
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import builtin_ids
from lxbz_xl.definition.rubric import Entity, RubricDefinition, Veto
from lxbz_xl.engine.exprs import share
from lxbz_xl.inputs import InputProblem, check_value, parse_bool
from lxbz_xl.result import MemberResult, Outcome
from lxbz_xl.workbook.shown_consequences import CONSEQUENCES, LABELS, PROMOTION, outputs, shown
from lxbz_xl.workbook.shown_errors import SHARE_LABEL, member_error, member_outcomes, unit_error
from udfs.args import UnitCase, member_record, unit_case, unit_labels
from udfs.cache import cell_key, linked_files_stamp, memo, rubric
from udfs.convert import EMPTY, blank, filled, flatten, flatten_all, labelled_pairs, text, to_cell, yes_no

NOT_MET = "未达标"  # LXBZ_TIER of a title-only rubric whose title is not reached


def _first_error(result: Result) -> None:
    if result.errors:
        raise InputProblem(result.errors[0].message)


def _evaluate(defn: RubricDefinition, unit: UnitCase | None) -> tuple[UnitCase, Result] | None:
    return None if unit is None else (unit, evaluate(defn, unit.case, explain=False, **unit.kwargs))


def unit(ref: Any, args: tuple[Any, ...]) -> tuple[RubricDefinition, Result] | None:
    """Evaluate the unit the arguments describe (once per distinct arguments); None for an empty form."""
    defn = rubric(ref)
    done = memo(defn, ("unit", cell_key(args)), lambda: _evaluate(defn, unit_case(defn, args)))
    if done is None:
        return None
    # A member's own error shows on its row only; the unit's results stand (shown_errors).
    error = unit_error(defn, done[1])
    if error is not None:
        raise InputProblem(error.message)
    return defn, done[1]


def member(ref: Any, row: Any, args: tuple[Any, ...]) -> tuple[RubricDefinition, MemberResult] | None:
    """The member whose row is given, evaluated together with the unit (and the whole members table)."""
    defn = rubric(ref)
    frozen = cell_key(args)
    return memo(defn, ("member", cell_key(row), frozen), lambda: _member(defn, row, args, frozen))


def _member(
    defn: RubricDefinition, row: Any, args: tuple[Any, ...], frozen: Any
) -> tuple[RubricDefinition, MemberResult] | None:
    spec = defn.members
    if spec is None:
        raise InputProblem(f"{defn.short_name}没有成员明细")
    # A pure function of the arguments: decided once per unit, not once per member row.
    with_table = memo(
        defn, ("with_table", frozen), lambda: len(args) >= len(unit_labels(defn)) and not blank(args[-1])
    )
    if with_table and not blank(row):
        found = _row_of_table(defn, row, args, frozen)
        if found is not None:
            return found
    record = member_record(spec, flatten(row))
    if record is None:
        return None
    # Same key as LXBZ_TIER when the table is given, so every member of a unit shares one evaluation.
    key = ("unit", frozen) if with_table else ("unit+row", cell_key(row), frozen)
    done = memo(defn, key, lambda: _evaluate(defn, unit_case(defn, args, default_members=[record])))
    if done is None:
        return None
    case, result = done
    return defn, _pick(defn, result, case.members, _find(case.members, record, spec.name_field))


def _row_of_table(
    defn: RubricDefinition, row: Any, args: tuple[Any, ...], frozen: Any
) -> tuple[RubricDefinition, MemberResult] | None:
    """The member of a row that is one of the members table's rows, cell for cell: its record is the
    table's record for that row (convert.grid reads a row as flatten does), so it is found by position
    instead of being read again. None (the general path answers) for any other row, or when the unit
    has no evaluation (an empty form) or it fails (the general path then reports in its own order)."""
    table = args[-1]
    if type(row) is not list or len(row) != 1 or type(table) is not list:
        return None
    try:
        done = memo(defn, ("unit", frozen), lambda: _evaluate(defn, unit_case(defn, args)))
    except InputProblem:
        return None
    if done is None:  # an empty form: the general path (a row with extra cells still says so)
        return None
    case, result = done
    positions = memo(defn, ("rows", frozen), lambda: _row_positions(table))
    k = positions.get(cell_key(row[0])) if positions is not None else None
    if k is None or k >= len(case.members):
        return None
    members = case.members
    return defn, _pick(defn, result, members, members.index(members[k]))  # the first equal record, as _find


def _row_positions(table: list[Any]) -> dict[Any, int] | None:
    """Row cells (cell_key) → index among the table's non-blank rows (convert.grid / args.member_table)."""
    if not all(type(r) is list for r in table):
        return None
    out: dict[Any, int] = {}
    k = 0
    for r in table:
        if blank(r):
            continue
        out.setdefault(cell_key(r), k)
        k += 1
    return out


def _pick(defn: RubricDefinition, result: Result, records: list[Any], index: int) -> MemberResult:
    """The member at `index` of the case's members, or the error its row shows (shown_errors)."""
    error = member_error(defn, result, index)
    if error is not None:
        raise InputProblem(error.message)
    if not result.errors:
        return result.members[index]
    found = member_outcomes(defn, result, records)[index]
    assert found is not None  # a member left out has an error of its own
    return found


def _find(members: list[dict[str, Any]], record: dict[str, Any], name_field: str) -> int:
    if record in members:
        return members.index(record)
    name = record.get(name_field)
    same = [i for i, m in enumerate(members) if name is not None and m.get(name_field) == name]
    if len(same) == 1:
        return same[0]
    raise InputProblem(f"成员表中找不到这一行({text(name) or '无姓名'})")


# ---------------------------------------------------------------- outputs


def tier(entity: Entity, out: Outcome, owner: str) -> str:
    """The final tier; for a rubric with a title but no tiers, the title's name or 未达标."""
    if entity.tiers is not None:
        return out.manual or out.tier or EMPTY
    if entity.title is not None and out.title is not None:
        if not out.title:
            return NOT_MET
        return entity.title.name + ("(待定)" if out.provisional_on else "")
    raise InputProblem(f"{owner}没有档次或称号")


def base_tier(entity: Entity, out: Outcome, owner: str) -> str:
    if entity.tiers is None:
        raise InputProblem(f"{owner}没有档次")
    return out.manual or out.base_tier or EMPTY


def title(entity: Entity, out: Outcome, owner: str) -> str:
    if entity.title is None:
        raise InputProblem(f"{owner}没有称号")
    return yes_no(out.title, bool(out.provisional_on))


OUTPUT_WORDS = {
    "total": "total",
    "总分": "total",
    "tier": "tier",
    "档次": "tier",
    "base_tier": "base_tier",
    "基础档次": "base_tier",
    "调整前档次": "base_tier",
    "title": "title",
    "称号": "title",
    "flags": "flags",
    "提示": "flags",
    CONSEQUENCES: CONSEQUENCES,
    "结果运用": CONSEQUENCES,
    PROMOTION: PROMOTION,
    "选拔任用": PROMOTION,
}


def output(entity: Entity, out: Outcome, name: Any, owner: str, total_label: str = "") -> Any:
    """total / tier / base_tier / title / flags / consequences / promotion, or a variable by name or label."""
    word = text(name)
    kind = OUTPUT_WORDS.get(word) or ("total" if word and word == total_label else None)
    if kind == "total":
        return to_cell(out.total)
    if kind == "tier":
        return tier(entity, out, owner)
    if kind == "base_tier":
        return base_tier(entity, out, owner)
    if kind == "title":
        return title(entity, out, owner)
    if kind == "flags":
        return "；".join(out.flags)
    if kind in (CONSEQUENCES, PROMOTION):
        if kind not in outputs(entity):
            raise InputProblem(f"{owner}没有{LABELS[kind]}规则")
        return shown(out, kind)  # RUBRICS.md §11: the core's notes for the final tier
    for value in out.values:
        if word in (value.name, value.label):
            return to_cell(value.value)
    known = ["total", "tier", "base_tier", "title", "flags", *outputs(entity)]
    known += [v.name for v in entity.variables]
    raise InputProblem(f"未知的输出{word or '(空)'};可用:{', '.join(known)}")


def owner_name(defn: RubricDefinition, entity: Entity) -> str:
    return defn.members.label if entity is defn.members and defn.members else defn.short_name


# ---------------------------------------------------------------- items total


def items_total(ref: Any, scores_arg: Any) -> Any:
    from lxbz_xl.engine.evaluate import given_scores  # the core's own range check of given item scores

    cells = flatten(scores_arg)
    if all(c is None for c in cells):
        return EMPTY
    defn = rubric(ref)
    if not defn.items:
        raise InputProblem(f"{defn.short_name}没有评分项目")
    n = len(defn.items)
    if len(cells) < n:
        raise InputProblem(f"应有{n}项得分,实为{len(cells)}项")
    if len(cells) > n:
        # A taller range: a score column whose items span several merged rows (only the top cell holds
        # the score), so the filled cells are the scores in item order.
        cells = filled(cells)
        if len(cells) > n:
            raise InputProblem(f"应有{n}项得分,实为{len(cells)}项")
        if len(cells) < n:
            return EMPTY  # some items not scored yet (can't tell which)
    for item, cell in zip(defn.items, cells, strict=True):
        if isinstance(cell, str) and cell.startswith("#"):
            raise InputProblem(f"第{item.id}项得分单元格有错误")
    if None in cells:
        return EMPTY  # some items not scored yet

    def compute() -> Result:
        result = Result(rubric=defn.id, rubric_version=defn.version)
        result.total = given_scores(defn, result, cells, None)
        return result

    result = memo(defn, ("total", tuple(cells)), compute)
    _first_error(result)
    return to_cell(result.total)


# ---------------------------------------------------------------- tiers across rubrics


def _orders() -> tuple[tuple[tuple[str, ...], Veto | None], ...]:
    return _orders_of(linked_files_stamp())


@functools.lru_cache(maxsize=1)
def _orders_of(_stamp: int) -> tuple[tuple[tuple[str, ...], Veto | None], ...]:
    """Every tier order in the built-in rubrics, the ones that carry a one-vote veto first (again when a
    rubric file changes: `_stamp`)."""
    found: list[tuple[tuple[str, ...], Veto | None]] = []
    for rid in builtin_ids():
        defn = rubric(rid)
        for entity in (defn, defn.members):
            if entity is not None and entity.tiers is not None:
                vetoes = [a for a in entity.tiers.adjustments if isinstance(a, Veto)]
                found.append((tuple(entity.tiers.order), vetoes[0] if vetoes else None))
    found.sort(key=lambda pair: pair[1] is None)
    return tuple(found)


def veto(tier_ref: Any, flags: tuple[Any, ...]) -> str:
    """One-vote veto: the tier after the steps/stack rule of the rubric that defines it."""
    name = text(tier_ref)
    if not name:
        return EMPTY
    hits = 0
    for i, cell in enumerate(flatten_all(flags), 1):
        try:
            hits += bool(parse_bool(cell))
        except InputProblem as exc:
            raise InputProblem(f"第{i}个否决项{exc.message}") from None
    orders = _orders()
    rule = next((v for _, v in orders if v is not None), None)
    for order, own in orders:
        if name in order:
            rule = own or rule
            if not hits or rule is None:
                return name
            steps = rule.steps * (hits if rule.stack else 1)
            return order[min(order.index(name) + steps, len(order) - 1)]
    known = dict.fromkeys(t for order, _ in orders for t in order)
    raise InputProblem(f"未知的档次{name};可用:{'/'.join(known)}")


def _vote_orders() -> tuple[tuple[str, ...], ...]:
    return _vote_orders_of(linked_files_stamp())


@functools.lru_cache(maxsize=1)
def _vote_orders_of(_stamp: int) -> tuple[tuple[str, ...], ...]:
    found: list[tuple[str, ...]] = []
    for rid in builtin_ids():
        defn = rubric(rid)
        specs = list(defn.inputs) + (list(defn.members.inputs) if defn.members else [])
        found += [tuple(s.values) for s in specs if s.type == "votes" and tuple(s.values) not in found]
    return tuple(found)


def _positional_names(count: int, wanted: list[Any]) -> list[str]:
    if all(isinstance(w, int) and not isinstance(w, bool) for w in wanted):
        return [str(i) for i in range(1, count + 1)]  # tiers given by position (1 = first count)
    candidates = [o for o in _vote_orders() if len(o) == count and all(str(w) in o for w in wanted)]
    if not candidates:
        raise InputProblem(
            f"找不到含{'/'.join(map(str, wanted))}的{count}档票数顺序,请在票数上方加一行档次名称"
        )
    positions = {tuple(o.index(str(w)) for w in wanted) for o in candidates}
    if len(positions) > 1:
        raise InputProblem("档次顺序不明确,请在票数上方加一行档次名称")
    return list(candidates[0])


@functools.lru_cache(maxsize=64)
def _votes_spec(names: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(path="votes", label=SHARE_LABEL, type="votes", values=list(names))


def vote_share(counts: Any, tiers: tuple[Any, ...]) -> Any:
    """Σ counts of the given tiers / Σ all counts (valid ballots), exact in the core, a float in the cell."""
    linked_files_stamp()  # an edited rubric file drops the remembered shares (tier orders may change)
    return memo(None, ("share", cell_key(counts), cell_key(tiers)), lambda: _vote_share(counts, tiers))


def _fast_share(counts: Any, tiers: tuple[Any, ...]) -> float | None:
    """The usual call - one row or column of whole non-negative counts, tiers named by text - without
    the general conversion; None sends every other shape (and every error) down the general path."""
    if type(counts) is not list or not counts or not all(type(t) is str for t in tiers):
        return None
    if len(counts) == 1 and type(counts[0]) is list:
        row = counts[0]
    elif all(type(r) is list and len(r) == 1 for r in counts):
        row = [r[0] for r in counts]
    else:
        return None
    values = []
    for v in row:
        if type(v) is float and v >= 0 and v.is_integer():
            values.append(int(v))
        elif type(v) is int and v >= 0:
            values.append(v)
        else:
            return None
    wanted = tuple(t.strip() for t in tiers)
    names = _names_or_none(len(values), wanted, linked_files_stamp())
    total = sum(values)
    if names is None or total == 0:
        return None
    hit = sum(v for n, v in zip(names, values, strict=True) if n in wanted)
    return float(Fraction(hit, total))


@functools.lru_cache(maxsize=256)
def _names_or_none(count: int, wanted: tuple[str, ...], _stamp: int) -> tuple[str, ...] | None:
    if not wanted or any(not w for w in wanted):
        return None
    try:
        return tuple(_positional_names(count, list(wanted)))
    except InputProblem:
        return None


def _vote_share(counts: Any, tiers: tuple[Any, ...]) -> Any:
    fast = _fast_share(counts, tiers)
    if fast is not None:
        return fast
    wanted = filled(flatten_all(tiers))
    pairs = labelled_pairs(counts)
    if pairs is None:
        cells = flatten(counts)
        if all(c is None for c in cells):
            return EMPTY
        if not wanted:
            raise InputProblem("请给出要计算得票率的档次")
        names = _positional_names(len(cells), wanted)
        table = dict(zip(names, cells, strict=True))
    else:
        names = [str(n) for n, _ in pairs]
        table = dict(zip(names, [c for _, c in pairs], strict=True))
        if all(v is None for v in table.values()):
            return EMPTY
    if not wanted:
        raise InputProblem("请给出要计算得票率的档次")
    keys = list(dict.fromkeys(str(w) for w in wanted))
    unknown = [k for k in keys if k not in names]
    if unknown:
        raise InputProblem(f"票数表中没有档次{'/'.join(unknown)};有:{'/'.join(names)}")
    # Votes are checked without consulting a definition (no bounds), so none is needed here.
    votes = check_value(cast(RubricDefinition, None), _votes_spec(tuple(names)), table)
    return float(share(votes, keys))
