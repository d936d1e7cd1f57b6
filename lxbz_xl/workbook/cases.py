"""Cells ↔ case mapping: read a filled form into the case `evaluate` takes, and place a case into cells.

Blank input cells are absent from the case (the core then applies its defaults); the roster of
learning_team, when it has names, replaces the typed clause counts it feeds.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.roster import apply_roster
from lxbz_xl.inputs import InputError, InputProblem, number_of
from lxbz_xl.workbook.form import Plan, Slot, plan_for
from lxbz_xl.workbook.layout import NO, YES, Layout, enum_label, enum_value
from lxbz_xl.workbook.roster import derive_counts, named_rows


class FillError(ValueError):
    """A case that does not fit the form (more members than rows, a ballot naming an unknown member…)."""


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _cell_value(slot: Slot, raw: Any) -> Any:
    """A cell value as the case carries it: whole floats → int, enum labels → core values."""
    if isinstance(raw, float) and raw.is_integer() and slot.spec.kind in ("count", "number"):
        return int(raw)
    if slot.spec.kind == "enum" and slot.fieldspec is not None:
        return enum_value(slot.fieldspec, raw)
    if isinstance(raw, str):
        return raw.strip()
    return raw


def _leaf(slot: Slot) -> str:
    return (slot.spec.path or "").rsplit(".", 1)[-1]


def _set(root: dict[str, Any], path: list[str], value: Any) -> None:
    node = root
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def case_from_cells(defn: RubricDefinition, layout: Layout, get: Callable[[str, str], Any]) -> dict[str, Any]:
    plan = plan_for(defn)
    case: dict[str, Any] = {"rubric": defn.id}
    by_path = {s.spec.path: s for s in plan.slots if s.spec.path}

    def val(slot: Slot) -> Any:
        raw = get(slot.spec.sheet, slot.spec.ref)
        return None if blank(raw) else _cell_value(slot, raw)

    unit = val(by_path["unit"])
    if unit is not None:
        case["unit"] = str(unit)
    year = val(by_path["year"])
    if year is not None:
        case["year"] = year
    items: dict[int, dict[str, Any]] = {}
    for its in plan.items:
        for spec, slot in zip(its.item.inputs(), its.inputs, strict=True):
            v = val(slot)
            if v is not None:
                items.setdefault(its.item.id, {})[spec.path] = v
    if plan.roster is not None:
        rows = roster_rows(plan, val)
        if named_rows(rows, plan.roster.name):
            for (item_id, fld), n in derive_counts(defn, plan.roster, rows).items():
                items.setdefault(item_id, {})[fld] = n
    if items:
        case["items"] = {k: items[k] for k in sorted(items)}
    for block in plan.blocks:
        spec = block.spec
        keys = spec.path.split(".")
        if spec.type == "votes":
            votes = {_leaf(s): v for s in block.slots if (v := val(s)) is not None}
            if votes:
                _set(case, keys, votes)
        elif spec.type == "numbers":
            values = [v for s in block.slots if (v := val(s)) is not None]
            if values:
                _set(case, keys, values)
        elif spec.type == "records":
            records = _records(block.slots, val)
            if records:
                _set(case, keys, records)
        elif spec.type == "ballots":
            ballots = _ballots(plan, block.slots, val)
            if ballots:
                _set(case, keys, ballots)
        else:
            v = val(block.slots[0])
            if v is not None:
                _set(case, keys, v)
    if plan.members is not None:
        members = [rec for rec in member_rows(plan, val) if rec]
        if members:
            case[defn.members.key] = members  # type: ignore[union-attr]
    return case


def _records(slots: list[Slot], val: Callable[[Slot], Any]) -> list[dict[str, Any]]:
    out = []
    for a, b in zip(slots[::2], slots[1::2], strict=True):
        rec = {}
        for s in (a, b):
            v = val(s)
            if v is not None:
                rec[_leaf(s)] = v
        if rec:
            out.append(rec)
    return out


def member_names(plan: Plan, val: Callable[[Slot], Any]) -> list[Any]:
    m = plan.members
    assert m is not None
    name_key = m.inputs[0][0].path
    return [val(slots[name_key]) for slots in m.row_slots]


def _ballots(plan: Plan, slots: list[Slot], val: Callable[[Slot], Any]) -> list[dict[str, str]]:
    names = member_names(plan, val)
    n = len(names)
    out = []
    for b in range(len(slots) // n):
        ballot = {}
        for j in range(n):
            v = val(slots[b * n + j])
            if v is not None and names[j] is not None:
                ballot[str(names[j])] = v
        if ballot:
            out.append(ballot)
    return out


def member_rows(plan: Plan, val: Callable[[Slot], Any]) -> list[dict[str, Any]]:
    """One record per table row (empty dict for a blank row), in row order."""
    m = plan.members
    assert m is not None
    rows = []
    for slots in m.row_slots:
        rec: dict[str, Any] = {}
        for spec, _cols in m.inputs:
            if spec.type == "votes":
                votes = {t: v for t in spec.values if (v := val(slots[f"{spec.path}.{t}"])) is not None}
                if votes:
                    rec[spec.path] = votes
            elif spec.type == "numbers":
                values = [
                    v for k in range(1, len(_cols) + 1) if (v := val(slots[f"{spec.path}.{k}"])) is not None
                ]
                if values:
                    rec[spec.path] = values
            elif spec.type == "records":
                pairs = [
                    slots[f"{spec.path}.{k}.{sub.path}"]
                    for k in range(1, len(_cols) // 2 + 1)
                    for sub in spec.fields[:2]
                ]
                records = _records(pairs, val)
                if records:
                    rec[spec.path] = records
            else:
                v = val(slots[spec.path])
                if v is not None:
                    rec[spec.path] = v
        rows.append(rec)
    return rows


def roster_errors(defn: RubricDefinition, get: Callable[[str, str], Any]) -> list[InputError]:
    """What the core says of the form's roster, as a case file with the same roster and typed counts.

    The sheet scores a filled roster's counts (typed cells are then not used); the core, given both,
    requires them to agree. Its messages are returned here with the paths of the cells they concern:
    a typed count that disagrees with the roster, a bad value in a row, a row with data but no name.
    """
    plan = plan_for(defn)
    roster = plan.roster
    if roster is None or defn.roster is None:
        return []

    def val(slot: Slot) -> Any:
        raw = get(slot.spec.sheet, slot.spec.ref)
        return None if blank(raw) else _cell_value(slot, raw)

    rows = roster_rows(plan, val)
    used = [r for r, row in enumerate(rows, 1) if row]
    named = [r for r in used if rows[r - 1].get(roster.name) not in (None, "")]
    if not used:
        return []
    wanted = {(d.item, d.field) for d in roster.derived} | {roster.count_field}
    typed: dict[str, dict[str, Any]] = {}
    for its in plan.items:
        for spec, slot in zip(its.item.inputs(), its.inputs, strict=True):
            v = val(slot)
            if (its.item.id, spec.path) in wanted and v is not None:
                typed.setdefault(str(its.item.id), {})[spec.path] = v
    out: list[InputError] = []
    key = defn.roster.key
    # Row problems: every row with something in it (a row without a name is not counted by the sheet).
    # Rows are passed as the sheet numbers them (序号), so the core's 第N行 is the sheet's row N.
    _, errors, _ = apply_roster(defn, {key: rows[: used[-1]]})
    for e in errors:
        parts = e.field.split(".", 2)
        if parts[0] == key and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) in used:
            out.append(e)
    # Typed counts against the counts of the named rows.
    if named:
        _, errors, _ = apply_roster(defn, {"items": typed, key: [rows[r - 1] for r in named]})
        out += [e for e in errors if not e.field.startswith(key + ".") and e.field != key]
    return out


def roster_rows(plan: Plan, val: Callable[[Slot], Any]) -> list[dict[str, Any]]:
    roster = plan.roster
    assert roster is not None
    rows: dict[int, dict[str, Any]] = {}
    for slot, r, key in _roster_slots(plan):
        v = val(slot)
        row = rows.setdefault(r, {})
        if v is not None:
            row[key] = v
    return [rows[r] for r in sorted(rows)]


def _roster_slots(plan: Plan) -> list[tuple[Slot, int, str]]:
    """(slot, row, field) of every roster cell, in slot order; found once per plan (the validator reads
    the roster of every submission several times)."""
    found: list[tuple[Slot, int, str]] | None = plan.__dict__.get("_roster_slots")
    if found is None:
        found = []
        for slot in plan.slots:
            path = slot.spec.path or ""
            if path.startswith("roster."):
                _, r, key = path.split(".")
                found.append((slot, int(r), key))
        plan.__dict__["_roster_slots"] = found
    return found


# ---------------------------------------------------------------- case → cells (fill)


def cell_text(kind: str, value: Any, spec: FieldSpec | None = None) -> Any:
    """A case value as the form shows it: booleans 是/否, enum labels, exact numbers as int/float."""
    if value is None:
        return None
    if kind == "bool" or isinstance(value, bool):
        if isinstance(value, bool):
            return YES if value else NO
        return value
    if kind == "enum":
        return enum_label(spec, str(value))
    if kind in ("count", "number") and not isinstance(value, int | float):
        try:
            number = number_of(value)
        except InputProblem:
            return value  # leave bad input visible; the core will report it
        return number.numerator if number.denominator == 1 else float(number)
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def _get(node: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(node, dict):
            if part in node:
                node = node[part]
            elif part.isdigit() and int(part) in node:
                node = node[int(part)]
            else:
                return None
        elif isinstance(node, list) and part.isdigit():
            k = int(part) - 1
            if not 0 <= k < len(node):
                return None
            node = node[k]
        else:
            return None
    return node


def cells_from_case(defn: RubricDefinition, case: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """(sheet, ref) → value for every input the case gives. Raises FillError when it does not fit."""
    plan = plan_for(defn)
    out: dict[tuple[str, str], Any] = {}
    capacity: dict[str, int] = {}
    for block in plan.blocks:
        if block.spec.type == "numbers":
            capacity[block.spec.path] = len(block.slots)
        elif block.spec.type == "records":
            capacity[block.spec.path] = len(block.slots) // 2
    if plan.members is not None:
        key = defn.members.key  # type: ignore[union-attr]
        capacity[key] = plan.members.rows
        for spec, cols in plan.members.inputs:
            if spec.type == "numbers":
                capacity[f"{key}.*.{spec.path}"] = len(cols)
            elif spec.type == "records":
                capacity[f"{key}.*.{spec.path}"] = len(cols) // 2
    if plan.roster is not None:
        capacity["roster"] = plan.roster.rows
    for path, n in capacity.items():
        parts = path.split(".")
        if "*" in parts:
            for i, rec in enumerate(_get(case, parts[:1]) or [], 1):
                got = _get(rec, parts[2:]) if isinstance(rec, dict) else None
                if isinstance(got, list) and len(got) > n:
                    raise FillError(f"{parts[0]}第{i}条的{parts[2]}有{len(got)}项,表格只有{n}格")
        else:
            got = _get(case, parts)
            if isinstance(got, list) and len(got) > n:
                if defn.members is not None and path == defn.members.key:
                    raise FillError(
                        f"{defn.members.label}有{len(got)}人,超出表格容量{n}人"
                        f"(容量由考评细则的 form.members 设定,可在考评细则文件中调大后重新生成模板)"
                    )
                raise FillError(f"{path}有{len(got)}项,超出表格容量{n}行(考评细则的 form 设定)")
    ballot_names: list[Any] = []
    if plan.members is not None:
        assert defn.members is not None  # the plan has a member table only for a rubric with members
        ballot_names = [
            r.get(plan.members.inputs[0][0].path) if isinstance(r, dict) else None
            for r in (case.get(defn.members.key) or [])
        ]
    for slot in plan.slots:
        where = slot.spec.path
        if where is None or slot.spec.role == "output" or where.startswith("form."):
            continue
        parts = where.split(".")
        block_ballots = any(
            b.spec.type == "ballots" and where.startswith(b.spec.path + ".") for b in plan.blocks
        )
        if block_ballots:
            number, j = int(parts[-2]), int(parts[-1])
            ballot = _get(case, [*parts[:-2], str(number)])
            if isinstance(ballot, dict) and j <= len(ballot_names) and ballot_names[j - 1] in ballot:
                out[(slot.spec.sheet, slot.spec.ref)] = ballot[ballot_names[j - 1]]
            continue
        value = _get(case, parts)
        if value is not None:
            out[(slot.spec.sheet, slot.spec.ref)] = cell_text(slot.spec.kind, value, slot.fieldspec)
    for b in plan.blocks:
        if b.spec.type == "ballots":
            for i, ballot in enumerate(_get(case, b.spec.path.split(".")) or [], 1):
                unknown = [k for k in (ballot or {}) if k not in ballot_names]
                if unknown:
                    raise FillError(f"第{i}张选票评价了不在{defn.members.label}名单中的{unknown}")  # type: ignore[union-attr]
            cast = len(_get(case, b.spec.path.split(".")) or [])
            if cast > defn.form.ballots:
                raise FillError(
                    f"{b.spec.label}有{cast}张选票,超出表格容量{defn.form.ballots}张"
                    f"(容量由考评细则的 form.ballots 设定,可在考评细则文件中调大后重新生成模板)"
                )
    return out
