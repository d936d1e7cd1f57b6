"""LibreOffice headless recalculation and previews (lxbz_xl.office).

Needs soffice (and pdftoppm for the PNG test): ``bash scripts/install-system-deps.sh``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lxbz_xl.office import (
    LibreOfficeError,
    LibreOfficeNotFoundError,
    LibreOfficeTimeoutError,
    find_soffice,
    pdf_to_png,
    recalculate,
    recalculate_many,
    to_pdf,
)

SOFFICE = find_soffice()
needs_lo = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) not found: run `bash scripts/install-system-deps.sh` to enable",
)

# (formula, correct value for A1=50, A2=7, A3=5, B1:B3 = 优秀/良好/优秀)
FORMULAS: dict[str, tuple[str, object]] = {
    "C1": ("=MIN(A1:A3)", 5),
    "C2": ("=MAX(A1:A3)", 50),
    "C3": ('=IF(A1>2,"达标","不达标")', "达标"),
    "C4": ("=AND(A1>1,A2<10)", True),
    "C5": ("=OR(A1>100,A2>100)", False),
    "C6": ('=COUNTIF(B1:B3,"优秀")', 2),
    "C7": ("=ROUNDUP(A2/3,1)", 2.4),
    "C8": ("=SUMPRODUCT(A1:A3,A1:A3)", 2574),
    "C9": ('=CHOOSE(2,"一","二","三")', "二"),
    "C10": ('=INDEX(A1:A3,MATCH("良好",B1:B3,0))', 7),
    "C11": ('="得分："&A1&"分，"&B1', "得分：50分，优秀"),
    "C12": ('=IF(A1>100,1,"")', None),  # "" is cached as t="str" <v></v>; openpyxl reads None
    "C13": ('=IFERROR(1/0,"除零")', "除零"),
    "C14": ('=COUNTIF(A1:A3,">=5")', 3),
}


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _inject_cached(xlsx: Path, values: dict[str, tuple[str, str]]) -> None:
    """Write cached ``<v>`` values into formula cells (openpyxl itself never writes any).

    ``values`` maps cell ref -> (cell type "n" | "str" | "b", raw text).
    """
    tmp = xlsx.with_suffix(".tmp")
    with zipfile.ZipFile(xlsx) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                for ref, (typ, raw) in values.items():
                    xml, n = re.subn(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>',
                        rf'<c r="{ref}"\1 t="{typ}"><f>\2</f><v>{raw}</v>',
                        xml,
                    )
                    assert n == 1, f"formula cell {ref} not found in sheet XML"
                data = xml.encode("utf-8")
            zout.writestr(info, data)
    tmp.replace(xlsx)


def _stale_workbook(path: Path) -> Path:
    """Workbook whose every formula carries a WRONG cached value (as if inputs changed later)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "评分"
    for ref, v in {"A1": 50, "A2": 7, "A3": 5, "B1": "优秀", "B2": "良好", "B3": "优秀"}.items():
        ws[ref] = v
    for ref, (formula, _) in FORMULAS.items():
        ws[ref] = formula
    wb.save(path)
    _inject_cached(path, {ref: ("n", "999") for ref in FORMULAS})
    return path


@pytest.mark.libreoffice
@needs_lo
def test_recalculate_overrides_stale_cached_values(tmp_path: Path) -> None:
    src = _stale_workbook(_mkdir(tmp_path / "src") / "考评表.xlsx")
    stale = openpyxl.load_workbook(src, data_only=True)["评分"]
    assert all(stale[ref].value == 999 for ref in FORMULAS), "fixture must start with stale values"

    out = recalculate(src, tmp_path / "out")

    assert out == tmp_path / "out" / "考评表.xlsx"
    values = openpyxl.load_workbook(out, data_only=True)["评分"]
    formulas = openpyxl.load_workbook(out)["评分"]
    for ref, (formula, expected) in FORMULAS.items():
        got = values[ref].value
        assert got == expected and type(got) is type(expected), (ref, formula, got)
        assert formulas[ref].value == formula  # known functions keep their upper-case spelling


@pytest.mark.libreoffice
@needs_lo
def test_source_file_is_not_touched(tmp_path: Path) -> None:
    src = _stale_workbook(_mkdir(tmp_path / "src") / "book.xlsx")
    before, mtime = _sha(src), src.stat().st_mtime_ns

    out = recalculate(src, tmp_path / "out")

    assert out.is_file()
    assert _sha(src) == before and src.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in src.parent.iterdir()) == ["book.xlsx"]  # no .~lock file left


