"""Templates are generated from the rubric data, committed, and stay in step with a fresh build."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lxbz_xl.definition.loader import RUBRIC_DIR, builtin_ids, load_rubric
from lxbz_xl.workbook.build import DEFAULT_DIR, build_all, build_template, template_name
from lxbz_xl.workbook.layout import (
    META_SHEET,
    data_validations_for,
    formula_fingerprint,
    formulas_for,
    layout_for,
)

RUBRICS = builtin_ids()
VARIANTS = ("udf", "native")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fresh")
    build_all([load_rubric(r) for r in RUBRICS], out)
    return out


@pytest.mark.parametrize("rid", RUBRICS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_committed_template_matches_fresh_build(rid: str, variant: str, fresh: Path) -> None:
    name = template_name(rid, variant)
    committed = DEFAULT_DIR / name
    assert committed.is_file(), f"{name} is not in workbook_templates/: run `lxbz templates build`"
    with zipfile.ZipFile(committed) as a, zipfile.ZipFile(fresh / name) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        stale = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert not stale, f"{name} differs from a fresh build in {stale}: run `lxbz templates build`"


def test_build_is_deterministic(tmp_path: Path) -> None:
    defn = load_rubric("annual_team")
    one = build_template(defn, tmp_path / "a", "native").read_bytes()
    two = build_template(defn, tmp_path / "b", "native").read_bytes()
    assert one == two


@pytest.mark.parametrize("rid", RUBRICS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_template_structure(rid: str, variant: str) -> None:
    defn = load_rubric(rid)
    layout = layout_for(defn)
    path = DEFAULT_DIR / template_name(rid, variant)
    wb = openpyxl.load_workbook(path)
    # Meta sheet: rubric, version, variant and the fingerprint of the formulas actually in the file.
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert wb[META_SHEET].sheet_state == "hidden"
    assert (meta["rubric"], meta["version"], meta["variant"]) == (defn.id, defn.version, variant)
    expected = formulas_for(defn, layout, variant)
    found = {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        if ws.title != META_SHEET
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }
    assert found == expected
    assert meta["fingerprint"] == formula_fingerprint(found)
    # Every layout cell has its defined name; inputs are unlocked and validated; formulas locked.
    names = wb.defined_names
    validations = data_validations_for(defn)
    for spec in layout.cells:
        dn = names[spec.name]
        sheet, ref = next(iter(dn.destinations))
        assert (sheet, ref.replace("$", "")) == (spec.sheet, spec.ref), spec.name
        cell = wb[spec.sheet][spec.ref]
        if spec.role == "output":
            assert cell.protection.locked, spec.name
            assert (spec.sheet, spec.ref) in expected, f"{spec.name} has no formula"
        else:
            assert not cell.protection.locked, spec.name
            assert (spec.sheet, spec.ref) in validations, f"{spec.name} has no data validation"
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        dv_cells = {
            c
            for dv in ws.data_validations.dataValidation
            for rng in dv.sqref.ranges
            for c in _expand(str(rng))
        }
        for spec in layout.inputs() + layout.headers():
            if spec.sheet == ws.title:
                assert spec.ref in dv_cells, f"{spec.name} lost its data validation"
    main = wb[layout.main_sheet]
    assert int(main.page_setup.paperSize) == 9 and main.page_setup.fitToWidth == 1
    assert main.freeze_panes


def _expand(rng: str) -> list[str]:
    from openpyxl.utils import get_column_letter, range_boundaries

    c1, r1, c2, r2 = range_boundaries(rng)
    return [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def test_headings_follow_the_seed_table() -> None:
    wb = openpyxl.load_workbook(DEFAULT_DIR / "learning_team.xlsx")
    ws = wb["考评表"]
    heads = [ws.cell(4, c).value for c in range(1, 10)]
    assert heads == ["项目", "考核内容", "分值", "评分标准", "检查情况", None, "扣分", "得分", "扣分说明"]
    assert ws["A2"].value == "单位名称" and ws["E2"].value == "年度"
    assert "班子成员明细" in wb.sheetnames


def test_edited_rubric_copy_builds_matching_template(tmp_path: Path) -> None:
    """An edited copy of a rubric file yields a matching template with no code change."""
    text = (RUBRIC_DIR / "learning_team.yaml").read_text(encoding="utf-8")
    text = text.replace("member_annual_hours: {value: 110", "member_annual_hours: {value: 120")
    text = text.replace(
        "value: 90\n    label: 学习型领导班子达标分", "value: 85\n    label: 学习型领导班子达标分"
    )
    path = tmp_path / "my_rubric.yaml"
    path.write_text(text, encoding="utf-8")
    from lxbz_xl.cli import main

    assert main(["templates", "build", "--out", str(tmp_path / "out"), "--rubric", str(path)]) == 0
    wb = openpyxl.load_workbook(tmp_path / "out" / "learning_team_原生公式.xlsx")
    texts = " ".join(str(c.value) for row in wb["考评表"].iter_rows() for c in row if c.value)
    assert "不少于120学时" in texts
    roster = " ".join(str(c.value) for row in wb["班子成员明细"].iter_rows() for c in row if c.value)
    assert "<120" in roster  # the roster's hours test follows the edited parameter
    title = next(
        c.value
        for row in wb["考评表"].iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=") and '"待定"' in c.value
    )
    assert ">=85" in title
    udf = openpyxl.load_workbook(tmp_path / "out" / "learning_team.xlsx")
    meta = {r[0]: r[1] for r in udf[META_SHEET].iter_rows(values_only=True)}
    assert meta["rubric_ref"].startswith(f"{META_SHEET}!$B$")  # the embedded text, never the file's path
    assert meta["rubric_yaml"] and "member_annual_hours: {value: 120" in meta["rubric_yaml"]


def test_cli_build_writes_every_template(tmp_path: Path) -> None:
    from lxbz_xl.cli import main

    shutil.rmtree(tmp_path, ignore_errors=True)
    assert (
        main(["templates", "build", "--out", str(tmp_path), "--rubric", "annual_team", "--variant", "udf"])
        == 0
    )
    assert [p.name for p in tmp_path.iterdir()] == ["annual_team.xlsx"]
