"""Argument layouts: which cells feed which input of a rubric (docs/excel-functions.md, "Arguments").

Item functions take one value per clause input in `Item.inputs()` order. Unit functions take the items
total first (rubrics with items), then one argument per `defn.inputs` entry in YAML order, then the members
table (rubrics with members). A member row is the member's inputs in order, a vote table spanning one cell
per tier and a trailing list or record field taking the rest of the row. Values are parsed by the core
(`check_value`, `evaluate`), so a bad value gets the same Chinese message as in the CLI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxbz_xl.compiled import compiled
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import Item, Members, RubricDefinition
from lxbz_xl.engine.items import score_item
from lxbz_xl.inputs import INVALID_BALLOTS, InputProblem, check_value, where
from lxbz_xl.result import ItemResult
from udfs.convert import clean, filled, flatten, grid, labelled_pairs, single, text

# The year is part of a case but changes no score; a sheet is always about "this" assessment year.
YEAR = date.today().year

ITEMS_TOTAL_LABEL = "各项得分合计"


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


# ---------------------------------------------------------------- items


def item_specs(defn: RubricDefinition, item: Item) -> list[FieldSpec]:
    """The item's inputs as `all_inputs` has them: paths `items.N.x`, with absent-value defaults."""
    return compiled(defn).item_specs[item.id]


def find_item(defn: RubricDefinition, ref: Any) -> Item:
    value = clean(ref)
    if isinstance(value, str):
        match = re.fullmatch(r"第?\s*([0-9]{1,4})\s*项?", value)  # bounded: an item number, not any digits
        value = int(match.group(1)) if match else value
    for item in defn.items:
        if value == item.id or value == item.name:
            return item
    if not defn.items:
        raise InputProblem(f"{defn.short_name}没有评分项目")
    ids = [i.id for i in defn.items]
    raise InputProblem(f"未知的项目{text(ref) or '(空)'};应为{ids[0]}–{ids[-1]}或项目名称")


def score(defn: RubricDefinition, item: Item, cells: list[Any]) -> ItemResult | None:
    """Score one item from its input cells (blank cells: the core's absent defaults)."""
    specs = item_specs(defn, item)
    extra = filled(cells[len(specs) :])
    if extra:
        names = "、".join(s.label for s in specs)
        raise InputProblem(f"第{item.id}项应依次填写{len(specs)}个值({names}),多出{len(extra)}个")
    cells = cells + [None] * (len(specs) - len(cells))
    values: dict[str, Any] = {}
    pending: list[tuple[FieldSpec, Any]] = []
    for spec, raw in zip(specs, cells, strict=False):
        if raw is None:  # absent: the same default (or the same complaint) as in a case file
            if spec.required:
                raise InputProblem(f"缺少{where(spec)}({spec.path})")
            if spec.default is not None:
                values[spec.path] = spec.default
        elif isinstance(spec.max, str) and spec.max.startswith("@"):
            pending.append((spec, raw))  # bounded by another input: check it once that one is read
        else:
            values[spec.path] = check_value(defn, spec, raw, values.get)
    for spec, raw in pending:
        values[spec.path] = check_value(defn, spec, raw, values.get)
    prefix = f"items.{item.id}."
    return score_item(defn, item, {k.removeprefix(prefix): v for k, v in values.items()})


# ---------------------------------------------------------------- one input from one argument


def votes_from_cells(cells: list[Any], tiers: list[str], label: str) -> dict[str, Any] | None:
    """Counts in tier order; one more cell, if present, is the count of invalid ballots (无效)."""
    if all(c is None for c in cells):
        return None
    if len(cells) not in (len(tiers), len(tiers) + 1):
        raise InputProblem(f"{label}应为{len(tiers)}个票数(依次为{'/'.join(tiers)}),实为{len(cells)}个单元格")
    return dict(zip([*tiers, INVALID_BALLOTS], cells, strict=False))


