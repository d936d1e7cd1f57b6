"""Cells ↔ case mapping: read a filled form into the case `evaluate` takes, and place a case into cells.

This is the form's adapter over the shared cell reader (lxbz_xl.cells): it maps the plan's slots to
cells, arranged as the worksheet functions receive them (a vote table's cells in tier order, a record's
point/reason pairs, a ballot per row, a member's row), and lets the reader say what they mean. Blank input
cells are absent from the case (the core then applies its defaults); the roster of learning_team, when it
has names, replaces the typed clause counts it feeds.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from lxbz_xl import cells as reader
from lxbz_xl.cells import is_blank
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.roster import apply_roster
from lxbz_xl.inputs import InputError, InputProblem, number_of
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.model import NO, YES, Layout, Plan, Slot, derived, enum_label
from lxbz_xl.workbook.roster import derive_counts, named_rows

Get = Callable[[str, str], Any]
Key = tuple[str, str]  # (sheet, ref) of a cell
COMPOSITE = frozenset({"votes", "numbers", "records", "ballots"})  # inputs of several cells


class FillError(ValueError):
    """A case that does not fit the form (more members than rows, a ballot naming an unknown member…)."""


blank = is_blank  # the name cached_values and older callers use


def cell_value(slot: Slot, raw: Any) -> Any:
    """One slot's cell as the case carries it (None for a blank cell): the shared reader, by the slot's kind."""
    return reader.scalar(raw, slot.spec.kind, slot.fieldspec)


def _key(slot: Slot | None) -> Key | None:
    return None if slot is None else (slot.spec.sheet, slot.spec.ref)


class Reading:
    """Where a plan's readers find their cells, as (sheet, ref) keys: worked out once per plan (kept on
    it), so reading a form is a look-up per cell."""

    def __init__(self, plan: Plan) -> None:
        self.inputs: tuple[Key, ...] = tuple(
            (s.spec.sheet, s.spec.ref) for s in plan.slots if s.spec.role != "output"
        )
        self.by_path = {s.spec.path: s for s in plan.slots if s.spec.path}
        # (item slots, item id, its inputs' specs, their cells' keys), in plan order
        self.items = [
            (its, its.item.id, its.item.inputs(), [(s.spec.sheet, s.spec.ref) for s in its.inputs])
            for its in plan.items
        ]

        def key_at(path: str) -> Key | None:
            return _key(self.by_path.get(path))

        # blocks: (spec, the keys of its cells in the reader's layout, all its keys); ballots as a row
        self.blocks: list[tuple[FieldSpec, list[list[Key | None]], frozenset[Key | None]]] = []
        for block in plan.blocks:
            spec = block.spec
            if spec.type == "ballots":
                grid: list[list[Key | None]] = [[_key(s) for s in block.slots]]
            else:
                grid = arg_rows(spec, key_at, len(block.slots) // block.cols)
            self.blocks.append((spec, grid, frozenset(_flat(grid))))
        # member rows: the keys of each row's cells, in the order member_record reads them
        self.members: list[tuple[list[Key | None], frozenset[Key | None]]] = []
        if plan.members is not None:
            for slots in plan.members.row_slots:

                def row_key(path: str, slots: dict[str, Slot] = slots) -> Key | None:
                    return _key(slots.get(path))

                row: list[Key | None] = []
                for spec, cols in plan.members.inputs:
                    size = len(cols) // 2 if spec.type == "records" else len(cols)
                    row += _flat(arg_rows(spec, row_key, size))
                self.members.append((row, frozenset(row)))
        # roster: key → (row position, field, slot) of every roster cell, and the cells' order
        self.roster: dict[Key, tuple[int, str, Slot]] = {}
        self.roster_order: dict[Key, int] = {}
        self.roster_size = 0
        self.roster_typed: list[tuple[str, str, Key, Slot]] = []  # typed counts the roster also gives
        if plan.roster is not None:
            found = _roster_slots(plan)
            numbers = sorted({r for _, r, _ in found})
            position = {r: k for k, r in enumerate(numbers)}
            self.roster_size = len(numbers)
            for n, (slot, r, field) in enumerate(found):
                key = (slot.spec.sheet, slot.spec.ref)
                self.roster.setdefault(key, (position[r], field, slot))
                self.roster_order.setdefault(key, n)
            wanted = {(d.item, d.field) for d in plan.roster.derived} | {plan.roster.count_field}
            self.roster_typed = [
                (str(its.item.id), spec.path, (slot.spec.sheet, slot.spec.ref), slot)
                for its in plan.items
                for spec, slot in zip(its.item.inputs(), its.inputs, strict=True)
                if (its.item.id, spec.path) in wanted
            ]
        self.roster_keys = set(self.roster)  # a set: `raw.keys() & roster_keys` then walks the (few) raw keys
        self.roster_unique = len(self.roster) == len(_roster_slots(plan)) if plan.roster is not None else True


def reading(plan: Plan) -> Reading:
    return derived(plan, "_reading", Reading)


class FormCells:
    """A filled form's input cells, each read once: ``raw`` maps (sheet, ref) to the value of every input
    cell that is not empty (a key missing is an empty cell). Callable as a ``Get``. What the readers derive
    from the cells more than once per form (the roster's rows) is derived once and kept here."""

    __slots__ = ("_rows", "plan", "raw")

    def __init__(self, plan: Plan, raw: dict[Key, Any]) -> None:
        self.plan = plan
        self.raw = raw
        self._rows: dict[bool, list[dict[str, Any]]] = {}

    @classmethod
    def of(cls, plan: Plan, get: Get) -> FormCells:
        """``get`` itself when it is the cells of this plan's form; otherwise every input cell read from it."""
        if isinstance(get, FormCells) and get.plan is plan:
            return get
        raw: dict[Key, Any] = {}
        for key in reading(plan).inputs:
            value = get(*key)
            if value is not None:
                raw[key] = value
        return cls(plan, raw)

    def __call__(self, sheet: str, ref: str) -> Any:
        return self.raw.get((sheet, ref))

    def roster_rows(self, typed: bool = True) -> list[dict[str, Any]]:
        """Every roster row in row order ({} for a blank one): its cells as the case carries them, or with
        ``typed=False`` the raw values of the cells that are not blank. Not to be changed by the caller."""
        rows = self._rows.get(typed)
        if rows is None:
            plan, raw = self.plan, self.raw
            r = reading(plan)
            if not r.roster_unique:  # two slots on one cell: read slot by slot
                rows = roster_rows(plan, self._val if typed else self._nonblank)
            else:
                rows = [{} for _ in range(r.roster_size)]
                at = r.roster
                for key in sorted(raw.keys() & r.roster_keys, key=r.roster_order.__getitem__):
                    pos, field, slot = at[key]
                    value = raw[key]
                    value = cell_value(slot, value) if typed else (None if blank(value) else value)
                    if value is not None:
                        rows[pos][field] = value
            self._rows[typed] = rows
        return rows

    def _val(self, slot: Slot) -> Any:
        raw = self.raw.get((slot.spec.sheet, slot.spec.ref))
        return None if raw is None else cell_value(slot, raw)

    def _nonblank(self, slot: Slot) -> Any:
        raw = self.raw.get((slot.spec.sheet, slot.spec.ref))
        return None if blank(raw) else raw


def arg_rows(spec: FieldSpec, cell_at: Callable[[str], Any], size: int) -> list[list[Any]]:
    """The cells of one input, as rows, laid out as its worksheet-function argument: a vote table one row
    per tier, a list one row per entry, records one (points, reason) row each, anything else one cell.
    ``cell_at`` gives the cleaned cell of a path below the input (None where the form has no cell)."""
    path = spec.path
    if spec.type == "votes":
        return [[cell_at(f"{path}.{tier}")] for tier in spec.values]
    if spec.type == "numbers":
        return [[cell_at(f"{path}.{k}")] for k in range(1, size + 1)]
    if spec.type == "records":  # the form has the first two fields (points, reason) of each record
        return [[cell_at(f"{path}.{k}.{sub.path}") for sub in spec.fields[:2]] for k in range(1, size + 1)]
    return [[cell_at(path)]]


def _flat(rows: list[list[Any]]) -> list[Any]:
    return [c for row in rows for c in row]


def case_from_cells(defn: RubricDefinition, layout: Layout, get: Get) -> dict[str, Any]:
    plan = plan_for(defn)
    form = FormCells.of(plan, get)
    raw = form.raw
    cell = raw.get
    r = reading(plan)
    case: dict[str, Any] = {"rubric": defn.id}
    for path in ("unit", "year"):
        slot = r.by_path[path]
        value = cell((slot.spec.sheet, slot.spec.ref))
        value = None if value is None else cell_value(slot, value)
        if value is not None:
            case[path] = str(value) if path == "unit" else value
    items: dict[int, dict[str, Any]] = {}
    for _its, item_id, specs, keys in r.items:
        if raw.keys().isdisjoint(keys):
            continue  # every cell blank: nothing given
        given = reader.read_inputs(specs, [cell(k) for k in keys])
        if given:
            items[item_id] = given
    if plan.roster is not None:
        rows = form.roster_rows()
        if named_rows(rows, plan.roster.name):
            for (item_id, fld), n in derive_counts(defn, plan.roster, rows).items():
                items.setdefault(item_id, {})[fld] = n
    if items:
        case["items"] = {k: items[k] for k in sorted(items)}
    rows_of_members = member_rows(plan, form) if plan.members is not None else []
    names = reader.member_names(rows_of_members, plan.members.inputs[0][0].path) if plan.members else []
    clean = reader.clean
    for spec, grid, present in r.blocks:
        if spec.type not in COMPOSITE:  # one cell: reader.input_value's scalar(single(cells))
            value = reader.scalar(cell(grid[0][0]), spec.type, spec)  # type: ignore[arg-type]
        elif raw.keys().isdisjoint(present):
            continue  # every cell blank: the input is absent
        else:
            value = _composite(spec, [[clean(cell(k)) for k in row] for row in grid], names)  # type: ignore[arg-type]
        if value is not None:
            reader.set_path(case, spec.path, value)
    if plan.members is not None:
        members = [rec for rec in rows_of_members if rec]
        if members:
            case[defn.members.key] = members  # type: ignore[union-attr]
    return case


def _composite(spec: FieldSpec, values: list[list[Any]], names: list[str | None]) -> Any:
    """A vote table, list, records or ballots input from its cleaned cells, as rows."""
    if spec.type == "ballots":
        cells = values[0]
        return reader.input_value(spec, cells, reader.chunks(cells, len(names) or 1), names)
    return reader.input_value(spec, _flat(values), values)


def member_names(plan: Plan, val: Callable[[Slot], Any]) -> list[Any]:
    """The name cell of each member row (None for a blank one): ballot column j rates row j."""
    m = plan.members
    assert m is not None
    name_key = m.inputs[0][0].path
    return [val(slots[name_key]) for slots in m.row_slots]


def member_rows(plan: Plan, form: FormCells) -> list[dict[str, Any]]:
    """One record per table row (empty dict for a blank row), in row order: the row's cells in column
    order, read as the worksheet functions read a member row."""
    members = plan.defn.members
    assert members is not None  # the plan has a member table only for a rubric with members
    raw = form.raw
    cell, clean = raw.get, reader.clean
    out: list[dict[str, Any]] = []
    for keys, present in reading(plan).members:
        if raw.keys().isdisjoint(present):
            out.append({})  # a blank row
            continue
        row = [clean(cell(k)) for k in keys]  # type: ignore[arg-type]
        out.append(reader.member_record(members, row) or {})
    return out


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

    form = FormCells.of(plan, get)
    rows = form.roster_rows()
    used = [r for r, row in enumerate(rows, 1) if row]
    named = [r for r in used if rows[r - 1].get(roster.name) not in (None, "")]
    if not used:
        return []
    typed: dict[str, dict[str, Any]] = {}
    raw = form.raw
    for item_id, path, where, slot in reading(plan).roster_typed:
        v = raw.get(where)
        v = None if v is None else cell_value(slot, v)
        if v is not None:
            typed.setdefault(item_id, {})[path] = v
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
    return derived(plan, "_roster_slots", _find_roster_slots)


def _find_roster_slots(plan: Plan) -> list[tuple[Slot, int, str]]:
    found = []
    for slot in plan.slots:
        path = slot.spec.path or ""
        if path.startswith("roster."):
            _, r, key = path.split(".")
            found.append((slot, int(r), key))
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
