"""Building blocks of the summary workbook: a sheet with a title row, tables with a thin-bordered style,
hyperlinks to submitted cells, highlighted cells with comments, print setup.

The sheet writers (sheets_*.py, charts.py) only say *what* goes where (`V` cells in rows); every
look is decided here, so the whole workbook restyles in one place.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from lxbz_xl.summary.model import Ref
from lxbz_xl.validation.safe_text import put_text

FONT = "宋体"  # as the forms; LibreOffice maps it to an installed CJK font
HEADING = "黑体"
_thin = Side(style="thin", color="808080")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
# The batch changed what the submitted workbook shows (or the §1 chain removed a title or tier).
CHANGED_FILL = PatternFill("solid", fgColor="FCE4D6")
# The summary only settled what the workbook left blank or 待定 (e.g. a title waiting for another form).
SETTLED_FILL = PatternFill("solid", fgColor="FFF2CC")
LINK_COLOR = "0563C1"
AUTHOR = "lxbz summary"

A4, A3 = 9, 8  # openpyxl paperSize codes
LINK_MAX = 60


@dataclass(frozen=True, slots=True)
class V:
    """One cell: a value and how it is traced — a link to a submitted cell (`ref`) or to a place in this
    workbook (`goto`), or a highlight with a comment (`mark`) saying why the summary differs."""

    value: Any
    ref: Ref | None = None
    goto: str | None = None
    mark: str | None = None
    note: str | None = None  # a comment without highlight
    settled: bool = False  # `mark` only fills in a blank or 待定: the lighter highlight
    fmt: str | None = None
    wrap: bool = False
    code: bool = False  # a digest or an identifier: small, one line, never wrapped


def num(value: Fraction | int | float | None) -> int | float | None:
    """A number for a cell: int when whole, else the float nearest the exact value (never a string)."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def yes_no(value: bool | None, pending: bool = False, none: str = "") -> str:
    if value is None:
        return none
    if value and pending:
        return "待定"
    return "是" if value else "否"


def joined(items: Sequence[str], sep: str = ";") -> str:
    """Non-empty items once each, in order: reasons and notes often repeat across sources."""
    return sep.join(dict.fromkeys(i for i in items if i))


@lru_cache(maxsize=4096)
def _file_target(file: str, out_dir: Path) -> str:
    path = Path(file).resolve()
    try:
        return Path(os.path.relpath(path, out_dir.resolve())).as_posix()
    except ValueError:
        return path.as_uri()


def link_target(ref: Ref, out_dir: Path) -> str:
    """`../submissions/x.xlsx#'考评表'!H25`: relative from the summary's folder, so the pair of folders
    can be moved or shared together; absolute only when no relative path exists (another drive)."""
    target = _file_target(ref.file, out_dir)
    if ref.sheet and ref.cell:
        target += "#'" + ref.sheet.replace("'", "''") + "'!" + ref.cell
    return target


def pct_fmt(value: Fraction) -> str:
    """Number format of a share: whole percents without decimals, others with up to two."""
    return "0%" if (value * 100).denominator == 1 else "0.0#%"


