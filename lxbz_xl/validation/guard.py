"""Hostile-input guard for submitted Excel workbooks (.xlsx / .xlsm).

Every submitted file is treated as hostile. :func:`inspect` runs bounded checks — stat, magic bytes, the
zip directory and compression ratios — and then streams every member once through the bounded expat
pass of ``xml_stream`` (DTDs refused; nesting depth, token and text length, element count, inflated
bytes, CRC and a per-file time budget enforced while streaming; row counts while reading each sheet). It
never raises for a bad file and never writes to it. ``lxbz validate`` runs the same checks without a
second pass: :func:`open_package` does the container checks and hands the open package to the reader
(``read_fast.FastBook``), which streams the template's sheets first and then every other member.
:func:`open_workbook_safely` hands the file to openpyxl only when nothing fatal was found. Findings carry
a stable English ``code`` for programs and a Chinese ``message`` for the person who submitted the file.

Why each check exists:

* Password-protected OOXML is not a zip at all: Excel stores it as an OLE2/CFB compound file holding
  ``EncryptionInfo`` and ``EncryptedPackage`` streams ([MS-OFFCRYPTO] 2.3.4), the same container as a
  legacy .xls. We read the CFB directory to tell the two apart.
* CPython's ``zipfile`` never yields more than a member's declared size, so declared sizes bound what
  can be inflated; the stream still counts what it inflates, per member and per file.
* expat does not backtrack: its cost is linear in the input, whatever the input, unlike the regular
  expressions this module used before (a 20 s time-out per crafted sheet).
* openpyxl parses XML with defusedxml only when defusedxml is importable and ``OPENPYXL_DEFUSEDXML`` is
  not ``False`` (``openpyxl.DEFUSEDXML``); :func:`require_defusedxml` refuses to run otherwise.
"""

from __future__ import annotations

import codecs
import io
import math
import stat
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from lxbz_xl.validation.read_fast import Package, rels_part
from lxbz_xl.validation.xml_stream import Budget, StreamError

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

__all__ = [
    "DEFAULT_LIMITS",
    "FindingCode",
    "GuardFinding",
    "GuardLimits",
    "UnsafeWorkbookError",
    "inspect",
    "open_workbook_safely",
    "require_defusedxml",
]

MiB = 1024 * 1024

FindingCode = Literal[
    "unreadable",
    "too_large",
    "not_a_zip",
    "wrong_type",
    "encrypted",
    "corrupt",
    "zip_bomb",
    "xml_bomb",
    "macros",
    "too_many_rows",
    "xml_too_deep",
    "xml_attribute_too_long",
    "xml_too_many_elements",
    "xml_text_too_long",
    "parse_timeout",
    "invalid_utf8",
    "bad_crc",
    "unsupported_encoding",
]


@dataclass(frozen=True)
class GuardLimits:
    """Upper bounds for a submitted workbook; tests pass tighter ones."""

    max_file_bytes: int = 20 * MiB
    max_uncompressed_bytes: int = 200 * MiB  # sum over all zip members
    max_member_bytes: int = 100 * MiB
    max_ratio: float = 200  # uncompressed / compressed, per member
    max_members: int = 2000
    max_sheet_rows: int = 100_000  # highest row number per worksheet
    # Checked while streaming each XML part (xml_stream):
    max_depth: int = 64  # element nesting; OOXML needs about 10
    max_token_bytes: int = 2 * MiB  # one start tag with its attributes (or one comment), unbroken
    max_elements: int = 1_000_000  # elements per file, all parts together (a form has ~10,000)
    max_text_chars: int = 1_000_000  # text of one element
    max_parse_seconds: float = 4.0  # CPU time of all parsing of one file (a form takes ~5 ms)


DEFAULT_LIMITS = GuardLimits()


@dataclass(frozen=True)
class GuardFinding:
    """One problem found in a submitted file. ``fatal`` means: do not parse this workbook."""

    code: FindingCode
    message: str
    fatal: bool
    sheet: str | None = None
    part: str | None = None
    cell: str | None = None


class UnsafeWorkbookError(ValueError):
    """Raised by :func:`open_workbook_safely`; ``findings`` holds the fatal findings."""

    def __init__(self, findings: Sequence[GuardFinding]) -> None:
        self.findings = tuple(findings)
        super().__init__(";".join(f.message for f in self.findings))


