"""One pass per file: the parts validation needs, read straight from the zip by the bounded expat stream.

Why not openpyxl: it builds every cell, style and drawing twice (formulas and cached values) and costs
~60 ms per form; python-calamine reads values fast but gives neither formulas, data validations, hidden
rows nor defined names. Every part is streamed once through xml_stream (expat, DTDs refused, depth,
size, element, text and time limits enforced while streaming), and the same pass collects what the
checks need: the package structure for the guard, sheet names and defined names, number formats,
shared strings, and the cells of the template's rows. :meth:`FastBook.guard_rest` then streams every
member not read yet, so each byte of a file is inflated and parsed once.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxbz_xl.validation import sheet_memo
from lxbz_xl.validation.member_memo import member_digest
from lxbz_xl.validation.number_formats import hides_numbers
from lxbz_xl.validation.numbers_guard import small_int
from lxbz_xl.validation.sheet_fast import read_plain_sheet
from lxbz_xl.validation.sheet_scan import (
    Cell,
    Cells,
    SharedStrings,
    Sheet,
    SheetReader,
    Validation,
    local_name,
)
from lxbz_xl.validation.xml_scan import ReadError, digest, split_ref, unescape
from lxbz_xl.validation.xml_stream import Budget, Handler, StreamError, local, parse_member, read_member

__all__ = [
    "Cell",
    "Cells",
    "ElementList",
    "FastBook",
    "ReadError",
    "Sheet",
    "StreamError",
    "Validation",
    "WorkbookData",
    "read_elements",
    "read_workbook",
    "rels_part",
    "split_ref",
    "unescape",
]

CONTENT_TYPES = "[Content_Types].xml"
EXTERNAL_LINK_TYPE = "externallink"
_XML_SUFFIXES = (".xml", ".rels")
FAST_SHEET_BYTES = 1_000_000  # sheets up to this size may take sheet_fast (below every text/token limit)
_NO_MEMO = b"no memo"  # the digest of a shared-strings table too large to cache


@dataclass(slots=True)
class WorkbookData:
    sheet_names: list[str]
    sheet_states: dict[str, str]
    defined_names: dict[str, str]  # workbook-scope name → reference text
    sheets: dict[str, Sheet]  # only the sheets that were asked for and exist
    hiding_styles: frozenset[int]  # cellXfs indices whose number format shows nothing


class ElementList(Handler):
    """Every element of a small part as (local name, attributes, text): content types, rels, workbook."""

    def __init__(self, limits: Any) -> None:
        super().__init__(limits)
        self.items: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[list[str]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        super().start(name, attrs)
        buf: list[str] = []
        self.items.append((local(name), {local(k): v for k, v in attrs.items()}, buf))
        self._open.append(buf)

    def end(self, name: str) -> None:
        super().end(name)
        self._open.pop()

    def text(self, data: str) -> None:
        super().text(data)
        if self._open:
            self._open[-1].append(data)


def read_elements(
    archive: zipfile.ZipFile, part: str, budget: Budget, source: bytes | None = None
) -> list[tuple[str, dict[str, str], str]]:
    def result(handler: ElementList) -> list[tuple[str, dict[str, str], str]]:
        return [(tag, attrs, "".join(text)) for tag, attrs, text in handler.items]

    found: list[tuple[str, dict[str, str], str]] = parse_cached(
        archive, part, budget, "elements", lambda: ElementList(budget.limits), result, source=source
    )[0]
    return found


# Parts that submissions of one template share byte for byte (workbook.xml, rels, styles, theme ...): a part
# is parsed only the first time a worker meets its bytes, and inflated only the first time it meets them
# stored alike (member_memo). The key is a cryptographic digest of the bytes, never the zip's CRC-32
# (which anyone can forge).
_CACHE: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
_CACHE_SIZE = 256
_CACHE_MAX_PART = 4 * 1024 * 1024


def parse_cached(
    archive: zipfile.ZipFile,
    part: str,
    budget: Budget,
    kind: str,
    make: Callable[[], Any],
    result: Callable[[Any], Any],
    strict: bool = True,
    source: bytes | None = None,
) -> tuple[Any, bytes | None]:
    """(``result(handler)`` after streaming ``part`` into ``make()``, the digest of the member's bytes — None
    for a part too large to cache). The same bytes parsed clean before under the same limits give the same
    (shared) result: callers never mutate it. ``source``: the whole file's bytes, so a member stored as
    before is not even inflated again (member_memo)."""
    if archive.getinfo(part).file_size > _CACHE_MAX_PART:
        handler = make()
        parse_member(archive, part, handler, budget, strict=strict)
        return result(handler), None
    inflated = budget.inflated
    member, data = member_digest(archive, part, budget, source)
    key = (kind, strict, budget.limits, member)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        budget.elements += hit[1]
        if budget.elements > budget.limits.max_elements:
            raise StreamError(
                "xml_too_many_elements",
                f"XML 元素总数超过允许上限 {budget.limits.max_elements:,} 个(在内部文件 {part} 中)",
                part,
            )
        return hit[0], member
    if data is None:  # known stored bytes whose parse was forgotten: inflate them again
        budget.inflated = inflated
        data = read_member(archive, part, budget)
    before = budget.elements
    handler = make()
    parse_member(archive, part, handler, budget, strict=strict, data=data)
    value = result(handler)
    _CACHE[key] = (value, budget.elements - before)
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value, member


_DIGESTS: dict[int, tuple[Any, bytes]] = {}


def _digest_of(elements: list[Any]) -> bytes:
    """A digest of a (cached, shared) element list, computed once per list."""
    known = _DIGESTS.get(id(elements))
    if known is not None and known[0] is elements:
        return known[1]
    value = digest(repr(elements).encode("utf-8", "surrogatepass"))
    if len(_DIGESTS) > _CACHE_SIZE:
        _DIGESTS.clear()
    _DIGESTS[id(elements)] = (elements, value)
    return value


_WORKBOOKS: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _workbook_facts(
    workbook_part: str,
    elements: list[tuple[str, dict[str, str], str]],
    rels_elements: list[tuple[str, dict[str, str], str]] | None,
) -> tuple[Any, ...]:
    """(relationships, external links, sheet names, sheet states, sheet parts, defined names)."""
    external: list[tuple[str, str]] = []  # (rels part or link part, target) of external links
    rels: dict[str, str] = {}
    base = posixpath.dirname(workbook_part)
    for tag, attrs, _text in rels_elements or ():
        if tag != "Relationship":
            continue
        target = attrs.get("Target", "")
        if attrs.get("TargetMode") == "External":
            external.append((rels_part(workbook_part), target))
            continue
        if target:
            rels[attrs.get("Id", "")] = resolve(base, target)
    names: list[str] = []
    states: dict[str, str] = {}
    parts: dict[str, str] = {}
    defined: dict[str, str] = {}
    for tag, attrs, _text in elements:
        if tag == "sheet":
            name = attrs.get("name", "")
            names.append(name)
            states[name] = attrs.get("state", "visible")
            part = rels.get(attrs.get("id", ""))
            if part is not None:
                parts[name] = part
    for tag, attrs, text in elements:
        if tag == "definedName":
            name = attrs.get("name", "")
            index = small_int(attrs.get("localSheetId", ""))
            if index is not None and index < len(names):
                name = f"{names[index]}!{name}"  # sheet-scope names keep their sheet
            defined[name] = text.strip()
    return rels, external, names, states, parts, defined


def rels_part(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def resolve(base: str, target: str) -> str:
    resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
    return posixpath.normpath(resolved)


class _Styles(Handler):
    """Number formats and the cellXfs list of styles.xml."""

    def __init__(self, limits: Any) -> None:
        super().__init__(limits)
        self.formats: dict[int, str] = {}
        self.xfs: list[int] = []
        self._in_xfs = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        super().start(name, attrs)
        tag = local(name)
        if tag == "numFmt":
            number = small_int(attrs.get("numFmtId", ""))
            if number is not None:
                self.formats[number] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            self._in_xfs = True
        elif tag == "xf" and self._in_xfs:
            self.xfs.append(small_int(attrs.get("numFmtId", "0")) or 0)

    def end(self, name: str) -> None:
        super().end(name)
        if local(name) == "cellXfs":
            self._in_xfs = False


@dataclass
class Package:
    """What the guard learnt about the package, handed to the reader so nothing is parsed twice."""

    archive: zipfile.ZipFile
    budget: Budget
    workbook_part: str = "xl/workbook.xml"
    parsed: dict[str, list[tuple[str, dict[str, str], str]]] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)  # members already streamed (and CRC-checked)
    source: bytes | None = None  # the whole file, when it was read whole (see member_memo)

    def elements(self, part: str) -> list[tuple[str, dict[str, str], str]]:
        found = self.parsed.get(part)
        if found is None:
            found = self.parsed[part] = read_elements(self.archive, part, self.budget, self.source)
            self.done.add(part)
        return found


class FastBook:
    """An open submitted workbook: names and sheet list read at once, sheets parsed when asked for.

    Use as a context manager; the file is opened read-only and never written. Limits are enforced while
    streaming; a breach raises :class:`StreamError` (the caller reports it as a finding).
    """

    def __init__(self, path: Path | str, package: Package | None = None, limits: Any = None) -> None:
        self.path = Path(path)
        if package is None:
            from lxbz_xl.validation.guard import DEFAULT_LIMITS

            limits = limits or DEFAULT_LIMITS
            try:
                archive = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise ReadError(f"工作簿结构无法解析({exc.__class__.__name__})") from exc
            package = Package(archive, Budget(limits))
            package.workbook_part = _workbook_part(package)
        self.package = package
        self._archive = package.archive
        self._names = set(self._archive.namelist())
        self.limits = package.budget.limits
        self._sst: SharedStrings | None = None
        self._sst_digest: bytes | None = None
        self._hiding: frozenset[int] | None = None
        self._sheets: dict[str, tuple[int | None, Sheet]] = {}
        try:
            self._read_workbook()
        except (ReadError, StreamError):
            self.close()
            raise

    def __enter__(self) -> FastBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    # -- workbook ---------------------------------------------------------------------------------
    def _read_workbook(self) -> None:
        package = self.package
        self.workbook_part = package.workbook_part
        if self.workbook_part not in self._names:
            raise ReadError("缺少工作簿主体(xl/workbook.xml)")
        rels = rels_part(self.workbook_part)
        rels_elements = package.elements(rels) if rels in self._names else None
        elements = package.elements(self.workbook_part)
        self.workbook_digest = _digest_of(elements)
        # What workbook.xml and its rels say is the same for every submission of a template: derived once
        # per worker from the (shared) element lists, handed out as copies (guard_rest adds to `external`).
        key = (
            self.workbook_part,
            self.workbook_digest,
            None if rels_elements is None else _digest_of(rels_elements),
        )
        known = _WORKBOOKS.get(key)
        if known is None:
            known = _workbook_facts(self.workbook_part, elements, rels_elements)
            if len(_WORKBOOKS) >= _CACHE_SIZE:
                _WORKBOOKS.clear()
            _WORKBOOKS[key] = known
        rels_map, external, names, states, parts, defined = known
        self._rels, self.external = dict(rels_map), list(external)
        self.sheet_names, self.sheet_states = list(names), dict(states)
        self._parts, self.defined_names = dict(parts), dict(defined)

    # -- styles and strings ---------------------------------------------------------------------------
    def _styles_part(self) -> str:
        base = posixpath.dirname(self.workbook_part)
        return next(
            (p for p in self._rels.values() if p.endswith("styles.xml")), posixpath.join(base, "styles.xml")
        )

    @property
    def hiding_styles(self) -> frozenset[int]:
        """cellXfs indices whose number format shows nothing for a number (;;; or all-empty sections)."""
        if self._hiding is None:
            part = self._styles_part()
            if part not in self._names:
                self._hiding = frozenset()
            else:
                self._hiding = parse_cached(
                    self._archive,
                    part,
                    self.package.budget,
                    "styles",
                    lambda: _Styles(self.limits),
                    _hiding,
                    source=self.package.source,
                )[0]
                self.package.done.add(part)
        return self._hiding

    def _shared_strings(self) -> SharedStrings:
        if self._sst is None:
            base = posixpath.dirname(self.workbook_part)
            part = next(
                (p for p in self._rels.values() if p.endswith("sharedStrings.xml")),
                posixpath.join(base, "sharedStrings.xml"),
            )
            if part in self._names:
                self._sst, self._sst_digest = parse_cached(
                    self._archive,
                    part,
                    self.package.budget,
                    "sst",
                    lambda: SharedStrings(self.limits),
                    _same,
                    source=self.package.source,
                )
                if self._sst_digest is None:
                    self._sst_digest = _NO_MEMO  # a huge table: sheets are not memoised with it
                self.package.done.add(part)
            else:
                self._sst = SharedStrings(self.limits)
        return self._sst

    # -- sheets -------------------------------------------------------------------------------------
    def sheet(self, name: str, max_row: int | None = None) -> Sheet | None:
        """The sheet's cells (rows past ``max_row`` skipped), hidden rows/columns, merges and validations."""
        known = self._sheets.get(name)
        if known is not None and (known[0] is None or (max_row is not None and max_row <= known[0])):
            return known[1]
        part = self._parts.get(name)
        if part is None or part not in self._names:
            return None
        sheet = self._read_sheet(Sheet(name, part, self.sheet_states.get(name, "visible")), max_row)
        self._sheets[name] = (max_row, sheet)
        return sheet

    def _read_sheet(self, sheet: Sheet, keep_rows: int | None) -> Sheet:
        """The sheet read from its part: a part read clean before in this worker, byte for byte, is taken
        from the sheet memo; a plain part of a form's size is read by ``sheet_fast`` (rows read before in
        this worker are not parsed again); anything else — and any plain part it declines — streamed."""
        budget, sst, data = self.package.budget, self._shared_strings(), None
        memo_key: tuple[Any, ...] | None = None
        size = self._archive.getinfo(sheet.part).file_size
        elements = budget.elements
        if size < FAST_SHEET_BYTES:
            inflated = budget.inflated
            try:
                member, data = member_digest(self._archive, sheet.part, budget, self.package.source)
                # Only a part met before is worth keeping: one-off sheets (every filled form) never are.
                if data is None and self._sst_digest is not _NO_MEMO:
                    memo_key = (member, keep_rows, self.limits, self._sst_digest)
                if sheet_memo.restore(memo_key, sheet, budget):
                    self.package.done.add(sheet.part)
                    return sheet
                if data is None:  # stored as before, but its reading was not kept: inflate it again
                    budget.inflated = inflated
                    data = read_member(self._archive, sheet.part, budget)
            except StreamError:
                budget.inflated = inflated  # streamed below, which reports what it always reported
                memo_key = data = None
            if data is not None:
                if read_plain_sheet(sheet, data, sst, keep_rows, self.limits, budget):
                    budget.check_time(sheet.part, len(data))
                    self.package.done.add(sheet.part)
                    sheet_memo.keep(memo_key, sheet, budget.elements - elements, size)
                    return sheet
                sheet = Sheet(sheet.name, sheet.part, sheet.state)
        reader = SheetReader(sheet, sst, keep_rows, self.limits)
        try:
            parse_member(self._archive, sheet.part, reader, budget, data=data)
        except StreamError as exc:
            if exc.cell is None and reader.where and reader.in_cell:
                exc.cell = reader.where
            exc.sheet = sheet.name  # type: ignore[attr-defined]
            raise
        reader.finish()
        self.package.done.add(sheet.part)
        sheet_memo.keep(memo_key, sheet, budget.elements - elements, size)
        return sheet

    def guard_rest(self) -> None:
        """Stream every member not read yet: worksheets for their limits and rows (no cells kept), the
        other XML parts for their limits, everything else to its end (CRC). External links are noted."""
        worksheets = {part: name for name, part in self._parts.items()}
        for info in self._archive.infolist():
            part = info.filename
            if info.is_dir() or part in self.package.done:
                continue
            self.package.done.add(part)
            low = part.lower()
            if part in worksheets:
                sheet = Sheet(worksheets[part], part, self.sheet_states.get(worksheets[part], "visible"))
                self._read_sheet(sheet, 0)
            elif low.endswith(".rels"):
                self._note_external(part)
            elif low.endswith(_XML_SUFFIXES):
                parse_cached(
                    self._archive,
                    part,
                    self.package.budget,
                    "xml",
                    lambda: Handler(self.limits),
                    _none,
                    strict=False,
                    source=self.package.source,
                )
                if posixpath.basename(posixpath.dirname(low)) == "externallinks":
                    self.external.append((part, ""))
            else:
                parse_member(self._archive, part, None, self.package.budget, strict=False, prolog_only=True)

    def _note_external(self, rels: str) -> None:
        try:
            elements = self.package.elements(rels)
        except StreamError as exc:
            if exc.code == "corrupt":
                return  # a malformed rels part nothing reads: harmless
            raise
        for tag, attrs, _text in elements:
            if (tag == "Relationship" and attrs.get("TargetMode") == "External") or (
                tag == "Relationship" and attrs.get("Type", "").lower().endswith("/" + EXTERNAL_LINK_TYPE)
            ):
                self.external.append((rels, attrs.get("Target", "")))


def _hiding(styles: _Styles) -> frozenset[int]:
    hiding = {n for n, code in styles.formats.items() if hides_numbers(code)}
    return frozenset(i for i, n in enumerate(styles.xfs) if n in hiding)


def _same(handler: Any) -> Any:
    return handler


def _none(handler: Any) -> None:
    return None


def _workbook_part(package: Package) -> str:
    names = set(package.archive.namelist())
    if "_rels/.rels" in names:
        for tag, attrs, _text in package.elements("_rels/.rels"):
            if tag == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
                target = attrs.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    raise ReadError("缺少工作簿主体(xl/workbook.xml)")


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


__all__ += ["Package", "local_name"]
