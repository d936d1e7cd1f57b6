"""All checks of one submitted workbook, in order; never raises for a bad file and never writes to it."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxbz_xl.exact import as_json_number
from lxbz_xl.result import Result
from lxbz_xl.validation.checks_identity import identify
from lxbz_xl.validation.checks_inputs import check_inputs
from lxbz_xl.validation.checks_recompute import check_recompute
from lxbz_xl.validation.checks_structure import check_structure
from lxbz_xl.validation.checks_tamper import check_formulas, check_hidden, check_validations
from lxbz_xl.validation.context import Context, RubricContext
from lxbz_xl.validation.guard import DEFAULT_LIMITS, GuardLimits, inspect
from lxbz_xl.validation.model import CODES, WorkbookReport, finding
from lxbz_xl.validation.read_fast import FastBook, ReadError

RESAVE = "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
HEADLINE = frozenset({"total", "tier", "base_tier", "title"})  # outputs whose shown value `shown` keeps


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
    start = time.perf_counter()
    report = WorkbookReport(str(path), sha256=sha256_of(path))
    checked = Checked(report)
    guard = inspect(path, limits)
    for g in guard:
        severity = "error" if g.fatal else CODES.get(g.code, ("warning",))[0]
        report.findings.append(finding(g.code, g.message, g.sheet, None, severity))  # type: ignore[arg-type]
    if not any(g.fatal for g in guard):
        try:
            with FastBook(path) as book:
                _check_book(book, context, checked, keep_inputs)
        except ReadError as exc:
            report.findings.append(finding("corrupt", f"文件「{path.name}」{exc},无法检查。{RESAVE}"))
    report.seconds = time.perf_counter() - start
    return checked


def _check_book(book: FastBook, context: Context, checked: Checked, keep_inputs: bool = False) -> None:
    report = checked.report
    identity, found = identify(book, context)
    report.findings += found
    report.rubric, report.version, report.variant = identity.rubric_id, identity.version, identity.variant
    rubric, variant = identity.rubric, identity.variant
    if rubric is None or variant is None or not identity.usable:
        return
    checked.rubric, checked.variant = rubric, variant
    report.findings += check_structure(book, rubric)

    sheets = {name: book.sheet(name, rubric.max_rows.get(name)) for name in rubric.layout.sheets}

    def get(sheet_name: str, ref: str) -> Any:
        sheet = sheets.get(sheet_name) if sheet_name in sheets else book.sheet(sheet_name)
        return None if sheet is None else sheet.cells.value(ref.replace("$", "").upper())

    case, result, found = check_inputs(rubric, get)
    report.case = case
    report.shown = {
        f"{c.sheet}!{c.ref}": get(c.sheet, c.ref)
        for c in rubric.layout.cells
        if c.role == "output" and c.path and c.path.rsplit(".", 1)[-1] in HEADLINE
    }
    if keep_inputs:
        checked.inputs = {
            (c.sheet, c.ref): get(c.sheet, c.ref) for c in rubric.layout.cells if c.role != "output"
        }
    report.findings += found
    report.findings += check_formulas(book, rubric, variant, identity.rubric_ref)
    report.findings += check_validations(book, rubric)
    report.findings += check_hidden(book, rubric)
    checked.result = result
    if result is None:
        return
    report.unit = result.unit or None
    report.year = result.year
    if result.ok:
        report.findings += check_recompute(book, rubric, variant, result, get)
        if result.total is not None:
            report.total = as_json_number(result.total)
            report.total_exact = str(result.total)
        report.tier = result.tier or result.manual
        if result.title_name and result.title is not None:
            verdict = "待定" if result.title and result.provisional_on else ("是" if result.title else "否")
            report.title = f"{result.title_name}:{verdict}"
