"""A department's own rubric file, end to end: build its template, fill it, validate and summarise with
`--rubric`. Without the file the validator cannot know the template and says so; with it, the custom
definition replaces the built-in of the same id (or adds a new id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lxbz_xl.cli import main
from lxbz_xl.definition.loader import RUBRIC_DIR, load_rubric
from lxbz_xl.workbook.build import template_name
from lxbz_xl.workbook.fill import fill_case

SCORE_88 = {"2": {"missing_elements": 4}, "3": {"missing_elements": 1}}  # 100 − 10 − 2


def _records(report: Path) -> list[dict[str, Any]]:
    return json.loads(report.read_text(encoding="utf-8"))["workbooks"]  # type: ignore[no-any-return]


def _custom(tmp: Path, *, rubric_id: str = "learning_party_org", threshold: int = 85) -> Path:
    data = yaml.safe_load((RUBRIC_DIR / "learning_party_org.yaml").read_text(encoding="utf-8"))
    data["id"], data["version"] = rubric_id, "2026.1"
    data["parameters"]["title_threshold"]["value"] = threshold  # 本地:85分以上即达标
    path = tmp / f"{rubric_id}_本地.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _submission(tmp: Path, rubric_file: Path, variant: str) -> Path:
    templates = tmp / "templates"
    assert main(["templates", "build", "--rubric", str(rubric_file), "--out", str(templates)]) == 0
    defn = load_rubric(rubric_file)
    case = {"rubric": defn.id, "unit": "甲县", "year": 2026, "items": SCORE_88}
    dst = tmp / "报送" / f"{defn.id}_{variant}.xlsx"
    return fill_case(defn, case, dst, variant, templates / template_name(defn.id, variant))


@pytest.mark.parametrize("variant", ["udf", "native"])
def test_same_id_new_version_is_unknown_without_the_file_and_valid_with_it(
    tmp_path: Path, variant: str
) -> None:
    rubric_file = _custom(tmp_path)
    workbook = _submission(tmp_path, rubric_file, variant)
    report = tmp_path / "v.json"
    assert main(["validate", str(workbook), "--json", str(report), "--jobs", "1"]) == 1
    codes = {f["code"] for r in _records(report) for f in r["findings"]}
    assert codes == {"unknown_version"}
    assert main(["validate", str(workbook), "--rubric", str(rubric_file), "--json", str(report)]) == 0
    (record,) = _records(report)
    assert record["total"] == 88 and record["title"] == "学习型党组织:是"  # 88 ≥ the local 85


def test_new_id_is_unknown_rubric_without_the_file(tmp_path: Path) -> None:
    rubric_file = _custom(tmp_path, rubric_id="county_party_org")
    workbook = _submission(tmp_path, rubric_file, "native")
    report = tmp_path / "v.json"
    assert main(["validate", str(workbook), "--json", str(report), "--jobs", "1"]) == 1
    codes = {f["code"] for r in _records(report) for f in r["findings"]}
    assert codes == {"unknown_rubric"}
    assert main(["validate", str(workbook), "--rubric", str(rubric_file), "--jobs", "1"]) == 0


def test_a_tampered_custom_udf_formula_is_still_found(tmp_path: Path) -> None:
    import openpyxl

    rubric_file = _custom(tmp_path)
    workbook = _submission(tmp_path, rubric_file, "udf")
    wb = openpyxl.load_workbook(workbook)
    ws = wb["考评表"]
    cell = next(
        c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "LXBZ_TOTAL" in c.value
    )
    cell.value = cell.value.replace("LXBZ_TOTAL(", "10+LXBZ_TOTAL(")
    wb.save(workbook)
    report = tmp_path / "v.json"
    assert (
        main(["validate", str(workbook), "--rubric", str(rubric_file), "--json", str(report), "--jobs", "1"])
        == 1
    )
    codes = {f["code"] for r in _records(report) for f in r["findings"]}
    assert "formula_changed" in codes


def test_summary_uses_the_custom_definition(tmp_path: Path) -> None:
    rubric_file = _custom(tmp_path)
    workbook = _submission(tmp_path, rubric_file, "native")
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    args = ["summary", str(workbook.parent), "--out", str(out), "--json", str(js), "--jobs", "1"]
    assert main([*args, "--rubric", str(rubric_file)]) in (0, 1)  # 1: the chain lists missing forms
    data = json.loads(js.read_text(encoding="utf-8"))
    (row,) = data["rows"]
    assert row["party_org_title"] is True
    assert data["rubrics"]["learning_party_org"]["version"] == "2026.1"


@pytest.mark.parametrize(
    ("content", "why"),
    [(None, "missing"), ("id: [unclosed", "not YAML"), ("id: x\nversion: '1'\n", "incomplete")],
)
def test_unusable_rubric_file_is_a_usage_error(tmp_path: Path, content: str | None, why: str) -> None:
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    workbook = tmp_path / "x.xlsx"
    workbook.write_bytes(b"PK\x03\x04")
    assert main(["validate", str(workbook), "--rubric", str(bad)]) == 2, why
    assert main(["summary", str(workbook), "--rubric", str(bad), "--out", str(tmp_path / "s.xlsx")]) == 2, why


def test_template_from_a_rubric_file_carries_it_and_computes_after_the_folder_is_gone(tmp_path: Path) -> None:
    """No path of the rubric's folder anywhere in the xlsx; pycel with udfs bound still computes the core's
    values from the rubric text embedded in _lxbz after that folder is deleted."""
    import shutil
    import zipfile

    pytest.importorskip("pycel")
    from lxbz_xl.engine.evaluate import evaluate
    from lxbz_xl.workbook.cases import cells_from_case
    from lxbz_xl.workbook.proof import PycelForm, core_mismatches, core_outputs

    folder = tmp_path / "部门细则_临时"
    folder.mkdir()
    rubric_file = _custom(folder, threshold=85)
    defn = load_rubric(rubric_file)
    out = tmp_path / "templates"
    assert (
        main(["templates", "build", "--rubric", str(rubric_file), "--out", str(out), "--variant", "udf"]) == 0
    )
    template = out / template_name(defn.id, "udf")
    needles = {str(folder), str(folder.resolve()), folder.name, str(tmp_path), rubric_file.name}
    with zipfile.ZipFile(template) as z:
        for part in z.namelist():
            data = z.read(part).decode("utf-8", "replace")
            for needle in needles:
                assert needle not in data, f"{part} holds {needle!r}"
    shutil.rmtree(folder)
    assert not rubric_file.exists()
    import udfs.cache

    udfs.cache.clear()  # nothing remembered from the build: the form must bring its rubric
    form = PycelForm(template, defn)
    cases = [
        {"rubric": defn.id, "unit": "甲县", "year": 2026, "items": SCORE_88},
        {"rubric": defn.id, "unit": "乙县", "year": 2026, "items": {"1": {"members_without_plan": 2}}},
        {"rubric": defn.id, "unit": "丙县", "year": 2026},
    ]
    mismatches = []
    for k, case in enumerate(cases, 1):
        assert not evaluate(defn, case).errors
        actual = form.run(cells_from_case(defn, case))
        assert core_outputs(defn, case)
        mismatches += core_mismatches(defn, f"custom case {k}", case, actual)
    assert not mismatches, "\n".join(str(m) for m in mismatches[:10])
    title = next(s for s in form.plan.slots if s.spec.path == "title")
    assert form.run(cells_from_case(defn, cases[0]))[(title.spec.sheet, title.spec.ref)] == "是"  # 88 ≥ 85


def test_validator_compares_the_embedded_rubric_with_the_one_it_was_given(tmp_path: Path) -> None:
    """Same id and version, different rules: the form was computed with another rubric (rubric_changed);
    the validator only compares hashes, it never reads a rubric from the submission."""
    built = tmp_path / "built"
    built.mkdir()
    workbook = _submission(built, _custom(built, threshold=85), "native")
    given = tmp_path / "given"
    given.mkdir()
    other = _custom(given, threshold=80)
    report = tmp_path / "v.json"
    assert (
        main(["validate", str(workbook), "--rubric", str(other), "--json", str(report), "--jobs", "1"]) == 1
    )
    found = [f for r in _records(report) for f in r["findings"] if f["code"] == "rubric_changed"]
    assert found and "内容不同" in found[0]["message"] and found[0]["sheet"] == "_lxbz"
    same = _custom(tmp_path / "built", threshold=85)
    assert main(["validate", str(workbook), "--rubric", str(same), "--json", str(report), "--jobs", "1"]) == 0


def test_a_rubric_in_several_chunks_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks keep their line ends and indentation (xml:space="preserve"); the functions join them."""
    import re
    import zipfile

    pytest.importorskip("pycel")
    from lxbz_xl.workbook import embed
    from lxbz_xl.workbook.build import build_template
    from lxbz_xl.workbook.cached_values import sheet_parts
    from lxbz_xl.workbook.cases import cells_from_case
    from lxbz_xl.workbook.layout import META_SHEET
    from lxbz_xl.workbook.proof import PycelForm, core_mismatches

    monkeypatch.setattr(embed, "CHUNK", 1500)
    rubric_file = _custom(tmp_path, threshold=85)
    source = rubric_file.read_text(encoding="utf-8")
    pieces = embed.chunks(source)
    assert len(pieces) > 3 and "".join(pieces) == source
    assert any(p[0] == " " for p in pieces) and all(p.endswith("\n") for p in pieces)
    defn = load_rubric(rubric_file)
    template = build_template(defn, tmp_path / "out", "udf", source)
    with zipfile.ZipFile(template) as z:
        xml = z.read(sheet_parts(z)[META_SHEET]).decode("utf-8")
    cells = re.findall(r'<c r="B(\d+)"[^>]*t="inlineStr"><is><t([^>]*)>', xml)
    chunk_rows = [attrs for row, attrs in cells if int(row) >= embed.FIRST_CHUNK_ROW]
    assert len(chunk_rows) == len(pieces) and all('xml:space="preserve"' in a for a in chunk_rows)
    import udfs.cache

    udfs.cache.clear()
    form = PycelForm(template, defn)
    case = {"rubric": defn.id, "unit": "甲县", "year": 2026, "items": SCORE_88}
    mismatches = core_mismatches(defn, "chunked", case, form.run(cells_from_case(defn, case)))
    assert not mismatches, "\n".join(map(str, mismatches[:5]))


def test_embedded_rubric_text_is_checked_like_a_file() -> None:
    """Safe YAML only, the loader's own checks, and a cell message instead of a traceback."""
    from udfs.functions import LXBZ_RUBRIC_VERSION

    text = (RUBRIC_DIR / "learning_party_org.yaml").read_text(encoding="utf-8")
    assert LXBZ_RUBRIC_VERSION([[text[:5000]], [text[5000:]]]) == load_rubric("learning_party_org").version
    unsafe = "!!python/object/apply:os.system ['echo pwned']\n" + text
    assert str(LXBZ_RUBRIC_VERSION(unsafe)).startswith("#LXBZ! 模板内嵌的考评细则(_lxbz)")
    broken = text.replace("total_points: 100", "total_points: 102")
    message = str(LXBZ_RUBRIC_VERSION(broken))
    assert message.startswith("#LXBZ! ") and "102" in message
