"""The LXBZ_* variant says so when its functions are not loaded, and the 说明 sheet says what to do."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from lxbz_xl import load_rubric
from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
from lxbz_xl.workbook.cached_values import read_values
from lxbz_xl.workbook.form import HINT_REF, MAIN_SHEET, README_SHEET, no_functions_hint
from lxbz_xl.workbook.layout import formulas_for

RID = "learning_team"


def test_hint_formula_only_in_the_udf_variant() -> None:
    defn = load_rubric(RID)
    udf = formulas_for(defn, None, "udf")[(MAIN_SHEET, HINT_REF)]
    assert udf.startswith("=IF(ISERROR(LXBZ_RUBRIC_VERSION(") and f"{RID}_原生公式.xlsx" in udf
    assert (MAIN_SHEET, HINT_REF) not in formulas_for(defn, None, "native")


def test_hint_is_blank_when_the_functions_are_bound() -> None:
    pytest.importorskip("pycel")
    from lxbz_xl.workbook.proof import PycelForm

    form = PycelForm(DEFAULT_DIR / template_name(RID, "udf"), load_rubric(RID))
    assert form.run({})[(MAIN_SHEET, HINT_REF)] in ("", None)


@pytest.mark.libreoffice
def test_hint_shows_in_libreoffice_without_the_functions(tmp_path: Path) -> None:
    from lxbz_xl.office import find_soffice, recalculate_many

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    (udf, native) = recalculate_many(
        [DEFAULT_DIR / template_name(RID, "udf"), DEFAULT_DIR / template_name(RID, "native")], tmp_path
    )
    assert read_values(udf, {MAIN_SHEET})[(MAIN_SHEET, HINT_REF)] == no_functions_hint(RID)
    assert read_values(native, {MAIN_SHEET}).get((MAIN_SHEET, HINT_REF)) in ("", None)


@pytest.mark.parametrize("variant", ["udf", "native"])
def test_readme_sheet_names_the_rebind_step(variant: str) -> None:
    wb = openpyxl.load_workbook(DEFAULT_DIR / template_name(RID, variant))
    text = "\n".join(str(c.value) for row in wb[README_SHEET].iter_rows() for c in row if c.value)
    assert "脚本「重新绑定并计算」" in text and "rebind_and_recalculate" in text
    assert "lxbz excel rebind" in text and f"{RID}_原生公式.xlsx" in text
    assert "#NAME?" in text and "未发现问题" in text
