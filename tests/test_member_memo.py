"""The per-worker memos of validation (member_memo: stored bytes → digest; sheet_memo: sheet readings) only
skip work whose result is already known: every report is the same whether the memos are cold or warmed by
other files, and a member that differs in anything zipfile looks at is read again."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lxbz_xl.validation import member_memo, sheet_memo, xml_stream
from lxbz_xl.validation.check_file import check_file
from lxbz_xl.validation.context import Context
from lxbz_xl.validation.guard import DEFAULT_LIMITS, GuardLimits, open_package, read_whole
from lxbz_xl.validation.read_fast import FastBook
from tests.hostile import boundary_kinds, parse_kinds

MAIN = "xl/worksheets/sheet1.xml"


def _report(path: Path, context: Context, limits: GuardLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    out = check_file(path, context, limits).to_json()
    out.pop("seconds", None)
    return out


def _cold() -> None:
    member_memo.clear()
    sheet_memo.clear()


@pytest.fixture(scope="module")
def context() -> Context:
    return Context()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("memo")
    files = [parse_kinds.good(folder), boundary_kinds.good_workbook(folder, "good2.xlsx", unit="另一单位")]
    for kinds in (parse_kinds.KINDS, boundary_kinds.KINDS):
        for kind in kinds:
            sub = folder / kind.name
            sub.mkdir()
            files.append(kind.make(sub))
    return [f for f in files if f.is_file()]  # the runner never opens what is not a regular file


def test_reports_are_the_same_with_cold_and_warm_memos(corpus: list[Path], context: Context) -> None:
    cold = []
    for path in corpus:
        _cold()
        cold.append(_report(path, context))
    _cold()
    for path in corpus:  # warm: every file after all the others were read
        _report(path, context)
    warm = [_report(path, context) for path in corpus]
    assert [r["path"] for r in warm] == [str(p) for p in corpus]
    for before, after in zip(cold, warm, strict=True):
        assert after == before
    assert {f["code"] for r in cold for f in r["findings"]} - {"items_unfilled"}, "the corpus has findings"


def _count_inflations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = xml_stream._chunks

    def counting(archive: zipfile.ZipFile, part: str, budget: Any) -> Any:
        seen.append(part)
        return original(archive, part, budget)

    monkeypatch.setattr(xml_stream, "_chunks", counting)
    return seen


def test_a_second_submission_inflates_only_what_differs(
    tmp_path: Path, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = boundary_kinds.good_workbook(tmp_path, "a.xlsx", unit="甲单位")
    second = boundary_kinds.good_workbook(tmp_path, "b.xlsx", unit="乙单位")
    _cold()
    seen = _count_inflations(monkeypatch)
    one = _report(first, context)
    assert MAIN in seen and "xl/styles.xml" in seen
    seen.clear()
    assert _report(first, context) == one  # a sheet's reading is kept the second time its bytes are met
    assert "xl/styles.xml" not in seen
    seen.clear()
    two = _report(second, context)
    assert seen == [MAIN], "only the sheet holding the unit's name differs"
    assert one["status"] == two["status"] == "valid"
    seen.clear()
    assert _report(first, context) == one and seen == []


def _with_central_crc(data: bytes, part: str, crc: int) -> bytes:
    """The same file with the central directory's CRC-32 of ``part`` replaced (local header untouched)."""
    name = part.encode()
    at = 0
    while True:
        at = data.find(b"PK\x01\x02", at)
        assert at >= 0
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == name:
            return data[: at + 16] + struct.pack("<L", crc) + data[at + 20 :]
        at += 4


def _with_local_name(data: bytes, part: str, other: str) -> bytes:
    """The same file with the local header's name of ``part`` replaced (same length; central directory kept)."""
    assert len(part) == len(other)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        offset = z.getinfo(part).header_offset
    return data[: offset + 30] + other.encode() + data[offset + 30 + len(part) :]


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda d: _with_central_crc(d, "xl/styles.xml", 0x12345678), "bad_crc"),
        (lambda d: _with_local_name(d, "xl/styles.xml", "xl/stylez.xml"), "corrupt"),
    ],
    ids=["central-crc", "local-name"],
)
def test_a_member_stored_alike_but_described_otherwise_is_read_again(
    tmp_path: Path, context: Context, edit: Any, code: str
) -> None:
    good = boundary_kinds.good_workbook(tmp_path, "good.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(edit(good.read_bytes()))
    _cold()
    cold = _report(bad, context)
    _cold()
    _report(good, context)  # the memo now knows the clean member's stored bytes
    warm = _report(bad, context)
    assert warm == cold
    assert code in {f["code"] for f in warm["findings"]}


def test_a_warm_memo_still_counts_the_files_budget(tmp_path: Path, context: Context) -> None:
    good = boundary_kinds.good_workbook(tmp_path, "good.xlsx")
    with zipfile.ZipFile(good) as z:
        total = sum(i.file_size for i in z.infolist())
    tight = GuardLimits(max_uncompressed_bytes=total - 1)  # the declared sizes already breach it
    tighter_elements = GuardLimits(max_elements=50)
    for limits in (tight, tighter_elements):
        _cold()
        cold = _report(good, context, limits)
        _cold()
        _report(good, context)
        _report(good, context, limits)
        warm = _report(good, context, limits)
        assert warm == cold
        assert warm["status"] != "valid"


def test_a_sheet_handed_out_by_the_memo_is_a_copy(tmp_path: Path) -> None:
    good = boundary_kinds.good_workbook(tmp_path, "good.xlsx")

    def read() -> Any:
        data = read_whole(good, DEFAULT_LIMITS)
        package = open_package(good, DEFAULT_LIMITS, [], data)
        assert package is not None
        with FastBook(good, package) as book:
            return book.sheet(book.sheet_names[0])

    _cold()
    first = read()
    snapshot = (dict(first.cells), set(first.hidden_rows), list(first.merged))
    first.cells.clear()
    first.hidden_rows.add(999)
    first.merged.append("A1:B2")
    second = read()
    assert sheet_memo._MEMO, "the sheet was kept"
    assert (dict(second.cells), set(second.hidden_rows), list(second.merged)) == snapshot


def test_a_member_known_but_not_kept_is_counted_once(tmp_path: Path, context: Context) -> None:
    """A sheet whose stored bytes are known but whose reading was dropped is inflated again: its bytes count
    once against the file's budget (a file exactly at its limit stays valid). The limit is what a cold read
    inflates: every member once, and styles.xml twice (read for its structure, then for its number
    formats)."""
    good = boundary_kinds.good_workbook(tmp_path, "good.xlsx")
    with zipfile.ZipFile(good) as z:
        total = sum(i.file_size for i in z.infolist()) + z.getinfo("xl/styles.xml").file_size
    exact = GuardLimits(max_uncompressed_bytes=total)
    _cold()
    cold = _report(good, context, exact)
    assert cold["status"] == "valid"
    _report(good, context, exact)  # the member memo now knows every member
    sheet_memo.clear()  # … but no sheet reading is kept
    assert _report(good, context, exact) == cold
    _report(good, context, exact)
    assert _report(good, context, exact) == cold
