"""The public layout API: which cell holds which input or output, for every rubric.

One layout drives building the templates, filling cases into copies, and reading submitted workbooks
back (lxbz_xl.validation). Everything here is derived from the rubric definition by `form.plan_for`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition

if TYPE_CHECKING:
    from lxbz_xl.result import Result

META_SHEET = "_lxbz"  # hidden; key/value rows in A/B: rubric, version, variant, fingerprint, generator
GENERATOR = "lxbz_xl.workbook 1"
VARIANTS = ("udf", "native")

YES, NO = "是", "否"


def enum_label(spec: FieldSpec | None, value: str) -> str:
    """What a dropdown shows for a coded value: the field's `value_labels` in the rubric YAML (the one
    source for forms, the CLI and the worksheet functions)."""
    return spec.label_of(value) if spec is not None else value


def enum_value(spec: FieldSpec | None, shown: Any) -> Any:
    """A dropdown label, an alias or the raw core value back to the core value; unknown text passes through."""
    if not isinstance(shown, str):
        return shown
    code = spec.value_of(shown) if spec is not None else None
    return code if code is not None else shown.strip()


@dataclass(frozen=True)
class CellSpec:
    name: str  # defined name, e.g. "LT_I1_MISSING_ELEMENTS"
    sheet: str
    ref: str  # "F7"
    role: Literal["header", "input", "output"]
    # Inputs: the case path ("items.1.missing_elements", "team_votes.优秀", "members.3.name", "roster.2.name",
    # "ballots.4.2" = ballot 4, member row 2). Outputs: "items.1.score", "total", "tier", "values.<var>",
    # "members.3.total", "members.3.values.<var>", "derived.items.5.members_failing_daily_study"…
    path: str | None
    kind: str  # inputs: count/bool/number/enum/text; outputs: number/percent/text/tier/bool


@dataclass(frozen=True)
class Layout:
    rubric_id: str
    version: str
    prefix: str
    main_sheet: str
    sheets: tuple[str, ...]
    cells: tuple[CellSpec, ...]

    def inputs(self) -> list[CellSpec]:
        return [c for c in self.cells if c.role == "input"]

    def outputs(self) -> list[CellSpec]:
        return [c for c in self.cells if c.role == "output"]

    def headers(self) -> list[CellSpec]:
        return [c for c in self.cells if c.role == "header"]

    def by_path(self) -> dict[str, CellSpec]:
        return {c.path: c for c in self.cells if c.path is not None}

    def by_name(self) -> dict[str, CellSpec]:
        return {c.name: c for c in self.cells}


def layout_for(defn: RubricDefinition) -> Layout:
    from lxbz_xl.workbook.form import plan_for

    return plan_for(defn).layout


def formulas_for(
    defn: RubricDefinition, layout: Layout | None = None, variant: str = "udf", rubric_ref: str | None = None
) -> dict[tuple[str, str], str]:
    """(sheet, ref) → formula text "=…" of every formula cell in the template of `variant`.

    `rubric_ref` is the first argument of the LXBZ_* calls (default `id@version`; for a rubric built from
    an edited YAML file, the `_lxbz` range that holds its text, see workbook.embed).
    """
    from lxbz_xl.workbook.form import plan_for

    plan = plan_for(defn)
    if variant == "udf":
        from lxbz_xl.workbook.udf_formulas import udf_formulas

        return udf_formulas(plan, rubric_ref or f"{defn.id}@{defn.version}")
    if variant == "native":
        from lxbz_xl.workbook.native_formulas import native_formulas

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


def case_from_cells(defn: RubricDefinition, layout: Layout, get: Callable[[str, str], Any]) -> dict[str, Any]:
    from lxbz_xl.workbook.cases import case_from_cells as impl

    return impl(defn, layout, get)


def expected_outputs(
    defn: RubricDefinition, layout: Layout, result: Result, variant: str = "udf"
) -> dict[tuple[str, str], Any]:
    """(sheet, ref) → the value a correct workbook shows for `result` (see cached_values.expected_outputs)."""
    from lxbz_xl.workbook.cached_values import expected_outputs as impl

    return impl(defn, layout, result, variant)


def data_validations_for(defn: RubricDefinition) -> dict[tuple[str, str], dict[str, Any]]:
    """(sheet, ref) → the data validation each input cell carries: type, operator, formula1/2, prompt."""
    from lxbz_xl.workbook.form import plan_for

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
