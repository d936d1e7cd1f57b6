"""row_scan reads a row exactly as the streaming reader reads it on its own, or declines: on every row of
every template and filled example, and on generated rows of every shape nearby (odd attributes, entities,
whitespace, empty elements, misplaced or repeated cells, shared formulas, inline strings)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl.validation.guard import DEFAULT_LIMITS
from lxbz_xl.validation.row_scan import scan_row
from lxbz_xl.validation.sheet_fast import _read_row, _Row

ROOT = Path(__file__).resolve().parents[1]


def _pieces(data: bytes) -> list[bytes]:
    start, end = data.find(b"<sheetData>"), data.find(b"</sheetData>")
    if start < 0 or end < 0:
        return []
    return data[start + len(b"<sheetData>") : end].split(b"<row")[1:]


def _template_rows() -> list[bytes]:
    rows: list[bytes] = []
    for path in sorted((ROOT / "workbook_templates").glob("*.xlsx")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    rows += _pieces(z.read(name))
    return rows


def test_every_template_row_is_scanned_and_read_alike() -> None:
    rows = _template_rows()
    scanned = 0
    for piece in rows:
        fast = scan_row(piece, DEFAULT_LIMITS, _Row)
        if fast is not None:
            scanned += 1
            assert fast == _read_row(piece, DEFAULT_LIMITS), piece[:200]
    assert scanned == len(rows), "every row the templates write has a plain shape"


_VALID = [
    *"ab1 .->]中文\n\t",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&apos;",
    "&#10;",
    "&#13;",
    "&#9;",
    "&#x4E2D;",
]
_INVALID = ["<", "&", "\r", "]]>", "&nbsp;", "\x01", "\ufffe", "&#0;"]
_TEXT = st.lists(st.sampled_from(_VALID), max_size=8).map("".join)
_ODD_TEXT = st.lists(st.sampled_from(_VALID + _INVALID), max_size=8).map("".join)


def _pick(draw: st.DrawFn, odd: bool, good: list[bytes], bad: list[bytes]) -> bytes:
    return draw(st.sampled_from(good + bad if odd else good))


@st.composite
def _cell(draw: st.DrawFn, row: int, column: int, odd: bool) -> bytes:
    """A cell of the shapes spreadsheet programs write; with ``odd``, also shapes a reader must refuse or
    that row_scan leaves to the streaming reader."""
    letter = "ABCDEFGHIJ"[column]
    ref = _pick(
        draw,
        odd,
        [f"{letter}{row}".encode()],
        [f"A{row}".encode(), f"{letter}{row + 1}".encode(), str(row).encode(), f"中{row}".encode(), b""],
    )
    attrs = b' r="' + ref + b'"' if ref else b""
    if draw(st.booleans()):
        attrs += b' s="' + _pick(draw, odd, [b"0", b"3", b"12"], [b"x", b""]) + b'"'
    if draw(st.booleans()):
        attrs += b' t="' + draw(st.sampled_from([b"s", b"str", b"b", b"e", b"inlineStr", b"n", b"d"])) + b'"'
    if draw(st.booleans()):
        attrs += _pick(
            draw, odd, [b' cm="1"', b' a="&lt;&amp;&#9;"', b"  "], [b" x:y='1'", b' a="\t"', b' a="&nbsp;"']
        )
    text = _ODD_TEXT if odd else _TEXT
    if draw(st.integers(0, 5)) == 0:
        return b"<c" + attrs + b"/>"
    inner = b""
    if draw(st.booleans()):
        f_attrs = draw(
            st.sampled_from([b"", b' t="shared" si="0"', b' t="shared" ref="A1:A3" si="1"', b' t="array"'])
        )
        body = (
            b"/>"
            if draw(st.integers(0, 3)) == 0
            else b">" + draw(text).encode("utf-8", "surrogatepass") + b"</f>"
        )
        inner += b"<f" + f_attrs + body
    value = draw(st.integers(0, 4 if odd else 3))
    if value == 1:
        inner += b"<v>" + draw(text).encode("utf-8", "surrogatepass") + b"</v>"
    elif value == 2:
        inner += b"<v/>"
    elif value == 3:
        space = draw(st.sampled_from([b"", b' xml:space="preserve"']))
        body = b">" + draw(text).encode("utf-8", "surrogatepass") + b"</t>" if draw(st.booleans()) else b"/>"
        inner += b"<is><t" + space + body + b"</is>"
    elif value == 4:
        inner += draw(st.sampled_from([b"<is><r><t>x</t></r></is>", b"<extLst/>", b" ", b"<v>1</v><v>2</v>"]))
    return b"<c" + attrs + b">" + inner + b"</c>"


@st.composite
def _row(draw: st.DrawFn) -> bytes:
    odd = draw(st.integers(0, 3)) == 0
    number = int(_pick(draw, odd, [b"1", b"7", b"120"], [b"0", b"-1"]))
    attrs = b' r="' + str(number).encode() + b'"' if not odd or draw(st.booleans()) else b""
    extras = [
        b' hidden="1"',
        b' hidden="true"',
        b' ht="0"',
        b' ht="15.6"',
        b' customHeight="1"',
        b' spans="1:3"',
    ]
    for extra in draw(
        st.lists(st.sampled_from([*extras, b' x14ac:dyDescent="0.25"', b"\n"]), max_size=3, unique=True)
    ):
        attrs += extra
    width = draw(st.integers(0, 5))
    cells = [draw(_cell(number, column, odd)) for column in range(width)]
    tail = _pick(draw, odd, [b"", b"\n", b"  "], [b"x", b"<!-- c -->"])
    if not cells and draw(st.booleans()):
        return attrs + b"/>" + tail
    sep = _pick(draw, odd, [b""], [b"\n"])
    return attrs + b">" + sep.join(cells) + b"</row>" + tail


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_row())
def test_generated_rows_are_read_alike_or_declined(piece: bytes) -> None:
    fast = scan_row(piece, DEFAULT_LIMITS, _Row)
    if fast is not None:
        assert fast == _read_row(piece, DEFAULT_LIMITS)


@pytest.mark.parametrize(
    "piece",
    [
        ' r="3"><c r="A3" s="2" t="inlineStr"><is><t>单位</t></is></c><c r="B3"><f>SUM(A1:A2)</f><v>3</v></c></row>'.encode(),
        b' r="4" hidden="1"><c r="A4" t="s"><v>0</v></c><c r="B4"><f t="shared" ref="B4:B6" si="0">A4*2</f><v>0</v></c></row>',
        b' r="5" ht="0"><c r="A5"/><c r="B5" t="b"><v>1</v></c><c r="C5" t="str"><v></v></c></row>',
    ],
)
def test_the_shapes_forms_use_take_the_fast_path(piece: bytes) -> None:
    fast = scan_row(piece, DEFAULT_LIMITS, _Row)
    assert fast is not None and fast == _read_row(piece, DEFAULT_LIMITS)
