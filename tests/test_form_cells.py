"""A form's input cells read once (workbook/cases.FormCells) mean what reading them slot by slot means.

The validator reads each input cell of a submission once and hands the values to every reader of the
form (the case, the roster's rows, the expected outputs). The readers then work from keys worked out
once per plan, skip the parts of a form that are wholly blank and derive the roster's rows once per
form. Here each of those is compared, on random cells, with the plain reading: every slot through a
``get`` function, in slot order, as the worksheet functions' arguments are laid out.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl import cells as reader
from lxbz_xl import load_rubric
from lxbz_xl.definition.loader import builtin_ids
from lxbz_xl.inputs import InputProblem
from lxbz_xl.workbook.cases import FormCells, arg_rows, case_from_cells, cell_value, roster_rows
from lxbz_xl.workbook.form import Plan, plan_for
from lxbz_xl.workbook.model import Slot
from lxbz_xl.workbook.roster import derive_counts, named_rows

pytestmark = pytest.mark.workbook

EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Cells = dict[tuple[str, str], Any]

# What a cell may hold: blanks of every kind, numbers as spreadsheets store them, flags, labels, junk.
RAW = st.one_of(
    st.sampled_from([None, "", "  ", "是", "否", " 是 ", "✓", "TRUE", True, False, "#N/A", "abc", "1/2"]),
    st.integers(-5, 60),
    st.integers(0, 60).map(float),
    st.floats(-10, 100, allow_nan=False),
    st.integers(0, 60).map(lambda n: f" {n} "),
    st.text(min_size=1, max_size=4),
)


@st.composite
def form_cells(draw: st.DrawFn, plan: Plan) -> Cells:
    """A sparse form: most input cells blank, some rows and tables partly filled."""
    inputs = [(s.spec.sheet, s.spec.ref) for s in plan.slots if s.spec.role != "output"]
    chosen = draw(st.lists(st.sampled_from(inputs), max_size=min(40, len(inputs)), unique=True))
    return {key: draw(RAW) for key in chosen}


def _key(slot: Slot) -> tuple[str, str]:
    return (slot.spec.sheet, slot.spec.ref)


def _rows_as_lists(rows: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """Rows with their keys' order (dict equality ignores it; the core reads rows as given)."""
    return [list(row.items()) for row in rows]


ROSTERS = [rid for rid in builtin_ids() if load_rubric(rid).roster is not None]
MEMBERS = [rid for rid in builtin_ids() if load_rubric(rid).members is not None]


@pytest.mark.parametrize("rid", ROSTERS)
@EXAMPLES
@given(data=st.data())
def test_roster_rows_read_once_are_the_rows_read_slot_by_slot(rid: str, data: st.DataObject) -> None:
    plan = plan_for(load_rubric(rid))
    roster = [_key(s) for s in plan.slots if (s.spec.path or "").startswith("roster.")]
    chosen = data.draw(st.lists(st.sampled_from(roster), max_size=60, unique=True), label="cells")
    cells = {key: data.draw(RAW, label=f"{key}") for key in chosen}
    form = FormCells.of(plan, lambda s, r: cells.get((s, r)))

    def typed(slot: Slot) -> Any:
        raw = cells.get(_key(slot))
        return None if raw is None else cell_value(slot, raw)

    def nonblank(slot: Slot) -> Any:
        raw = cells.get(_key(slot))
        return None if reader.is_blank(raw) else raw

    assert _rows_as_lists(form.roster_rows()) == _rows_as_lists(roster_rows(plan, typed))
    assert _rows_as_lists(form.roster_rows(typed=False)) == _rows_as_lists(roster_rows(plan, nonblank))
    assert form.roster_rows() is form.roster_rows()  # derived once per form


