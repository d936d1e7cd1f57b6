"""Worksheet scanning: cells (decoded lazily), hidden rows and columns, data validations.

The fast path scans the sheet XML with byte-level regular expressions (C speed) and keeps each cell's
raw bytes until it is asked for; sheets with features it does not model (comments, CDATA, a namespace
prefix, cells or rows without a leading ``r`` address, unclosed cells) go through a streaming
ElementTree parse instead, with the same result. Rows below the template's area are decompressed in
chunks and dropped, so memory does not grow with a sheet's length.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree as ET

from lxbz_xl.validation.xml_scan import (
    MAX_PART_BYTES,
    ReadError,
    col_letter,
    digest,
    parse_attrs,
    split_ref,
    to_utf8,
    unescape,
)

_CHUNK = 1024 * 1024


@dataclass(slots=True)
class Cell:
    value: Any = None  # float | int | str | bool | None; an error value is kept as its text, e.g. "#NAME?"
    formula: str | None = None  # without the leading "="
    type: str = "n"  # the t= attribute: n, s, str, inlineStr, b, e, d
    style: int = 0
    cached: bool = (
        False  # a value was saved with the cell (a formula cell never opened in a spreadsheet has none)
    )

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


@dataclass(slots=True)
class Sheet:
    name: str
    part: str
    state: str  # visible | hidden | veryHidden
    cells: Cells = field(default_factory=lambda: Cells())
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)  # (min, max), 1-based, inclusive
    _validations: list[Validation] | None = None  # parsed from _tail on first use (often never: see below)
    _tail: bytes = b""
    protected: bool = False
    _dv_index: _ValidationIndex | None = None
    _hidden_col_set: set[int] | None = None
    # Digests of the sheet's formulas (ref + <f>) and of its tail (validations, protection): submissions of
    # one template share them, so a check found clean once need not run again in this worker.
    formula_digest: bytes | None = None
    tail_digest: bytes | None = None

    def col_hidden(self, col: int) -> bool:
        if not self.hidden_cols:
            return False
        if self._hidden_col_set is None:
            self._hidden_col_set = {c for lo, hi in self.hidden_cols for c in range(lo, min(hi, 16384) + 1)}
        return col in self._hidden_col_set

    @property
    def validations(self) -> list[Validation]:
        if self._validations is None:
            self._validations = _parse_validations(self._tail)
        return self._validations

    def validation_at(self, ref: str) -> Validation | None:
        """The data validation covering ``ref`` (first one wins, as in Excel), via a per-sheet index."""
        index = self._dv_index
        if index is None:
            index = _ValidationIndex(self.validations)
            self._dv_index = index
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
                try:
                    a, _, b = area.partition(":")
                    r1, c1 = split_ref(a)
                    r2, c2 = split_ref(b) if b else (r1, c1)
                except ValueError:
                    continue
                r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
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


class SharedStrings:
    """Decoded on demand: forms carry long 评分标准 texts that validation never reads."""

    def __init__(self, data: bytes | None):
        self._items: list[bytes] = []
        if data and b"<si " not in data and b":si" not in data:
            self._items = data.split(b"<si>")[1:]  # the usual form: a plain split, no regex
        elif data:
            self._items = re.split(rb"<(?:\w+:)?si(?:\s[^>]*)?>", data)[1:]
        self._cache: dict[int, str] = {}

    def __getitem__(self, index: int) -> str:
        text = self._cache.get(index)
        if text is None:
            raw = self._items[index]
            raw = re.sub(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", b"", raw, flags=re.S)  # phonetic runs
            text = "".join(
                unescape(t) for t in re.findall(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", raw, re.S)
            )
            self._cache[index] = text
        return text


# Every producer we know (Excel, WPS, LibreOffice, openpyxl) writes r= first; other layouts take the tree path.
# Inner content as runs of non-"<" (fast in the regex engine) up to the first </c>; text never holds a raw "<".
_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"([^>]*?)(?:/>|>((?:[^<]*<(?!/c>))*[^<]*)</c>)')
_SELF_CLOSED = re.compile(rb"<c [^>]*/>")
_ROW_NUM = re.compile(rb'<row r="([0-9]{1,7})"')
_HIDDEN_ROW = re.compile(rb'<row r="([0-9]{1,7})"[^>]*?\shidden="(?:1|true)"')
_F = re.compile(rb"<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_V = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_T = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
_COL = re.compile(rb"<col\b([^>]*)/?>")
_DV = re.compile(rb"<(\w+:)?dataValidation\b([^>]*?)(?:/>|>(.*?)</\1?dataValidation>)", re.S)
_FORMULA_N = re.compile(rb"<(?:\w+:)?formula([12])>(?:<xm:f>)?(.*?)(?:</xm:f>)?</(?:\w+:)?formula\1>", re.S)
_XM_SQREF = re.compile(rb"<xm:sqref>(.*?)</xm:sqref>", re.S)
_SHEET_DATA_END = b"</sheetData>"
# The address of each formula cell and its <f> element, without the t=/s= attributes (they follow the value).
_FORMULA_PAIRS = re.compile(rb'(<c r="[A-Z]{1,3}[0-9]{1,7}")[^>]*>(?=<f)|(<f\b[^>]*?(?:/>|>[^<]*</f>))')
_T_ATTR = re.compile(rb'\bt="(\w+)"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')


@lru_cache(maxsize=65536)
def _formula_text(raw: bytes) -> str:
    """Submissions of one template repeat the same formulas: decode each distinct text once per worker."""
    return unescape(raw)


class Cells(dict[str, Cell]):
    """ref → Cell, decoded on first access from the raw (attributes, inner XML) the scan kept."""

    def __init__(self, raw: dict[str, tuple[bytes, bytes]] | None = None, sst: SharedStrings | None = None):
        super().__init__()
        self._raw = raw or {}
        self._sst = sst or SharedStrings(None)
        self._shared: dict[bytes, tuple[str, str]] = {}

    def __missing__(self, ref: str) -> Cell:
        raise KeyError(ref)

    def get(self, ref: str, default: Any = None) -> Any:  # type: ignore[override]
        cell = super().get(ref)
        if cell is None and ref in self._raw:
            cell = self._decode(ref)
        return default if cell is None else cell

    def __getitem__(self, ref: str) -> Cell:
        cell = self.get(ref)
        if cell is None:
            raise KeyError(ref)
        return cell

    def __contains__(self, ref: object) -> bool:
        return super().__contains__(ref) or ref in self._raw

    def value(self, ref: str) -> Any:
        """The cell's value (None for blank or error cells), skipping the decode of empty cells."""
        cell = dict.get(self, ref)
        if cell is None:
            raw = self._raw.get(ref)
            if raw is None or not raw[1]:
                return None  # absent, or a styled empty cell <c r=".." s=".."/>
            cell = self._decode(ref)
        return None if cell.type == "e" else cell.value

    def raw_formula(self, ref: str) -> bytes | None:
        """The raw (XML-escaped) text of a cell's own <f> element, without decoding the cell; None when the
        cell has no formula of its own (absent, a value, or a shared-formula follower)."""
        raw = self._raw.get(ref)
        if raw is None or not raw[1] or b"<f" not in raw[1]:
            return None
        match = _F.search(raw[1])
        if match is None or not match.group(2) or b"shared" in match.group(1):
            return None
        return match.group(2)

    def refs(self) -> set[str]:
        return set(self._raw) | set(super().keys())

    def __len__(self) -> int:
        return len(self.refs())

    def _decode(self, ref: str) -> Cell:
        attrs_raw, inner = self._raw[ref]
        t = _T_ATTR.search(attrs_raw) if b"t=" in attrs_raw else None
        st = _S_ATTR.search(attrs_raw) if b"s=" in attrs_raw else None
        cell = Cell(type=t.group(1).decode() if t else "n", style=int(st.group(1)) if st else 0)
        if inner:
            if b"<f" in inner:
                fm = _F.search(inner)
                if fm is not None:
                    if fm.group(1) and b"shared" in fm.group(1) and not fm.group(2):
                        self._prime_shared()
                        cell.formula = _formula(fm.group(1), fm.group(2), ref, self._shared)
                    elif fm.group(1) and b"shared" in fm.group(1):
                        cell.formula = _formula(fm.group(1), fm.group(2), ref, self._shared)
                    else:
                        cell.formula = _formula_text(fm.group(2) or b"")
            if cell.type == "inlineStr":
                cell.value = "".join(unescape(t) for t in _T.findall(inner))
                cell.cached = True
            else:
                vm = _V.search(inner)
                cell.value = _value(cell.type, vm.group(1) if vm else None, self._sst)
                cell.cached = vm is not None and (vm.group(1) != b"" or cell.type == "str")
        dict.__setitem__(self, ref, cell)
        return cell

    def _prime_shared(self) -> None:
        """Shared-formula masters (Excel fill-down) carry the text the other cells of the group reuse."""
        if self._shared:
            return
        for ref, (_attrs_raw, inner) in self._raw.items():
            fm = _F.search(inner or b"")
            if fm is not None and fm.group(2) and b"shared" in fm.group(1):
                si = parse_attrs(fm.group(1)).get(b"si")
                if si is not None:
                    self._shared[si] = (ref, unescape(fm.group(2)))


