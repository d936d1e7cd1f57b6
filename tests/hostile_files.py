"""Builders for real hostile workbook files, used by test_guard.py and bench/guard_memory.py.

Each builder writes one file into ``directory`` and returns its path. Large payloads (zip bombs, a
million-row sheet) are streamed into the zip in chunks so that building them stays fast and small
in memory.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import openpyxl

MiB = 1024 * 1024
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET1 = "xl/worksheets/sheet1.xml"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

Payload = bytes | Iterable[bytes]


# --------------------------------------------------------------------------------------------------
# Clean workbook and zip rewriting
# --------------------------------------------------------------------------------------------------


def clean_workbook_bytes() -> bytes:
    """A small, ordinary openpyxl workbook: two sheets, Chinese text, numbers and a formula."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "评分表"
    ws.append(["指标", "分值", "得分"])
    ws.append(["政治建设", 20, 18.5])
    ws.append(["作风建设", 30, 27])
    ws["C4"] = "=SUM(C2:C3)"
    wb.create_sheet("说明")["A1"] = "按考评细则打分"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def clean_workbook(directory: Path, name: str = "clean.xlsx") -> Path:
    path = directory / name
    path.write_bytes(clean_workbook_bytes())
    return path


def repack(
    source: bytes,
    path: Path,
    *,
    replace: Mapping[str, Payload] | None = None,
    add: Mapping[str, Payload] | None = None,
    compresslevel: int = 6,
) -> Path:
    """Copy the members of ``source`` into a new zip at ``path``, swapping or adding parts.

    Payloads given as iterables are streamed member by member, never held whole in memory.
    """
    replace = dict(replace or {})
    with (
        zipfile.ZipFile(io.BytesIO(source)) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as dst,
    ):
        for info in src.infolist():
            payload = replace.pop(info.filename, None)
            _write_member(dst, info.filename, src.read(info) if payload is None else payload)
        for name, payload in {**replace, **(add or {})}.items():
            _write_member(dst, name, payload)
    return path


def _write_member(archive: zipfile.ZipFile, name: str, payload: Payload) -> None:
    if isinstance(payload, bytes):
        archive.writestr(name, payload)
        return
    with archive.open(name, "w", force_zip64=True) as member:
        for chunk in payload:
            member.write(chunk)