def _slot_by_slot(plan: Plan, get: Any) -> dict[str, Any]:
    """The case read the plain way: every slot through `get`, each input laid out as its argument."""
    defn = plan.defn
    by_path = {s.spec.path: s for s in plan.slots if s.spec.path}

    def cell(slot: Slot | None) -> Any:
        return None if slot is None else reader.clean(get(*_key(slot)))

    def val(slot: Slot) -> Any:
        raw = get(*_key(slot))
        return None if raw is None else cell_value(slot, raw)

    case: dict[str, Any] = {"rubric": defn.id}
    for path in ("unit", "year"):
        value = val(by_path[path])
        if value is not None:
            case[path] = str(value) if path == "unit" else value
    items: dict[int, dict[str, Any]] = {}
    for its in plan.items:
        given = reader.read_inputs(its.item.inputs(), [get(*_key(s)) for s in its.inputs])
        if given:
            items[its.item.id] = given
    if plan.roster is not None:
        rows = roster_rows(plan, val)
        if named_rows(rows, plan.roster.name):
            for (item_id, fld), n in derive_counts(defn, plan.roster, rows).items():
                items.setdefault(item_id, {})[fld] = n
    if items:
        case["items"] = {k: items[k] for k in sorted(items)}
    records: list[dict[str, Any]] = []
    if plan.members is not None:
        assert defn.members is not None
        for slots in plan.members.row_slots:
            row: list[Any] = []
            for spec, cols in plan.members.inputs:
                size = len(cols) // 2 if spec.type == "records" else len(cols)
                row += [c for r in arg_rows(spec, lambda p, s=slots: cell(s.get(p)), size) for c in r]
            records.append(reader.member_record(defn.members, row) or {})
    names = reader.member_names(records, plan.members.inputs[0][0].path) if plan.members else []
    for block in plan.blocks:
        spec = block.spec
        if spec.type == "ballots":
            flat = [cell(s) for s in block.slots]
            value = reader.input_value(spec, flat, reader.chunks(flat, len(names) or 1), names)
        else:
            grid = arg_rows(spec, lambda p: cell(by_path.get(p)), len(block.slots) // block.cols)
            value = reader.input_value(spec, [c for r in grid for c in r], grid)
        if value is not None:
            reader.set_path(case, spec.path, value)
    if plan.members is not None and any(records):
        case[defn.members.key] = [r for r in records if r]  # type: ignore[union-attr]
    return case


def _read(read: Any) -> tuple[str, Any]:
    try:
        return "case", read()
    except InputProblem as exc:  # a table the readers refuse: both must refuse it with the same words
        return "refused", exc.message


@pytest.mark.parametrize("rid", builtin_ids())
@EXAMPLES
@given(data=st.data())
def test_case_read_once_is_the_case_read_slot_by_slot(rid: str, data: st.DataObject) -> None:
    defn = load_rubric(rid)
    plan = plan_for(defn)
    cells = data.draw(form_cells(plan), label="cells")

    def get(s: str, r: str) -> Any:
        return cells.get((s, r))

    once = _read(lambda: case_from_cells(defn, plan.layout, FormCells.of(plan, get)))
    plain = _read(lambda: _slot_by_slot(plan, get))
    assert once == plain
    if once[0] == "case":  # with the order of every mapping (the summary lists cases as read)
        assert repr(once[1]) == repr(plain[1])


def test_form_cells_keep_only_filled_cells_and_answer_as_a_get() -> None:
    plan = plan_for(load_rubric(MEMBERS[0]))
    unit = next(s for s in plan.slots if s.spec.path == "unit")
    cells = {_key(unit): "红星乡", ("nowhere", "A1"): "not an input"}
    form = FormCells.of(plan, lambda s, r: cells.get((s, r)))
    assert form.raw == {_key(unit): "红星乡"}  # blank cells and cells outside the form are not kept
    assert form(*_key(unit)) == "红星乡" and form("nowhere", "A1") is None
    assert FormCells.of(plan, form) is form  # a reader handed the form's cells uses them as they are