def _sheet_bytes(archive: zipfile.ZipFile, part: str, max_row: int | None) -> tuple[bytes, bytes]:
    """(sheetData up to ``max_row``, the rest after </sheetData>), streamed so a long sheet's middle is
    decompressed but never held: memory stays at a few chunks whatever the row count."""
    head = bytearray()
    tail = bytearray()
    produced = 0
    phase = "rows"
    scanned = 0
    with archive.open(part) as member:
        while chunk := member.read(_CHUNK):
            produced += len(chunk)
            if produced > MAX_PART_BYTES:
                raise ReadError(f"内部文件 {part} 过大")
            if phase == "rows":
                head += chunk
                if produced == len(chunk) and to_utf8(bytes(head[:4])) != bytes(head[:4]):
                    max_row = None  # UTF-16: read whole, transcode below
                if max_row is not None:
                    snapshot = bytes(head)  # a bytearray cannot shrink while a regex scan holds it
                    cut = next(
                        (
                            m.start()
                            for m in _ROW_NUM.finditer(snapshot, max(scanned - 32, 0))
                            if int(m.group(1)) > max_row
                        ),
                        None,
                    )
                    scanned = len(head)
                    if cut is not None:
                        phase, tail = "skip", bytearray(snapshot[cut:])
                        del head[cut:]
                end = head.find(_SHEET_DATA_END) if phase == "rows" else -1
                if end >= 0:
                    tail = bytearray(head[end:])
                    del head[end:]
                    phase = "tail"
            elif phase == "skip":
                tail = tail[-16:] + chunk
            else:
                tail += chunk
            if phase == "skip":
                end = tail.find(_SHEET_DATA_END)
                if end >= 0:
                    tail = tail[end:]
                    phase = "tail"
                else:
                    tail = tail[-16:]
    data, rest = to_utf8(bytes(head)), to_utf8(bytes(tail)) if tail else b""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReadError(f"内部文件 {part} 含有 DTD/实体声明")
    return data, rest


