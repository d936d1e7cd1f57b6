"""The layout API that building, filling and the validator share."""

from __future__ import annotations

import re

import pytest

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.definition.loader import all_inputs, builtin_ids
from lxbz_xl.workbook.cases import case_from_cells, cells_from_case
from lxbz_xl.workbook.layout import (
    enum_label,
    enum_value,
    formula_fingerprint,
    formulas_for,
    layout_for,
    normalise_formula,
    same_value,
)
from lxbz_xl.workbook.samples import valid_cases

RUBRICS = builtin_ids()
CELL_LIKE = re.compile(r"^[A-Z]{1,3}[0-9]+$")


@pytest.mark.parametrize("rid", RUBRICS)
def test_layout_names_and_paths(rid: str) -> None:
    defn = load_rubric(rid)
    layout = layout_for(defn)
    names = [c.name for c in layout.cells]
    assert len(names) == len(set(names))
    for c in layout.cells:
        assert c.name.startswith(layout.prefix + "_") and not CELL_LIKE.match(c.name), c.name
        assert c.sheet in layout.sheets
    paths = layout.by_path()
    for spec in all_inputs(defn):  # every scalar unit input and item input has a cell
        if spec.type in ("count", "bool", "number", "enum", "text"):
            assert spec.path in paths, spec.path
    if defn.items:
        assert {"items.1.score", "items.1.deduction", "items.1.explanation"} <= set(paths)
    assert layout.main_sheet == layout.sheets[0]
    assert {"unit", "year"} <= set(paths)


@pytest.mark.parametrize("rid", RUBRICS)
def test_cells_round_trip_to_the_same_result(rid: str) -> None:
    defn = load_rubric(rid)
    layout = layout_for(defn)
    for case in valid_cases(defn, 15, seed=3):
        if "roster" in case:
            continue
        cells = cells_from_case(defn, case)
        read = case_from_cells(defn, layout, lambda s, r, c=cells: c.get((s, r)))
        assert evaluate(defn, read).to_json() | {"source": None} == evaluate(defn, case).to_json() | {
            "source": None
        }


def test_examples_from_the_contract() -> None:
    layout = layout_for(load_rubric("learning_team"))
    names = layout.by_name()
    assert names["LT_I1_MISSING_ELEMENTS"].path == "items.1.missing_elements"
    assert names["LT_TOTAL"].path == "total" and names["LT_TITLE"].path == "title"
    at = layout_for(load_rubric("annual_team")).by_path()
    assert at["team_votes.优秀"].kind == "count" and at["findings.targets_good"].kind == "bool"
    assert at["tier"].role == "output" and at["base_tier"].role == "output"


def test_enum_labels_and_fingerprint() -> None:
    cadre = load_rubric("annual_cadre")
    scope = next(s for s in cadre.inputs if s.path == "scope")
    aspect = next(s for s in cadre.inputs if s.path == "aspects.leadership")
    assert enum_value(scope, "县区") == "county"
    assert enum_value(scope, "city_dept") == "city_dept"
    # RUBRICS.md §4 rev. 2: the labels come from the rubric YAML; 一般 is the seed's 基本称职 word.
    assert [enum_label(aspect, v) for v in aspect.values] == ["优秀", "称职", "一般", "存在突出问题"]
    assert enum_value(aspect, "一般") == "weak" and enum_value(aspect, "较弱") == "weak"
    assert enum_value(aspect, "称职") == "normal" and enum_value(aspect, "存在严重问题") == "serious_problem"
    f = formulas_for(load_rubric("annual_cadre"), None, "udf")
    lowered = {k: "=" + v[1:].replace("LXBZ_TIER", "_xludf.lxbz_tier") for k, v in f.items()}
    assert formula_fingerprint(lowered) == formula_fingerprint(f)  # LibreOffice's lower-casing is tolerated
    assert normalise_formula('=if(A1="是",1,0)') == 'IF(A1="是",1,0)'
    assert same_value(0.1 + 0.2, 0.3) and same_value("", None) and not same_value(1, "1")
