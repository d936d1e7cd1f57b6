"""One-pass reader of the parts of an .xlsx that validation needs, straight from the zip.

Why not openpyxl: it builds every cell, style and drawing twice (formulas and cached values) and costs
~60 ms per form on this machine; python-calamine reads values fast but gives neither formulas, data
validations, hidden rows nor defined names. This module reads workbook.xml, its rels, styles.xml (number
formats only), and the worksheets asked for, once, with byte-level regular expressions (C speed), and
decodes only the shared strings that the kept cells reference. bench/validate.py measures the choice.

Safety: guard.inspect() has already rejected DTDs, bombs and oversize parts before this runs. Regex
scanning never expands entities anyway (only the five predefined ones and character references are
decoded). Sheets with XML features the fast path does not model (comments, CDATA, cells or rows without
an ``r`` address) go through a streaming ElementTree parse instead, with the same result.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

MAX_PART_BYTES = 100 * 1024 * 1024  # same as the guard's member limit
_CHUNK = 1024 * 1024

_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class ReadError(ValueError):
    """The package is not a workbook we can read (Chinese message)."""


@dataclass(slots=True)
class Cell:
    value: Any = None  # float | int | str | bool | None; an error value is kept as its text, e.g. "#NAME?"
    formula: str | None = None  # without the leading "="
    type: str = "n"  # the t= attribute: n, s, str, inlineStr, b, e, d
    style: int = 0

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
    cells: dict[str, Cell] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)  # (min, max), 1-based, inclusive
    validations: list[Validation] = field(default_factory=list)
    protected: bool = False

    def col_hidden(self, col: int) -> bool:
        return any(lo <= col <= hi for lo, hi in self.hidden_cols)


@dataclass(slots=True)
class WorkbookData:
    sheet_names: list[str]
    sheet_states: dict[str, str]
    defined_names: dict[str, str]  # workbook-scope name → reference text
    sheets: dict[str, Sheet]  # only the sheets that were asked for and exist
    hiding_styles: frozenset[int]  # cellXfs indices whose number format shows nothing (;;;)


# ------------------------------------------------------------------------------------------------ helpers

_ENTITY = re.compile(rb"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);")
_NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}


def _unescape(raw: bytes) -> str:
    if b"&" not in raw:
        return raw.decode("utf-8", "replace")

    def one(match: re.Match[bytes]) -> bytes:
        key = match.group(1)
        if key.startswith(b"#x"):
            return chr(int(key[2:], 16)).encode("utf-8", "replace")
        if key.startswith(b"#"):
            return chr(int(key[1:])).encode("utf-8", "replace")
        return _NAMED[key].encode()

    return _ENTITY.sub(one, raw).decode("utf-8", "replace")


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {k.split(b":")[-1]: v for k, v in _ATTR.findall(raw)}


_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def split_ref(ref: str) -> tuple[int, int]:
    """'C12' → (12, 3)."""
    match = _REF.match(ref)
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = 0
    for ch in match.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)), col


def col_letter(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def expand_sqref(sqref: Iterable[str]) -> Iterator[str]:
    """Every cell of 'A1:B3 D5' (areas are small on forms; callers cap what they ask)."""
    for area in sqref:
        if ":" in area:
            a, b = area.split(":", 1)
            (r1, c1), (r2, c2) = split_ref(a), split_ref(b)
            for r in range(min(r1, r2), max(r1, r2) + 1):
                for c in range(min(c1, c2), max(c1, c2) + 1):
                    yield f"{col_letter(c)}{r}"
        else:
            yield area.replace("$", "").upper()


def covers(sqref: Iterable[str], ref: str) -> bool:
    row, col = split_ref(ref)
    for area in sqref:
        a, _, b = area.partition(":")
        r1, c1 = split_ref(a)
        r2, c2 = split_ref(b) if b else (r1, c1)
        if min(r1, r2) <= row <= max(r1, r2) and min(c1, c2) <= col <= max(c1, c2):
            return True
    return False


def _utf8(data: bytes) -> bytes:
    """OOXML parts may be UTF-16; everything below scans UTF-8 bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8")
    if data.startswith(b"<\x00"):
        return data.decode("utf-16-le").encode("utf-8")
    if data.startswith(b"\x00<"):
        return data.decode("utf-16-be").encode("utf-8")
    return data