# --------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------


def inspect(path: Path | str, limits: GuardLimits = DEFAULT_LIMITS) -> list[GuardFinding]:
    """Check a submitted workbook without openpyxl: every member is streamed once through the bounded
    expat pass (xml_stream), with every limit enforced while streaming.

    Returns all findings, stopping at the first fatal one (later checks would read a file we already
    know is unsafe). Never raises for a bad file and never modifies it.
    """
    path = Path(path)
    findings: list[GuardFinding] = []
    opened = open_package(path, limits, findings)
    if opened is None:
        return findings
    from lxbz_xl.validation.read_fast import FastBook, ReadError

    try:
        with FastBook(path, opened) as book:
            book.guard_rest()
    except StreamError as exc:
        findings.append(stream_finding(path, exc))
    except ReadError as exc:
        findings.append(_finding("corrupt", f"{_label(path)}{exc}。{_RESAVE_HINT}"))
    except Exception:
        findings.append(_finding("corrupt", f"{_label(path)}无法解析,文件可能已损坏。{_RESAVE_HINT}"))
    finally:
        opened.archive.close()
    return findings


def open_package(
    path: Path, limits: GuardLimits, findings: list[GuardFinding], data: bytes | None = None
) -> Package | None:
    """The checks before any worksheet is parsed (size, magic bytes, zip directory, content types,
    workbook part, macros). Returns the open package for the reader, or None after a fatal finding.
    ``data``: the file's bytes when the caller has read it whole (:func:`read_whole`); they are checked
    and read instead of the file, so what was hashed is what is checked."""
    try:
        return _run_checks(path, limits, findings, data)
    except _Fatal as stop:
        findings.append(stop.finding)
    except StreamError as exc:
        findings.append(stream_finding(path, exc))
    except Exception:
        # Last line of defence: whatever a hostile file triggers must become a finding, not a crash.
        findings.append(_finding("corrupt", f"{_label(path)}无法解析,文件可能已损坏。{_RESAVE_HINT}"))
    return None


def stream_finding(path: Path, exc: StreamError) -> GuardFinding:
    """A limit or format problem found while streaming, as a fatal finding naming the file and part."""
    label = _label(path)
    detail = exc.detail
    joined = f"{label}{detail}" if detail.startswith(("的", "内部文件")) else f"{label}的{detail}"
    if exc.code in ("corrupt", "bad_crc", "invalid_utf8", "unsupported_encoding"):
        joined += f"。{_RESAVE_HINT}"
    sheet = getattr(exc, "sheet", None)
    return _finding(exc.code, joined, sheet=sheet, part=exc.part, cell=exc.cell)  # type: ignore[arg-type]


def require_defusedxml() -> None:
    """Raise ``RuntimeError`` unless openpyxl parses XML through defusedxml."""
    import openpyxl
    from openpyxl.xml import functions

    module = getattr(functions.iterparse, "__module__", "") or ""
    if openpyxl.DEFUSEDXML is not True or not module.startswith("defusedxml"):
        raise RuntimeError(
            "openpyxl is not using defusedxml (openpyxl.DEFUSEDXML is False): install defusedxml and "
            "make sure OPENPYXL_DEFUSEDXML is not set to 'False' before openpyxl is imported"
        )


def open_workbook_safely(
    path: Path | str,
    *,
    data_only: bool,
    read_only: bool = False,
    limits: GuardLimits = DEFAULT_LIMITS,
) -> Workbook:
    """Load a submitted workbook with openpyxl after :func:`inspect` found nothing fatal.

    VBA and external links are never kept. Raises :class:`UnsafeWorkbookError` (Chinese message,
    ``findings`` attached) for unsafe or unparseable files and ``RuntimeError`` if openpyxl is not
    protected by defusedxml. With ``read_only=True`` the caller must ``close()`` the workbook.
    """
    import openpyxl

    require_defusedxml()
    path = Path(path)
    fatal = [f for f in inspect(path, limits) if f.fatal]
    if fatal:
        raise UnsafeWorkbookError(fatal)
    try:
        return openpyxl.load_workbook(
            path, read_only=read_only, data_only=data_only, keep_vba=False, keep_links=False
        )
    except Exception as exc:
        # The guard cannot foresee every malformed-but-harmless file; report it like any other.
        message = f"{_label(path)}无法被读取为 Excel 工作簿,文件可能已损坏。{_RESAVE_HINT}"
        raise UnsafeWorkbookError([_finding("corrupt", message)]) from exc


