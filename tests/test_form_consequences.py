"""结果运用 / 选拔任用 on the forms (RUBRICS.md §11): the text next to the final tier equals the core's own
notes for that tier, in both variants (UDF in pycel, native in LibreOffice), for every tier and manual
result; the rows exist only where the YAML has `tiers.consequences` / `tiers.promotable`; the validator
accepts a correct form and flags a tampered consequences cell."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl.case import read_case_file
from lxbz_xl.definition.loader import builtin_ids, load_rubric
from lxbz_xl.definition.rubric import Entity, RubricDefinition
from lxbz_xl.engine import consequences as core
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.inputs import InputProblem
from lxbz_xl.result import Outcome
from lxbz_xl.workbook.build import DEFAULT_DIR, build_template, cached_for, template_name
from lxbz_xl.workbook.cached_values import expected_outputs, sheet_parts
from lxbz_xl.workbook.cases import cells_from_case
from lxbz_xl.workbook.fill import case_mapping, fill_case
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.layout import formulas_for
from lxbz_xl.workbook.samples import valid_cases
from lxbz_xl.workbook.shown_consequences import CONSEQUENCES, PROMOTION, by_tier, outputs
from tests.strategies import cases

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"
RUBRICS_DIR = Path(__file__).resolve().parents[1] / "lxbz_xl" / "rubrics"
# The rubrics whose YAML gives their final tier consequences (found, not named, in the product code).
RUBRICS = [rid for rid in builtin_ids() if outputs(load_rubric(rid))]
CORE_PREFIX = {CONSEQUENCES: core.NOTE_PREFIX, PROMOTION: core.PROMOTE_NOTE}


def core_text(outcome: Outcome, key: str) -> str:
    """The oracle: the core's notes of that kind, prefix dropped, joined as the forms join texts."""
    prefix = CORE_PREFIX[key]
    return "；".join(n.removeprefix(prefix) for n in outcome.notes if n.startswith(prefix))


def shown_tier(outcome: Outcome) -> str:
    return outcome.tier or outcome.manual or ""


def result_of(defn: RubricDefinition, case: dict[str, Any]) -> Any:
    return evaluate(defn, dict(case, year=case.get("year") or 2000))


def one_per_tier(defn: RubricDefinition, per_tier: int = 2) -> list[dict[str, Any]]:
    """Cases reaching every final tier and manual result of the rubric (the worked examples, then
    generated cases), at most `per_tier` of each."""
    pool = [c for f in sorted(EXAMPLES.glob(f"{defn.id}_*.yaml")) for c in read_case_file(f)]
    pool = [case_mapping(c, defn) for c in pool]
    pool += valid_cases(defn, 150, 5)
    picked: dict[str, list[dict[str, Any]]] = {}
    for case in pool:
        result = result_of(defn, case)
        if result.errors:
            continue
        group = picked.setdefault(shown_tier(result), [])
        if len(group) < per_tier:
            group.append(case)
    wanted = {t for key in outputs(defn) for t, _ in by_tier(defn, key)}
    assert wanted <= set(picked), f"{defn.id}: no case reaches {wanted - set(picked)}"
    return [c for group in picked.values() for c in group]


def cells_of(defn: RubricDefinition) -> dict[str, tuple[str, str]]:
    plan = plan_for(defn)
    return {k: (plan.outputs[k].spec.sheet, plan.outputs[k].spec.ref) for k in outputs(defn)}


# ---------------------------------------------------------------- where the rows are


def test_the_annual_rubrics_have_rows_and_only_rubrics_with_rules_do() -> None:
    assert {"annual_team", "annual_cadre"} <= set(RUBRICS)
    for rid in builtin_ids():
        defn = load_rubric(rid)
        plan = plan_for(defn)
        tiers = defn.tiers
        assert ("consequences" in plan.outputs) == bool(tiers and tiers.consequences), rid
        assert ("promotion" in plan.outputs) == bool(tiers and tiers.promotable is not None), rid
        member_keys = {k for k, _label, _kind in plan.members.outputs} if plan.members else set()
        assert member_keys.isdisjoint({CONSEQUENCES, PROMOTION}) or defn.members is not None
        if defn.members is not None:
            assert {k for k in member_keys if k in (CONSEQUENCES, PROMOTION)} == set(outputs(defn.members))
    # annual_cadre: promotable is set; annual_team: consequences only
    assert outputs(load_rubric("annual_cadre")) == [CONSEQUENCES, PROMOTION]
    assert outputs(load_rubric("annual_team")) == [CONSEQUENCES]