def display_width(value: Any) -> int:
    """Columns a value needs: CJK characters take two."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in text.split("\n"))


def _lines(text: str, width: float) -> int:
    """Lines `text` wraps to in a column `width` characters wide (a little slack for the cell padding)."""
    usable = max(int(width) - 1, 1)
    return sum(max(1, -(-display_width(part) // usable)) for part in text.split("\n"))


class Sheet:
    """A worksheet filled top to bottom: title, notes, sections and tables; `finish` sets the page."""

    def __init__(self, wb: Workbook, name: str, title: str, out_dir: Path, first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = name
        self.ws: Worksheet = ws
        self.out_dir = out_dir
        self.row = 1
        self.widths: dict[int, int] = {}
        # Linked text is one line in LibreOffice (a URL field never wraps): its column fits it, up to a cap.
        self.link_widths: dict[int, int] = {}
        self.header_row: int | None = None  # of the main table: frozen and repeated on each page
        self.title = title
        self.ncols = 1
        # Merged cells never grow to fit their text: their rows get a height once the widths are known.
        self._paragraphs: list[tuple[int, int, int, str]] = []  # row, first col, last col, text
        self._texts: dict[int, list[tuple[int, str]]] = {}  # row → (col, text) of table cells that wrap
        self._styles: dict[tuple[Any, ...], Any] = {}  # style key → the style array of its first cell

    # ---------------------------------------------------------------- text

    def heading(self, ncols: int) -> None:
        cell = self.ws.cell(self.row, 1, self.title)
        cell.font = Font(name=HEADING, size=15, bold=True)
        cell.alignment = Alignment(horizontal="left", vertical="center")
        self.ws.row_dimensions[self.row].height = 26
        self.row += 1
        self.ncols = ncols

    def text(self, text: str, ncols: int | None = None) -> None:
        """A paragraph across the table's width (merged, wrapped), e.g. a rule or a note."""
        ncols = ncols or self.ncols
        cell = put_text(self.ws.cell(self.row, 1), text)
        cell.font = Font(name=FONT, size=10)
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        self._merge(self.row, 1, ncols, text)
        self.row += 1

    def kv(self, label: str, value: Any, ncols: int | None = None) -> None:
        """A bordered label / value row, the value spanning the rest of the width."""
        head = put_text(self.ws.cell(self.row, 1), label)
        head.font = Font(name=HEADING, size=10, bold=True)
        head.fill = HEADER_FILL
        head.border = BORDER
        head.alignment = Alignment(vertical="center", wrap_text=True)
        self.kv_tail(value, ncols)

    def kv_tail(self, value: Any, ncols: int | None = None) -> None:
        """The rest of the current row from column 2: one merged, wrapped, bordered cell; next row."""
        ncols = ncols or self.ncols
        cell = self.put(self.row, 2, value if isinstance(value, V) else V(value, wrap=True), fit=False)
        cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        for c in range(3, ncols + 1):
            self.ws.cell(self.row, c).border = BORDER
        self._merge(self.row, 2, ncols, "" if cell.value is None else str(cell.value))
        self.row += 1

    def _merge(self, row: int, first: int, last: int, text: str) -> None:
        if last > first:
            self.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        self._paragraphs.append((row, first, last, text))

    def section(self, text: str, ncols: int | None = None) -> None:
        ncols = ncols or self.ncols
        for c in range(1, ncols + 1):
            cell = put_text(self.ws.cell(self.row, c), text if c == 1 else None)
            cell.fill = SECTION_FILL
            cell.font = Font(name=HEADING, size=11, bold=True)
            cell.alignment = Alignment(vertical="center")
        if ncols > 1:
            self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=ncols)
        self.ws.row_dimensions[self.row].height = 20
        self.row += 1

    def skip(self, n: int = 1) -> None:
        self.row += n

    # ---------------------------------------------------------------- tables

    def header(self, labels: Sequence[str | None], col: int = 1) -> int:
        row = self.row
        for i, label in enumerate(labels):
            self._head_cell(row, col + i, label)
        self.ws.row_dimensions[row].height = 30
        self.row += 1
        return row

    def _head_cell(self, row: int, col: int, label: str | None) -> None:
        cell = put_text(self.ws.cell(row, col), label)
        cell.font = Font(name=HEADING, size=10, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if label:
            # Headers wrap; a column need not be wider than half its header.
            self._fit(col, (display_width(label) + 1) // 2 + 2)
            self._texts.setdefault(row, []).append((col, label))

    def group_header(self, groups: Sequence[tuple[str, int]], labels: Sequence[str]) -> int:
        """Two header rows: group names spanning their columns (a group of width 1 spans both rows)."""
        top, sub = self.row, self.row + 1
        col = 1
        for name, span in groups:
            if span == 1 and labels[col - 1] == name:
                self._head_cell(top, col, name)
                self._head_cell(sub, col, None)
                self.ws.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
            else:
                for c in range(col, col + span):
                    self._head_cell(top, c, name if c == col else None)
                    self._head_cell(sub, c, labels[c - 1])
                if span > 1:
                    self.ws.merge_cells(
                        start_row=top, start_column=col, end_row=top, end_column=col + span - 1
                    )
                self._paragraphs.append((top, col, col + span - 1, name))
            col += span
        self.ws.row_dimensions[top].height = 20
        self.ws.row_dimensions[sub].height = 30
        self.row += 2
        return sub

    def rows(self, rows: Sequence[Sequence[Any]], col: int = 1) -> tuple[int, int]:
        """Write data rows (plain values or `V`); returns (first, last) row, last < first when empty."""
        first = self.row
        for values in rows:
            for i, v in enumerate(values):
                self.put(self.row, col + i, v)
            self.row += 1
        return first, self.row - 1

    def table(
        self, labels: Sequence[str], rows: Sequence[Sequence[Any]], col: int = 1
    ) -> tuple[int, int, int]:
        """Header and rows; returns (header row, first data row, last data row)."""
        head = self.header(labels, col)
        first, last = self.rows(rows, col)
        return head, first, last

    def put(self, row: int, col: int, v: Any, fit: bool = True) -> Any:
        spec = v if isinstance(v, V) else V(v)
        value = (
            num(spec.value)
            if isinstance(spec.value, Fraction | int | float) and not isinstance(spec.value, bool)
            else spec.value
        )
        if isinstance(value, bool):
            value = "是" if value else "否"
        cell = put_text(self.ws.cell(row, col), value)  # text from submissions is never a formula
        long_text = isinstance(value, str) and (display_width(value) > 40 or "\n" in value)
        numeric = isinstance(value, int | float) or (isinstance(value, str) and value.startswith("="))
        horizontal = "right" if numeric else ("left" if long_text or spec.wrap else "center")
        linked = spec.ref is not None or spec.goto is not None
        if spec.ref is not None:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=link_target(spec.ref, self.out_dir))
        elif spec.goto is not None:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=spec.goto)
        number_format = spec.fmt or ("0.0#" if isinstance(value, float) else None)
        fill = (SETTLED_FILL if spec.settled else CHANGED_FILL) if spec.mark and not spec.code else None
        self._style(cell, (horizontal, linked, bool(spec.code), number_format, fill))
        if spec.code:
            self._fit(col, len(str(value)) * 3 // 4 + 2)
            return cell
        comment = spec.mark or spec.note
        if comment:
            c = Comment(comment, AUTHOR)
            c.width, c.height = 320, 40 + 18 * (display_width(comment) // 40 + comment.count("\n"))
            cell.comment = c
        if isinstance(value, str) and spec.ref is not None and fit:
            self.link_widths[col] = max(self.link_widths.get(col, 0), display_width(value) + 2)
            return cell
        if isinstance(value, str) and fit and not value.startswith("="):
            self._texts.setdefault(row, []).append((col, value))
        if fit:
            shown = f"{value:.2f}" if isinstance(value, float) else value  # as the number format shows it
            self._fit(
                col, 8 if isinstance(value, str) and value.startswith("=") else display_width(shown) + 2
            )
        return cell

    def _style(self, cell: Any, key: tuple[Any, ...]) -> None:
        """Apply a cell style by key. The first cell of a key is styled through openpyxl (which hashes
        every style object on assignment, slow over thousands of cells); later ones copy its style array."""
        known = self._styles.get(key)
        if known is not None:
            cell._style = copy(known)
            return
        horizontal, linked, code, number_format, fill = key
        cell.border = BORDER
        if code:
            cell.font = Font(name="Consolas", size=8)
            cell.alignment = Alignment(horizontal="left", vertical="center")
        else:
            link = {"color": LINK_COLOR, "underline": "single"} if linked else {}
            cell.font = Font(name=FONT, size=10, **link)  # type: ignore[arg-type]
            cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        if number_format:
            cell.number_format = number_format
        if fill is not None:
            cell.fill = fill
        self._styles[key] = copy(cell._style)

    def _fit(self, col: int, width: int) -> None:
        self.widths[col] = max(self.widths.get(col, 6), width)

    # ---------------------------------------------------------------- page

    def finish(
        self,
        *,
        ncols: int,
        widths: dict[int, int] | None = None,
        max_width: int = 40,
        table: tuple[int, int] | None = None,
        freeze_cols: int = 0,
        paper: int = A4,
    ) -> None:
        """Column widths (fitted, capped at `max_width`, overridden by `widths`), a filter on the main
        table (`table` = its first column and last data row, below `header_row`), rows frozen down to its
        header, and print setup: landscape, fit to width, title and header rows repeated on every page."""
        ws = self.ws
        final: dict[int, float] = {}
        for col in range(1, ncols + 1):
            fitted = max(min(self.widths.get(col, 8), max_width), min(self.link_widths.get(col, 0), LINK_MAX))
            final[col] = (widths or {}).get(col, fitted)
            ws.column_dimensions[get_column_letter(col)].width = final[col]
        # Neither Excel nor LibreOffice fits row heights to wrapped text on opening a file: set them.
        for row, first, last, text in self._paragraphs:
            lines = _lines(text, sum(final.get(c, 8) for c in range(first, last + 1)))
            ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 14 * lines + 4)
        for row, cells in self._texts.items():
            lines = max(_lines(text, final.get(col, 8)) for col, text in cells)
            if lines > 1:
                ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 13.5 * lines + 3)
        if table is not None and self.header_row is not None:
            head, last = self.header_row, max(table[1], self.header_row)
            ws.auto_filter.ref = f"{get_column_letter(table[0])}{head}:{get_column_letter(ncols)}{last}"
        if self.header_row is not None and self.header_row <= 12:
            ws.freeze_panes = f"{get_column_letter(freeze_cols + 1)}{self.header_row + 1}"
            ws.print_title_rows = f"1:{self.header_row}"
        else:
            ws.freeze_panes = "A2"
            ws.print_title_rows = "1:1"
        _page_setup(ws, [final[c] for c in sorted(final)], paper, freeze_cols)
        ws.oddFooter.center.text = "&A — 第 &P 页,共 &N 页"