def votes_value(arg: Any, tiers: list[str], label: str) -> dict[str, Any] | None:
    """A vote table: counts in tier order, or a range with a tier-name row (or column) beside the counts."""
    pairs = labelled_pairs(arg)
    if pairs is None:
        return votes_from_cells(flatten(arg), tiers, label)
    out: dict[str, Any] = {}
    for name, count in pairs:
        if name in out:
            raise InputProblem(f"{label}的档次“{name}”重复")
        out[str(name)] = count
    return out if any(v is not None for v in out.values()) else None


def records_from_rows(rows: list[list[Any]], fields: list[FieldSpec]) -> list[dict[str, Any]] | None:
    out = []
    for row in rows:
        if all(c is None for c in row):
            continue  # blank rows are skipped
        extra = filled(row[len(fields) :])
        if extra:
            raise InputProblem(f"每条记录应为{len(fields)}列({'、'.join(f.label for f in fields)})")
        record: dict[str, Any] = {}
        for spec, cell in zip(fields, row, strict=False):
            if cell is not None:
                set_path(record, spec.path, text(cell) if spec.type == "text" else cell)
        out.append(record)
    return out or None


def chunks(cells: list[Any], size: int) -> list[list[Any]]:
    return [cells[i : i + size] for i in range(0, len(cells), size)]


def records_value(arg: Any, fields: list[FieldSpec]) -> list[dict[str, Any]] | None:
    """Records such as 加减分 (points, reason): one row each, or pairs running along one row/column."""
    rows = grid(arg)
    if not (rows and all(len(r) == len(fields) for r in rows)):
        rows = chunks(flatten(arg), len(fields))
    return records_from_rows(rows, fields)


def ballots_value(arg: Any, names: list[str], spec: FieldSpec) -> list[dict[str, Any]] | None:
    """Ballots: one row per ballot, one column per member in members-table order; blank rows skipped."""
    rows = [r for r in grid(arg) if any(c is not None for c in r)]
    if not rows:
        return None
    if not names:
        raise InputProblem(f"{spec.label}需要成员表:每列对应成员表中的一名成员")
    out = []
    for i, row in enumerate(rows, 1):
        if filled(row[len(names) :]):
            raise InputProblem(f"第{i}张选票的列数多于被评价人数({len(names)}人)")
        out.append({name: text(cell) for name, cell in zip(names, row, strict=False) if cell is not None})
    return out


def field_value(spec: FieldSpec, arg: Any, cells: list[Any], names: list[str]) -> Any:
    """The case value of one unit input from its argument (and its cells); None when it is empty."""
    if all(c is None for c in cells):
        return None
    if spec.type == "votes":
        return votes_value(arg, spec.values, spec.label)
    if spec.type == "numbers":
        return filled(cells)
    if spec.type == "records":
        return records_value(arg, spec.fields)
    if spec.type == "ballots":
        return ballots_value(arg, names, spec)
    value = single(cells, spec.label)
    if spec.type == "text" and value is not None:
        return text(value)
    if spec.type == "enum" and value is not None:
        return enum_value(spec, value)
    return value


def enum_value(spec: FieldSpec, value: Any) -> Any:
    """Accept the Chinese label (or a declared alias) of a coded option, as the rubric YAML spells it."""
    code = spec.value_of(text(value)) if isinstance(value, str) else None
    return code if code is not None else value


# ---------------------------------------------------------------- members


def member_layout(members: Members) -> list[str]:
    out = []
    for spec in members.inputs:
        if spec.type == "votes":
            out += [f"{spec.label}({tier})" for tier in spec.values]
        elif spec.type in ("numbers", "records"):
            out.append(f"{spec.label}(其余各列)")
        else:
            out.append(spec.label)
    return out


