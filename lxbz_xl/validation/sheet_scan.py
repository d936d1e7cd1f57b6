"""Worksheets and shared strings, read by one streaming expat pass (xml_stream) that also enforces the limits.

Cells are built only for rows up to the template's last row (``keep_rows``); rows below are parsed for
their limits (depth, size, row count) and dropped, so memory does not grow with a sheet's length. What
hides an entry is recorded on the way: hidden or zero-height rows, hidden or zero-width columns, merged
ranges; data validations and sheet protection too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxbz_xl.validation.numbers_guard import bounded_float, small_int
from lxbz_xl.validation.xml_scan import col_letter, digest, split_ref
from lxbz_xl.validation.xml_stream import Handler, StreamError, local

MAX_COL = 16384


@dataclass(slots=True)
class Cell:
    value: Any = None  # float | int | str | bool | None; an error value is kept as its text, e.g. "#NAME?"
    formula: str | None = None  # without the leading "="
    type: str = "n"  # the t= attribute: n, s, str, inlineStr, b, e, d
    style: int = 0
    cached: bool = False  # a value was saved with the cell (a formula never opened in a spreadsheet has none)

    @property
    def is_error(self) -> bool:
        return self.type == "e"


@dataclass(frozen=True, slots=True)
class Validation:
    sqref: tuple[str, ...]
    type: str
    operator: str
    formula1: str
    formula2: str


class Cells(dict[str, Cell]):
    """ref → Cell (only the rows that were kept)."""

    def value(self, ref: str) -> Any:
        """The cell's value (None for blank or error cells)."""
        cell = dict.get(self, ref)
        if cell is None or cell.type == "e":
            return None
        return cell.value

    def formula_of(self, ref: str) -> str | None:
        cell = dict.get(self, ref)
        return None if cell is None else cell.formula

    def refs(self) -> set[str]:
        return set(self)


@dataclass(slots=True)
class Sheet:
    name: str
    part: str
    state: str  # visible | hidden | veryHidden
    cells: Cells = field(default_factory=Cells)
    hidden_rows: set[int] = field(default_factory=set)  # hidden="1" or height 0
    tall_rows: set[int] = field(
        default_factory=set
    )  # an explicit height > 0 (matters when rows default to 0)
    zero_height: bool = False  # <sheetFormatPr zeroHeight="1"> or a default row height of 0
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)  # (min, max), 1-based, inclusive
    merged: list[str] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    protected: bool = False
    # Digests of the sheet's formulas and of its validations: submissions of one template share them, so a
    # check found clean once need not run again in this worker.
    formula_digest: bytes | None = None
    tail_digest: bytes | None = None
    _dv_index: _ValidationIndex | None = None
    _hidden_col_set: set[int] | None = None

    def row_hidden(self, row: int) -> bool:
        return row in self.hidden_rows or (self.zero_height and row not in self.tall_rows)

    def col_hidden(self, col: int) -> bool:
        if not self.hidden_cols:
            return False
        if self._hidden_col_set is None:
            self._hidden_col_set = {c for lo, hi in self.hidden_cols for c in range(lo, min(hi, MAX_COL) + 1)}
        return col in self._hidden_col_set

    def validation_at(self, ref: str) -> Validation | None:
        """The data validation covering ``ref`` (first one wins, as in Excel), via a per-sheet index."""
        index = self._dv_index
        if index is None:
            index = self._dv_index = _ValidationIndex(self.validations)
        return index.at(ref)


class _ValidationIndex:
    """Small areas expanded to a ref → validation map; whole-column style areas kept as rectangles."""

    EXPAND = 20_000

    def __init__(self, validations: list[Validation]):
        self.cells: dict[str, Validation] = {}
        self.areas: list[tuple[int, int, int, int, Validation]] = []
        for v in validations:
            for area in v.sqref:
                if ":" not in area and "$" not in area:
                    self.cells.setdefault(area.upper(), v)  # the usual single-cell rule
                    continue
                box = area_box(area)
                if box is None:
                    continue
                r1, c1, r2, c2 = box
                if (r2 - r1 + 1) * (c2 - c1 + 1) <= self.EXPAND:
                    for r in range(r1, r2 + 1):
                        for c in range(c1, c2 + 1):
                            self.cells.setdefault(f"{col_letter(c)}{r}", v)
                else:
                    self.areas.append((r1, r2, c1, c2, v))

    def at(self, ref: str) -> Validation | None:
        found = self.cells.get(ref)
        if found is not None or not self.areas:
            return found
        row, col = split_ref(ref)
        return next((v for r1, r2, c1, c2, v in self.areas if r1 <= row <= r2 and c1 <= col <= c2), None)


