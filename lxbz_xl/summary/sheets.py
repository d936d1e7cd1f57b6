"""Building blocks of the summary workbook: a sheet with a title row, tables with a thin-bordered style,
hyperlinks to submitted cells, highlighted cells with comments, print setup.

The sheet writers (sheets_*.py, charts.py) only say *what* goes where (`V` cells in rows); every
look is decided here, so the whole workbook restyles in one place.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.comments.comment_sheet import CommentSheet
from openpyxl.comments.shape_writer import ShapeWriter
from openpyxl.packaging.relationship import Relationship, RelationshipList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink, HyperlinkList
from openpyxl.xml.constants import REL_NS
from openpyxl.xml.functions import Element, tostring

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
SPOOL_ROWS = 256  # table rows kept in memory before they go to the spool


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
    # os.path, not pathlib: pathlib interns every part of every path (10,000 file names, kept)
    path = os.path.realpath(file)
    try:
        return os.path.relpath(path, _real(out_dir)).replace(os.sep, "/")
    except ValueError:
        return Path(path).as_uri()


@lru_cache(maxsize=8)
def _real(folder: Path) -> str:
    return os.path.realpath(folder)


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
    if text.isascii():  # most cells: numbers, codes, file names (one pass in C, not per character)
        return max(map(len, text.split("\n")))
    return max(len(line) + len(_NARROW.sub("", line)) for line in text.split("\n"))


_NARROW = re.compile("[\x00-\u2e7f]+")  # what is left after removing these takes two columns


def _lines(text: str, width: float) -> int:
    """Lines `text` wraps to in a column `width` characters wide (a little slack for the cell padding)."""
    usable = max(int(width) - 1, 1)
    return sum(max(1, -(-display_width(part) // usable)) for part in text.split("\n"))


@dataclass(slots=True)
class _Cell:
    """A cell waiting for its row to be written: value, look (a style key), link and comment."""

    value: Any
    style: tuple[Any, ...]
    link: tuple[str | None, str | None] | None = None  # (target, location in this workbook)
    comment: str | None = None
    fits: bool = False  # wrapped text its row's height must fit


def _realise(cell: Any, key: tuple[Any, ...]) -> None:
    """Style an openpyxl cell from a style key (font kind, fill, border, alignment, number format)."""
    font, fill, border, align, number_format = key
    cell.font = _FONTS[font]
    if fill is not None:
        cell.fill = fill
    if border:
        cell.border = BORDER
    if align is not None:
        horizontal, vertical, wrap = align
        cell.alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap or None)
    if number_format:
        cell.number_format = number_format


_FONTS = {
    "title": Font(name=HEADING, size=15, bold=True),
    "text": Font(name=FONT, size=10),
    "bold": Font(name=HEADING, size=10, bold=True),
    "section": Font(name=HEADING, size=11, bold=True),
    "code": Font(name="Consolas", size=8),
    "data": Font(name=FONT, size=10),
    "link": Font(name=FONT, size=10, color=LINK_COLOR, underline="single"),
}


_HYPERLINK = f"{REL_NS}/hyperlink"


LINKS_HERE = "lxbzLinks"  # where a sheet's .rels part takes its hyperlink relationships (write_xlsx)


class LinkRels(RelationshipList):
    """A sheet's relationships with its external hyperlinks already serialised, in a temporary file:
    openpyxl keeps every sheet's relationships until the workbook is saved and then builds one tree of
    them, which at 10,000 submissions (tens of thousands of links per sheet) was the largest part of the
    writer. The saved part holds a `LINKS_HERE` element instead, which `write_xlsx` replaces with the
    file's bytes (the same bytes openpyxl writes for these relationships)."""

    def __init__(self, notes: Notes) -> None:
        super().__init__()
        self.links: Any = tempfile.TemporaryFile()  # noqa: SIM115 (closed by write_xlsx)
        self.count = 0
        self.notes = notes  # the sheet's comments: their parts are spliced with the links

    def append(self, value: Relationship) -> None:
        if value.Type == _HYPERLINK and value.TargetMode == "External" and not value.Id:
            self.count += 1
            value.Id = f"rId{len(self)}"
            rel = Relationship(Id=value.Id, Type=_HYPERLINK, Target=value.Target, TargetMode="External")
            self.links.write(tostring(rel.to_tree()))
            return
        super().append(value)

    def __len__(self) -> int:
        return super().__len__() + self.count

    def to_tree(self) -> Any:
        tree = super().to_tree()
        if self.count:
            tree.append(Element(LINKS_HERE))
        return tree