def test_refuses_to_overwrite_source(tmp_path: Path) -> None:
    src = _stale_workbook(tmp_path / "book.xlsx")
    before = _sha(src)
    with pytest.raises(ValueError, match="overwrite the source"):
        recalculate(src, tmp_path, soffice="/bin/true")
    assert _sha(src) == before


@pytest.mark.libreoffice
@needs_lo
def test_recalculate_many_one_invocation(tmp_path: Path) -> None:
    a = _stale_workbook(_mkdir(tmp_path / "a") / "甲.xlsx")
    b = _stale_workbook(_mkdir(tmp_path / "b") / "乙 两.xlsx")
    outs = recalculate_many([a, b], tmp_path / "out")
    assert [p.name for p in outs] == ["甲.xlsx", "乙 两.xlsx"]
    for p in outs:
        assert openpyxl.load_workbook(p, data_only=True)["评分"]["C2"].value == 50


def test_recalculate_many_rejects_colliding_names(tmp_path: Path) -> None:
    a, b = _mkdir(tmp_path / "a") / "x.xlsx", _mkdir(tmp_path / "b") / "x.xlsx"
    with pytest.raises(ValueError, match="collide"):
        recalculate_many([a, b], tmp_path / "out", soffice="/bin/true")


@pytest.mark.libreoffice
@needs_lo
def test_unknown_function_is_lowercased_and_name_error(tmp_path: Path) -> None:
    """Pins LibreOffice's handling of our Excel UDFs: it cannot evaluate them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = 3
    ws["B1"] = "=LXBZ_TIER(A1,A1:A1)"
    ws["B2"] = "=IFERROR(LXBZ_TIER(A1),-1)"
    src = tmp_path / "udf.xlsx"
    wb.save(src)
    _inject_cached(src, {"B1": ("n", "42"), "B2": ("n", "42")})  # as Excel would have cached them

    out = recalculate(src, tmp_path / "out")

    formulas = openpyxl.load_workbook(out).active
    values = openpyxl.load_workbook(out, data_only=True).active
    assert formulas is not None and values is not None
    assert formulas["B1"].value == "=lxbz_tier(A1,A1:A1)"
    assert values["B1"].value == "#NAME?"
    assert values["B2"].value == -1


@pytest.mark.libreoffice
@needs_lo
def test_unloadable_file_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a spreadsheet")
    with pytest.raises(LibreOfficeError, match="no output"):
        recalculate(bad, tmp_path / "out")


@pytest.mark.libreoffice
@needs_lo
def test_real_soffice_timeout_raises_quickly(tmp_path: Path) -> None:
    src = _stale_workbook(tmp_path / "book.xlsx")
    start = time.monotonic()
    with pytest.raises(LibreOfficeTimeoutError, match=r"did not finish within 0\.2s"):
        recalculate(src, tmp_path / "out", timeout=0.2)  # startup alone takes > 1 s
    assert time.monotonic() - start < 15


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_timeout_kills_whole_process_group(tmp_path: Path) -> None:
    """A hanging soffice (stand-in script that forks, like soffice -> oosplash -> soffice.bin)."""
    pids = tmp_path / "pids"
    fake = tmp_path / "fake-soffice"
    fake.write_text(f'#!/bin/sh\nsleep 300 &\necho $! > "{pids}"\necho $$ >> "{pids}"\nwait\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    src = tmp_path / "book.xlsx"
    src.write_bytes(b"x")

    with pytest.raises(LibreOfficeTimeoutError):
        recalculate(src, tmp_path / "out", timeout=1, soffice=str(fake))

    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"process {pid} survived the timeout"


def test_not_found_is_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LXBZ_SOFFICE", str(tmp_path / "no-such-soffice"))
    assert find_soffice() is None
    src = tmp_path / "book.xlsx"
    src.write_bytes(b"x")
    with pytest.raises(LibreOfficeNotFoundError, match="install-system-deps"):
        recalculate(src, tmp_path / "out")


@pytest.mark.libreoffice
@needs_lo
def test_pdf_and_png_preview(tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not found: run `bash scripts/install-system-deps.sh`")
    src = _stale_workbook(tmp_path / "预览.xlsx")
    pdf = to_pdf(src, tmp_path / "out")
    assert pdf.name == "预览.pdf" and pdf.read_bytes().startswith(b"%PDF")
    pngs = pdf_to_png(pdf, tmp_path / "png", dpi=40)
    assert len(pngs) == 1 and pngs[0].read_bytes().startswith(b"\x89PNG")


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (killed, not yet reaped) counts as dead."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (macOS): fall back to signal 0
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