def area_box(area: str) -> tuple[int, int, int, int] | None:
    """'B2:C5' → (row1, col1, row2, col2), ordered; None for anything else."""
    a, _, b = area.partition(":")
    try:
        r1, c1 = split_ref(a)
        r2, c2 = split_ref(b) if b else (r1, c1)
    except ValueError:
        return None
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


# ------------------------------------------------------------------------------------------ shared strings


class SharedStrings(Handler):
    """The sharedStrings part as a list of texts (phonetic runs dropped), built while streaming."""

    def __init__(self, limits: Any) -> None:
        super().__init__(limits)
        self.items: list[str] = []
        self._buf: list[str] | None = None
        self._in_t = False
        self._phonetic = 0

    def __getitem__(self, index: int) -> str:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        super().start(name, attrs)
        tag = local(name)
        if tag == "si":
            self._buf = []
        elif tag == "t":
            self._in_t = True
        elif tag == "rPh":
            self._phonetic += 1

    def end(self, name: str) -> None:
        super().end(name)
        tag = local(name)
        if tag == "si" and self._buf is not None:
            self.items.append("".join(self._buf))
            self._buf = None
        elif tag == "t":
            self._in_t = False
        elif tag == "rPh":
            self._phonetic -= 1

    def text(self, data: str) -> None:
        self.text_len += len(data)
        if self.text_len > self.max_text:
            self.too_long_text()
        if self._in_t and not self._phonetic and self._buf is not None:
            self._buf.append(data)


# ------------------------------------------------------------------------------------------------ sheets

_TRUE = ("1", "true")


