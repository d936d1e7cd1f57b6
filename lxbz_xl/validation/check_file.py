"""All checks of one submitted workbook, in order; never raises for a bad file and never writes to it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxbz_xl.exact import as_json_number
from lxbz_xl.result import Result
from lxbz_xl.validation.checks_identity import identify
from lxbz_xl.validation.checks_inputs import check_inputs, check_values
from lxbz_xl.validation.checks_package import check_package
from lxbz_xl.validation.checks_recompute import check_recompute
from lxbz_xl.validation.checks_structure import check_structure
from lxbz_xl.validation.checks_tamper import (
    check_formulas,
    check_hidden,
    check_input_formulas,
    check_validations,
)
from lxbz_xl.validation.context import Context, RubricContext
from lxbz_xl.validation.guard import (
    DEFAULT_LIMITS,
    GuardFinding,
    GuardLimits,
    open_package,
    read_whole,
    stream_finding,
)
from lxbz_xl.validation.model import CODES, Finding, WorkbookReport, finding
from lxbz_xl.validation.read_fast import FastBook, ReadError, Sheet, StreamError
from lxbz_xl.workbook.cases import FormCells

RESAVE = "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"


def sha256_of(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


@dataclass
class Checked:
    """A report plus what score_workbook needs to write a recomputed copy."""

    report: WorkbookReport
    result: Result | None = None
    rubric: RubricContext | None = None
    variant: str | None = None
    inputs: dict[tuple[str, str], Any] | None = None  # input cell values, kept on request (score_workbook)

    def get(self, sheet: str, ref: str) -> Any:
        return (self.inputs or {}).get((sheet, ref))


def check_file(path: Path, context: Context, limits: GuardLimits = DEFAULT_LIMITS) -> WorkbookReport:
    return check_file_full(path, context, limits).report


def check_file_full(
    path: Path, context: Context, limits: GuardLimits = DEFAULT_LIMITS, keep_inputs: bool = False
) -> Checked:
    """One streaming pass: the guard's package checks, then the reader, which enforces the same limits on
    every part it streams (the template's sheets first, then every other member)."""
    start = time.perf_counter()
    data = read_whole(path, limits)  # one read: the bytes hashed are the bytes checked
    report = WorkbookReport(
        str(path), sha256=sha256_of(path) if data is None else hashlib.sha256(data).hexdigest()
    )
    checked = Checked(report)
    guard: list[GuardFinding] = []
    package = open_package(path, limits, guard, data)
    for g in guard:
        report.findings.append(_as_finding(g))
    if package is not None:
        try:
            with FastBook(path, package) as book:
                _check_book(book, context, checked, keep_inputs)
        except StreamError as exc:
            report.findings = [*(_as_finding(g) for g in guard), _as_finding(stream_finding(path, exc))]
            checked.result = None
            report.case = report.shown = None
        except ReadError as exc:
            report.findings.append(finding("corrupt", f"文件「{path.name}」{exc},无法检查。{RESAVE}"))
        finally:
            package.archive.close()
    report.seconds = time.perf_counter() - start
    return checked


def _input_values(
    rubric: RubricContext, sheet_of: Callable[[str], Sheet | None]
) -> dict[tuple[str, str], Any]:
    """(sheet, ref) → value of every input and header cell that has one (not blank, not an error value),
    in layout order."""
    values: dict[tuple[str, str], Any] = {}
    for name, keys, refs in rubric.input_runs:
        sheet = sheet_of(name)
        if sheet is None:
            continue
        for key, cell in zip(keys, map(sheet.cells.get, refs), strict=True):
            if cell is not None and cell.value is not None and cell.type != "e":
                values[key] = cell.value
    return values


def _as_finding(g: GuardFinding) -> Finding:
    severity = "error" if g.fatal else CODES.get(g.code, ("warning",))[0]
    return finding(g.code, g.message, g.sheet, g.cell, severity)  # type: ignore[arg-type]


def _check_book(book: FastBook, context: Context, checked: Checked, keep_inputs: bool = False) -> None:
    report = checked.report
    identity, found = identify(book, context)
    report.rubric, report.version, report.variant = identity.rubric_id, identity.version, identity.variant
    rubric, variant = identity.rubric, identity.variant
    if rubric is None or variant is None or not identity.usable:
        book.guard_rest()
        report.findings += found
        return
    for name in rubric.layout.sheets:  # the template's rows first, cells kept; then everything else
        book.sheet(name, rubric.max_rows.get(name))
    book.guard_rest()
    report.findings += found
    checked.rubric, checked.variant = rubric, variant
    report.findings += check_structure(book, rubric)
    report.findings += check_package(book, rubric)

    sheets = {name: book.sheet(name, rubric.max_rows.get(name)) for name in rubric.layout.sheets}

    def sheet_of(name: str) -> Sheet | None:
        return sheets[name] if name in sheets else book.sheet(name)

    values = _input_values(rubric, sheet_of)  # each input cell looked up once
    masked, found = check_values(rubric, values)
    report.findings += found
    for key in masked:
        del values[key]  # out of range or too long: reported above, never handed to the core
    form = FormCells(rubric.plan, values)

    case, result, found = check_inputs(rubric, form)
    report.case = case
    shown = {}
    for label, sheet_name, ref in rubric.headline:
        sheet = sheet_of(sheet_name)
        shown[label] = None if sheet is None else sheet.cells.value(ref)
    report.shown = shown
    if keep_inputs:
        checked.inputs = {key: values.get(key) for key in rubric.input_keys}
    report.findings += [f for f in found if (f.sheet, f.cell) not in masked]
    report.findings += check_formulas(book, rubric, variant, identity.rubric_ref)
    report.findings += check_input_formulas(book, rubric, variant, identity.rubric_ref)
    report.findings += check_validations(book, rubric)
    report.findings += check_hidden(book, rubric)
    checked.result = result
    if result is None:
        return
    report.unit = result.unit or None
    report.year = result.year
    if result.ok and not masked:
        report.findings += check_recompute(book, rubric, variant, result, form, case)
        if result.total is not None:
            report.total = as_json_number(result.total)
            report.total_exact = str(result.total)
        report.tier = result.tier or result.manual
        if result.title_name and result.title is not None:
            verdict = "待定" if result.title and result.provisional_on else ("是" if result.title else "否")
            report.title = f"{result.title_name}:{verdict}"
