"""Hostile submissions against the parsing side of validation (issues 15, 16): every kind of
tests/hostile/parse_kinds.py gets its own Chinese finding naming the file (and the cell where there is
one), in bounded time, without a traceback, without touching the input and without leftovers.

Time: each kind's check costs under 2 s of CPU, and under 10x what one normal file costs a user (the
wall time of one `lxbz validate` run of a normal file, interpreter start included)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl.validation.check_file import check_file
from lxbz_xl.validation.context import Context
from lxbz_xl.validation.guard import GuardLimits, inspect
from lxbz_xl.validation.model import CODES
from lxbz_xl.validation.number_formats import hides_numbers
from lxbz_xl.validation.numbers_guard import MAX_NUMBER_CHARS, bounded_float, out_of_range, small_int
from tests.hostile.parse_kinds import CELL, KINDS, SHEET, good, utf16_sheet

CJK = re.compile(r"[\u4e00-\u9fff]")
LXBZ = Path(sys.executable).with_name("lxbz")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("kinds")
    out = {kind.name: kind.make(folder) for kind in KINDS}
    out["normal"] = good(folder)
    return out


@pytest.fixture(scope="module")
def context() -> Context:
    return Context()


def _validate(paths: list[Path], tmp: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    started = time.perf_counter()
    done = subprocess.run(
        [str(LXBZ), "validate", *map(str, paths), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return done, time.perf_counter() - started


@pytest.fixture(scope="module")
def normal_cli_seconds(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> float:
    """What one normal file costs a user: one `lxbz validate` run of it (interpreter start included)."""
    tmp = tmp_path_factory.mktemp("tmp_normal")
    done, seconds = _validate([files["normal"]], tmp, "--jobs", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    return seconds


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_kind_has_its_own_finding(
    kind, files: dict[str, Path], context: Context, normal_cli_seconds: float
) -> None:  # type: ignore[no-untyped-def]
    path = files[kind.name]
    before = _sha(path)
    check_file(files["normal"], context)  # warm caches: the kind's time is what it adds
    # CPU time: the machine is shared, and wall time would measure the other jobs, not this file.
    started = time.process_time()
    report = check_file(path, context)
    elapsed = time.process_time() - started
    assert kind.finding in CODES
    found = [f for f in report.findings if f.code == kind.finding]
    assert found, report.findings
    cell = CELL.get(kind.name)
    if cell is not None:
        mine = [f for f in found if f.cell == cell]
        assert mine, found
        assert mine[0].sheet == SHEET and cell in mine[0].message
        message = mine[0].message
    else:
        message = found[0].message
        assert path.name in message
    assert CJK.search(message)
    assert "Traceback" not in message
    assert _sha(path) == before
    assert elapsed < 2.0
    assert elapsed < 10 * normal_cli_seconds


def test_batch_of_all_kinds(files: dict[str, Path], tmp_path: Path) -> None:
    """One CLI batch: exit 1, the normal file beside the hostile ones still valid, every kind reported,
    no traceback, inputs unchanged, nothing left in TMPDIR."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    report = tmp_path / "report.json"
    paths = [files[k.name] for k in KINDS] + [files["normal"]]
    hashes = {p: _sha(p) for p in paths}
    done, _seconds = _validate(paths, tmp, "--json", str(report), "--jobs", "2")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    records = {Path(r["path"]).name: r for r in json.loads(report.read_text(encoding="utf-8"))["workbooks"]}
    assert records[files["normal"].name]["status"] == "valid"
    for kind in KINDS:
        record = records[files[kind.name].name]
        assert record["status"] == "invalid"
        assert kind.finding in {f["code"] for f in record["findings"]}, (kind.name, record["findings"])
    assert {p: _sha(p) for p in paths} == hashes
    assert list(tmp.iterdir()) == []


def test_utf16_sheet_reads_like_utf8(tmp_path: Path, context: Context) -> None:
    """A UTF-16 worksheet that declares its encoding is decoded as declared: no false findings."""
    report = check_file(utf16_sheet(tmp_path), context)
    # items_unfilled is the passing warning of a form with blank items (RUBRICS.md §0), not a decoding problem
    assert [f for f in report.findings if f.code != "items_unfilled"] == [] and report.status == "valid"


