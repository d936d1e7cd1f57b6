"""The row memo of validation/sheet_fast.py reads a plain sheet exactly as the streaming SheetReader does,
and declines (so the part is streamed) whatever is not plain (issue 14: speed never buys a weaker guard)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl.validation.guard import DEFAULT_LIMITS, GuardLimits
from lxbz_xl.validation.sheet_fast import read_plain_sheet
from lxbz_xl.validation.sheet_scan import SharedStrings, Sheet, SheetReader
from lxbz_xl.validation.xml_stream import Budget, StreamError, parse_member

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "workbook_templates").glob("*.xlsx"))
KEEPS = (None, 60, 5, 0)


def _sheets() -> list[bytes]:
    out = []
    for path in TEMPLATES[:6]:
        with zipfile.ZipFile(path) as z:
            out += [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    return out


SHEETS = _sheets()


def _sst(*texts: str) -> SharedStrings:
    sst = SharedStrings(DEFAULT_LIMITS)
    sst.items = list(texts)
    return sst


def _snap(sheet: Sheet) -> tuple[Any, ...]:
    cells = {k: (c.value, c.formula, c.type, c.style, c.cached) for k, c in sheet.cells.items()}
    return (
        cells,
        sheet.hidden_rows,
        sheet.tall_rows,
        sheet.zero_height,
        sheet.hidden_cols,
        sheet.merged,
        sheet.validations,
        sheet.protected,
        sheet.formula_digest,
        sheet.tail_digest,
    )


def streamed(data: bytes, keep: int | None, sst: SharedStrings, limits: GuardLimits = DEFAULT_LIMITS) -> Any:
    budget, sheet = Budget(limits), Sheet("x", "p", "visible")
    reader = SheetReader(sheet, sst, keep, limits)
    try:
        parse_member(None, "p", reader, budget, data=data)  # type: ignore[arg-type]
    except StreamError as exc:
        return ("error", exc.code)
    reader.finish()
    return (_snap(sheet), budget.elements)


def fast(data: bytes, keep: int | None, sst: SharedStrings, limits: GuardLimits = DEFAULT_LIMITS) -> Any:
    budget, sheet = Budget(limits), Sheet("x", "p", "visible")
    if not read_plain_sheet(sheet, data, sst, keep, limits, budget):
        return None
    return (_snap(sheet), budget.elements)


@pytest.mark.parametrize("keep", KEEPS)
def test_every_template_sheet_takes_the_memo_and_reads_as_streamed(keep: int | None) -> None:
    assert len(SHEETS) >= 12
    sst = _sst("a", "b")
    for data in SHEETS:
        for _ in range(2):  # the second read comes from the memo
            assert fast(data, keep, sst) == streamed(data, keep, sst)


def _main() -> bytes:
    return max(SHEETS, key=len)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY e "x">]><worksheet', 1),
        lambda d: d.replace(b"</row>", b"<!-- c --></row>", 1),
        lambda d: d.replace(b"<sheetData>", b"<sheetData><![CDATA[x]]>", 1),
        lambda d: d.replace(b"</row>", b"<?pi x?></row>", 1),
        lambda d: re.sub(rb'<row r="\d+"', b"<row", d, count=1),  # cells named from the previous row
        lambda d: d.replace(b'<row r="1"', b'<row r="9999"', 1),  # rows out of order
        lambda d: d.replace(b"sheetData", b"x:sheetData"),
        lambda d: b'<?xml version="1.0" encoding="ISO-8859-1"?>' + d,
        lambda d: "\ufeff".encode("utf-16-le") + d.decode("utf-8").encode("utf-16-le"),
        lambda d: d.replace(b"</row>", b"</row><mergeCell ref='A1:B1'/>", 1),
        lambda d: d.replace(b"</row>", b"</row>text", 1),
        lambda d: d.replace(b"</row>", b"\xff</row>", 1),  # not UTF-8
        lambda d: d.replace(b"<sheetData>", b"<sheetData><rowX/>", 1),
        lambda d: d.replace(b"<sheetData>", b"<mergeCells><sheetData>", 1).replace(
            b"</sheetData>", b"</sheetData></mergeCells>", 1
        ),
    ],
)
def test_what_is_not_plain_is_left_to_the_streaming_reader(change: Any) -> None:
    data = change(_main())
    assert data != _main()
    assert fast(data, None, _sst()) is None


def test_a_limit_is_never_decided_by_the_memo() -> None:
    data = _main()
    rows = data.count(b"<row ")
    assert fast(data, None, _sst(), GuardLimits(max_sheet_rows=rows - 1)) is None
    assert fast(data, None, _sst(), GuardLimits(max_depth=4)) is None
    assert fast(data, None, _sst(), GuardLimits(max_elements=rows)) is None
    assert fast(data, None, _sst(), GuardLimits(max_text_chars=len(data))) is None


def test_shared_strings_are_looked_up_in_each_files_own_table() -> None:
    data = _main().replace(b"</row>", b'<c r="Z1" t="s"><v>1</v></c></row>', 1)
    one, two = fast(data, None, _sst("a", "第一")), fast(data, None, _sst("a", "第二"))
    assert one is not None and two is not None
    assert one[0][0]["Z1"][0] == "第一" and two[0][0]["Z1"][0] == "第二"
    assert two == streamed(data, None, _sst("a", "第二"))


_CELLS = [
    b'<c r="Z%d"><f>1+1</f><v>2</v></c>',
    b'<c r="Y%d" t="s"><v>0</v></c>',
    b"<c><v>7</v></c>",
    b'<c r="X%d" t="inlineStr"><is><r><t>a</t></r><rPh><t>b</t></rPh></is></c>',
    b'<c r="W%d"><f t="shared" si="9" ref="W1:W9">A1</f></c>',
    b'<c r="V%d"><f t="shared" si="9"/></c>',
    b'<c r="A%d"/>',  # a second A-cell: given twice
    b'<c r="B7"/>',  # outside its row
    b'<c r="U%d" t="b"><v>1</v></c>',
]


@st.composite
def _edited(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SHEETS))
    head, _, rest = data.partition(b"<sheetData>")
    body, _, tail = rest.partition(b"</sheetData>")
    rows = [b"<row" + r for r in body.split(b"<row")[1:]]
    for _ in range(draw(st.integers(1, 3))):
        if not rows:
            break
        i = draw(st.integers(0, len(rows) - 1))
        op = draw(st.integers(0, 5))
        if op == 0:
            rows.insert(i, rows[draw(st.integers(0, len(rows) - 1))])
        elif op == 1:
            j = draw(st.integers(0, len(rows) - 1))
            rows[i], rows[j] = rows[j], rows[i]
        elif op == 2:
            rows[i] = rows[i].replace(b"<row ", b'<row hidden="1" ', 1)
        elif op == 3:
            number = re.search(rb'r="(\d+)"', rows[i])
            n = int(number.group(1)) if number else 1
            cell = draw(st.sampled_from(_CELLS))
            rows[i] = rows[i].replace(b"</row>", (cell % n if b"%d" in cell else cell) + b"</row>", 1)
        elif op == 4:
            del rows[i]
        else:
            rows[i] = re.sub(rb'<row r="\d+"', b'<row r="%d"' % draw(st.integers(0, 200)), rows[i], count=1)
    return head + b"<sheetData>" + b"".join(rows) + b"</sheetData>" + tail


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_edited(), st.sampled_from(KEEPS), st.sampled_from([DEFAULT_LIMITS, GuardLimits(max_sheet_rows=30)]))
def test_edited_rows_read_as_streamed_whenever_the_memo_takes_them(
    data: bytes, keep: int | None, limits: GuardLimits
) -> None:
    sst = _sst("s0", "s1")
    got = fast(data, keep, sst, limits)
    if got is not None:
        assert got == streamed(data, keep, sst, limits)
