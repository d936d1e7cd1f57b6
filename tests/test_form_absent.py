"""RUBRICS.md §0 "one meaning of absent": the filled form and `lxbz score` never disagree.

Every example in examples/cases/ and generated cases with items left out are filled into both variants;
the native copies are recalculated by LibreOffice headless, the UDF copies by pycel with LXBZ_* bound to
udfs. Every named result where the core gives a value must show exactly that value (a blank is a failure),
and the note cell names the unfilled items in the core's words.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.case import read_case_file
from lxbz_xl.definition.loader import builtin_ids
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
from lxbz_xl.workbook.cached_values import read_values
from lxbz_xl.workbook.cases import cells_from_case
from lxbz_xl.workbook.fill import case_mapping, fill_case
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.proof import core_mismatches, core_outputs
from lxbz_xl.workbook.samples import valid_cases
from lxbz_xl.workbook.unfilled import NOTE, PATH

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"
README_CASE = {
    "rubric": "learning_team",
    "unit": "某县委",
    "year": 2025,
    "items": {1: {"missing_elements": 1, "members_without_plan": 2}},
    "context": {"party_org_title": True, "annual_team_tier": "较好"},
}


def _examples() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for case in read_case_file(path):
            defn = load_rubric(case.rubric)
            out[defn.id].append(case_mapping(case, defn))
    return out


def _left_out(defn: RubricDefinition, n: int, seed: int) -> list[dict[str, Any]]:
    """Generated cases with items left out: none, one, several, all."""
    rng = random.Random(seed)
    out = []
    for k, case in enumerate(valid_cases(defn, n, seed=seed)):
        items = dict(case.get("items") or {})
        if items:
            ids = sorted(items)
            keep = [] if k % 3 == 0 else rng.sample(ids, rng.randint(0, len(ids) - 1))
            case = {**case, "items": {i: items[i] for i in sorted(keep)}}
            if not keep:
                del case["items"]
        out.append(case)
    return out


def _cases() -> dict[str, list[dict[str, Any]]]:
    cases = _examples()
    cases["learning_team"].insert(0, README_CASE)
    for rid in builtin_ids():
        defn = load_rubric(rid)
        if defn.items:
            cases[rid] += _left_out(defn, 6, seed=31)
    return cases


def _report(mismatches: list) -> str:
    return f"{len(mismatches)} named results differ from lxbz score:\n" + "\n".join(
        str(m) for m in mismatches[:20]
    )


def test_readme_example_shows_the_core_total_title_and_note(tmp_path: Path) -> None:
    defn = load_rubric("learning_team")
    result = evaluate(defn, README_CASE)
    assert result.total == 97 and result.title is True
    plan = plan_for(defn)
    core_note = next(n for n in result.notes if "未填写" in n)
    assert core_note == NOTE.format(ids="2、3、4、5、6、7、8、9、10")
    for variant in ("udf", "native"):
        dst = fill_case(defn, README_CASE, tmp_path / f"{variant}.xlsx", variant)
        shown = read_values(dst)
        for path, want in (("total", 97), ("title", "是"), (PATH, core_note)):
            slot = plan.outputs[path]
            assert shown[(slot.spec.sheet, slot.spec.ref)] == want, (variant, path)


def test_core_outputs_cover_every_item_rubric_result() -> None:
    """The comparison is not vacuous: item scores, total and the note are among the compared cells."""
    defn = load_rubric("learning_team")
    expected = core_outputs(defn, README_CASE)
    plan = plan_for(defn)
    for path in ("total", "title", PATH):
        slot = plan.outputs[path]
        assert (slot.spec.sheet, slot.spec.ref) in expected
    assert len(expected) >= 2 * len(defn.items) + 3


def test_udf_forms_equal_lxbz_score() -> None:
    pytest.importorskip("pycel")
    from lxbz_xl.workbook.proof import PycelForm

    mismatches = []
    compared = 0
    for rid, cases in sorted(_cases().items()):
        defn = load_rubric(rid)
        form = PycelForm(DEFAULT_DIR / template_name(rid, "udf"), defn)
        for k, case in enumerate(cases, 1):
            actual = form.run(cells_from_case(defn, case))
            compared += len(core_outputs(defn, case))
            mismatches += core_mismatches(defn, f"{rid} udf case {k} ({case.get('unit')})", case, actual)
    assert compared > 300
    assert not mismatches, _report(mismatches)


@pytest.mark.libreoffice
def test_native_forms_recalculated_by_libreoffice_equal_lxbz_score(tmp_path: Path) -> None:
    from lxbz_xl.office import find_soffice
    from lxbz_xl.workbook.proof import prepare_native, recalculate_native

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: run scripts/install-system-deps.sh")
    all_cases = _cases()
    jobs = []
    for rid, cases in sorted(all_cases.items()):
        defn = load_rubric(rid)
        jobs.append(prepare_native(defn, DEFAULT_DIR / template_name(rid, "native"), cases, tmp_path / rid))
    mismatches, compared = [], 0
    for job, shown in zip(jobs, recalculate_native(jobs, tmp_path), strict=True):
        cases = all_cases[job.defn.id]
        for k, (case, actual) in enumerate(zip(cases, shown, strict=True), 1):
            label = f"{job.defn.id} native case {k} ({case.get('unit')})"
            mismatches += core_mismatches(job.defn, label, case, actual)
            compared += sum(1 for v in actual.values() if v not in (None, ""))
    assert compared > 300  # LibreOffice computed the cells (read back, not left empty)
    assert not mismatches, _report(mismatches)