def test_time_budget_is_its_own_finding(tmp_path: Path) -> None:
    findings = inspect(good(tmp_path), GuardLimits(max_parse_seconds=0))
    assert [f.code for f in findings] == ["parse_timeout"]
    assert "normal.xlsx" in findings[0].message and "时间预算" in findings[0].message


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (GuardLimits(max_depth=3), "xml_too_deep"),
        (GuardLimits(max_elements=100), "xml_too_many_elements"),
        (GuardLimits(max_text_chars=5), "xml_text_too_long"),
    ],
)
def test_each_limit_names_file_and_part(tmp_path: Path, limits: GuardLimits, code: str) -> None:
    findings = inspect(good(tmp_path), limits)
    assert [f.code for f in findings] == [code]
    assert "normal.xlsx" in findings[0].message and "内部文件" in findings[0].message


def test_normal_file_passes_the_guard(tmp_path: Path) -> None:
    assert inspect(good(tmp_path)) == []


# ------------------------------------------------------------------------------------------ properties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_any_bytes_as_a_sheet_end_in_a_report_never_a_crash(tmp_path: Path, data: bytes) -> None:
    """Whatever a worksheet part holds, the check ends in findings (or a clean report), never an
    exception or an internal error."""
    from tests.hostile.parse_kinds import MAIN, _write

    path = _write(tmp_path, "any.xlsx", {MAIN: b"<worksheet><sheetData>" + data})
    report = check_file(path, Context())
    assert report.findings
    assert "internal_error" not in {f.code for f in report.findings}


@given(st.text(max_size=80))
def test_bounded_conversions_never_raise(text: str) -> None:
    number = bounded_float(text)
    assert number is None or len(text) <= MAX_NUMBER_CHARS
    out_of_range(text)  # never raises, never expands
    assert small_int(text) is None or (text.isdigit() and len(text) <= 9)


@given(st.lists(st.sampled_from(['""', " ", "[Red]", "[>=0]", "_)", "* "]), max_size=4), st.integers(1, 3))
def test_formats_of_only_empty_sections_hide_numbers(pieces: list[str], sections_count: int) -> None:
    section = "".join(pieces)
    code = ";".join([section] * sections_count)
    assert hides_numbers(code) is (code != "")
    assert not hides_numbers(code + "0" if sections_count == 1 else "0;" + code)


def test_repeated_row_is_refused(tmp_path: Path, context: Context) -> None:
    """A second <row r="5"> after the first could overwrite the inputs read from it: refused."""
    from tests.hostile.parse_kinds import MAIN, _edit_sheet, _write

    again = b'<row r="5"><c r="F5"><v>0</v></c></row>'
    path = _write(
        tmp_path,
        "repeated_row.xlsx",
        _edit_sheet(lambda d: d.replace(b"</sheetData>", again + b"</sheetData>", 1)),
    )
    found = [f for f in check_file(path, context).findings if f.code == "corrupt"]
    assert found and "行的顺序错误" in found[0].message and "repeated_row.xlsx" in found[0].message
    assert MAIN in found[0].message


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (b'<c r="F5"', b'<c r="F5"><v>0</v></c><c r="F5"', "重复出现"),  # the cell given twice
        (b'<c r="F5"', b'<c r="F15"><v>0</v></c><c r="F5"', "不在所在的行"),  # F15 inside row 5
    ],
)
def test_misplaced_cell_is_refused(
    tmp_path: Path, context: Context, old: bytes, new: bytes, words: str
) -> None:
    from tests.hostile.parse_kinds import _edit_sheet, _write

    path = _write(tmp_path, "misplaced.xlsx", _edit_sheet(lambda d: d.replace(old, new, 1)))
    found = [f for f in check_file(path, context).findings if f.code == "corrupt"]
    assert found and words in found[0].message and "misplaced.xlsx" in found[0].message
