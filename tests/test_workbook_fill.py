"""`lxbz fill` and cached values: filled copies show the core's results to any reader; templates untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
import yaml

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.definition.loader import builtin_ids
from lxbz_xl.workbook.build import DEFAULT_DIR, cached_for, template_name
from lxbz_xl.workbook.cached_values import read_values
from lxbz_xl.workbook.cases import FillError, case_from_cells, cells_from_case
from lxbz_xl.workbook.fill import fill_case
from lxbz_xl.workbook.layout import expected_outputs, formulas_for, layout_for, same_value
from lxbz_xl.workbook.samples import valid_cases

RUBRICS = builtin_ids()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("rid", RUBRICS)
@pytest.mark.parametrize("variant", ["udf", "native"])
def test_filled_copy_carries_inputs_and_cached_results(rid: str, variant: str, tmp_path: Path) -> None:
    defn = load_rubric(rid)
    template = DEFAULT_DIR / template_name(rid, variant)
    before = _digest(template)
    case = valid_cases(defn, 1, seed=5)[0]
    dst = fill_case(defn, case, tmp_path / "filled.xlsx", variant)
    assert _digest(template) == before  # the template itself is never written
    cells = cells_from_case(defn, case)
    expected = cached_for(defn, variant, lambda s, r: cells.get((s, r)))
    formulas = formulas_for(defn, None, variant)
    # openpyxl (cached values) and python-calamine both read the results without computing anything.
    wb = openpyxl.load_workbook(dst, data_only=True)
    from python_calamine import CalamineWorkbook

    cal = CalamineWorkbook.from_path(str(dst))
    grids = {name: cal.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in cal.sheet_names}
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    for (sheet, ref), value in expected.items():
        if (sheet, ref) not in formulas:
            continue
        got = wb[sheet][ref].value
        assert same_value(value, got), f"{sheet}!{ref}: openpyxl reads {got!r}, core says {value!r}"
        letters, row = coordinate_from_string(ref)
        grid = grids[sheet]
        cval = grid[row - 1][column_index_from_string(letters) - 1] if row - 1 < len(grid) else ""
        if isinstance(cval, float) and cval.is_integer():
            cval = int(cval)
        assert same_value(value, cval), f"{sheet}!{ref}: calamine reads {cval!r}, core says {value!r}"
    for (sheet, ref), value in cells.items():  # inputs are in the copy, as the form shows them
        assert same_value(value, wb[sheet][ref].value), f"{sheet}!{ref}"
    # Reading the filled form back gives a case the core scores the same as the original.
    layout = layout_for(defn)
    read = case_from_cells(defn, layout, lambda s, r: wb[s][r].value)
    if "roster" not in case:  # a roster case is scored through the counts it yields, i.e. `read` itself
        assert evaluate(defn, read).to_json()["total"] == evaluate(defn, case).to_json()["total"]


def test_template_cached_values_show_an_empty_form() -> None:
    for rid in RUBRICS:
        defn = load_rubric(rid)
        for variant in ("udf", "native"):
            values = read_values(DEFAULT_DIR / template_name(rid, variant))
            for key in formulas_for(defn, None, variant):
                assert key in values, f"{rid} {variant}: {key} has no cached value"


def test_roster_counts_replace_typed_counts(tmp_path: Path) -> None:
    defn = load_rubric("learning_team")
    roster = [
        {"name": "甲", "is_principal": True, "annual_hours": 100, "research_days": 61, "research_reports": 1},
        {"name": "乙", "annual_hours": 120, "cycle_hours": 540, "lectured": True, "has_plan": False},
    ]
    case = {
        "rubric": "learning_team",
        "unit": "某县委",
        "year": 2025,
        "items": {"7": {"members": 9}},
        "roster": roster,
    }
    dst = fill_case(defn, case, tmp_path / "lt.xlsx", "native")
    values = read_values(dst)
    by_path = layout_for(defn).by_path()
    read = case_from_cells(defn, layout_for(defn), lambda s, r: values.get((s, r)))
    assert read["items"][7]["members"] == 2  # the roster has 2 names: the typed 9 is ignored
    assert read["items"][8]["members_short_of_hours"] == 2  # 100 < 110 a year; 540 < 550 over 5 years
    assert read["items"][1]["members_without_plan"] == 1
    result = evaluate(defn, read)
    spec = by_path["items.8.score"]
    assert values[(spec.sheet, spec.ref)] == result.item(8).score
    spec = by_path["derived.items.8.members_short_of_hours"]
    assert values[(spec.sheet, spec.ref)] == 2


def test_fill_rejects_what_does_not_fit(tmp_path: Path) -> None:
    defn = load_rubric("study_credits")
    members = [{"name": f"干部{i}", "rank": "科级", "credits": 12} for i in range(40)]
    with pytest.raises(FillError):
        fill_case(defn, {"rubric": "study_credits", "year": 2025, "members": members}, tmp_path / "x.xlsx")


def test_expected_outputs_cover_every_output_cell() -> None:
    for rid in RUBRICS:
        defn = load_rubric(rid)
        layout = layout_for(defn)
        case = valid_cases(defn, 1, seed=2)[0]
        cells = cells_from_case(defn, case)
        read = case_from_cells(defn, layout, lambda s, r, c=cells: c.get((s, r)))
        out = expected_outputs(defn, layout, evaluate(defn, read))
        assert {(c.sheet, c.ref) for c in layout.outputs()} <= set(out)


def test_cli_fill(tmp_path: Path) -> None:
    from lxbz_xl.cli import main

    case = valid_cases(load_rubric("annual_cadre"), 1, seed=4)[0]
    src = tmp_path / "case.yaml"
    src.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    assert main(["fill", str(src), "--out", str(tmp_path / "out"), "--variant", "native"]) == 0
    made = list((tmp_path / "out").glob("*.xlsx"))
    assert len(made) == 1 and made[0].name.endswith("_原生公式.xlsx")
    assert main(["fill", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out")]) == 2