def _edit(source: bytes, part: str, old: bytes, new: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        data = archive.read(part)
    assert old in data, f"{old!r} not in {part}"
    return data.replace(old, new, 1)


# --------------------------------------------------------------------------------------------------
# Not a workbook at all
# --------------------------------------------------------------------------------------------------


def random_garbage(directory: Path, size: int = 64 * 1024) -> Path:
    path = directory / "garbage.xlsx"
    path.write_bytes(b"\x00\x13\x37" + random.Random(20240601).randbytes(size))
    return path


def pdf_renamed(directory: Path) -> Path:
    path = directory / "report.xlsx"
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return path


def html_renamed(directory: Path) -> Path:
    """What many web systems produce from an "export to Excel" button."""
    path = directory / "export.xlsx"
    html = "<html><head><meta charset='utf-8'></head><body><table><tr><td>指标</td><td>得分</td></tr></table>"
    path.write_bytes(html.encode())
    return path


def csv_renamed(directory: Path) -> Path:
    path = directory / "scores.xlsx"
    path.write_bytes("指标,分值,得分\n政治建设,20,18.5\n作风建设,30,27\n".encode("gb18030"))
    return path


def docx_renamed(directory: Path) -> Path:
    path = directory / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr("word/document.xml", "<document/>")
    return path


def wrong_extension(directory: Path) -> Path:
    """A perfectly good .xlsx named .xls: openpyxl.load_workbook would refuse the name."""
    return clean_workbook(directory, "scores.xls")


def oversize_sparse(directory: Path, size: int = 21 * MiB) -> Path:
    """A zip-looking file of ``size`` bytes; sparse on disk, so writing it is instant."""
    path = directory / "huge.xlsx"
    with path.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(size)
    return path


# --------------------------------------------------------------------------------------------------
# Damaged zips
# --------------------------------------------------------------------------------------------------


def truncated_zip(directory: Path) -> Path:
    data = clean_workbook_bytes()
    path = directory / "truncated.xlsx"
    path.write_bytes(data[: len(data) * 3 // 5])
    return path


def damaged_member(directory: Path) -> Path:
    """Central directory intact, but the deflate data of the first worksheet overwritten."""
    data = bytearray(clean_workbook_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(SHEET1)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start : start + info.compress_size] = random.Random(7).randbytes(info.compress_size)
    path = directory / "damaged.xlsx"
    path.write_bytes(bytes(data))
    return path


# --------------------------------------------------------------------------------------------------
# OLE2 / CFB: password-protected OOXML and legacy binary files
# --------------------------------------------------------------------------------------------------


def _cfb(stream_names: Iterable[str]) -> bytes:
    """A minimal, valid version-3 compound file ([MS-CFB]) whose root holds empty streams."""
    free, end, fat_sect, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    entries = [("Root Entry", 5), *((name, 2) for name in stream_names)]
    dir_sectors = -(-len(entries) // 4)  # four 128-byte entries per 512-byte sector
    header = bytearray(512)
    header[:8] = CFB_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 44, 1, 1, 0)  # 1 FAT sector, directory starts at sector 1
    struct.pack_into("<IIIII", header, 56, 4096, end, 0, end, 0)  # no mini FAT, no DIFAT chain
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))  # the FAT lives in sector 0
    fat = [fat_sect, *range(2, dir_sectors + 1), end]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + b"\xff" * (512 - 4 * len(fat))
    directory = bytearray(512 * dir_sectors)
    for index, (name, kind) in enumerate(entries):
        raw = (name + "\0").encode("utf-16-le")
        offset = index * 128
        directory[offset : offset + len(raw)] = raw
        child = 1 if kind == 5 and len(entries) > 1 else no_stream
        right = index + 1 if kind == 2 and index + 1 < len(entries) else no_stream
        struct.pack_into("<HBBIII", directory, offset + 64, len(raw), kind, 1, no_stream, right, child)
        struct.pack_into("<IQ", directory, offset + 116, end, 0)
    return bytes(header) + fat_sector + bytes(directory)


def encrypted_cfb(directory: Path) -> Path:
    """The layout Excel uses for a password-protected .xlsx ([MS-OFFCRYPTO] 2.3.4)."""
    path = directory / "secret.xlsx"
    path.write_bytes(_cfb(["\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"]))
    return path


def legacy_xls_cfb(directory: Path) -> Path:
    path = directory / "old.xlsx"
    path.write_bytes(_cfb(["Workbook", "\x05SummaryInformation", "\x05DocumentSummaryInformation"]))
    return path


def unknown_cfb(directory: Path) -> Path:
    path = directory / "mystery.xlsx"
    path.write_bytes(_cfb(["Something"]))
    return path


def really_encrypted(directory: Path, password: str = "123456") -> Path:
    """Encrypt a clean workbook with msoffcrypto-tool (optional dependency: callers skip without it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    path = directory / "protected.xlsx"
    with io.BytesIO(clean_workbook_bytes()) as plain, path.open("wb") as out:
        OOXMLFile(plain).encrypt(password, out)
    return path


# --------------------------------------------------------------------------------------------------
# Zip bombs
# --------------------------------------------------------------------------------------------------


def _zeros(total: int, chunk: int = MiB) -> Iterator[bytes]:
    block = bytes(chunk)
    for start in range(0, total, chunk):
        yield block[: min(chunk, total - start)]


def zip_bomb(directory: Path, payload_bytes: int = 300 * MiB, compresslevel: int = 1) -> Path:
    """A valid workbook carrying one member of ``payload_bytes`` zeros (level 1: fast to build)."""
    path = directory / "bomb.xlsx"
    return repack(
        clean_workbook_bytes(),
        path,
        add={"xl/media/image1.bin": _zeros(payload_bytes)},
        compresslevel=compresslevel,
    )


def ratio_bomb(directory: Path, payload_bytes: int = 8 * MiB) -> Path:
    """Under every size limit, but ~1000:1 compression."""
    path = directory / "ratio.xlsx"
    return repack(
        clean_workbook_bytes(), path, add={"xl/media/image1.bin": _zeros(payload_bytes)}, compresslevel=9
    )


def many_members(directory: Path, count: int = 2001) -> Path:
    path = directory / "many.xlsx"
    extra: dict[str, Payload] = {f"xl/media/p{i}.bin": b"x" for i in range(count)}
    return repack(clean_workbook_bytes(), path, add=extra)


# --------------------------------------------------------------------------------------------------
# XML bombs
# --------------------------------------------------------------------------------------------------

_LAUGHS = b"".join(
    b'<!ENTITY lol%d "%s">\n' % (level, b"".join(b"&lol%d;" % (level - 1) for _ in range(10)))
    for level in range(1, 10)
)


def _incompressible_letters(size: int) -> bytes:
    """Random ASCII letters: cannot end a comment and do not trip the compression-ratio check."""
    letters = bytes(range(ord("a"), ord("z") + 1)) * 10  # 260 >= 256 entries for the table
    return random.Random(3).randbytes(size).translate(letters[:256])


def billion_laughs_sheet(prolog_padding: int = 0) -> bytes:
    """A worksheet whose one cell expands to 10**9 "lol"s; ``prolog_padding`` bytes of comment come
    first, to defeat guards that only look at the first few KB."""
    padding = b"<!--" + _incompressible_letters(prolog_padding) + b"-->\n" if prolog_padding else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + padding
        + b'<!DOCTYPE worksheet [\n<!ENTITY lol0 "lol">\n'
        + _LAUGHS
        + b"]>\n"
        + f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'.encode()
        + b"&lol9;</t></is></c></row></sheetData></worksheet>"
    )


def billion_laughs(directory: Path, prolog_padding: int = 0) -> Path:
    path = directory / "laughs.xlsx"
    return repack(clean_workbook_bytes(), path, replace={SHEET1: billion_laughs_sheet(prolog_padding)})


def xxe_shared_strings(directory: Path) -> Path:
    """External entity (file read / SSRF attempt) in a sharedStrings part openpyxl would parse."""
    source = clean_workbook_bytes()
    sst = (
        b'<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + f'<sst xmlns="{SHEET_NS}" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>'.encode()
    )
    types = _edit(
        source,
        "[Content_Types].xml",
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    path = directory / "xxe.xlsx"
    return repack(source, path, replace={"[Content_Types].xml": types}, add={"xl/sharedStrings.xml": sst})


def dtd_in_content_types(directory: Path) -> Path:
    source = clean_workbook_bytes()
    types = _edit(source, "[Content_Types].xml", b"<Types ", b'<!DOCTYPE Types [<!ENTITY a "b">]><Types ')
    path = directory / "types_dtd.xlsx"
    return repack(source, path, replace={"[Content_Types].xml": types})


# --------------------------------------------------------------------------------------------------
# Macros
# --------------------------------------------------------------------------------------------------


def xlsm_with_vba(directory: Path) -> Path:
    """A macro-enabled workbook with a vbaProject.bin (a CFB blob; never executed by anyone)."""
    source = clean_workbook_bytes()
    types = _edit(source, "[Content_Types].xml", MAIN_TYPE, MACRO_MAIN_TYPE).replace(
        b"<Default ",
        b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ',
        1,
    )
    rels = _edit(
        source,
        "xl/_rels/workbook.xml.rels",
        b"</Relationships>",
        b'<Relationship Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        b'Target="vbaProject.bin" Id="rIdVba"/></Relationships>',
    )
    path = directory / "macro.xlsm"
    return repack(
        source,
        path,
        replace={"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
        add={"xl/vbaProject.bin": _cfb(["VBA", "PROJECT", "PROJECTwm"])},
    )


# --------------------------------------------------------------------------------------------------
# Row floods
# --------------------------------------------------------------------------------------------------


def rows_sheet(
    rows: int,
    *,
    dimension: str | None = None,
    prefix: str = "",
    explicit_r: bool = True,
    batch: int = 10_000,
) -> Iterator[bytes]:
    """Stream a worksheet of ``rows`` one-cell rows; ``prefix`` writes e.g. ``<x:row>`` tags."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{SHEET_NS}"' if prefix else f'xmlns="{SHEET_NS}"'
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}worksheet {xmlns}>'.encode()
    if dimension is not None:
        yield f'<{p}dimension ref="{dimension}"/>'.encode()
    yield f"<{p}sheetData>".encode()
    for start in range(1, rows + 1, batch):
        stop = min(start + batch, rows + 1)
        if explicit_r:
            parts = (
                f'<{p}row r="{i}"><{p}c r="A{i}"><{p}v>{i}</{p}v></{p}c></{p}row>' for i in range(start, stop)
            )
        else:
            parts = (f"<{p}row><{p}c><{p}v>{i}</{p}v></{p}c></{p}row>" for i in range(start, stop))
        yield "".join(parts).encode()
    yield f"</{p}sheetData></{p}worksheet>".encode()


def many_rows(
    directory: Path,
    rows: int = 1_000_000,
    *,
    dimension: str | None = None,
    prefix: str = "",
    explicit_r: bool = True,
    utf16: bool = False,
    name: str = "rows.xlsx",
) -> Path:
    """A valid workbook whose first sheet has ``rows`` rows, written straight as XML (level 1)."""
    sheet: Iterable[bytes] = rows_sheet(rows, dimension=dimension, prefix=prefix, explicit_r=explicit_r)
    if utf16:
        text = b"".join(sheet).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
        sheet = [text.encode("utf-16")]
    return repack(clean_workbook_bytes(), directory / name, replace={SHEET1: sheet}, compresslevel=1)


def sparse_high_row(directory: Path, row: int = 1_000_000) -> Path:
    """A single row, numbered ``row``, and no <dimension>: tiny file, huge sheet for openpyxl."""
    sheet = (
        f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="{row}"><c r="A{row}"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    return repack(clean_workbook_bytes(), directory / "sparse.xlsx", replace={SHEET1: sheet})
