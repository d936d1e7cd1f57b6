"""One reader, two adapters: the same cell values mean the same case on the form and in the functions.

A case is placed into a form's cells (`cells_from_case`), the raw values are varied the way spreadsheets
hand them over (3 as 3.0 or "3", 是 as ✓/TRUE/True, blanks as spaces, a label with spaces, junk such as
"#N/A"), and the same cells are read back twice:

* the form path: `case_from_cells` (what `lxbz validate` and the cached values read);
* the function path: the arguments the UDF template's formulas pass (`udf_formulas.unit_args`: each
  input's cell or range, the members table range; an item's input cells), shaped as xlwings delivers them
  (lists of rows), read by `udfs.args` (`unit_case`, `score`).

Both must give the same case (RUBRICS.md §0, one meaning of "absent"), for every built-in rubric.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.cell import get_column_letter, range_boundaries

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.cells import read_inputs, scalar
from lxbz_xl.definition.loader import builtin_ids
from lxbz_xl.inputs import InputProblem
from lxbz_xl.workbook.cases import FillError, case_from_cells, cells_from_case
from lxbz_xl.workbook.form import Plan, plan_for
from lxbz_xl.workbook.samples import Sampler
from tests.test_udfs_support import cases as udf_cases
from udfs import args as udf_args
from udfs.convert import flatten_all

pytestmark = pytest.mark.workbook

RUBRICS = builtin_ids()
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
Cells = dict[tuple[str, str], Any]

# ---------------------------------------------------------------- the function path


def _range(cells: Cells, sheet: str, first: str, last: str) -> list[list[Any]]:
    """A range as xlwings hands it to a function declared ndim=2: rows of values, None for empty."""
    min_col, min_row, max_col, max_row = range_boundaries(f"{first}:{last}")
    return [
        [cells.get((sheet, f"{get_column_letter(c)}{r}")) for c in range(min_col, max_col + 1)]
        for r in range(min_row, max_row + 1)
    ]


def unit_arguments(plan: Plan, cells: Cells) -> list[Any]:
    """The unit functions' arguments as the UDF template wires them (udf_formulas.unit_args)."""
    out: list[Any] = [[[0]]] if plan.defn.items else []  # the items total: any number
    by_path = {b.spec.path: b for b in plan.blocks}
    for spec in plan.defn.inputs:
        block = by_path[spec.path]
        out.append(_range(cells, block.sheet, block.first, block.last))
    m = plan.members
    if m is not None:
        first = f"{get_column_letter(m.first_col)}{m.first_row}"
        last = f"{get_column_letter(m.last_input_col)}{m.first_row + m.rows - 1}"
        out.append(_range(cells, m.sheet, first, last))
    return out


def function_case(plan: Plan, cells: Cells) -> dict[str, Any]:
    unit = udf_args.unit_case(plan.defn, unit_arguments(plan, cells))
    return {} if unit is None else unit.case


def item_cells(plan: Plan, cells: Cells, item_id: int) -> list[Any]:
    its = next(i for i in plan.items if i.item.id == item_id)
    return [[[cells.get((s.spec.sheet, s.spec.ref))]] for s in its.inputs]


# ---------------------------------------------------------------- raw values as spreadsheets hold them


def _variants(value: Any) -> list[Any]:
    """Ways a spreadsheet (or a clerk) may hold the same value."""
    if isinstance(value, bool):
        return [value]
    if isinstance(value, int):
        return [value, float(value), str(value), f" {value} "]
    if isinstance(value, float):
        return [value, repr(value)]
    if value == "是":
        return ["是", "✓", True, "TRUE", "有", " 是 "]
    if value == "否":
        return ["否", "✗", False, "FALSE", "无"]
    if isinstance(value, str):
        return [value, f" {value} "]
    return [value]


JUNK = ["#N/A", "abc", "  ", "", "1/2", "-1"]


@st.composite
def raw_cells(draw: st.DrawFn, rubric: str) -> Cells:
    defn = load_rubric(rubric)
    plan = plan_for(defn)
    sampled = draw(st.booleans())  # the form samplers' cases, or the function tests' cases
    case = Sampler(defn, draw(st.integers(0, 10_000))).case() if sampled else draw(udf_cases(defn))
    case.pop("roster", None)  # the roster feeds the item formulas through IF(roster, derived, typed)
    try:
        cells = cells_from_case(defn, case)
    except FillError:
        cells = {}
    out: Cells = {}
    for key in sorted(cells, key=str):
        options = _variants(cells[key])
        out[key] = options[draw(st.integers(0, len(options) - 1))]
    inputs = [  # the roster is the form's own (its counts reach the item formulas through IF)
        (s.spec.sheet, s.spec.ref)
        for s in plan.slots
        if s.spec.role == "input" and s.spec.path and not s.spec.path.startswith("roster.")
    ]
    for _ in range(draw(st.integers(0, 3))):  # a few cells blanked with spaces, or junk
        key = inputs[draw(st.integers(0, len(inputs) - 1))]
        out[key] = draw(st.sampled_from(JUNK))
    return out


