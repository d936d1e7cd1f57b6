"""--xlsx FILE: a findings workbook for clerks: Chinese headers, frozen header row, autofilter."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lxbz_xl.validation.model import SEVERITY_WORDS, STATUS_WORDS, WorkbookReport
from lxbz_xl.validation.safe_text import put_text

FINDING_HEADERS = (
    "文件",
    "状态",
    "考评细则",
    "版本",
    "单位",
    "年度",
    "总分",
    "档次",
    "称号",
    "严重程度",
    "问题类别",
    "问题代码",
    "工作表",
    "单元格",
    "说明",
)
SUMMARY_HEADERS = (
    "文件",
    "状态",
    "考评细则",
    "版本",
    "模板类型",
    "单位",
    "年度",
    "总分",
    "档次",
    "称号",
    "错误",
    "警告",
    "提示",
    "SHA-256",
)
WIDTHS = {"文件": 36, "说明": 80, "SHA-256": 66, "问题类别": 16, "问题代码": 20}
_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
_BAD_FILL = PatternFill("solid", fgColor="FDE2E1")


def _sheet(
    wb: Workbook, title: str, headers: Sequence[str], rows: Iterable[list[Any]], *, findings: bool
) -> None:
    """One sheet, written row by row (write-only): widths and the frozen header first, the autofilter
    once the last row is known. ``findings``: the 问题清单 layout (invalid status filled, 说明 wrapped)."""
    ws = wb.create_sheet(title)
    for i, name in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 11)
    ws.freeze_panes = "A2"
    head = []
    for name in headers:
        cell = WriteOnlyCell(ws, name)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        head.append(cell)
    ws.append(head)
    count = 0
    for row in rows:
        cells = [put_text(WriteOnlyCell(ws), value) for value in row]  # submission text stays text
        if findings:
            if row[1] == STATUS_WORDS["invalid"]:
                cells[1].fill = _BAD_FILL
            cells[-1].alignment = Alignment(wrap_text=True, vertical="top")
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, count + 1)}"


def _head(r: WorkbookReport) -> list[Any]:
    return [r.path, STATUS_WORDS[r.status], r.rubric, r.version, r.unit, r.year, r.total, r.tier, r.title]


def _finding_rows(reports: Iterable[WorkbookReport]) -> Iterator[list[Any]]:
    for r in reports:
        if not r.findings:
            yield [*_head(r), None, None, None, None, None, "未发现问题"]
        for f in r.findings:
            yield [*_head(r), SEVERITY_WORDS[f.severity], f.title, f.code, f.sheet, f.cell, f.message]


def _summary_rows(reports: Iterable[WorkbookReport]) -> Iterator[list[Any]]:
    for r in reports:
        yield [
            r.path,
            STATUS_WORDS[r.status],
            r.rubric,
            r.version,
            r.variant,
            r.unit,
            r.year,
            r.total,
            r.tier,
            r.title,
            sum(f.severity == "error" for f in r.findings),
            sum(f.severity == "warning" for f in r.findings),
            sum(f.severity == "info" for f in r.findings),
            r.sha256,
        ]


def write_xlsx(reports: Sequence[WorkbookReport], path: Path) -> None:
    """Streamed: each sheet is written row by row as the reports are read (two passes), never held."""
    wb = Workbook(write_only=True)
    _sheet(wb, "问题清单", FINDING_HEADERS, _finding_rows(reports), findings=True)
    _sheet(wb, "汇总", SUMMARY_HEADERS, _summary_rows(reports), findings=False)
    wb.save(path)
