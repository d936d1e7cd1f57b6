"""Build the workbook templates: one per rubric and variant, from the form plan.

Builds are deterministic (fixed document timestamps, fixed zip dates, stable ordering), so the committed
files in workbook_templates/ can be compared with a fresh build.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import range_boundaries
from openpyxl.utils.cell import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.definition.years import mark_year, year_label
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.workbook import printing
from lxbz_xl.workbook.cached_values import expected_outputs, helper_values, rewrite_package
from lxbz_xl.workbook.cases import case_from_cells
from lxbz_xl.workbook.embed import (
    FIRST_CHUNK_ROW,
    chunk_range,
    chunks,
    definition_digest,
    text_digest,
)
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.layout import formula_fingerprint, formulas_for
from lxbz_xl.workbook.model import GENERATOR, MAIN_SHEET, META_SHEET, Plan, quote
from lxbz_xl.workbook.plan_main import HINT_REF
from lxbz_xl.workbook.styles import style

FIXED_TIME = dt.datetime(2025, 1, 1)
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "workbook_templates"
SUFFIX = {"udf": ".xlsx", "native": "_原生公式.xlsx"}


def template_name(rubric_id: str, variant: str) -> str:
    return f"{rubric_id}{SUFFIX[variant]}"


def _abs(ref: str) -> str:
    letters = "".join(c for c in ref if c.isalpha())
    return f"${letters}${ref[len(letters) :]}"


def _cells(rng: str) -> list[str]:
    c1, r1, c2, r2 = range_boundaries(rng)
    return [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _clip_heading(merge: str, sp: Any, page: printing.PageFit) -> str | None:
    """A title above the repeated heading rows of a sheet split across pages spans only the columns of
    the first page (else it is cut in two at the page edge)."""
    c1, r1, c2, r2 = range_boundaries(merge)
    first_title_row = int(sp.print_rows.split(":")[0]) if sp.print_rows else 1
    if page.fit_to_width or r2 >= first_title_row:
        return merge
    last = min(c2, max(c1, printing.first_page_columns(sp, page)))
    if last == c1 and r1 == r2:
        return None
    return f"{get_column_letter(c1)}{r1}:{get_column_letter(last)}{r2}"


def _workbook(
    plan: Plan,
    formulas: dict[tuple[str, str], str],
    variant: str,
    rubric_ref: str,
    source: str | None,
    year: int | None = None,
    whole: RubricDefinition | None = None,
) -> Workbook:
    """`whole`: the definition as loaded, when `plan` is built from its rules of one year (its digest
    identifies the rubric; the year row says which rules the form computes)."""
    defn = plan.defn
    whole = whole or defn
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {}
    pages: dict[str, tuple[Any, printing.PageFit]] = {}
    for sp in plan.sheets:
        ws = wb.create_sheet(sp.title)
        sheets[sp.title] = ws
        for c, w in sp.widths.items():
            ws.column_dimensions[c].width = w
        for c in sp.hidden_cols:
            ws.column_dimensions[c].hidden = True
        for r, h in sorted(sp.heights.items()):
            ws.row_dimensions[r].height = round(h, 1)
        if sp.freeze:
            ws.freeze_panes = sp.freeze
        pages[sp.title] = (sp, printing.apply(ws, sp))
        ws.protection.sheet = True  # no password: guards formulas against slips, not against intent
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
    for t in plan.texts:
        ws = sheets[t.sheet]
        merge = _clip_heading(t.merge, *pages[t.sheet]) if t.merge else None
        targets = _cells(merge) if merge else [t.ref]
        for ref in targets:
            style(ws[ref], t.style)
        if t.value:
            ws[t.ref] = t.value
        if merge:
            ws.merge_cells(merge)
    validations: dict[tuple[str, tuple[tuple[str, Any], ...]], DataValidation] = {}
    for slot in plan.slots:
        ws = sheets[slot.spec.sheet]
        cell = ws[slot.spec.ref]
        style(cell, slot.style)
        if slot.number_format:
            cell.number_format = slot.number_format
        if slot.validation:
            key = (slot.spec.sheet, tuple(sorted(slot.validation.items())))
            dv = validations.get(key)
            if dv is None:
                v = slot.validation
                dv = DataValidation(
                    type=v["type"],
                    operator=v.get("operator"),
                    formula1=v.get("formula1"),
                    formula2=v.get("formula2"),
                    allow_blank=True,
                    showInputMessage=True,
                    showErrorMessage=True,
                    promptTitle=v.get("title"),
                    prompt=v["prompt"],
                    errorTitle="输入不符合要求",
                    error=v["prompt"],
                    errorStyle="stop",
                )
                validations[key] = dv
                ws.add_data_validation(dv)
            dv.add(slot.spec.ref)
        wb.defined_names[slot.spec.name] = DefinedName(
            slot.spec.name, attr_text=f"{quote(slot.spec.sheet)}!{_abs(slot.spec.ref)}"
        )
    for (sheet, ref), text in formulas.items():
        cell = sheets[sheet][ref]
        if not cell.has_style:
            style(cell, "helper")
        cell.value = text
    meta = wb.create_sheet(META_SHEET)
    meta_rows = [
        ("rubric", defn.id),
        ("version", defn.version),
        ("variant", variant),
        ("fingerprint", formula_fingerprint(formulas)),
        ("generator", GENERATOR),
        ("rubric_ref", rubric_ref),
        ("name", defn.name),
        ("definition_sha256", definition_digest(whole)),
    ]
    if year is not None or whole.dated:  # the year whose rules the form computes (最新: the latest values)
        meta_rows.append(("year", year_label(year)))
    if source is not None:
        meta_rows.append(("rubric_sha256", text_digest(source)))
    for r, (key_text, value) in enumerate(meta_rows, 1):
        meta.cell(r, 1, key_text)
        meta.cell(r, 2, value)
    if source is not None:  # the rubric itself, so the form computes without its file (embed.py)
        for r, piece in enumerate(chunks(source), FIRST_CHUNK_ROW):
            meta.cell(r, 1, "rubric_yaml")
            meta.cell(r, 2, piece)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    wb.active = 0
    props = wb.properties
    props.creator = "lxbz_xl"
    props.title = f"{defn.name}({'原生公式' if variant == 'native' else 'LXBZ函数'})"
    props.created = props.modified = FIXED_TIME
    props.lastModifiedBy = "lxbz_xl"
    return wb


def cached_for(defn: RubricDefinition, variant: str, get: Any) -> dict[tuple[str, str], Any]:
    """Cached values of every formula cell for the inputs `get(sheet, ref)` returns."""
    layout = plan_for(defn).layout
    case = case_from_cells(defn, layout, get)
    case.setdefault("year", 2000)  # formulas do not read the year; the core requires one
    result = evaluate(defn, case)
    out = helper_values(defn, get)
    out.update(expected_outputs(defn, layout, result, variant, get))
    if variant == "udf":
        out[(MAIN_SHEET, HINT_REF)] = ""  # the functions answer: no hint
    return out


def rubric_ref_for(defn: RubricDefinition, source: str | None = None, year: int | None = None) -> str:
    """The LXBZ_* rubric argument: `id@version` for a built-in rubric, the `_lxbz` range holding the
    YAML text for a rubric built from a file (never a path). A form built for a year of a rubric with
    dated parameters names the year of its rules: `id@version:2024` (udfs apply them; a form of the latest
    values names the latest start year)."""
    if source is not None:
        return chunk_range(len(chunks(source)))
    return f"{defn.id}@{defn.version}" + (f":{defn.rules_year(year)}" if defn.dated else "")


def build_template(
    defn: RubricDefinition, out_dir: Path, variant: str, source: str | None = None, year: int | None = None
) -> Path:
    """`source`: the YAML text of a rubric built from a file (`--rubric`), embedded in the workbook.
    `year`: the year whose rules the form uses (dated parameters); None: the latest values. Raises
    ValueError (Chinese) for a year before a parameter's first start date."""
    if source is not None and defn.dated:  # the add-in reads the year from the embedded text
        source = mark_year(source, defn.rules_year(year) or 0)
    ref = rubric_ref_for(defn, source, year)
    whole, defn = defn, defn.fixed(year)
    plan = plan_for(defn)
    formulas = formulas_for(defn, plan.layout, variant, ref)
    wb = _workbook(plan, formulas, variant, ref, source, year, whole)
    out_dir.mkdir(parents=True, exist_ok=True)
    dst = out_dir / template_name(defn.id, variant)
    with tempfile.TemporaryDirectory(prefix="lxbz-build-") as tmp:
        raw = Path(tmp) / "raw.xlsx"
        wb.save(raw)
        cached = cached_for(defn, variant, lambda s, r: None)
        missing = set(formulas) - set(cached)
        if missing:
            raise AssertionError(f"{defn.id}: no cached value for formula cells {sorted(missing)[:5]}")
        rewrite_package(raw, dst, {k: v for k, v in cached.items() if k in formulas})
    return dst


def build_all(
    defns: list[RubricDefinition],
    out_dir: Path = DEFAULT_DIR,
    variants: tuple[str, ...] = ("udf", "native"),
    sources: dict[str, str] | None = None,
    year: int | None = None,
) -> list[Path]:
    """`sources`: rubric id → YAML text, for rubrics built from a file (embedded, see embed.py)."""
    paths = []
    for defn in defns:
        for variant in variants:
            paths.append(build_template(defn, out_dir, variant, (sources or {}).get(defn.id), year))
    return paths
