"""The guide, followed: tests/rubrics/branch_standard.yaml was written from docs/authoring.md alone and
goes through every step the guide names — check, score, test, both template variants, fill, recalculate
(pycel for the UDF variant, LibreOffice for the native one) against `lxbz score`, and validate."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from lxbz_xl.cli import main
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.build import template_name
from lxbz_xl.workbook.form import plan_for

HERE = Path(__file__).parent / "rubrics"
RUBRIC = HERE / "branch_standard.yaml"
CASES = HERE / "branch_standard_cases.yaml"


def _cases() -> list[dict[str, Any]]:
    return [c["input"] for c in yaml.safe_load(CASES.read_text(encoding="utf-8"))]


def _prove(
    defn: RubricDefinition, variant: str, template: Path, cases: list[dict[str, Any]], work: Path
) -> list[Any]:
    """Every output cell of the recalculated forms against the core (lxbz_xl/workbook/proof.py)."""
    from lxbz_xl.workbook import proof

    if variant == "udf":
        return proof.prove_udf(defn, template, cases)[1]
    return proof.prove_native(defn, template, cases, work)[1]


def _recalculate_udf(defn: RubricDefinition, path: Path) -> dict[tuple[str, str], Any]:
    """Every formula cell of a filled UDF form, recalculated by pycel from the form's own inputs."""
    from lxbz_xl.workbook import proof

    form = proof.PycelForm(path, defn)
    cells = form.formula_cells
    return dict(zip(cells, form.xl.evaluate([proof._addr(*k) for k in cells]), strict=True))


def _scored(case_file: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["score", "--rubric", str(RUBRIC), "--format", "json", str(case_file)]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    return result  # type: ignore[no-any-return]


def _shown(defn: RubricDefinition, values: dict[tuple[str, str], Any]) -> tuple[Fraction, Any]:
    outputs = plan_for(defn).outputs
    cell = outputs["total"].spec
    tier = outputs["tier"].spec
    return Fraction(str(values[(cell.sheet, cell.ref)])), values.get((tier.sheet, tier.ref))


def test_check_and_spec_cases_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubrics", "check", str(RUBRIC)]) == 0
    assert main(["test", "--rubric", str(RUBRIC), str(CASES)]) == 0
    out = capsys.readouterr().out
    assert f"{len(_cases())} passed, 0 failed" in out and len(_cases()) >= 6


def test_a_broken_copy_fails_the_check(tmp_path: Path) -> None:
    """The guide's check step is not a formality: a typo in a key is reported, naming the key."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(RUBRIC.read_text(encoding="utf-8").replace("per_unit: 4", "per_unti: 4"), encoding="utf-8")
    assert main(["rubrics", "check", str(bad)]) != 0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    assert main(["templates", "build", "--rubric", str(RUBRIC), "--out", str(out)]) == 0
    return out


def _fill(built: Path, tmp: Path, variant: str) -> list[Path]:
    out = tmp / variant
    cases = []
    for i, case in enumerate(_cases()):
        path = tmp / f"case{i}.yaml"
        path.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
        cases.append(str(path))
    args = ["fill", *cases, "--out", str(out), "--variant", variant, "--rubric", str(RUBRIC)]
    assert main([*args, "--templates", str(built)]) == 0
    files = sorted(out.glob("*.xlsx"))
    assert len(files) == len(cases)
    return files


@pytest.mark.parametrize("variant", ["udf", "native"])
def test_filled_forms_validate(built: Path, tmp_path: Path, variant: str) -> None:
    defn = load_rubric(RUBRIC)
    assert (built / template_name(defn.id, variant)).is_file()
    files = _fill(built, tmp_path, variant)
    report = tmp_path / "v.json"
    assert main(["validate", *map(str, files), "--rubric", str(RUBRIC), "--json", str(report)]) == 0
    records = json.loads(report.read_text(encoding="utf-8"))["workbooks"]
    assert len(records) == len(files)
    # Items left blank are reported as a notice only (未填写的扣分项按未发现问题计), never as an error.
    assert {f["code"] for r in records for f in r["findings"]} <= {"items_unfilled"}
    assert all(f["severity"] != "error" for r in records for f in r["findings"])
    assert sorted(r["total"] for r in records) == sorted([100, 90, 89.5, 89, 97, 91.5, 100, 51])


def test_udf_form_recalculated_by_pycel_equals_lxbz_score(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each form `lxbz fill` wrote, recalculated by pycel from its own inputs (its cached values are not
    trusted), shows the total and tier `lxbz score` gives; then every output cell of every case."""
    defn = load_rubric(RUBRIC)
    by_unit = {c["unit"]: c for c in _cases()}
    for path in _fill(built, tmp_path, "udf"):
        unit = next(u for u in by_unit if u in path.name)
        values = _recalculate_udf(defn, path)
        case_file = tmp_path / f"{unit}.yaml"
        case_file.write_text(yaml.safe_dump(by_unit[unit], allow_unicode=True), encoding="utf-8")
        scored = _scored(case_file, capsys)
        assert _shown(defn, values) == (Fraction(scored["total_exact"]), scored["tier"]), unit
    assert not _prove(defn, "udf", built / template_name(defn.id, "udf"), _cases(), tmp_path)


@pytest.mark.libreoffice
def test_native_form_recalculated_by_libreoffice_equals_lxbz_score(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lxbz_xl.office import find_soffice, recalculate_many
    from lxbz_xl.workbook.cached_values import read_values

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: run scripts/install-system-deps.sh")
    defn = load_rubric(RUBRIC)
    files = _fill(built, tmp_path, "native")
    recalculated = recalculate_many(files, tmp_path / "recalculated", 300)
    by_unit = {c["unit"]: c for c in _cases()}
    for path in recalculated:
        values = read_values(path)
        unit = next(u for u in by_unit if u in path.name)
        case_file = tmp_path / f"{unit}.yaml"
        case_file.write_text(yaml.safe_dump(by_unit[unit], allow_unicode=True), encoding="utf-8")
        scored = _scored(case_file, capsys)
        assert _shown(defn, values) == (Fraction(scored["total_exact"]), scored["tier"]), unit
    assert not _prove(defn, "native", built / template_name(defn.id, "native"), _cases(), tmp_path / "proof")