def _read_part(archive: zipfile.ZipFile, part: str) -> bytes:
    with archive.open(part) as member:
        data = member.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise ReadError(f"内部文件 {part} 过大")
    data = _utf8(data)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # defence in depth: the guard rejects these first
        raise ReadError(f"内部文件 {part} 含有 DTD/实体声明")
    return data


def _parse_small(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # no DTD (checked in _read_part): nothing to expand


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# ------------------------------------------------------------------------------------------------ package


def _rels(archive: zipfile.ZipFile, names: set[str], part: str) -> dict[str, str]:
    rels_part = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if rels_part not in names:
        return {}
    base = posixpath.dirname(part)
    out = {}
    for rel in _parse_small(_read_part(archive, rels_part)):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        out[rel.get("Id", "")] = posixpath.normpath(resolved)
    return out


def _workbook_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "_rels/.rels" in names:
        for rel in _parse_small(_read_part(archive, "_rels/.rels")):
            if rel.get("Type", "").endswith("/officeDocument"):
                target = rel.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    raise ReadError("缺少工作簿主体(xl/workbook.xml)")


_HIDING_FORMAT = re.compile(r'^(\s|"")*;(\s|"")*;(\s|"")*;?(\s|"")*$')


def _hiding_styles(archive: zipfile.ZipFile, names: set[str], base: str, rels: dict[str, str]) -> frozenset[int]:
    part = next((p for p in rels.values() if p.endswith("styles.xml")), posixpath.join(base, "styles.xml"))
    if part not in names:
        return frozenset()
    data = _read_part(archive, part)
    hiding = {
        int(a[b"numFmtId"])
        for a in map(_attrs, re.findall(rb"<(?:\w+:)?numFmt\b([^>]*)>", data))
        if b"numFmtId" in a and _HIDING_FORMAT.match(_unescape(a.get(b"formatCode", b"x")))
    }
    if not hiding:
        return frozenset()
    block = re.search(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", data, re.S)
    if block is None:
        return frozenset()
    xfs = re.findall(rb"<(?:\w+:)?xf\b([^>]*)>", block.group(1))
    return frozenset(i for i, raw in enumerate(xfs) if int(_attrs(raw).get(b"numFmtId", b"0")) in hiding)


class SharedStrings:
    """Decoded on demand: forms carry long 评分标准 texts that validation never reads."""

    def __init__(self, data: bytes | None):
        self._items: list[bytes] = []
        if data:
            self._items = re.split(rb"<(?:\w+:)?si(?:\s[^>]*)?>", data)[1:]
        self._cache: dict[int, str] = {}

    def __getitem__(self, index: int) -> str:
        text = self._cache.get(index)
        if text is None:
            raw = self._items[index]
            raw = re.sub(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", b"", raw, flags=re.S)  # phonetic runs
            text = "".join(_unescape(t) for t in re.findall(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", raw, re.S))
            self._cache[index] = text
        return text


def read_workbook(path: Path | str, sheets: Iterable[str] | None = None,
                  max_rows: dict[str, int] | None = None) -> WorkbookData:
    """Read names, sheet list, styles that hide values, and the cells of ``sheets`` (all when None).

    ``max_rows`` bounds the rows kept per sheet (memory stays flat however long a sheet is).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return _read(archive, sheets, max_rows or {})
    except (zipfile.BadZipFile, KeyError, ET.ParseError, EOFError, UnicodeError) as exc:
        raise ReadError(f"工作簿结构无法解析({exc.__class__.__name__})") from exc


def _read(archive: zipfile.ZipFile, wanted: Iterable[str] | None, max_rows: dict[str, int]) -> WorkbookData:
    names = set(archive.namelist())
    wb_part = _workbook_part(archive, names)
    rels = _rels(archive, names, wb_part)
    root = _parse_small(_read_part(archive, wb_part))
    sheet_names: list[str] = []
    states: dict[str, str] = {}
    parts: dict[str, str] = {}
    local_ids: list[str] = []
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "sheet":
            name = el.get("name", "")
            rid = el.get(f"{{{_R_NS}}}id") or next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
            sheet_names.append(name)
            local_ids.append(name)
            states[name] = el.get("state", "visible")
            if rid in rels:
                parts[name] = rels[rid]
    defined: dict[str, str] = {}
    for el in root.iter():
        if _local(el.tag) == "definedName":
            name = el.get("name", "")
            local = el.get("localSheetId")
            if local is not None and local.isdigit() and int(local) < len(local_ids):
                name = f"{local_ids[int(local)]}!{name}"  # sheet-scope names keep their sheet
            defined[name] = (el.text or "").strip()
    base = posixpath.dirname(wb_part)
    sst_part = next((p for p in rels.values() if p.endswith("sharedStrings.xml")), posixpath.join(base, "sharedStrings.xml"))
    sst = SharedStrings(_read_part(archive, sst_part) if sst_part in names else None)
    hiding = _hiding_styles(archive, names, base, rels)
    todo = sheet_names if wanted is None else [n for n in wanted if n in parts]
    sheets: dict[str, Sheet] = {}
    for name in todo:
        part = parts.get(name)
        if part is None or part not in names:
            continue
        sheet = Sheet(name, part, states.get(name, "visible"))
        _read_sheet(archive, part, sheet, sst, max_rows.get(name))
        sheets[name] = sheet
    return WorkbookData(sheet_names, states, defined, sheets, hiding)


# ------------------------------------------------------------------------------------------------ sheets

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ROW = re.compile(rb"<row\b([^>]*)>")
_F = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_V = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_T = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_COL = re.compile(rb"<col\b([^>]*)/?>")
_DV = re.compile(rb"<(\w+:)?dataValidation\b([^>]*?)(?:/>|>(.*?)</\1?dataValidation>)", re.S)
_FORMULA_N = re.compile(rb"<(?:\w+:)?formula([12])>(?:<xm:f>)?(.*?)(?:</xm:f>)?</(?:\w+:)?formula\1>", re.S)
_XM_SQREF = re.compile(rb"<xm:sqref>(.*?)</xm:sqref>", re.S)
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")


def _read_sheet(archive: zipfile.ZipFile, part: str, sheet: Sheet, sst: SharedStrings, max_row: int | None) -> None:
    data = _read_part(archive, part)
    head = data[:512]
    prefixed = re.search(rb"<(\w+):worksheet\b", head) is not None
    if prefixed or b"<!--" in data or b"<![CDATA[" in data:
        _read_sheet_tree(data, sheet, sst, max_row)
        return
    if not _scan_cells(data, sheet, sst, max_row):
        sheet.cells.clear()
        sheet.hidden_rows.clear()
        _read_sheet_tree(data, sheet, sst, max_row)
        return
    _scan_extras(data, sheet)


def _scan_cells(data: bytes, sheet: Sheet, sst: SharedStrings, max_row: int | None) -> bool:
    """Fast path. False when a row or cell has no address (the tree path numbers them)."""
    end = _SHEET_DATA_END.search(data)
    stop = end.start() if end else len(data)
    for raw in _ROW.findall(data, 0, stop):
        attrs = _attrs(raw)
        if b"r" not in attrs:
            return False
        if attrs.get(b"hidden") in (b"1", b"true"):
            sheet.hidden_rows.add(int(attrs[b"r"]))
    shared: dict[bytes, tuple[str, str]] = {}
    for raw_attrs, inner in _CELL.findall(data, 0, stop):
        attrs = _attrs(raw_attrs)
        ref = attrs.get(b"r")
        if ref is None:
            return False
        ref_s = ref.decode()
        if max_row is not None and split_ref(ref_s)[0] > max_row:
            continue
        cell = Cell(type=attrs.get(b"t", b"n").decode(), style=int(attrs.get(b"s", b"0") or 0))
        if inner:
            fm = _F.search(inner)
            if fm is not None:
                cell.formula = _formula(fm.group(1), fm.group(2), ref_s, shared)
            vm = _V.search(inner)
            raw_value = vm.group(1) if vm else None
            if cell.type == "inlineStr":
                raw_value = None
                cell.value = "".join(_unescape(t) for t in _T.findall(inner))
            else:
                cell.value = _value(cell.type, raw_value, sst)
        sheet.cells[ref_s] = cell
    return True


def _formula(raw_attrs: bytes, text: bytes | None, ref: str, shared: dict[bytes, tuple[str, str]]) -> str:
    attrs = _attrs(raw_attrs)
    formula = _unescape(text) if text else ""
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
        return _unescape(raw)
    if kind == "b":
        return raw.strip() in (b"1", b"true")
    text = raw.strip()
    try:
        number = float(text)
    except ValueError:
        return _unescape(raw)
    return int(number) if number.is_integer() and b"." not in text and b"E" not in text.upper() else number


def _scan_extras(data: bytes, sheet: Sheet) -> None:
    end = _SHEET_DATA_END.search(data)
    start = data.find(b"<sheetData")
    before = data[:start] if start >= 0 else b""
    after = data[end.end():] if end else b""
    for raw in _COL.findall(before):
        attrs = _attrs(raw)
        if attrs.get(b"hidden") in (b"1", b"true"):
            sheet.hidden_cols.append((int(attrs.get(b"min", b"1")), int(attrs.get(b"max", b"1"))))
    sheet.protected = re.search(rb"<(?:\w+:)?sheetProtection\b", after) is not None
    for _prefix, raw, inner in _DV.findall(after):
        attrs = _attrs(raw)
        sqref = attrs.get(b"sqref", b"")
        formulas = {n: _unescape(t).strip() for n, t in _FORMULA_N.findall(inner or b"")}
        if not sqref and inner:
            xm = _XM_SQREF.search(inner)
            sqref = xm.group(1) if xm else b""
        sheet.validations.append(Validation(
            sqref=tuple(sqref.decode().split()),
            type=attrs.get(b"type", b"none").decode(),
            operator=attrs.get(b"operator", b"between").decode(),
            formula1=formulas.get(b"1", ""),
            formula2=formulas.get(b"2", ""),
        ))


def _read_sheet_tree(data: bytes, sheet: Sheet, sst: SharedStrings, max_row: int | None) -> None:
    """Slow, general path: a streaming ElementTree parse (rows are cleared as they are read)."""
    import io

    row_no = 0
    col_no = 0
    shared: dict[bytes, tuple[str, str]] = {}
    for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(el.tag)
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
            sqref = el.get("sqref") or next((c.text or "" for c in el.iter() if _local(c.tag) == "sqref"), "")
            f = {_local(c.tag): "".join(c.itertext()).strip() for c in el if _local(c.tag) in ("formula1", "formula2")}
            sheet.validations.append(Validation(tuple(sqref.split()), el.get("type", "none"),
                                                el.get("operator", "between"), f.get("formula1", ""),
                                                f.get("formula2", "")))


def _tree_cell(el: ET.Element, ref: str, sst: SharedStrings, shared: dict[bytes, tuple[str, str]]) -> Cell:
    cell = Cell(type=el.get("t", "n"), style=int(el.get("s", "0") or 0))
    raw_value: bytes | None = None
    for child in el:
        tag = _local(child.tag)
        if tag == "f":
            attrs = " ".join(f'{_local(k)}="{v}"' for k, v in child.attrib.items()).encode()
            text = (child.text or "").replace("&", "&amp;").encode() if child.text else None
            cell.formula = _formula(attrs, text, ref, shared)
        elif tag == "v":
            raw_value = (child.text or "").replace("&", "&amp;").encode()
        elif tag == "is":
            cell.value = "".join(t.text or "" for t in child.iter() if _local(t.tag) == "t")
    if cell.type != "inlineStr":
        cell.value = _value(cell.type, raw_value, sst)
    return cell
