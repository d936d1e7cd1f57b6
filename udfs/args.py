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

from lxbz_xl import cells as cells_reader
from lxbz_xl.cells import member_layout as member_layout  # re-exported: LXBZ_ARGS lists it
from lxbz_xl.cells import member_record, set_path
from lxbz_xl.compiled import compiled
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import Item, Members, RubricDefinition
from lxbz_xl.engine.items import score_item
from lxbz_xl.inputs import InputProblem, check_value, where
from lxbz_xl.result import ItemResult
from udfs.convert import clean, filled, flatten, grid, labelled_pairs, text

# The year is part of a case but changes no score; a sheet is always about "this" assessment year.
YEAR = date.today().year

ITEMS_TOTAL_LABEL = "各项得分合计"


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
    given = cells_reader.read_inputs(specs, cells)
    values: dict[str, Any] = {}
    pending: list[tuple[FieldSpec, Any]] = []
    for spec in specs:
        raw = given.get(spec.path)
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


def field_value(spec: FieldSpec, arg: Any, cells: list[Any], names: list[str | None]) -> Any:
    """The case value of one unit input from its argument (and its cells); None when it is empty.

    The argument decides only which cells are which: a vote range may carry its own tier-name row or
    column; what the cells mean is the shared reader's (lxbz_xl.cells), as on the form.
    """
    if spec.type == "votes" and not all(c is None for c in cells):
        pairs = labelled_pairs(arg)
        if pairs is not None:
            return cells_reader.labelled_votes(pairs, spec)
    rows = grid(arg) if spec.type in ("records", "ballots") else None
    return cells_reader.input_value(spec, cells, rows, names)


# ---------------------------------------------------------------- members


def member_table(members: Members, arg: Any) -> list[dict[str, Any] | None]:
    """One record per row of the members range, None for a blank row (its position still counts)."""
    return [member_record(members, row) for row in grid(arg)]


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
        if any(cells_reader.is_error(v) for v in given):
            raise InputProblem(f"{ITEMS_TOTAL_LABEL}单元格有错误")
        if len(given) == 1:
            out.kwargs["items_total"] = given[0]
        elif len(given) == len(defn.items):
            out.kwargs["item_scores"] = given
        else:
            raise InputProblem(
                f"{ITEMS_TOTAL_LABEL}应为一个数值或{len(defn.items)}项得分,实为{len(given)}个值"
            )
    names: list[str | None] = []
    if defn.members is not None:
        rows: list[dict[str, Any] | None] = member_table(defn.members, args[-1])
        members = [r for r in rows if r is not None]
        if not members:
            members = list(default_members or [])
            rows = list(members)
        out.members = members
        # Ballot column j rates the member of table row j (a blank row rates nobody), as on the form.
        names = cells_reader.member_names(rows, defn.members.name_field)
        if members:
            out.case[defn.members.key] = members
    for spec, arg, arg_cells in zip(defn.inputs, args[first:], cells[first:], strict=False):
        value = field_value(spec, arg, arg_cells, names)
        if value is not None:
            set_path(out.case, spec.path, value)
    return out