class Notes:
    """A sheet's comments past its first, serialised as each row is written: openpyxl keeps every
    comment of a sheet until the workbook is saved and then builds the comments part and its VML
    drawing as two whole trees. The first comment stays with openpyxl, so the parts, relationships and
    content types are made as ever; `write_xlsx` inserts the others' bytes (`xml` before
    `</commentList>`, `vml` before `</xml>`): the bytes openpyxl writes for all of them at once."""

    def __init__(self) -> None:
        self.xml: Any = tempfile.TemporaryFile()  # noqa: SIM115 (closed by write_xlsx)
        self.vml: Any = tempfile.TemporaryFile()  # noqa: SIM115
        self.count = 0  # comments of the sheet so far, the first included

    def drain(self, ws: Any) -> None:
        records = ws._comments  # the first comment of the sheet, then those of the row just written
        if records and not self.count:
            self.count = 1
        for record in records[1:]:
            self.count += 1
            self.xml.write(_between(tostring(CommentSheet.from_comments([record]).to_tree()), _IN_LIST))
            root = Element("xml")
            shapes = ShapeWriter([])
            shapes.add_comment_shapetype(root)
            # openpyxl numbers a sheet's shapes from 1026, in the order of its comments
            shapes.add_comment_shape(root, 1025 + self.count, record.ref, record.height, record.width)
            self.vml.write(_between(tostring(root), _SHAPE))
        del records[1:]

    def close(self) -> None:
        self.xml.close()
        self.vml.close()


_IN_LIST = re.compile(rb"<commentList>(.*)</commentList>", re.S)
_SHAPE = re.compile(rb"</[\w]+:shapetype>(.*)</xml>$", re.S)


def _between(serialised: bytes, where: re.Pattern[bytes]) -> bytes:
    found = where.search(serialised)
    assert found is not None
    return found.group(1)


class _Hyperlinks:
    """A sheet's hyperlinks on their way out, pickled to a temporary file as each row is written (openpyxl
    would keep them all until the sheet closes, then build one tree of them), and written at the close
    element by element, as openpyxl writes them."""

    def __init__(self) -> None:
        self.spool: Any = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `write`)
        self.count = 0

    def drain(self, ws: Any) -> None:
        for link in ws._hyperlinks:
            pickle.dump(link, self.spool, pickle.HIGHEST_PROTOCOL)
            self.count += 1
        ws._hyperlinks.clear()

    def write(self, writer: Any) -> None:
        """`WorksheetWriter.write_hyperlinks` (each link's relationship, then the <hyperlinks> element)."""
        if not self.count:
            return
        self.spool.seek(0)
        xf = writer.xf.send(True)
        with xf.element(HyperlinkList.tagname):
            for _ in range(self.count):
                link = pickle.load(self.spool)  # our own bytes
                if link.target:
                    rel = Relationship(type="hyperlink", TargetMode="External", Target=link.target)
                    writer._rels.append(rel)
                    link.id = rel.id
                xf.write(link.to_tree())
        writer.xf.send(None)
        self.spool.close()


