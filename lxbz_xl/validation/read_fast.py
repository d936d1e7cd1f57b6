"""One-pass reader of the parts of an .xlsx that validation needs, straight from the zip.

Why not openpyxl: it builds every cell, style and drawing twice (formulas and cached values) and costs
~60 ms per form on this machine; python-calamine reads values fast but gives neither formulas, data
validations, hidden rows nor defined names. This module reads workbook.xml, its rels, styles.xml (number
formats only), and the worksheets asked for, once, with byte-level regular expressions (C speed), and
decodes only the shared strings that the kept cells reference. bench/validate.py measures the choice.

Safety: guard.inspect() has already rejected DTDs, bombs and oversize parts before this runs; the
scanners never expand entities (xml_scan). Worksheets are read by sheet_scan.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from lxbz_xl.validation.sheet_scan import (
    Cell,
    Cells,
    SharedStrings,
    Sheet,
    Validation,
    local_name,
    read_sheet,
)
from lxbz_xl.validation.xml_scan import ATTR, ReadError, digest, parse_attrs, read_part, split_ref, unescape

__all__ = [
    "Cell",
    "Cells",
    "FastBook",
    "ReadError",
    "Sheet",
    "Validation",
    "WorkbookData",
    "read_workbook",
    "split_ref",
    "unescape",
]


@dataclass(slots=True)
class WorkbookData:
    sheet_names: list[str]
    sheet_states: dict[str, str]
    defined_names: dict[str, str]  # workbook-scope name → reference text
    sheets: dict[str, Sheet]  # only the sheets that were asked for and exist
    hiding_styles: frozenset[int]  # cellXfs indices whose number format shows nothing (;;;)


def _parse_small(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # no DTD (checked in _read_part): nothing to expand


def _rels(archive: zipfile.ZipFile, names: set[str], part: str) -> dict[str, str]:
    rels_part = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if rels_part not in names:
        return {}
    base = posixpath.dirname(part)
    out = {}
    for rel in _parse_small(read_part(archive, rels_part)):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        out[rel.get("Id", "")] = posixpath.normpath(resolved)
    return out


def _workbook_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "_rels/.rels" in names:
        for rel in _parse_small(read_part(archive, "_rels/.rels")):
            if rel.get("Type", "").endswith("/officeDocument"):
                target = rel.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    raise ReadError("缺少工作簿主体(xl/workbook.xml)")


_HIDING_FORMAT = re.compile(r'^(\s|"")*;(\s|"")*;(\s|"")*;?(\s|"")*$')


def _hiding_styles(
    archive: zipfile.ZipFile, names: set[str], base: str, rels: dict[str, str]
) -> frozenset[int]:
    part = next((p for p in rels.values() if p.endswith("styles.xml")), posixpath.join(base, "styles.xml"))
    if part not in names:
        return frozenset()
    data = read_part(archive, part)
    hiding = {
        int(a[b"numFmtId"])
        for a in map(parse_attrs, re.findall(rb"<(?:\w+:)?numFmt\b([^>]*)>", data))
        if b"numFmtId" in a and _HIDING_FORMAT.match(unescape(a.get(b"formatCode", b"x")))
    }
    if not hiding:
        return frozenset()
    block = re.search(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", data, re.S)
    if block is None:
        return frozenset()
    xfs = re.findall(rb"<(?:\w+:)?xf\b([^>]*)>", block.group(1))
    return frozenset(i for i, raw in enumerate(xfs) if int(parse_attrs(raw).get(b"numFmtId", b"0")) in hiding)


_SHEET_TAG = re.compile(rb"<sheet\b([^>]*?)/?>")
_DEFINED_NAME = re.compile(rb"<definedName\b([^>]*)>(.*?)</definedName>", re.S)
_WORKBOOK_CACHE: dict[
    tuple[Any, ...], tuple[tuple[str, ...], dict[str, str], dict[str, str], dict[str, str]]
] = {}


class FastBook:
    """An open submitted workbook: names and sheet list read at once, sheets parsed when asked for.

    Use as a context manager; the file is opened read-only and never written.
    """

    sheet_names: list[str]
    sheet_states: dict[str, str]
    defined_names: dict[str, str]
    _parts: dict[str, str]

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self._archive = zipfile.ZipFile(self.path)
            self._names = set(self._archive.namelist())
            self._read_workbook()
        except ReadError:
            self.close()
            raise
        except (
            zipfile.BadZipFile,
            KeyError,
            ET.ParseError,
            EOFError,
            UnicodeError,
            OSError,
            ValueError,
        ) as exc:
            self.close()
            raise ReadError(f"工作簿结构无法解析({exc.__class__.__name__})") from exc
        self._sst: SharedStrings | None = None
        self._hiding: frozenset[int] | None = None
        self._sheets: dict[tuple[str, int | None], Sheet] = {}

    def __enter__(self) -> FastBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        archive = getattr(self, "_archive", None)
        if archive is not None:
            archive.close()

    def _read_workbook(self) -> None:
        archive, names = self._archive, self._names
        self.workbook_part = _workbook_part(archive, names)
        self._rels = _rels(archive, names, self.workbook_part)
        data = read_part(archive, self.workbook_part)
        self.workbook_digest = digest(data)
        key = (self.workbook_digest, tuple(sorted(self._rels.items())))
        cached = _WORKBOOK_CACHE.get(key)
        if cached is not None:  # submissions of one template share workbook.xml byte for byte
            names_, states, parts, defined = cached
            self.sheet_names, self.sheet_states = list(names_), dict(states)
            self._parts, self.defined_names = dict(parts), dict(defined)
            return
        self.sheet_names = []
        self.sheet_states = {}
        self._parts = {}
        self.defined_names = {}
        if b"<workbook" in data[:2048] and b"<!--" not in data and b"CDATA" not in data:
            self._scan_workbook(data)  # 500+ defined names on a form: a regex scan, not a tree
        else:
            self._tree_workbook(data)
        if len(_WORKBOOK_CACHE) >= 64:
            _WORKBOOK_CACHE.pop(next(iter(_WORKBOOK_CACHE)))
        _WORKBOOK_CACHE[key] = (
            tuple(self.sheet_names),
            dict(self.sheet_states),
            dict(self._parts),
            dict(self.defined_names),
        )

    def _tree_workbook(self, data: bytes) -> None:
        root = _parse_small(data)
        for el in root.iter():
            if local_name(el.tag) == "sheet":
                name = el.get("name", "")
                rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
                self.sheet_names.append(name)
                self.sheet_states[name] = el.get("state", "visible")
                if rid in self._rels:
                    self._parts[name] = self._rels[rid]
        for el in root.iter():
            if local_name(el.tag) == "definedName":
                name = el.get("name", "")
                local = el.get("localSheetId")
                if local is not None and local.isdigit() and int(local) < len(self.sheet_names):
                    name = f"{self.sheet_names[int(local)]}!{name}"  # sheet-scope names keep their sheet
                self.defined_names[name] = (el.text or "").strip()

    def _scan_workbook(self, data: bytes) -> None:
        for raw in _SHEET_TAG.findall(data):
            attrs = parse_attrs(raw)
            name = unescape(attrs.get(b"name", b""))
            rid = next(((v1 or v2).decode() for k, v1, v2 in ATTR.findall(raw) if k.endswith(b":id")), "")
            self.sheet_names.append(name)
            self.sheet_states[name] = attrs.get(b"state", b"visible").decode()
            if rid in self._rels:
                self._parts[name] = self._rels[rid]
        for raw, text in _DEFINED_NAME.findall(data):
            attrs = parse_attrs(raw)
            name = unescape(attrs.get(b"name", b""))
            local = attrs.get(b"localSheetId")
            if local is not None and local.isdigit() and int(local) < len(self.sheet_names):
                name = f"{self.sheet_names[int(local)]}!{name}"
            self.defined_names[name] = unescape(text).strip()

    @property
    def hiding_styles(self) -> frozenset[int]:
        if self._hiding is None:
            base = posixpath.dirname(self.workbook_part)
            try:
                self._hiding = _hiding_styles(self._archive, self._names, base, self._rels)
            except (ValueError, KeyError, zipfile.BadZipFile, EOFError, OSError):
                self._hiding = frozenset()  # unreadable styles: nothing known to hide values
        return self._hiding

    def _shared_strings(self) -> SharedStrings:
        if self._sst is None:
            base = posixpath.dirname(self.workbook_part)
            part = next(
                (p for p in self._rels.values() if p.endswith("sharedStrings.xml")),
                posixpath.join(base, "sharedStrings.xml"),
            )
            self._sst = SharedStrings(read_part(self._archive, part) if part in self._names else None)
        return self._sst

    def sheet(self, name: str, max_row: int | None = None) -> Sheet | None:
        """The sheet's cells (rows past ``max_row`` skipped), hidden rows/columns and validations."""
        key = (name, max_row)
        if key in self._sheets:
            return self._sheets[key]
        part = self._parts.get(name)
        if part is None or part not in self._names:
            return None
        sheet = Sheet(name, part, self.sheet_states.get(name, "visible"))
        try:
            read_sheet(self._archive, part, sheet, self._shared_strings(), max_row)
        except ReadError:
            raise
        except (
            zipfile.BadZipFile,
            ET.ParseError,
            EOFError,
            UnicodeError,
            OSError,
            ValueError,
            IndexError,
        ) as exc:
            raise ReadError(f"工作表「{name}」无法解析({exc.__class__.__name__})") from exc
        self._sheets[key] = sheet
        return sheet


def read_workbook(
    path: Path | str, sheets: Iterable[str] | None = None, max_rows: dict[str, int] | None = None
) -> WorkbookData:
    """Everything at once (tests, the bench): names, sheet list, hiding styles and the sheets asked for."""
    max_rows = max_rows or {}
    with FastBook(path) as book:
        wanted = book.sheet_names if sheets is None else list(sheets)
        found = {n: s for n in wanted if (s := book.sheet(n, max_rows.get(n))) is not None}
        return WorkbookData(
            book.sheet_names, book.sheet_states, book.defined_names, found, book.hiding_styles
        )