READABLE_PT, BODY_PT = 8.0, 10.0  # smallest type on paper; the tables' body type


def _page_setup(ws: Worksheet, widths: list[float], paper: int, freeze_cols: int) -> None:
    """Landscape; fitted to the paper's width while the 10 pt body type stays readable (at least 8 pt on
    paper, in LibreOffice's wider measure of column widths), else printed at that size across pages with
    the key columns and the header rows repeated. Header and footer sit inside the margins (LibreOffice
    clips a footer that is not)."""
    from lxbz_xl.workbook import printing

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = paper
    long_side = 1190.55 if paper == A3 else printing.A4[1]
    room = long_side - 2 * printing.MARGIN_LR * 72
    content = sum(printing.column_points(w, printing.LIBREOFFICE_PX) for w in widths)
    fitted = min(100, int(100 * room / max(content, 1.0)))
    if fitted * BODY_PT / 100 >= READABLE_PT:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        ws.page_setup.scale = int(100 * READABLE_PT / BODY_PT)
        ws.print_title_cols = f"A:{get_column_letter(max(1, freeze_cols))}"
    ws.print_options.horizontalCentered = True
    m = ws.page_margins
    m.left = m.right = printing.MARGIN_LR
    m.top, m.bottom, m.header, m.footer = (
        printing.MARGIN_TOP,
        printing.MARGIN_BOTTOM,
        printing.HEADER,
        printing.FOOTER,
    )
