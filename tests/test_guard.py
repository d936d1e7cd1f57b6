"""The hostile-input guard (lxbz_xl.validation.guard) against real hostile files."""

from __future__ import annotations

import hashlib
import re
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl.validation.guard import (
    DEFAULT_LIMITS,
    GuardFinding,
    GuardLimits,
    UnsafeWorkbookError,
    inspect,
    open_workbook_safely,
    require_defusedxml,
)
from tests import hostile_files as hf

MiB = 1024 * 1024
CJK = re.compile(r"[\u4e00-\u9fff]")
ALLOWED = ".xlsx"  # every rejection tells the user which format is accepted
ROWS_1000 = GuardLimits(max_sheet_rows=1000)


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    code: str
    names_limit: str  # the limit (or the accepted format) that the message must state
    limits: GuardLimits = DEFAULT_LIMITS
    fatal: bool = True
    also: str = ""  # one more word the message must contain
    max_seconds: float = 1.0


def _empty(directory: Path) -> Path:
    path = directory / "empty.xlsx"
    path.write_bytes(b"")
    return path


CASES: dict[str, Case] = {
    "random_garbage": Case(hf.random_garbage, "not_a_zip", ALLOWED),
    "empty_file": Case(_empty, "corrupt", ALLOWED, also="空文件"),
    "missing_file": Case(lambda d: d / "missing.xlsx", "unreadable", "重新上传"),
    "directory": Case(lambda d: d, "unreadable", ALLOWED),
    "pdf_renamed": Case(hf.pdf_renamed, "wrong_type", ALLOWED, also="PDF"),
    "html_renamed": Case(hf.html_renamed, "wrong_type", ALLOWED, also="HTML"),
    "csv_renamed": Case(hf.csv_renamed, "wrong_type", ALLOWED, also="CSV"),
    "docx_renamed": Case(hf.docx_renamed, "wrong_type", ALLOWED, also="Word"),
    "wrong_extension": Case(hf.wrong_extension, "wrong_type", ALLOWED, also=".xls"),
    "oversize_default_limit": Case(hf.oversize_sparse, "too_large", "20 MB", also="21 MB"),
    "oversize_tight_limit": Case(hf.clean_workbook, "too_large", "1 KB", GuardLimits(max_file_bytes=1024)),
    "truncated_zip": Case(hf.truncated_zip, "corrupt", ALLOWED),
    "damaged_member": Case(hf.damaged_member, "corrupt", ALLOWED, also="sheet1.xml"),
    "encrypted_cfb": Case(hf.encrypted_cfb, "encrypted", ALLOWED, also="加密"),
    "unknown_cfb": Case(hf.unknown_cfb, "encrypted", ALLOWED, also="加密或旧版 .xls"),
    "legacy_xls": Case(hf.legacy_xls_cfb, "wrong_type", ALLOWED, also=".xls"),
    "zip_bomb_300mb": Case(hf.zip_bomb, "zip_bomb", "100 MB", also="300 MB"),
    "zip_bomb_total": Case(
        hf.ratio_bomb, "zip_bomb", "4 MB", GuardLimits(max_uncompressed_bytes=4 * MiB, max_ratio=1e9)
    ),
    "zip_bomb_ratio": Case(hf.ratio_bomb, "zip_bomb", "200 倍"),
    "zip_bomb_members": Case(hf.many_members, "zip_bomb", "2,000"),
    "billion_laughs": Case(hf.billion_laughs, "xml_bomb", "DTD", also="sheet1.xml"),
    "billion_laughs_after_1mb_prolog": Case(lambda d: hf.billion_laughs(d, MiB), "xml_bomb", "DTD"),
    "xxe_shared_strings": Case(hf.xxe_shared_strings, "xml_bomb", "DTD", also="sharedStrings.xml"),
    "dtd_in_content_types": Case(hf.dtd_in_content_types, "xml_bomb", "DTD", also="[Content_Types].xml"),
    "xlsm_with_vba": Case(hf.xlsm_with_vba, "macros", ALLOWED, fatal=False, also="宏"),
    "million_rows": Case(hf.many_rows, "too_many_rows", "100,000", also="评分表", max_seconds=2.0),
    "million_rows_lying_dimension": Case(
        lambda d: hf.many_rows(d, dimension="A1:A10"), "too_many_rows", "100,000", max_seconds=2.0
    ),
    "million_rows_declared": Case(
        lambda d: hf.many_rows(d, dimension="A1:A1000000"), "too_many_rows", "100,000", also="1,000,000"
    ),
    "sparse_row_1000000": Case(hf.sparse_high_row, "too_many_rows", "100,000", also="1,000,000"),
    "prefixed_rows": Case(lambda d: hf.many_rows(d, 1001, prefix="x"), "too_many_rows", "1,000", ROWS_1000),
    "unnumbered_rows": Case(
        lambda d: hf.many_rows(d, 1001, explicit_r=False), "too_many_rows", "1,000", ROWS_1000
    ),
    "utf16_rows": Case(lambda d: hf.many_rows(d, 1001, utf16=True), "too_many_rows", "1,000", ROWS_1000),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Build each hostile file once per module (the 300 MB bomb and 1M-row sheet take ~1 s)."""
    cache: dict[str, Path] = {}

    def get(case_id: str) -> Path:
        if case_id not in cache:
            cache[case_id] = CASES[case_id].build(tmp_path_factory.mktemp(case_id))
        return cache[case_id]

    return get


@pytest.mark.parametrize("case_id", list(CASES))
def test_hostile_file_is_reported(case_id: str, build: Callable[[str], Path]) -> None:
    case = CASES[case_id]
    path = build(case_id)
    before = _sha256(path) if path.is_file() else None

    started = time.perf_counter()
    findings = inspect(path, case.limits)
    elapsed = time.perf_counter() - started

    assert all(isinstance(f, GuardFinding) for f in findings)
    finding = next((f for f in findings if f.code == case.code), None)
    assert finding is not None, findings
    assert finding.fatal is case.fatal
    assert CJK.search(finding.message), finding.message
    assert path.name in finding.message
    assert case.names_limit in finding.message
    assert case.also in finding.message
    assert sum(f.fatal for f in findings) <= 1  # inspection stops at the first fatal finding
    assert elapsed < case.max_seconds, f"inspect took {elapsed:.2f}s"
    if before is not None:
        assert _sha256(path) == before


@pytest.mark.parametrize("case_id", [cid for cid, case in CASES.items() if case.fatal])
def test_open_refuses_fatal_files(case_id: str, build: Callable[[str], Path]) -> None:
    case = CASES[case_id]
    with pytest.raises(UnsafeWorkbookError) as caught:
        open_workbook_safely(build(case_id), data_only=True, limits=case.limits)
    assert [f.code for f in caught.value.findings] == [case.code]
    assert CJK.search(str(caught.value))


def test_really_encrypted_workbook(tmp_path: Path) -> None:
    pytest.importorskip("msoffcrypto", reason="msoffcrypto-tool is an optional test dependency")
    path = hf.really_encrypted(tmp_path)
    findings = inspect(path)
    assert [(f.code, f.fatal) for f in findings] == [("encrypted", True)]
    assert "已加密" in findings[0].message


def test_clean_workbook_has_no_findings(tmp_path: Path) -> None:
    path = hf.clean_workbook(tmp_path)
    before = _sha256(path)
    assert inspect(path) == []
    wb = open_workbook_safely(path, data_only=False)
    assert wb.sheetnames == ["评分表", "说明"]
    assert wb["评分表"]["A2"].value == "政治建设"
    assert wb["评分表"]["C4"].value == "=SUM(C2:C3)"
    assert _sha256(path) == before


def test_clean_workbook_read_only(tmp_path: Path) -> None:
    wb = open_workbook_safely(hf.clean_workbook(tmp_path), data_only=True, read_only=True)
    try:
        rows = list(wb["评分表"].iter_rows(values_only=True))
    finally:
        wb.close()
    assert rows[1] == ("政治建设", 20, 18.5)


def test_macros_are_reported_but_workbook_still_opens(tmp_path: Path) -> None:
    path = hf.xlsm_with_vba(tmp_path)
    assert [(f.code, f.fatal, f.part) for f in inspect(path)] == [("macros", False, "xl/vbaProject.bin")]
    wb = open_workbook_safely(path, data_only=True)
    assert wb.vba_archive is None  # keep_vba=False: the macro code is dropped, never kept or run
    assert wb["评分表"]["B2"].value == 20


@pytest.mark.parametrize(("rows", "expected"), [(1000, []), (1001, ["too_many_rows"])])
def test_row_limit_boundary(tmp_path: Path, rows: int, expected: list[str]) -> None:
    path = hf.many_rows(tmp_path, rows, dimension=f"A1:A{rows}")
    assert [f.code for f in inspect(path, ROWS_1000)] == expected


def test_million_rows_memory_is_bounded(build: Callable[[str], Path]) -> None:
    path = build("million_rows")
    tracemalloc.start()
    try:
        findings = inspect(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [f.code for f in findings] == ["too_many_rows"]
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_require_defusedxml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    require_defusedxml()  # the real environment is protected
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(RuntimeError, match="defusedxml"):
        require_defusedxml()
    with pytest.raises(RuntimeError, match="defusedxml"):
        open_workbook_safely(hf.clean_workbook(tmp_path), data_only=True)


_CLEAN = hf.clean_workbook_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(_CLEAN) - 1), st.integers(0, 255)), min_size=1, max_size=12),
    keep=st.integers(1, len(_CLEAN)),
)
def test_damaged_workbooks_never_crash(tmp_path: Path, edits: list[tuple[int, int]], keep: int) -> None:
    data = bytearray(_CLEAN[:keep])
    for position, value in edits:
        if position < len(data):
            data[position] = value
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(bytes(data))
    findings = inspect(path)
    assert all(isinstance(f, GuardFinding) and CJK.search(f.message) for f in findings)
    try:
        open_workbook_safely(path, data_only=True)
    except UnsafeWorkbookError as exc:
        assert exc.findings and all(f.fatal for f in exc.findings)
