"""A worksheet read row by row from a per-worker memo, for plain sheets; every other sheet is streamed.

Submissions of one template repeat most of their rows byte for byte (labels, formulas, blank cells); only
the filled rows differ. After expat has checked the whole part without Python callbacks (well-formed,
UTF-8), a *plain* part is split into its rows, and a row whose exact bytes were read before in this worker
reuses that reading; a new row is read on its own (row_scan, else the same :class:`SheetReader` the streaming
pass uses). The part outside the rows (columns, merges, validations …) is read by that reader too, as one
document without the rows.

Why a row read on its own reads as in the whole part: a plain part has no DTD (so no entity but the five
predefined ones and character references), no comment, CDATA section or processing instruction (so every
``<`` starts a tag and ``<row`` followed by a delimiter starts a row), no namespace processing (names are
compared as written) and is UTF-8. The memo keys on the row's bytes and the limits; a shared-string
cell keeps its raw index and gets a fresh cell with the file's own string, and a row that fills down a
shared formula is never kept (its cells get their formula text later). Rows must carry their number
(``r``) and ascend. The memo holds at most ``_MEMO_BYTES`` of source bytes.

Anything else — a DTD, a comment, another encoding, a prefixed or second ``sheetData``, a row without a
number, rows out of order, a limit reached, any parse error — returns False, and the caller streams the
part through :class:`SheetReader` as before, which reports exactly what it always did. So the fast path
never decides a finding: it only skips work whose result it already knows.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from xml.parsers import expat

from lxbz_xl.validation.row_scan import scan_row
from lxbz_xl.validation.sheet_scan import Cell, SharedStrings, Sheet, SheetReader, Validation
from lxbz_xl.validation.sheet_scan import _value as cell_value
from lxbz_xl.validation.xml_stream import Budget

_DELIMITERS = frozenset(b" \t\r\n>/")
_ROW_DEPTH = 2  # worksheet > sheetData > row: a row read on its own starts two levels higher
_MEMO_BYTES = 2 * 1024 * 1024  # row bytes kept per worker (a form's rows: 5-60 KB); cleared when full


@dataclasses.dataclass(slots=True)
class _Row:
    number: int
    count: int  # elements, the row's own included
    cells: dict[str, Cell]
    hidden: bool
    tall: bool
    keys: list[str]  # the formula keys of its cells (see SheetReader._formula), in document order
    shared: dict[str, tuple[str, str]]  # shared-formula masters: si → (ref, text)
    followers: list[tuple[str, str]]
    strings: dict[str, str]  # ref → raw index of its shared-string cells (looked up per file)


# limits → {row bytes: _Row, (head bytes, tail bytes): _Outside}
_MEMO: dict[Any, dict[Any, Any]] = {}
_memo_bytes = 0


def read_plain_sheet(
    sheet: Sheet, data: bytes, sst: SharedStrings, keep_rows: int | None, limits: Any, budget: Budget
) -> bool:
    """Fill ``sheet`` from ``data`` (the whole part) as SheetReader would; False if the part is not plain
    or anything is unusual (``sheet`` is then left unusable and the caller streams the part afresh)."""
    if len(data) >= min(limits.max_text_chars, limits.max_token_bytes) or not _plain(data):
        return False
    open_at = data.find(b"<sheetData>")
    close_at = data.find(b"</sheetData>")
    if open_at < 0 or close_at < open_at or data.count(b"sheetData") != 2:
        return False
    body_at = open_at + len(b"<sheetData>")
    memo = _MEMO.get(limits)
    if memo is None:
        memo = _MEMO[limits] = {}
    around = (data[:body_at], data[close_at:])
    outside = memo.get(around)
    if outside is None:
        try:
            outside = _outside_rows(around[0], around[1], sst, limits)
        except Exception:  # whatever it is, the streaming reader meets it again and reports it
            return False
        if outside is None:
            return False
        _remember(memo, around, outside, len(around[0]) + len(around[1]))
    sheet.zero_height, sheet.protected = outside.zero_height, outside.protected
    sheet.hidden_cols, sheet.merged = list(outside.hidden_cols), list(outside.merged)
    sheet.validations = list(outside.validations)
    reader = SheetReader(sheet, sst, keep_rows, limits)  # collects the rows' formulas for finish()
    body = data[body_at:close_at]
    pieces = body.split(b"<row")
    if pieces[0].strip():
        return False  # something other than rows inside sheetData
    elements = outside.count
    previous = 0
    keep = True
    cells = sheet.cells
    for piece in pieces[1:]:
        if not piece or piece[0] not in _DELIMITERS:
            return False  # an element whose name starts with "row"
        row = memo.get(piece)
        if row is None:
            row = scan_row(piece, limits, _Row) or _read_row(piece, limits)
            if row is None:
                return False
            if not row.followers:
                _remember(memo, piece, row, len(piece))
        if row.number <= previous or row.number > limits.max_sheet_rows:
            return False
        previous = row.number
        elements += row.count
        if keep and keep_rows is not None and row.number > keep_rows:
            keep = False  # as SheetReader: past the kept rows, nothing more is kept
        if keep:
            cells.update(row.cells)
            for ref, raw in row.strings.items():  # a fresh cell with this file's shared string
                cell = row.cells[ref]
                cells[ref] = Cell(cell_value("s", raw, sst), cell.formula, "s", cell.style, cell.cached)
            if row.hidden:
                sheet.hidden_rows.add(row.number)
            if row.tall:
                sheet.tall_rows.add(row.number)
            reader.formula_keys += row.keys
            reader.shared.update(row.shared)
            reader.followers += row.followers
    if budget.elements + elements > limits.max_elements:
        return False
    budget.elements += elements
    reader.finish()
    return True


def _remember(memo: dict[Any, Any], key: Any, value: Any, size: int) -> None:
    """Keep a reading; the whole memo is dropped once it holds more than ``_MEMO_BYTES`` of source bytes
    (memory stays bounded whatever a batch holds; the rows of the forms come back at once)."""
    global _memo_bytes
    if _memo_bytes + size > _MEMO_BYTES:
        for known in _MEMO.values():
            known.clear()
        _memo_bytes = 0
    if size <= _MEMO_BYTES // 8:
        memo[key] = value
        _memo_bytes += size


def _plain(data: bytes) -> bool:
    """UTF-8 (declared or implied), no DTD, comment, CDATA or processing instruction, and well-formed."""
    start = 0
    if data.startswith(b"<?xml"):
        start = data.find(b"?>") + 2
        declaration = data[:start].lower().replace(b"'", b'"')
        if start < 2 or (b"encoding" in declaration and b'encoding="utf-8"' not in declaration):
            return False
    elif not data.startswith(b"<"):
        return False  # a byte-order mark, UTF-16, or text before the root
    if b"<!" in data or data.find(b"<?", start) >= 0:
        return False
    parser = expat.ParserCreate()  # no handler: expat alone checks the whole part at C speed
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, ValueError):
        return False
    return True


@dataclasses.dataclass(frozen=True, slots=True)
class _Outside:
    """What SheetReader finds outside the rows (columns, merges, validations …) and its element count."""

    count: int
    zero_height: bool
    protected: bool
    hidden_cols: tuple[tuple[int, int], ...]
    merged: tuple[str, ...]
    validations: tuple[Validation, ...]


def _outside_rows(head: bytes, tail: bytes, sst: SharedStrings, limits: Any) -> _Outside | None:
    """The part without its rows, read by SheetReader: head up to ``<sheetData>``, then the tail."""
    sheet = Sheet("", "", "visible")
    reader = SheetReader(sheet, sst, None, limits)
    parser = _parser(reader)
    parser.Parse(head, False)
    if reader.depth != _ROW_DEPTH or reader.dv is not None or reader.in_cell or reader.collect is not None:
        return None  # sheetData must be a child of the root, outside any other element we collect
    parser.Parse(tail, True)
    if reader.row or sheet.cells or sheet.hidden_rows or sheet.tall_rows:
        return None
    reader.parser = None
    return _Outside(
        reader.count,
        sheet.zero_height,
        sheet.protected,
        tuple(sheet.hidden_cols),
        tuple(sheet.merged),
        tuple(sheet.validations),
    )


class _RowReader(SheetReader):
    """SheetReader noting whether the row carried its number, and the raw index of shared strings."""

    numbered = True

    def __init__(self, sheet: Sheet, limits: Any) -> None:
        super().__init__(sheet, None, None, limits)
        self.strings: dict[str, str] = {}

    def _start_row(self, attrs: dict[str, str]) -> None:
        if "r" not in attrs:
            self.numbered = False
        super()._start_row(attrs)

    def _end_cell(self) -> None:
        if self.ctype == "s" and self.value is not None:
            self.strings[self.ref] = self.value
        super()._end_cell()


def _read_row(piece: bytes, limits: Any) -> _Row | None:
    """One row read on its own (``<row`` + ``piece``), or None if it is not a plain, numbered row."""
    row_limits = dataclasses.replace(limits, max_depth=limits.max_depth - _ROW_DEPTH)
    sheet = Sheet("", "", "visible")
    reader = _RowReader(sheet, row_limits)
    try:
        _parser(reader).Parse(b"<row" + piece, True)
    except Exception:  # whatever it is, the streaming reader meets it again and reports it
        return None
    if (
        not reader.numbered  # its cells would be named from the previous row's number
        or reader.row == 0
        or sheet.merged
        or sheet.validations
        or sheet.hidden_cols
        or sheet.protected
        or sheet.zero_height
        or reader.dv is not None
    ):
        return None  # anything but cells inside a row: left to the streaming reader
    reader.parser = None
    return _Row(
        number=reader.row,
        count=reader.count,
        cells=dict(sheet.cells),
        hidden=reader.row in sheet.hidden_rows,
        tall=reader.row in sheet.tall_rows,
        keys=reader.formula_keys,
        shared=reader.shared,
        followers=reader.followers,
        strings=reader.strings,
    )


def _parser(reader: SheetReader) -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 16 * 1024
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    reader.parser = parser
    return parser