def member_record(members: Members, cells: list[Any]) -> dict[str, Any] | None:
    """One member's record from the cells of the member's row; None for a blank row."""
    if all(c is None for c in cells):
        return None
    record: dict[str, Any] = {}
    pos = 0
    last = len(members.inputs) - 1
    for k, spec in enumerate(members.inputs):
        value: Any
        if spec.type == "votes":
            part = cells[pos : pos + len(spec.values)]
            pos += len(spec.values)
            value = votes_from_cells(part + [None] * (len(spec.values) - len(part)), spec.values, spec.label)
        elif spec.type == "numbers":
            part = cells[pos:] if k == last else cells[pos : pos + 1]
            pos += len(part)
            value = filled(part) or None
        elif spec.type == "records":
            part = cells[pos:] if k == last else cells[pos : pos + len(spec.fields)]
            pos += len(part)
            value = records_from_rows(chunks(part, len(spec.fields)), spec.fields)
        else:
            value = cells[pos] if pos < len(cells) else None
            pos += 1
            if value is not None and spec.type == "text":
                value = text(value)
            elif value is not None and spec.type == "enum":
                value = enum_value(spec, value)
        if value is not None:
            set_path(record, spec.path, value)
    extra = filled(cells[pos:])
    if extra:
        raise InputProblem(
            f"{members.label}行多出{len(extra)}个值;应依次为:{'、'.join(member_layout(members))}"
        )
    return record


def member_table(members: Members, arg: Any) -> list[dict[str, Any]]:
    out = []
    for row in grid(arg):
        record = member_record(members, row)
        if record is not None:
            out.append(record)
    return out


# ---------------------------------------------------------------- a unit


@dataclass(slots=True)
class UnitCase:
    case: dict[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)  # items_total / item_scores for evaluate
    members: list[dict[str, Any]] = field(default_factory=list)


def unit_labels(defn: RubricDefinition) -> list[str]:
    labels = [f"{ITEMS_TOTAL_LABEL}(LXBZ_TOTAL)"] if defn.items else []
    labels += [spec.label for spec in defn.inputs]
    if defn.members is not None:
        labels.append(f"{defn.members.label}表")
    return labels


def unit_case(
    defn: RubricDefinition,
    args: tuple[Any, ...] | list[Any],
    default_members: list[dict[str, Any]] | None = None,
) -> UnitCase | None:
    """The case a unit's arguments describe; None while the form is still empty (or has no items total)."""
    labels = unit_labels(defn)
    if len(args) > len(labels):
        raise InputProblem(f"参数过多:应为{len(labels)}个,依次为:{'、'.join(labels)}")
    args = list(args) + [None] * (len(labels) - len(args))
    cells = [flatten(a) for a in args]
    if not default_members and all(c is None for part in cells for c in part):
        return None
    out = UnitCase({"rubric": defn.id, "year": YEAR})
    first = 1 if defn.items else 0
    if defn.items:
        scores = cells[0]
        given = filled(scores)
        if len(given) < len(scores) or not given:
            return None  # the items total isn't known yet: nothing to say about tier or title
        if any(isinstance(v, str) and v.startswith("#") for v in given):
            raise InputProblem(f"{ITEMS_TOTAL_LABEL}单元格有错误")
        if len(given) == 1:
            out.kwargs["items_total"] = given[0]
        elif len(given) == len(defn.items):
            out.kwargs["item_scores"] = given
        else:
            raise InputProblem(
                f"{ITEMS_TOTAL_LABEL}应为一个数值或{len(defn.items)}项得分,实为{len(given)}个值"
            )
    names: list[str] = []
    if defn.members is not None:
        members = member_table(defn.members, args[-1]) or list(default_members or [])
        out.members = members
        names = [text(m.get(defn.members.name_field)) for m in members]
        if members:
            out.case[defn.members.key] = members
    for spec, arg, arg_cells in zip(defn.inputs, args[first:], cells[first:], strict=False):
        value = field_value(spec, arg, arg_cells, names)
        if value is not None:
            set_path(out.case, spec.path, value)
    return out