def _unit_part(case: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in case.items() if k not in ("rubric", "unit", "year", "items")}


@pytest.mark.parametrize("rid", RUBRICS)
@EXAMPLES
@given(data=st.data())
def test_form_and_functions_read_the_same_case(rid: str, data: st.DataObject) -> None:
    defn = load_rubric(rid)
    plan = plan_for(defn)
    cells = data.draw(raw_cells(rid), label="cells")
    form = case_from_cells(defn, plan.layout, lambda s, r: cells.get((s, r)))
    try:
        udf = function_case(plan, cells)
    except InputProblem as exc:  # the form path read these cells without complaint
        raise AssertionError(f"the functions refuse what the form reads: {exc.message}") from None
    assert _unit_part(udf) == _unit_part(form)
    # Items: what LXBZ_ITEM_SCORE reads from an item's cells is what the form's case holds for the item.
    result = evaluate(defn, form)
    for its in plan.items:
        args = item_cells(plan, cells, its.item.id)
        flat = [c for a in args for row in a for c in row]
        specs = udf_args.item_specs(defn, its.item)
        read = {k.split(".", 2)[2]: v for k, v in read_inputs(specs, flat).items()}
        assert read == form.get("items", {}).get(its.item.id, {}), f"item {its.item.id}"
        if not result.errors:  # and it scores the item the same way
            scored = udf_args.score(defn, its.item, flatten_all(args))
            assert scored is not None and scored.score == result.item(its.item.id).score


# ---------------------------------------------------------------- examples


def test_ballot_columns_follow_member_rows_with_a_gap() -> None:
    """A blank members-table row keeps its ballot column: column 2 rates the member of row 2."""
    defn = load_rubric("layered")
    plan = plan_for(defn)
    m = plan.members
    assert m is not None
    name = m.inputs[0][0].path
    cells: Cells = {}
    row2 = m.row_slots[1][name].spec
    cells[(row2.sheet, row2.ref)] = "李四"
    block = next(b for b in plan.blocks if b.spec.type == "ballots")
    tier = block.spec.values[0]
    for col in (0, 1):  # ballot 1 marks rows 1 (blank) and 2
        s = block.slots[col].spec
        cells[(s.sheet, s.ref)] = tier
    form = case_from_cells(defn, plan.layout, lambda s, r: cells.get((s, r)))
    udf = function_case(plan, cells)
    assert form["ballots"] == udf["ballots"] == [{"李四": tier}]


def test_worksheet_functions_keep_a_blank_member_row_s_ballot_column() -> None:
    from udfs import LXBZ_MEMBER

    row = ["王一", 60, 80, 80, 0, 0, 90]
    plain = LXBZ_MEMBER("layered", "mass_score", [row], [["较好", "一般"]], [row, ["李二", *row[1:]]])
    gap = [[None] * len(row), row, ["李二", *row[1:]]]
    assert LXBZ_MEMBER("layered", "mass_score", [row], [[None, "较好", "一般"]], gap) == plain == 80


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        (None, "count", None),
        ("   ", "bool", None),
        (3.0, "count", 3),
        (2.5, "number", 2.5),
        (" 3 ", "count", "3"),  # numbers typed as text: parsed (and range-checked) by the core
        ("✓", "bool", True),
        ("TRUE", "bool", True),
        (0.0, "bool", False),
        ("也许", "bool", "也许"),  # left for the core to name the field and what is allowed
        (2025.0, "text", "2025"),
        ("#N/A", "count", "#N/A"),
    ],
)
def test_scalar(raw: Any, kind: str, expected: Any) -> None:
    got = scalar(raw, kind)
    assert got == expected and type(got) is type(expected)


def test_enum_labels_and_aliases_from_the_yaml() -> None:
    scope = next(s for s in load_rubric("annual_team").inputs if s.path == "scope")
    assert scalar(" 县区 ", "enum", scope) == "county"
    assert scalar("city_dept", "enum", scope) == "city_dept"
    assert scalar("别的", "enum", scope) == "别的"
