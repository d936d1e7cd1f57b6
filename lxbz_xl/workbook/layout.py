"""The public layout API: which cell holds which input or output, for every rubric.

One layout drives building the templates, filling cases into copies, and reading submitted workbooks
back (lxbz_xl.validation). Everything here is derived from the rubric definition by `form.plan_for`;
the layout's data classes live in model.py (re-exported here).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from lxbz_xl.cells import enum_code
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.cached_values import expected_outputs as outputs_shown
from lxbz_xl.workbook.cases import case_from_cells as cells_to_case
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.model import GENERATOR as GENERATOR
from lxbz_xl.workbook.model import META_SHEET as META_SHEET
from lxbz_xl.workbook.model import NO as NO
from lxbz_xl.workbook.model import VARIANTS, Layout
from lxbz_xl.workbook.model import YES as YES
from lxbz_xl.workbook.model import CellSpec as CellSpec
from lxbz_xl.workbook.model import enum_label as enum_label
from lxbz_xl.workbook.native_formulas import native_formulas
from lxbz_xl.workbook.udf_formulas import udf_formulas

if TYPE_CHECKING:
    pass


def layout_for(defn: RubricDefinition) -> Layout:
    return plan_for(defn).layout


def formulas_for(
    defn: RubricDefinition, layout: Layout | None = None, variant: str = "udf", rubric_ref: str | None = None
) -> dict[tuple[str, str], str]:
    """(sheet, ref) → formula text "=…" of every formula cell in the template of `variant`.

    `rubric_ref` is the first argument of the LXBZ_* calls (default `id@version`; for a rubric built from
    an edited YAML file, the `_lxbz` range that holds its text, see workbook.embed).
    """
    plan = plan_for(defn)
    if variant == "udf":
        return udf_formulas(plan, rubric_ref or f"{defn.id}@{defn.version}")
    if variant == "native":
        return native_formulas(plan)
    raise ValueError(f"unknown variant {variant!r}; use one of {VARIANTS}")


def normalise_formula(text: str) -> str:
    """Spreadsheet programs re-case function names (LibreOffice lower-cases unknown ones) and drop the
    `_xludf.`/`_xlfn.` prefixes; compare formulas case-insensitively outside string literals, without them."""
    out, in_str = [], False
    for ch in text.lstrip("="):
        if ch == '"':
            in_str = not in_str
        out.append(ch if in_str else ch.upper())
    norm = "".join(out)
    for prefix in ("_XLUDF.", "_XLFN.", "_XLL."):
        norm = norm.replace(prefix, "")
    return norm.replace(" ", "").replace("TRUE()", "TRUE").replace("FALSE()", "FALSE")


def formula_fingerprint(formulas: dict[tuple[str, str], str]) -> str:
    h = hashlib.sha256()
    for (sheet, ref), text in sorted(formulas.items()):
        h.update(f"{sheet}!{ref}={normalise_formula(text)}\n".encode())
    return h.hexdigest()


case_from_cells = cells_to_case  # the public names of the layout API
enum_value = enum_code  # a dropdown label, an alias or the code → the code (the shared cell reader's)
expected_outputs = outputs_shown


def data_validations_for(defn: RubricDefinition) -> dict[tuple[str, str], dict[str, Any]]:
    """(sheet, ref) → the data validation each input cell carries: type, operator, formula1/2, prompt."""
    return {(s.spec.sheet, s.spec.ref): dict(s.validation) for s in plan_for(defn).slots if s.validation}


def same_value(expected: Any, actual: Any, tol: float = 1e-6) -> bool:
    """Numbers equal within `tol` (engines compute in binary floats); text/None compared with ""≡None."""
    if expected in (None, "") and actual in (None, ""):
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(float(expected) - float(actual)) <= tol * max(1.0, abs(float(expected)))
    return expected == actual