def test_the_rows_sit_under_the_tier_and_are_named() -> None:
    for rid in RUBRICS:
        plan = plan_for(load_rubric(rid))
        keys = list(plan.outputs)
        at = keys.index("tier")
        assert keys[at + 1 : at + 1 + len(outputs(plan.defn))] == outputs(plan.defn)
        names = {plan.outputs[k].spec.name for k in outputs(plan.defn)}
        assert all(n.endswith(("_CONSEQUENCES", "_PROMOTION")) for n in names)


# ---------------------------------------------------------------- the text, every case


@pytest.mark.parametrize("rid", RUBRICS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_native_mapping_and_cached_values_equal_the_core(rid: str, data: st.DataObject) -> None:
    """For generated cases: the tier → text mapping the native formula is built from, and the cached
    value of both variants, equal the core's notes."""
    defn = load_rubric(rid)
    case = data.draw(cases(rid))
    result = evaluate(defn, case)
    where = cells_of(defn)
    layout = plan_for(defn).layout
    for variant in ("udf", "native"):
        shown = expected_outputs(defn, layout, result, variant)
        for key, cell in where.items():
            if result.errors:
                assert shown[cell] == shown[cells_of_tier(defn)], "an error shows where the tier shows it"
            else:
                assert shown[cell] == core_text(result, key)
    if not result.errors:
        for key in outputs(defn):
            assert dict(by_tier(defn, key)).get(shown_tier(result), "") == core_text(result, key)


def cells_of_tier(defn: RubricDefinition) -> tuple[str, str]:
    slot = plan_for(defn).outputs["tier"]
    return (slot.spec.sheet, slot.spec.ref)


def test_every_tier_has_the_core_text_in_the_mapping() -> None:
    """by_tier is the core's apply on each tier and manual result; spelled out for the annual rubrics."""
    team = dict(by_tier(load_rubric("annual_team"), CONSEQUENCES))
    assert team["优秀"] == team["较好"] == "表彰奖励(给予一定的物质奖励)"
    assert team["一般"] == team["较差"] == "集体谈话、限期改进"
    cadre = load_rubric("annual_cadre")
    acts = dict(by_tier(cadre, CONSEQUENCES))
    assert acts["优秀"] == acts["称职"] == ""
    assert acts["基本称职"] == "诫勉、限期改进"
    assert acts["不称职"].startswith("免去现任领导职务/责令辞去领导职务/降职(由主管机关")
    assert acts["需按现行文件认定"] == "按照现行有关文件执行"
    promote = dict(by_tier(cadre, PROMOTION))
    assert promote["优秀"] == promote["称职"] == "可作为选拔担任上一级领导职务的人选(限优秀、称职档次)"
    assert promote["基本称职"].startswith("不能作为") and promote["需按现行文件认定"] == ""


def test_the_worksheet_function_words() -> None:
    from udfs import results

    for rid in RUBRICS:
        defn = load_rubric(rid)
        for case in one_per_tier(defn, 1):
            out = result_of(defn, case)
            for key, word in ((CONSEQUENCES, "结果运用"), (PROMOTION, "选拔任用")):
                if key in outputs(defn):
                    got = results.output(defn, out, word, defn.short_name)
                    assert got == results.output(defn, out, key, defn.short_name) == core_text(out, key)
    other = load_rubric(next(r for r in builtin_ids() if r not in RUBRICS and load_rubric(r).tiers))
    with pytest.raises(InputProblem, match="没有结果运用规则"):
        results.output(other, Outcome(tier=other.tiers.order[0]), "consequences", other.short_name)  # type: ignore[union-attr]
    with pytest.raises(InputProblem, match="没有选拔任用规则"):
        results.output(load_rubric("annual_team"), Outcome(tier="优秀"), "promotion", "班子")


# ---------------------------------------------------------------- recalculated forms


def _check_shown(
    defn: RubricDefinition, picked: list[dict[str, Any]], shown: list[dict[tuple[str, str], Any]]
) -> set[str]:
    where = cells_of(defn)
    seen = set()
    for case, values in zip(picked, shown, strict=True):
        result = result_of(defn, case)
        seen.add(shown_tier(result))
        assert values[cells_of_tier(defn)] == shown_tier(result), case
        for key, cell in where.items():
            assert (values.get(cell) or "") == core_text(result, key), (defn.id, key, case)
    return seen


@pytest.mark.parametrize("rid", RUBRICS)
def test_udf_form_in_pycel_shows_the_core_text_for_every_tier(rid: str) -> None:
    pytest.importorskip("pycel")
    from lxbz_xl.workbook.proof import PycelForm

    defn = load_rubric(rid)
    picked = one_per_tier(defn)
    form = PycelForm(DEFAULT_DIR / template_name(rid, "udf"), defn)
    shown = [form.run(cells_from_case(defn, c)) for c in picked]
    seen = _check_shown(defn, picked, shown)
    assert {t for t, _ in by_tier(defn, outputs(defn)[0])} <= seen


@pytest.mark.libreoffice
def test_native_form_in_libreoffice_shows_the_core_text_for_every_tier(tmp_path: Path) -> None:
    from lxbz_xl.office import find_soffice
    from lxbz_xl.workbook.proof import prepare_native, recalculate_native

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    defns = [load_rubric(rid) for rid in RUBRICS]
    picked = {d.id: one_per_tier(d) for d in defns}
    jobs = [
        prepare_native(d, DEFAULT_DIR / template_name(d.id, "native"), picked[d.id], tmp_path / d.id)
        for d in defns
    ]
    for defn, shown in zip(defns, recalculate_native(jobs, tmp_path), strict=True):
        seen = _check_shown(defn, picked[defn.id], shown)
        assert {t for t, _ in by_tier(defn, outputs(defn)[0])} <= seen


def test_the_native_formula_maps_the_tier_cell_and_passes_its_message() -> None:
    defn = load_rubric("annual_cadre")
    formulas = formulas_for(defn, None, "native")
    cell = cells_of(defn)[CONSEQUENCES]
    tier = cells_of_tier(defn)[1]
    text = formulas[cell]
    assert text.startswith(f'=IF(LEFT({tier},7)="#LXBZ! ",{tier},')
    assert '"需按现行文件认定","按照现行有关文件执行"' in text and text.endswith(',""))))')
    # The UDF variant asks the core again with the unit's arguments, not the tier cell.
    udf = formulas_for(defn, None, "udf")[cell]
    assert udf.startswith('=LXBZ_VALUE("annual_cadre@') and '"consequences"' in udf


# ---------------------------------------------------------------- validation


def _set_cached(path: Path, dst: Path, sheet: str, ref: str, text: str) -> Path:
    with zipfile.ZipFile(path) as z:
        part = sheet_parts(z)[sheet]
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml = members[part].decode("utf-8")
    pattern = re.compile(rf'(<c r="{ref}"[^>]*>.*?<v>)[^<]*(</v>)', re.S)
    assert pattern.search(xml), ref
    members[part] = pattern.sub(lambda m: m.group(1) + text + m.group(2), xml, count=1).encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return dst


@pytest.mark.parametrize("variant", ["udf", "native"])
def test_validator_accepts_the_form_and_flags_a_tampered_consequence(variant: str, tmp_path: Path) -> None:
    from lxbz_xl.validation.check_file import check_file
    from lxbz_xl.validation.context import Context

    context = Context()
    for rid in RUBRICS:
        defn = load_rubric(rid)
        case = next(c for c in one_per_tier(defn) if core_text(result_of(defn, c), CONSEQUENCES))
        good = fill_case(defn, dict(case, year=2025), tmp_path / f"{rid}_{variant}.xlsx", variant)
        report = check_file(good, context)
        assert report.status == "valid", report.findings
        assert not [f for f in report.findings if f.code == "value_mismatch"]
        sheet, ref = cells_of(defn)[CONSEQUENCES]
        bad = _set_cached(good, tmp_path / f"bad_{rid}_{variant}.xlsx", sheet, ref, "表彰奖励(另加)")
        found = [f for f in check_file(bad, Context()).findings if f.code == "value_mismatch"]
        assert [f.cell for f in found] == [ref], found
        assert "表彰奖励(另加)" in found[0].message


# ---------------------------------------------------------------- members (a rubric written for the test)


def _member_rubric(tmp_path: Path) -> tuple[RubricDefinition, str]:
    """A built-in rubric whose members have tiers, given member consequences and a promotion rule."""
    rid = next(r for r in builtin_ids() if (m := load_rubric(r).members) is not None and m.tiers is not None)
    source = (RUBRICS_DIR / f"{rid}.yaml").read_text(encoding="utf-8")
    members = load_rubric(rid).members
    assert members is not None and members.tiers is not None
    order = members.tiers.order
    block = (
        f"    consequences:\n      {order[-1]}:\n        - {{kind: rectify, action: 诫勉谈话}}\n"
        f"    promotable: [{', '.join(order[:-1])}]\n"
    )
    return _with_member_block(source, block, tmp_path), rid


def _with_member_block(source: str, block: str, tmp_path: Path) -> RubricDefinition:
    from lxbz_xl.definition.loader import load_rubric as load

    lines = source.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("members:"))
    tiers = next(i for i in range(start, len(lines)) if lines[i].startswith("  tiers:"))
    end = next(
        (i for i in range(tiers + 1, len(lines)) if lines[i].strip() and not lines[i].startswith("    ")),
        len(lines),
    )
    path = tmp_path / "with_members.yaml"
    path.write_text("".join([*lines[:end], block, *lines[end:]]), encoding="utf-8")
    return load(path)