def read_sheet(
    archive: zipfile.ZipFile, part: str, sheet: Sheet, sst: SharedStrings, max_row: int | None
) -> None:
    data, tail = _sheet_bytes(archive, part, max_row)
    prefixed = re.search(rb"<(\w+):worksheet\b", data[:1024]) is not None
    if prefixed or b"<!--" in data or b"<![CDATA[" in data:
        _read_sheet_tree(data + tail, sheet, sst, max_row)
        return
    rows = data.count(b"<row ") + data.count(b"<row>")
    # Counting with bytes.count (C, no match objects) is how the fast path knows it saw every cell and row.
    any_cells = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/") + data.count(b"<c\n")
    closed = data.count(b"</c>") + len(_SELF_CLOSED.findall(data))
    # Every cell closed (checked before the scan: a lazy regex would run to the end of the part once per
    # unclosed cell) and addressed; else the tree path, which also rejects malformed XML.
    found = _CELL.findall(data) if closed == any_cells else []
    if len(found) != any_cells or closed != any_cells or rows != data.count(b'<row r="'):
        _read_sheet_tree(data + tail, sheet, sst, max_row)  # some cell or row without a leading r=
        return
    sheet.cells = Cells({ref.decode(): (attrs, inner) for ref, attrs, inner in found}, sst)
    sheet.hidden_rows = {int(r) for r in _HIDDEN_ROW.findall(data)}
    sheet.formula_digest = digest(b"\0".join(a + b for a, b in _FORMULA_PAIRS.findall(data)))
    sheet.tail_digest = digest(tail)
    _scan_extras(data, tail, sheet)


def _formula(raw_attrs: bytes, text: bytes | None, ref: str, shared: dict[bytes, tuple[str, str]]) -> str:
    attrs = parse_attrs(raw_attrs)
    formula = unescape(text) if text else ""
    if attrs.get(b"t") == b"shared" and b"si" in attrs:
        si = attrs[b"si"]
        if formula:
            shared[si] = (ref, formula)
        elif si in shared:
            origin, master = shared[si]
            formula = _translate(master, origin, ref)
    return formula


def _translate(formula: str, origin: str, dest: str) -> str:
    from openpyxl.formula.translate import Translator  # only for shared formulas (Excel fill-down)

    return Translator("=" + formula, origin=origin).translate_formula(dest)[1:]