class SheetReader(Handler):
    """Streams one worksheet into a :class:`Sheet`: cells of rows up to ``keep_rows`` (None: all)."""

    def __init__(self, sheet: Sheet, sst: SharedStrings | None, keep_rows: int | None, limits: Any) -> None:
        super().__init__(limits)
        self.sheet = sheet
        self.sst = sst
        self.keep_rows = keep_rows
        self.max_rows = limits.max_sheet_rows
        self.row = 0
        self.row_text = "0"
        self.row_size = 1
        self.cells = sheet.cells
        self.keep = True
        self.col = 0
        self.last_ref: str | None = None
        self.in_cell = False
        self.ref = ""
        self.ctype = "n"
        self.style = 0
        self.fattrs: dict[str, str] | None = None
        self.formula: str | None = None
        self.value: str | None = None
        self.inline: list[str] | None = None
        self.collect: list[str] | None = None
        self.phonetic = 0
        self.dv: dict[str, str] | None = None
        self.dv_text: dict[str, str] = {}
        self.dv_key = ""
        self.shared: dict[str, tuple[str, str]] = {}
        self.followers: list[tuple[str, str]] = []
        self.formula_keys: list[str] = []
        self.styles: dict[str, int] = {}

    # -- events (the base class's bookkeeping is inlined: these run once per element of every sheet, so the
    # cell's start and end are inlined too; the rare paths stay in helpers) --
    def start(self, name: str, attrs: dict[str, str]) -> None:
        depth = self.depth = self.depth + 1
        self.count += 1
        self.text_len = 0
        if depth > self.max_depth:
            self.too_deep()
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            if not self.keep:
                return
            ref = attrs.get("r")
            if ref is None:
                ref = self._next_ref()
            else:
                self.last_ref = ref
                size = self.row_size
                if not (len(ref) > size and ref.endswith(self.row_text) and ref[-size - 1].isalpha()):
                    self._misplaced(ref, "不在所在的行")
                if ref in self.cells:
                    self._misplaced(ref, "重复出现")
            self.in_cell = True
            self.where = self.ref = ref
            self.ctype = attrs.get("t", "n")
            s = attrs.get("s")
            if s is None:
                self.style = 0
            else:
                style = self.styles.get(s)
                if style is None:
                    style = self.styles[s] = small_int(s) or 0
                self.style = style
            self.fattrs = self.formula = self.value = self.inline = None
            return
        if self.in_cell:
            if name == "v" or (name == "t" and not self.phonetic):
                self.collect = []
            elif name == "f":
                self.fattrs = attrs
                self.collect = []
            elif name == "rPh":
                self.phonetic += 1
            return
        if name == "row":
            self._start_row(attrs)
        elif self.dv is not None:
            if name in ("formula1", "formula2", "sqref"):
                self.dv_key = name
                self.collect = []
        elif name == "dataValidation":
            self.dv = attrs
            self.dv_text = {}
        elif name == "col":
            self._col(attrs)
        elif name == "mergeCell":
            ref = attrs.get("ref")
            if ref:
                self.sheet.merged.append(ref)
        elif name == "sheetFormatPr":
            if attrs.get("zeroHeight") in _TRUE or _is_zero(attrs.get("defaultRowHeight")):
                self.sheet.zero_height = True
        elif name == "sheetProtection":
            self.sheet.protected = True
        elif name == "dimension":
            self._dimension(attrs.get("ref", ""))

    def end(self, name: str) -> None:
        self.depth -= 1
        self.text_len = 0
        if ":" in name:
            name = name.rpartition(":")[2]
        if self.in_cell:
            if name == "c":
                self._end_cell()
            elif name == "v":
                collect = self.collect
                self.value = "" if collect is None else collect[0] if len(collect) == 1 else "".join(collect)
                self.collect = None
            elif name == "f":
                collect = self.collect
                self.formula = "" if collect is None else "".join(collect)
                self.collect = None
            elif name == "t" and self.collect is not None:
                if self.inline is None:
                    self.inline = self.collect
                else:
                    self.inline.extend(self.collect)
                self.collect = None
            elif name == "rPh":
                self.phonetic -= 1
            return
        if self.dv is not None:
            if name == self.dv_key and self.collect is not None:
                self.dv_text[name] = "".join(self.collect)
                self.collect = None
                self.dv_key = ""
            elif name == "dataValidation":
                self._end_validation()

    def text(self, data: str) -> None:
        size = self.text_len = self.text_len + len(data)
        if size > self.max_text:
            self.too_long_text()
        collect = self.collect
        if collect is not None:
            collect.append(data)

    # -- parts ----------------------------------------------------------------------------------------
    def _start_row(self, attrs: dict[str, str]) -> None:
        r = attrs.get("r")
        if r is None:
            self.row += 1
        else:
            number = small_int(r)
            if number is not None and number <= self.row:
                self._out_of_order(number)
            self.row = number if number is not None else self.max_rows + 1
        if self.row > self.max_rows:
            self._too_many_rows()
        self.col = 0
        self.last_ref = None
        self.row_text = str(self.row)
        self.row_size = len(self.row_text)
        self.keep = self.keep_rows is None or self.row <= self.keep_rows
        if not self.keep:
            self._skip_rows()
            return
        if attrs.get("hidden") in _TRUE:
            self.sheet.hidden_rows.add(self.row)
        ht = attrs.get("ht")
        if ht is not None:
            if _is_zero(ht):
                self.sheet.hidden_rows.add(self.row)
            else:
                self.sheet.tall_rows.add(self.row)

    def _skip_rows(self) -> None:
        """Past the kept rows: lean handlers that only count depth, elements and rows, until
        </sheetData>; then the normal ones again (merges, validations and protection follow the rows)."""
        parser = self.parser
        if parser is None:
            return
        normal = (parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler)
        max_depth, max_rows = self.max_depth, self.max_rows

        def start(name: str, attrs: dict[str, str]) -> None:
            self.depth += 1
            self.count += 1
            if self.depth > max_depth:
                self.too_deep()
            if name == "row" or name.endswith(":row"):
                r = attrs.get("r")
                number = self.row + 1 if r is None else small_int(r)
                if number is not None and number <= self.row:
                    self._out_of_order(number)
                self.row = number if number is not None else max_rows + 1
                if self.row > max_rows:
                    self._too_many_rows()

        def end(name: str) -> None:
            self.depth -= 1
            if name == "sheetData" or name.endswith(":sheetData"):
                parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = normal

        parser.StartElementHandler, parser.EndElementHandler = start, end
        parser.CharacterDataHandler = None  # nothing is collected here; no text is decoded

    def _out_of_order(self, number: int) -> None:
        """Rows must ascend (ECMA-376 18.3.1.73): a repeated or earlier row could overwrite or hide cells
        that were already read, so the sheet is refused rather than guessed at."""
        raise StreamError(
            "corrupt",
            f"内部文件 {self.part}(工作表「{self.sheet.name}」)的第 {number:,} 行出现在第 {self.row:,} 行之后,"
            "行的顺序错误",
            self.part,
        )

    def _misplaced(self, ref: str, what: str) -> None:
        """A cell outside its row, or a cell given twice: one of them would silently win."""
        raise StreamError(
            "corrupt",
            f"内部文件 {self.part}(工作表「{self.sheet.name}」)的单元格 {ref[:12]} {what}(第 {self.row:,} 行)",
            self.part,
            ref[:12],
        )

    def _too_many_rows(self) -> None:
        raise StreamError(
            "too_many_rows",
            f"的工作表「{self.sheet.name}」至少有 {self.row:,} 行,超过允许上限 {self.max_rows:,} 行。"
            "请删除多余的行后再上传",
            self.part,
        )

    def _dimension(self, ref: str) -> None:
        last = ref.rpartition(":")[2]
        digits = last[len(last.rstrip("0123456789")) :]
        number = small_int(digits) if digits else None
        if digits and (number is None or number > self.max_rows):
            shown = f"{number:,}" if number is not None else digits[:12] + "…"
            raise StreamError(
                "too_many_rows",
                f"的工作表「{self.sheet.name}」声明的数据范围达 {shown} 行,超过允许上限 {self.max_rows:,} 行。"
                "请删除多余的行后再上传",
                self.part,
            )

    def _col(self, attrs: dict[str, str]) -> None:
        width = attrs.get("width")
        if attrs.get("hidden") in _TRUE or (width is not None and _is_zero(width)):
            lo = small_int(attrs.get("min", "1")) or 1
            hi = small_int(attrs.get("max", "1")) or lo
            self.sheet.hidden_cols.append((lo, min(hi, MAX_COL)))

    def _next_ref(self) -> str:
        """The reference of a cell written without ``r`` (the next column of its row)."""
        if self.last_ref is not None:
            self.col = split_ref(self.last_ref)[1]
            self.last_ref = None
        self.col += 1
        return f"{col_letter(self.col)}{self.row}"

    def _end_cell(self) -> None:
        self.in_cell = False
        self.collect = None
        cell = make_cell(self.ctype, self.value, self.inline, self.style, self.sst)
        if self.fattrs is not None:
            note_formula(cell, self.ref, self.fattrs, self.formula or "", self)
        self.cells[self.ref] = cell

    def _end_validation(self) -> None:
        attrs, texts = self.dv or {}, self.dv_text
        self.dv = None
        sqref = attrs.get("sqref") or texts.get("sqref", "")
        self.sheet.validations.append(
            Validation(
                sqref=tuple(sqref.split()),
                type=attrs.get("type", "none"),
                operator=attrs.get("operator", "between"),
                formula1=texts.get("formula1", "").strip(),
                formula2=texts.get("formula2", "").strip(),
            )
        )

    def finish(self) -> None:
        """Shared-formula followers (Excel fill-down) get their master's text, moved to their cell."""
        cells = self.sheet.cells
        for ref, si in self.followers:
            master = self.shared.get(si)
            cell = cells.get(ref)
            if master is not None and cell is not None:
                cell.formula = _translate(master[1], master[0], ref)
        self.sheet.formula_digest = digest("\0".join(self.formula_keys).encode("utf-8", "surrogatepass"))
        tail = (self.sheet.validations, self.sheet.merged, self.sheet.protected)
        self.sheet.tail_digest = digest(repr(tail).encode("utf-8", "surrogatepass"))