def test_member_rows_show_their_own_consequences(tmp_path: Path) -> None:
    defn, _rid = _member_rubric(tmp_path)
    members: Entity | None = defn.members
    assert members is not None and outputs(members) == [CONSEQUENCES, PROMOTION]
    plan = plan_for(defn)
    m = plan.members
    assert m is not None
    assert [k for k, _l, _k in m.outputs if k in (CONSEQUENCES, PROMOTION)] == [CONSEQUENCES, PROMOTION]
    native = formulas_for(defn, None, "native")
    udf = formulas_for(defn, None, "udf")
    slots = m.row_slots[1]
    tier = slots["tier"].spec.ref
    text = native[(m.sheet, slots[CONSEQUENCES].spec.ref)]
    assert text.startswith(f'=IF({m.name_cell(1)}="","",IF(LEFT({tier},7)="#LXBZ! ",{tier},')
    assert "LXBZ_MEMBER(" in udf[(m.sheet, slots[PROMOTION].spec.ref)]
    assert '"promotion"' in udf[(m.sheet, slots[PROMOTION].spec.ref)]
    # Cached values of member rows are the core's notes of each member.
    texts: dict[str, set[str]] = {CONSEQUENCES: set(), PROMOTION: set()}
    for case in valid_cases(defn, 15, 2):
        result = result_of(defn, case)
        cells = cells_from_case(defn, case)
        shown = cached_for(defn, "native", lambda s, r, c=cells: c.get((s, r)))  # type: ignore[misc]
        for k, member in enumerate(result.members):
            for key in (CONSEQUENCES, PROMOTION):
                slot = m.row_slots[k][key]
                assert shown[(slot.spec.sheet, slot.spec.ref)] == core_text(member, key)
                mapped = dict(by_tier(members, key)).get(shown_tier(member), "")
                assert mapped == core_text(member, key)
                texts[key].add(mapped)
    assert texts[CONSEQUENCES] == {"", "诫勉谈话"} and len(texts[PROMOTION]) == 2, texts


def test_member_rows_in_pycel(tmp_path: Path) -> None:
    pytest.importorskip("pycel")
    from lxbz_xl.workbook.proof import prove_udf

    defn, _rid = _member_rubric(tmp_path)
    source = (tmp_path / "with_members.yaml").read_text(encoding="utf-8")
    template = build_template(defn, tmp_path / "t", "udf", source)
    done, mismatches = prove_udf(defn, template, valid_cases(defn, 12, 4), against_core=True)
    assert done == 12 and not mismatches, mismatches[:3]


@pytest.mark.libreoffice
def test_member_rows_in_libreoffice(tmp_path: Path) -> None:
    from lxbz_xl.office import find_soffice
    from lxbz_xl.workbook.proof import prove_native

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    defn, _rid = _member_rubric(tmp_path)
    source = (tmp_path / "with_members.yaml").read_text(encoding="utf-8")
    template = build_template(defn, tmp_path / "t", "native", source)
    done, mismatches = prove_native(defn, template, valid_cases(defn, 8, 4), tmp_path / "work")
    assert done == 8 and not mismatches, mismatches[:3]