class Sheet:
    """A worksheet filled top to bottom: title, notes, sections and tables; `finish` sets the page and
    writes it.

    The workbook is write-only (openpyxl streams each sheet's XML to a temporary file), but a sheet's
    column widths come first in its XML and depend on every cell. So finished rows are pickled to a
    temporary spool file as they are written (only the last rows stay in memory, for a late fill or
    comment), the widths are fitted on the way, and `finish` replays the spool into the sheet, fitting
    each row's height to its wrapped text. Memory stays bounded whatever the number of rows: only the
    columns a chart counts over (`track`) are kept, as plain values.
    """

    def __init__(self, wb: Workbook, name: str, title: str, out_dir: Path, first: bool = False) -> None:
        self.ws: Any = wb.create_sheet(name)
        self.out_dir = out_dir
        self.row = 1
        self.widths: dict[int, int] = {}
        # Linked text is one line in LibreOffice (a URL field never wraps): its column fits it, up to a cap.
        self.link_widths: dict[int, int] = {}
        self.header_row: int | None = None  # of the main table: frozen and repeated on each page
        self.title = title
        self.ncols = 1
        self.cells: dict[int, dict[int, _Cell]] = {}  # rows not yet spooled
        self.heights: dict[int, float] = {}
        # Merged cells never grow to fit their text: their rows get a height once the widths are known.
        self._paragraphs: list[tuple[int, int, int, str]] = []  # row, first col, last col, text
        self._spool: Any = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `finish`)
        self._spooled = 0  # rows below this one are in the spool
        self._style_ids: dict[tuple[Any, ...], int] = {}
        self._tracked: dict[int, list[Any]] = {}  # col → value by row number, of the tracked columns
        self._extent = (1, 1)  # last row and column written

    def track(self, cols: Iterable[int]) -> None:
        """Keep the values of these columns (for `value`) once their rows are spooled."""
        self._tracked.update({c: [] for c in cols})

    @property
    def name(self) -> str:
        return str(self.ws.title)

    def _set(self, row: int, col: int, value: Any, style: tuple[Any, ...]) -> _Cell:
        assert row >= self._spooled, f"row {row} of {self.name} is already written"
        self._extent = (max(self._extent[0], row), max(self._extent[1], col))
        cell = _Cell(value, style)
        self.cells.setdefault(row, {})[col] = cell
        kept = self._tracked.get(col)
        if kept is not None:
            if len(kept) <= row:
                kept.extend([None] * (row + 1 - len(kept)))
            kept[row] = value
        return cell

    def _flush(self, upto: int) -> None:
        """Spool the rows above `upto` (style keys by number: a fill is not pickled for every cell)."""
        ids = self._style_ids
        for r in sorted(r for r in self.cells if r < upto):
            cells = [
                (c, x.value, ids.setdefault(x.style, len(ids)), x.link, x.comment, x.fits)
                for c, x in self.cells.pop(r).items()
            ]
            pickle.dump((r, cells), self._spool, pickle.HIGHEST_PROTOCOL)
        self._spooled = max(self._spooled, upto)

    def value(self, row: int, col: int) -> Any:
        """A value written so far: of a row not yet spooled, or of a tracked column."""
        kept = self._tracked.get(col)
        if kept is not None:
            return kept[row] if row < len(kept) else None
        cell = self.cells.get(row, {}).get(col)
        return None if cell is None else cell.value

    def fill(self, row: int, col: int, fill: PatternFill) -> None:
        """Give a written cell a background (e.g. the colour legend on 说明)."""
        cell = self.cells[row][col]
        font, _, border, align, number_format = cell.style
        cell.style = (font, fill, border, align, number_format)

    def merge(self, row: int, first: int, last: int) -> None:
        self.ws.merged_cells.add(f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}")
        self._extent = (max(self._extent[0], row), max(self._extent[1], last))

    # ---------------------------------------------------------------- text

    def heading(self, ncols: int) -> None:
        self._set(self.row, 1, self.title, ("title", None, False, ("left", "center", False), None))
        self.heights[self.row] = 26
        self.row += 1
        self.ncols = ncols

    def text(self, text: str, ncols: int | None = None) -> None:
        """A paragraph across the table's width (merged, wrapped), e.g. a rule or a note."""
        ncols = ncols or self.ncols
        self._set(self.row, 1, text, ("text", None, False, ("left", "top", True), None))
        self._merge(self.row, 1, ncols, text)
        self.row += 1

    def kv(self, label: str, value: Any, ncols: int | None = None) -> None:
        """A bordered label / value row, the value spanning the rest of the width."""
        self._set(self.row, 1, label, ("bold", HEADER_FILL, True, (None, "center", True), None))
        self.kv_tail(value, ncols)

    def kv_tail(self, value: Any, ncols: int | None = None) -> None:
        """The rest of the current row from column 2: one merged, wrapped, bordered cell; next row."""
        ncols = ncols or self.ncols
        cell = self.put(self.row, 2, value if isinstance(value, V) else V(value, wrap=True), fit=False)
        font, fill, border, _, number_format = cell.style
        cell.style = (font, fill, border, ("left", "center", True), number_format)
        for c in range(3, ncols + 1):
            self._set(self.row, c, None, ("data", None, True, None, None))
        self._merge(self.row, 2, ncols, "" if cell.value is None else str(cell.value))
        self.row += 1

    def _merge(self, row: int, first: int, last: int, text: str) -> None:
        if last > first:
            self.merge(row, first, last)
        self._paragraphs.append((row, first, last, text))

    def section(self, text: str, ncols: int | None = None) -> None:
        ncols = ncols or self.ncols
        for c in range(1, ncols + 1):
            self._set(
                self.row,
                c,
                text if c == 1 else None,
                ("section", SECTION_FILL, False, (None, "center", False), None),
            )
        if ncols > 1:
            self.merge(self.row, 1, ncols)
        self.heights[self.row] = 20
        self.row += 1

    def skip(self, n: int = 1) -> None:
        self.row += n

    # ---------------------------------------------------------------- tables

    def header(self, labels: Sequence[str | None], col: int = 1) -> int:
        row = self.row
        for i, label in enumerate(labels):
            self._head_cell(row, col + i, label)
        self.heights[row] = 30
        self.row += 1
        return row

    def _head_cell(self, row: int, col: int, label: str | None) -> None:
        self._set(row, col, label, ("bold", HEADER_FILL, True, ("center", "center", True), None))
        if label:
            # Headers wrap; a column need not be wider than half its header.
            self._fit(col, (display_width(label) + 1) // 2 + 2)
            self.cells[row][col].fits = True

    def group_header(self, groups: Sequence[tuple[str, int]], labels: Sequence[str]) -> int:
        """Two header rows: group names spanning their columns (a group of width 1 spans both rows)."""
        top, sub = self.row, self.row + 1
        col = 1
        for name, span in groups:
            if span == 1 and labels[col - 1] == name:
                self._head_cell(top, col, name)
                self._head_cell(sub, col, None)
                self.ws.merged_cells.add(f"{get_column_letter(col)}{top}:{get_column_letter(col)}{sub}")
            else:
                for c in range(col, col + span):
                    self._head_cell(top, c, name if c == col else None)
                    self._head_cell(sub, c, labels[c - 1])
                if span > 1:
                    self.merge(top, col, col + span - 1)
                self._paragraphs.append((top, col, col + span - 1, name))
            col += span
        self.heights[top] = 20
        self.heights[sub] = 30
        self.row += 2
        return sub

    def rows(self, rows: Iterable[Sequence[Any]], col: int = 1) -> tuple[int, int]:
        """Write data rows (plain values or `V`); returns (first, last) row, last < first when empty."""
        first = self.row
        for values in rows:
            for i, v in enumerate(values):
                self.put(self.row, col + i, v)
            self.row += 1
            if self.row - self._spooled > SPOOL_ROWS:
                self._flush(self.row - 1)  # the last row stays open
        return first, self.row - 1

    def table(
        self, labels: Sequence[str], rows: Iterable[Sequence[Any]], col: int = 1
    ) -> tuple[int, int, int]:
        """Header and rows; returns (header row, first data row, last data row)."""
        head = self.header(labels, col)
        first, last = self.rows(rows, col)
        return head, first, last

    def put(self, row: int, col: int, v: Any, fit: bool = True) -> _Cell:
        spec = v if isinstance(v, V) else V(v)
        value = spec.value
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, Fraction | int | float):
            value = num(value)
        is_text = isinstance(value, str)
        long_text = is_text and (display_width(value) > 40 or "\n" in value)
        numeric = isinstance(value, int | float) or (is_text and value.startswith("="))
        horizontal = "right" if numeric else ("left" if long_text or spec.wrap else "center")
        linked = spec.ref is not None or spec.goto is not None
        number_format = spec.fmt or ("0.0#" if isinstance(value, float) else None)
        fill = (SETTLED_FILL if spec.settled else CHANGED_FILL) if spec.mark and not spec.code else None
        if spec.code:
            style: tuple[Any, ...] = ("code", fill, True, ("left", "center", False), number_format)
        else:
            style = ("link" if linked else "data", fill, True, (horizontal, "center", True), number_format)
        cell = self._set(row, col, value, style)
        if spec.ref is not None:
            cell.link = (link_target(spec.ref, self.out_dir), None)
        elif spec.goto is not None:
            cell.link = (None, spec.goto)
        if spec.code:
            self._fit(col, len(str(value)) * 3 // 4 + 2)
            return cell
        cell.comment = spec.mark or spec.note
        if is_text and spec.ref is not None and fit:
            self.link_widths[col] = max(self.link_widths.get(col, 0), display_width(value) + 2)
            return cell
        if is_text and fit and not value.startswith("="):
            cell.fits = True
        if fit:
            shown = f"{value:.2f}" if isinstance(value, float) else value  # as the number format shows it
            self._fit(col, 8 if is_text and value.startswith("=") else display_width(shown) + 2)
        return cell

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
        header, and print setup: landscape, fit to width, title and header rows repeated on every page.
        Then the cells are written and dropped."""
        ws = self.ws
        final: dict[int, float] = {}
        for col in range(1, ncols + 1):
            fitted = max(min(self.widths.get(col, 8), max_width), min(self.link_widths.get(col, 0), LINK_MAX))
            final[col] = (widths or {}).get(col, fitted)
            ws.column_dimensions[get_column_letter(col)].width = final[col]
        # Neither Excel nor LibreOffice fits row heights to wrapped text on opening a file: set them.
        heights = self.heights
        for row, first, last, text in self._paragraphs:
            lines = _lines(text, sum(final.get(c, 8) for c in range(first, last + 1)))
            heights[row] = max(heights.get(row) or 15, 14 * lines + 4)
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
        self._write(final)

    def _spooled_rows(self) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
        self._spool.seek(0)
        while True:
            try:
                yield pickle.load(self._spool)
            except EOFError:
                return

    def _write(self, widths: dict[int, float]) -> None:
        """Replay the spool into the write-only sheet, each row with its height (set before the row is
        appended, as openpyxl needs), then close the sheet so its links are not held until the save."""
        ws = self.ws
        self._flush(max(self.cells, default=0) + 1)
        keys = {i: key for key, i in self._style_ids.items()}
        # The <dimension> (used range) precedes the rows; a write-only sheet does not know it, this one does.
        used = f"A1:{get_column_letter(self._extent[1])}{self._extent[0]}"
        ws.calculate_dimension = lambda: used
        styles: dict[int, Any] = {}
        links = _Hyperlinks()
        notes = Notes()
        heights, at = self.heights, 1
        for r, row in self._spooled_rows():
            for gap in range(at, r):  # empty rows only matter for their height
                if gap in heights:
                    ws.row_dimensions[gap].height = heights[gap]
                ws.append([])
            at = r + 1
            texts = [_lines(v, widths.get(c, 8)) for c, v, *_, fits in row if fits]
            height = heights.get(r)
            if texts and max(texts) > 1:
                height = max(height or 15, 13.5 * max(texts) + 3)
            if height is not None:
                ws.row_dimensions[r].height = height
            out: list[Any] = [None] * max(c for c, *_ in row)
            for c, value, style, link, comment, _ in row:
                cell = WriteOnlyCell(ws)
                known = styles.get(style)
                if known is None:
                    _realise(cell, keys[style])
                    known = styles[style] = copy(cell._style)
                else:
                    cell._style = copy(known)
                put_text(cell, value)  # text from submissions is never a formula
                if link is not None:
                    cell.hyperlink = Hyperlink(ref="", target=link[0], location=link[1])
                if comment:
                    note = Comment(comment, AUTHOR)
                    note.width = 320
                    note.height = 40 + 18 * (display_width(comment) // 40 + comment.count("\n"))
                    cell.comment = note
                out[c - 1] = cell
            ws.append(out)
            links.drain(ws)
            notes.drain(ws)
        for gap in range(at, max(heights, default=0) + 1):
            if gap in heights:
                ws.row_dimensions[gap].height = heights[gap]
            ws.append([])
        self._spool.close()
        ws._get_writer()
        ws._writer._rels = LinkRels(notes)  # before `close` writes the hyperlinks
        ws._writer.write_hyperlinks = lambda: links.write(ws._writer)
        ws.close()


READABLE_PT, BODY_PT = 8.0, 10.0  # smallest type on paper; the tables' body type


def _page_setup(ws: Any, widths: list[float], paper: int, freeze_cols: int) -> None:
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