def _translate(formula: str, origin: str, dest: str) -> str:
    from openpyxl.formula.translate import Translator  # only for shared formulas (Excel fill-down)

    try:
        return Translator("=" + formula, origin=origin).translate_formula(dest)[1:]
    except Exception:  # a master the translator cannot read: compared as written (a finding if wrong)
        return formula


def make_cell(
    kind: str, raw: str | None, inline: list[str] | None, style: int, sst: SharedStrings | None
) -> Cell:
    """A cell from its type, the text of its ``<v>`` (None: none) and of its inline string's ``<t>``."""
    if kind == "inlineStr":
        if inline is None:
            return Cell(None, None, kind, style, False)
        return Cell(inline[0] if len(inline) == 1 else "".join(inline), None, kind, style, True)
    if raw is not None:
        return Cell(_value(kind, raw, sst), None, kind, style, raw != "" or kind == "str")
    return Cell(None, None, kind, style, False)


def note_formula(cell: Cell, ref: str, attrs: dict[str, str], text: str, into: Any) -> None:
    """Give ``cell`` its formula and note it in ``into`` (a reader: shared masters, followers, formula keys)."""
    if attrs.get("t") == "shared" and "si" in attrs:
        si = attrs["si"]
        if text:
            into.shared[si] = (ref, text)
        else:
            into.followers.append((ref, si))
    cell.formula = text
    keys = into.formula_keys
    keys.append(ref)
    keys.append(text)
    if attrs:
        keys.append(repr(sorted(attrs.items())))


def _is_zero(text: str | None) -> bool:
    if text is None:
        return False
    number = bounded_float(text)
    return number is not None and number == 0


def _value(kind: str, raw: str, sst: SharedStrings | None) -> Any:
    if kind == "s":
        index = small_int(raw.strip())
        if index is None or sst is None or index >= len(sst):
            return None
        return sst[index]
    if kind in ("str", "e", "d"):
        return raw
    if kind == "b":
        return raw.strip() in _TRUE
    text = raw.strip()
    number = bounded_float(text)
    if number is None:
        return raw  # not a number, or one too long to convert safely: kept as text for the input checks
    if number.is_integer() and "." not in text and "e" not in text.lower():
        return int(number)
    return number


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rpartition(":")[2]