def _value(kind: str, raw: bytes | None, sst: SharedStrings) -> Any:
    if raw is None:
        return None
    if kind == "s":
        try:
            return sst[int(raw)]
        except (ValueError, IndexError):
            return None
    if kind in ("str", "e", "d"):
        return unescape(raw)
    if kind == "b":
        return raw.strip() in (b"1", b"true")
    text = raw.strip()
    try:
        number = float(text)
    except ValueError:
        return unescape(raw)
    return int(number) if number.is_integer() and b"." not in text and b"E" not in text.upper() else number


def _scan_extras(data: bytes, after: bytes, sheet: Sheet) -> None:
    start = data.find(b"<sheetData")
    before = data[:start] if start >= 0 else b""
    for raw in _COL.findall(before):
        attrs = parse_attrs(raw)
        if attrs.get(b"hidden") in (b"1", b"true"):
            sheet.hidden_cols.append((int(attrs.get(b"min", b"1")), int(attrs.get(b"max", b"1"))))
    sheet.protected = re.search(rb"<(?:\w+:)?sheetProtection\b", after) is not None
    sheet._tail = (
        after  # validations are parsed only if a check needs them (not when the tail is known clean)
    )


def _parse_validations(after: bytes) -> list[Validation]:
    out = []
    for _prefix, raw, inner in _DV.findall(after):
        attrs = parse_attrs(raw)
        sqref = attrs.get(b"sqref", b"")
        formulas = {n: unescape(t).strip() for n, t in _FORMULA_N.findall(inner or b"")}
        if not sqref and inner:
            xm = _XM_SQREF.search(inner)
            sqref = xm.group(1) if xm else b""
        out.append(
            Validation(
                sqref=tuple(sqref.decode().split()),
                type=attrs.get(b"type", b"none").decode(),
                operator=attrs.get(b"operator", b"between").decode(),
                formula1=formulas.get(b"1", ""),
                formula2=formulas.get(b"2", ""),
            )
        )
    return out


def _read_sheet_tree(data: bytes, sheet: Sheet, sst: SharedStrings, max_row: int | None) -> None:
    """Slow, general path: a streaming ElementTree parse (rows are cleared as they are read)."""

    row_no = 0
    col_no = 0
    shared: dict[bytes, tuple[str, str]] = {}
    for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = local_name(el.tag)
        if event == "start":
            if tag == "row":
                row_no = int(el.get("r") or row_no + 1)
                col_no = 0
                if el.get("hidden") in ("1", "true"):
                    sheet.hidden_rows.add(row_no)
            continue
        if tag == "c":
            ref = el.get("r")
            if ref is None:
                col_no += 1
                ref = f"{col_letter(col_no)}{row_no}"
            else:
                col_no = split_ref(ref)[1]
            if max_row is None or row_no <= max_row:
                sheet.cells[ref] = _tree_cell(el, ref, sst, shared)
            el.clear()
        elif tag == "row":
            el.clear()
        elif tag == "col" and el.get("hidden") in ("1", "true"):
            sheet.hidden_cols.append((int(el.get("min", "1")), int(el.get("max", "1"))))
        elif tag == "sheetProtection":
            sheet.protected = True
        elif tag == "dataValidation":
            sqref = el.get("sqref") or next(
                (c.text or "" for c in el.iter() if local_name(c.tag) == "sqref"), ""
            )
            f = {
                local_name(c.tag): "".join(c.itertext()).strip()
                for c in el
                if local_name(c.tag) in ("formula1", "formula2")
            }
            if sheet._validations is None:
                sheet._validations = []
            sheet._validations.append(
                Validation(
                    tuple(sqref.split()),
                    el.get("type", "none"),
                    el.get("operator", "between"),
                    f.get("formula1", ""),
                    f.get("formula2", ""),
                )
            )


def _tree_cell(el: ET.Element, ref: str, sst: SharedStrings, shared: dict[bytes, tuple[str, str]]) -> Cell:
    cell = Cell(type=el.get("t", "n"), style=int(el.get("s", "0") or 0))
    raw_value: bytes | None = None
    for child in el:
        tag = local_name(child.tag)
        if tag == "f":
            raw_attrs = " ".join(f'{local_name(k)}="{v}"' for k, v in child.attrib.items()).encode()
            text = (child.text or "").replace("&", "&amp;").encode() if child.text else None
            cell.formula = _formula(raw_attrs, text, ref, shared)
        elif tag == "v":
            raw_value = (child.text or "").replace("&", "&amp;").encode()
            cell.cached = raw_value != b"" or cell.type == "str"
        elif tag == "is":
            cell.value = "".join(t.text or "" for t in child.iter() if local_name(t.tag) == "t")
            cell.cached = True
    if cell.type != "inlineStr":
        cell.value = _value(cell.type, raw_value, sst)
    return cell


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