# --------------------------------------------------------------------------------------------------
# Check pipeline (each step raises _Fatal to stop)
# --------------------------------------------------------------------------------------------------

_ALLOWED = "仅接受 .xlsx 或 .xlsm 格式的 Excel 工作簿"
_RESAVE = "用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
_RESAVE_HINT = "请" + _RESAVE
_SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # what openpyxl.load_workbook accepts
_HEAD_BYTES = 8192


class _Fatal(Exception):
    def __init__(self, finding: GuardFinding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _finding(
    code: FindingCode,
    message: str,
    *,
    fatal: bool = True,
    sheet: str | None = None,
    part: str | None = None,
    cell: str | None = None,
) -> GuardFinding:
    return GuardFinding(code=code, message=message, fatal=fatal, sheet=sheet, part=part, cell=cell)


def _stop(code: FindingCode, message: str, *, sheet: str | None = None, part: str | None = None) -> _Fatal:
    return _Fatal(_finding(code, message, sheet=sheet, part=part))


def _label(path: Path) -> str:
    return f"文件「{path.name}」"


def read_whole(path: Path, limits: GuardLimits) -> bytes | None:
    """A regular file of at most ``max_file_bytes`` read in one go (None otherwise, or when it cannot be
    read: :func:`open_package` then reports it from the file itself, as before)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or not 0 < info.st_size <= limits.max_file_bytes:
            return None
        with path.open("rb") as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except OSError:
        return None
    return data if 0 < len(data) <= limits.max_file_bytes else None


def _run_checks(
    path: Path, limits: GuardLimits, findings: list[GuardFinding], data: bytes | None = None
) -> Package:
    label = _label(path)
    size = _check_size(path, limits, label)
    if data is not None:
        size = len(data)
    try:
        with path.open("rb") if data is None else io.BytesIO(data) as fh:
            head = fh.read(_HEAD_BYTES)
            _check_magic(fh, head, label)
            _check_declared_entry_count(fh, size, limits, label)
    except OSError as exc:
        raise _stop("unreadable", f"{label}无法读取({exc.strerror or '读取失败'})。请重新上传") from exc
    try:
        archive = zipfile.ZipFile(path if data is None else io.BytesIO(data))
    except Exception as exc:
        raise _stop("corrupt", f"{label}不是完整的 Excel 文件(压缩结构损坏)。{_RESAVE_HINT}") from exc
    try:
        infos = _check_members(archive, limits, label)
        package = Package(archive, Budget(limits), source=data)
        info = _read_package(package, infos, label)
        _check_extension(path, label)
        findings.extend(_macro_findings(info, label))
    except BaseException:
        archive.close()
        raise
    return package


def _check_size(path: Path, limits: GuardLimits, label: str) -> int:
    try:
        info = path.stat()
    except OSError as exc:
        raise _stop("unreadable", f"{label}无法读取({exc.strerror or '读取失败'})。请重新上传") from exc
    if not stat.S_ISREG(info.st_mode):
        raise _stop("unreadable", f"{label}不是普通文件,无法读取。{_ALLOWED}")
    if info.st_size == 0:
        raise _stop("corrupt", f"{label}是空文件(0 字节)。{_ALLOWED}")
    if info.st_size > limits.max_file_bytes:
        raise _stop(
            "too_large",
            f"{label}过大:{fmt_bytes(info.st_size)},允许上限 {fmt_bytes(limits.max_file_bytes)}",
        )
    return info.st_size


# --------------------------------------------------------------------------------------------------
# Magic bytes
# --------------------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF 文档"),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文档"),
    (b"PK\x05\x06", "空的 ZIP 压缩包"),
)


def _check_magic(fh: IO[bytes], head: bytes, label: str) -> None:
    if head.startswith(_ZIP_MAGIC):
        return
    if head.startswith(_CFB_MAGIC):
        raise _Fatal(_cfb_finding(fh, label))
    kind = _sniff(head)
    if kind is not None:
        raise _stop("wrong_type", _foreign_message(label, kind))
    raise _stop("not_a_zip", f"{label}不是有效的 Excel 工作簿(无法识别的文件内容)。{_ALLOWED}")


def _foreign_message(label: str, kind: str) -> str:
    return f"{label}不是 Excel 工作簿(实际格式:{kind})。{_ALLOWED}"


def _sniff(head: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:2048]:
        return "网页(HTML)文件(常见于系统“导出 Excel”功能)"
    if text.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return "Excel 2003 XML 表格"
        return "XML 文件"
    if _looks_like_text(head):
        return "文本文件(如 CSV)"
    return None


def _looks_like_text(head: bytes) -> bool:
    if any(b < 0x20 and b not in b"\t\n\r\f" for b in head):
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # Not final: the sample may end in the middle of a multi-byte character.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


# --------------------------------------------------------------------------------------------------
# OLE2 / CFB: encrypted OOXML or legacy binary Office file
# --------------------------------------------------------------------------------------------------

_CFB_MAXREGSECT = 0xFFFFFFFA
_CFB_MAX_DIR_SECTORS = 1024  # the streams we look for sit in the root storage, near the start


def _cfb_finding(fh: IO[bytes], label: str) -> GuardFinding:
    try:
        names = {name.lower() for name in _cfb_entry_names(fh)}
    except (OSError, struct.error, ValueError):
        names = set()
    if names & {"encryptioninfo", "encryptedpackage"}:
        return _finding("encrypted", f"{label}已加密(设置了打开密码),无法读取。请取消密码并{_RESAVE}")
    if names & {"workbook", "book"}:
        return _finding("wrong_type", f"{label}是旧版 Excel 97-2003(.xls)格式。{_ALLOWED},{_RESAVE_HINT}")
    if "worddocument" in names:
        return _finding("wrong_type", _foreign_message(label, "Word 97-2003 文档(.doc)"))
    if "powerpoint document" in names:
        return _finding("wrong_type", _foreign_message(label, "PowerPoint 97-2003 演示文稿(.ppt)"))
    return _finding("encrypted", f"{label}是加密或旧版 .xls 格式,无法读取。{_ALLOWED},请取消密码并{_RESAVE}")


def _cfb_entry_names(fh: IO[bytes]) -> set[str]:
    """Names in a compound file's directory ([MS-CFB] 2.2 header, 2.6 directory entries)."""
    fh.seek(0)
    header = fh.read(512)
    if len(header) < 512:
        return set()
    major, _byte_order, shift = struct.unpack_from("<HHH", header, 26)
    if (major, shift) not in ((3, 9), (4, 12)):
        return set()
    sector_size = 1 << shift
    fat = _cfb_fat_sectors(fh, header, sector_size)
    names: set[str] = set()
    sector: int = struct.unpack_from("<I", header, 48)[0]
    seen: set[int] = set()
    while sector <= _CFB_MAXREGSECT and sector not in seen and len(seen) < _CFB_MAX_DIR_SECTORS:
        seen.add(sector)
        fh.seek((sector + 1) * sector_size)
        block = fh.read(sector_size)
        for offset in range(0, len(block) - 127, 128):
            name_len = struct.unpack_from("<H", block, offset + 64)[0]
            if block[offset + 66] != 0 and 2 <= name_len <= 64:
                names.add(block[offset : offset + name_len - 2].decode("utf-16-le", "replace"))
        sector = _cfb_next_sector(fh, fat, sector, sector_size)
    return names


def _cfb_fat_sectors(fh: IO[bytes], header: bytes, sector_size: int) -> list[int]:
    """FAT sector locations: 109 in the header, the rest in a chain of DIFAT sectors."""
    sectors = list(struct.unpack_from("<109I", header, 76))
    per_block = sector_size // 4 - 1  # the last slot links to the next DIFAT sector
    next_difat, count = struct.unpack_from("<II", header, 68)
    for _ in range(min(count, _CFB_MAX_DIR_SECTORS)):
        if next_difat > _CFB_MAXREGSECT:
            break
        fh.seek((next_difat + 1) * sector_size)
        block = fh.read(sector_size)
        if len(block) < sector_size:
            break
        values = struct.unpack_from(f"<{per_block + 1}I", block)
        sectors.extend(values[:per_block])
        next_difat = values[per_block]
    return [s for s in sectors if s <= _CFB_MAXREGSECT]


def _cfb_next_sector(fh: IO[bytes], fat: list[int], sector: int, sector_size: int) -> int:
    index, slot = divmod(sector, sector_size // 4)
    if index >= len(fat):
        return 0xFFFFFFFE  # ENDOFCHAIN
    fh.seek((fat[index] + 1) * sector_size + slot * 4)
    raw = fh.read(4)
    return struct.unpack("<I", raw)[0] if len(raw) == 4 else 0xFFFFFFFE


# --------------------------------------------------------------------------------------------------
# Zip structure and zip bombs
# --------------------------------------------------------------------------------------------------

_RATIO_MIN_BYTES = 1 * MiB  # tiny parts (styles, empty sheets) legitimately compress very well
_META_MAX_BYTES = 8 * MiB  # [Content_Types].xml, workbook.xml and its rels are parsed whole


def _check_declared_entry_count(fh: IO[bytes], size: int, limits: GuardLimits, label: str) -> None:
    """Read the entry count from the end-of-central-directory record before ``zipfile`` builds a
    ZipInfo per entry, so a directory of millions of entries costs nothing."""
    tail_len = min(size, 22 + 0xFFFF)  # EOCD record + longest possible comment
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        raise _stop("corrupt", f"{label}不完整或已损坏(找不到压缩目录,可能上传中断)。{_RESAVE_HINT}")
    count = struct.unpack_from("<H", tail, pos + 10)[0]
    if count == 0xFFFF and pos >= 20 and tail[pos - 20 : pos - 16] == b"PK\x06\x07":
        count = _zip64_entry_count(fh, struct.unpack_from("<Q", tail, pos - 12)[0], size) or count
    if count > limits.max_members:
        raise _stop("zip_bomb", _members_message(label, count, limits))


def _zip64_entry_count(fh: IO[bytes], offset: int, size: int) -> int | None:
    if offset + 56 > size:
        return None
    fh.seek(offset)
    record = fh.read(56)
    if record[:4] != b"PK\x06\x06":
        return None
    return int(struct.unpack_from("<Q", record, 32)[0])


def _members_message(label: str, count: int, limits: GuardLimits) -> str:
    return f"{label}内部包含 {count:,} 个文件,超过允许上限 {limits.max_members:,} 个(疑似压缩炸弹)"


def _check_members(archive: zipfile.ZipFile, limits: GuardLimits, label: str) -> list[zipfile.ZipInfo]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_members:
        raise _stop("zip_bomb", _members_message(label, len(infos), limits))
    total = 0
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise _stop("encrypted", f"{label}内部文件 {name} 已加密,无法读取。{_RESAVE_HINT}", part=name)
        if info.file_size > limits.max_member_bytes:
            raise _stop(
                "zip_bomb",
                f"{label}内部文件 {name} 解压后 {fmt_bytes(info.file_size)},"
                f"超过允许上限 {fmt_bytes(limits.max_member_bytes)}(疑似压缩炸弹)",
                part=name,
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= _RATIO_MIN_BYTES and ratio > limits.max_ratio:
            raise _stop(
                "zip_bomb",
                f"{label}内部文件 {name} 压缩比 {ratio:,.0f} 倍,超过允许上限 {limits.max_ratio:,.0f} 倍"
                "(疑似压缩炸弹)",
                part=name,
            )
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        raise _stop(
            "zip_bomb",
            f"{label}解压后总大小 {fmt_bytes(total)},超过允许上限 "
            f"{fmt_bytes(limits.max_uncompressed_bytes)}(疑似压缩炸弹)",
        )
    return infos


# --------------------------------------------------------------------------------------------------
# Package structure: content types, workbook part, sheets, macros
# --------------------------------------------------------------------------------------------------

_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "application/vnd.ms-excel.template.macroEnabled.main+xml",
    }
)
_VBA_TYPE = "application/vnd.ms-office.vbaproject"
_MACRO_SHEET_TYPES = frozenset(
    {"application/vnd.ms-excel.macrosheet+xml", "application/vnd.ms-excel.intlmacrosheet+xml"}
)


@dataclass(frozen=True)
class _Package:
    names: frozenset[str]
    content_types: tuple[str, ...]  # every Override and Default content type, lower-cased
    workbook_part: str
    workbook_type: str


def _read_package(package: Package, infos: list[zipfile.ZipInfo], label: str) -> _Package:
    names = frozenset(info.filename for info in infos)
    if _CONTENT_TYPES not in names:
        raise _stop("wrong_type", _foreign_message(label, _foreign_package(names) or "普通 ZIP 压缩包"))
    overrides, defaults = _content_types(package, label)
    workbook_part = next((p for p, t in overrides.items() if t in _WORKBOOK_TYPES), None)
    if workbook_part is None and "xl/workbook.xml" in names:
        workbook_part = "xl/workbook.xml"
    if workbook_part is None or workbook_part not in names:
        foreign = _foreign_package(names)
        if foreign is not None:
            raise _stop("wrong_type", _foreign_message(label, foreign))
        raise _stop("corrupt", f"{label}缺少工作簿主体(xl/workbook.xml),文件已损坏。{_RESAVE_HINT}")
    _check_small(package, workbook_part, label)
    package.workbook_part = workbook_part
    rels = rels_part(workbook_part)
    if rels in names:
        _check_small(package, rels, label)
    return _Package(
        names=names,
        content_types=tuple(t.lower() for t in (*overrides.values(), *defaults.values())),
        workbook_part=workbook_part,
        workbook_type=overrides.get(workbook_part, ""),
    )


def _foreign_package(names: frozenset[str]) -> str | None:
    if "mimetype" in names and ("content.xml" in names or "META-INF/manifest.xml" in names):
        return "OpenDocument 文件(如 .ods/.odt)"
    if "word/document.xml" in names:
        return "Word 文档(.docx)"
    if "ppt/presentation.xml" in names:
        return "PowerPoint 演示文稿(.pptx)"
    return None


def _content_types(package: Package, label: str) -> tuple[dict[str, str], dict[str, str]]:
    overrides: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for kind, attrs, _text in _check_small(package, _CONTENT_TYPES, label):
        if kind == "Override":
            overrides[attrs.get("PartName", "").lstrip("/")] = attrs.get("ContentType", "")
        elif kind == "Default":
            defaults[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")
    return overrides, defaults


def _check_small(package: Package, part: str, label: str) -> list[tuple[str, dict[str, str], str]]:
    """Content types, workbook.xml and its rels are kept whole (as element lists): bounded first."""
    size = package.archive.getinfo(part).file_size
    if size > _META_MAX_BYTES:
        raise _stop(
            "too_large",
            f"{label}内部文件 {part} 过大:{fmt_bytes(size)},允许上限 {fmt_bytes(_META_MAX_BYTES)}",
            part=part,
        )
    return package.elements(part)


def _check_extension(path: Path, label: str) -> None:
    suffix = path.suffix.lower()
    if suffix not in _SUPPORTED_SUFFIXES:
        shown = suffix or "(无扩展名)"
        raise _stop("wrong_type", f"{label}的内容是 Excel 工作簿,但扩展名为 {shown}。{_ALLOWED},请改正扩展名")


def _macro_findings(package: _Package, label: str) -> list[GuardFinding]:
    """Macros are reported, never executed (openpyxl is called with keep_vba=False)."""
    lowered = {name.lower(): name for name in package.names}
    vba_part = next((name for low, name in lowered.items() if low.endswith("vbaproject.bin")), None)
    kinds: list[str] = []
    if vba_part is not None or _VBA_TYPE in package.content_types:
        kinds.append("VBA 宏")
    if any(low.startswith("xl/macrosheets/") for low in lowered) or any(
        t in _MACRO_SHEET_TYPES for t in package.content_types
    ):
        kinds.append("Excel 4.0 宏表")
    if not kinds and "macroenabled" in package.workbook_type.lower():
        kinds.append("启用宏的工作簿格式")
    if not kinds:
        return []
    message = f"{label}包含{'、'.join(kinds)}。系统不会运行宏,只读取单元格数据;建议另存为不含宏的 .xlsx"
    return [_finding("macros", message, fatal=False, part=vba_part)]


# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------


def fmt_bytes(n: int) -> str:
    """Human size, rounded *up* to 0.1 so an over-limit size never prints equal to the limit."""
    if n < 1024:
        return f"{n} 字节"
    value, unit = (n / MiB, "MB") if n >= MiB else (n / 1024, "KB")
    rounded = math.ceil(value * 10 - 1e-9) / 10
    return f"{rounded:.1f}".removesuffix(".0") + f" {unit}"
