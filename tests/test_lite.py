"""Re-binding LXBZ_ formulas (udfs.rebind) and the helpers of scripts/test-lite.sh, under CPython.

The same rebind check runs in real Pyodide through xlwings' own script dispatcher in
scripts/test-lite.sh (tests/lite/run.mjs); here it also covers the classic (COM) path and shows that the
check catches a script that misses a cell, keeps Office's `_xldudf_` prefix or forgets to recalculate.
"""

from __future__ import annotations

import asyncio
import sys
import zipfile
from pathlib import Path

import pytest

from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
from udfs import rebind

sys.path.insert(0, str(Path(__file__).parent / "lite"))

from fake_book import FakeBook

TEMPLATES = [DEFAULT_DIR / template_name(rid, "udf") for rid in ("learning_team", "annual_team", "layered")]


def test_to_rebind_finds_only_lxbz_formulas_and_drops_the_office_prefix() -> None:
    rows = [
        ["=SUM(A1:A2)", '=lxbz_tier("annual_team",B2)', 3.0],
        ["LXBZ_ as text", "", "=_xldudf_LXBZ_TOTAL(1)"],
    ]
    assert rebind.to_rebind(rows, 5, 2) == [(5, 3, '=lxbz_tier("annual_team",B2)'), (6, 4, "=LXBZ_TOTAL(1)")]
    assert rebind.to_rebind("=LXBZ_ARGS(1)", 1, 1) == [(1, 1, "=LXBZ_ARGS(1)")]
    assert rebind.to_rebind(("=LXBZ_ARGS(1)", "x"), 2, 3) == [(2, 3, "=LXBZ_ARGS(1)")]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_lite_rebind_reenters_every_lxbz_formula_then_recalculates(template: Path) -> None:
    book = FakeBook.from_xlsx(template, prefixed_every=3)
    before = book.lxbz_cells()
    n = asyncio.run(rebind.rebind_book_async(book))
    assert n == len(before) > 0
    assert book.problems_after_rebind(before) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_classic_rebind_lifts_and_restores_sheet_protection(template: Path) -> None:
    book = FakeBook.from_xlsx(template, prefixed_every=2, classic=True)
    before = book.lxbz_cells()
    assert any(s.api.ProtectContents for s in book.sheets), "templates protect their forms"
    assert rebind.rebind_book(book) == len(before)
    assert book.problems_after_rebind(before) == []
    assert book.unprotected and all(s.api.ProtectContents for s in book.sheets if s.name in book.unprotected)


def test_a_one_column_sheet_keeps_its_orientation() -> None:
    """xlwings reads a one-column range as a flat list unless ndim=2: the script must ask for rows."""
    from fake_book import FakeSheet

    book = FakeBook()
    cells = {(r, 3): f"=LXBZ_TOTAL({r})" for r in (2, 3, 4)}
    book.sheets.append(FakeSheet(book, "表", dict(cells), protected=False))
    before = {("表", r, c): f for (r, c), f in cells.items()}
    book.stored = dict(before)
    assert asyncio.run(rebind.rebind_book_async(book)) == 3
    assert book.problems_after_rebind(before) == []


def test_the_fake_book_check_catches_a_wrong_script() -> None:
    template = TEMPLATES[0]

    async def misses_one_cell(book: FakeBook) -> None:
        for sheet in book.sheets:
            used = sheet.used_range
            for row, col, f in rebind.to_rebind(await used.get_formula(), used.row, used.column)[1:]:
                sheet.range((row, col)).formula = f
        book.app.calculate()

    async def keeps_prefix(book: FakeBook) -> None:
        for sheet in book.sheets:
            used = sheet.used_range
            for i, row in enumerate(await used.get_formula()):
                for j, f in enumerate(row):
                    if rebind.calls_lxbz(f):
                        sheet.range((used.row + i, used.column + j)).formula = f
        book.app.calculate()

    async def no_recalculation(book: FakeBook) -> None:
        for sheet in book.sheets:
            used = sheet.used_range
            for row, col, f in rebind.to_rebind(await used.get_formula(), used.row, used.column):
                sheet.range((row, col)).formula = f

    for wrong in (misses_one_cell, keeps_prefix, no_recalculation):
        book = FakeBook.from_xlsx(template, prefixed_every=3)
        before = book.lxbz_cells()
        asyncio.run(wrong(book))
        assert book.problems_after_rebind(before), wrong.__name__


def test_pure_wheel_packs_the_python_sources_only(tmp_path: Path) -> None:
    import io
    import tarfile

    from pure_wheel import build  # tests/lite/pure_wheel.py

    sdist = tmp_path / "demo-1.2.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        for name, data in {
            "demo-1.2/PKG-INFO": b"Metadata-Version: 2.1\nName: Demo\nVersion: 1.2\n\nlong text\n",
            "demo-1.2/lib/yaml/__init__.py": b"X = 1\n",
            "demo-1.2/lib/yaml/_yaml.c": b"/* C */\n",
            "demo-1.2/setup.py": b"",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    wheel = build(sdist, tmp_path / "out")
    assert wheel.name == "demo-1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "yaml/__init__.py" in names and "yaml/_yaml.c" not in names
        assert "Root-Is-Purelib: true" in zf.read("demo-1.2.dist-info/WHEEL").decode()
        assert "yaml/__init__.py,sha256=" in zf.read("demo-1.2.dist-info/RECORD").decode()


def test_recorded_arguments_are_shaped_as_xlwings_hands_them() -> None:
    from record import shape  # tests/lite/record.py

    assert shape(3, 2) == [[3.0]]
    assert shape("", 2) == [[None]]
    assert shape(((1, ""), (True, "x")), 2) == [[1.0, None], [True, "x"]]
    assert shape(((1, 2),), None) == [1.0, 2.0]
    assert shape(((1,), (2,)), None) == [1.0, 2.0]
    assert shape(((1, 2), (3, 4)), None) == [[1.0, 2.0], [3.0, 4.0]]
    assert shape(7, None) == 7.0


def test_replay_reports_a_result_that_differs_from_cpython() -> None:
    import types

    from lite_check import replay, same  # tests/lite/lite_check.py: what runs inside Pyodide

    import udfs

    main = types.SimpleNamespace(LXBZ_RUBRIC_VERSION=udfs.LXBZ_RUBRIC_VERSION, LXBZ_TOTAL=udfs.LXBZ_TOTAL)
    version = udfs.LXBZ_RUBRIC_VERSION("learning_team")
    calls = [
        {"func": "LXBZ_RUBRIC_VERSION", "args": ["learning_team"], "result": version},
        {"func": "LXBZ_RUBRIC_VERSION", "args": ["learning_team"], "result": version + "x"},
    ]
    failures = replay(main, calls)
    assert len(failures) == 1 and "call 1" in failures[0]
    assert same(3, 3.0) and not same(3.0, "3") and not same(None, "") and same([[1]], [[1.0]])
