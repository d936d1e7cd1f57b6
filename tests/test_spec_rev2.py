"""RUBRICS.md revision 2, part A: §0 display and exact values, §4 labels, §6 layered, §11 consequences."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.cli import main
from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, load_definition
from lxbz_xl.engine import consequences
from udfs import LXBZ_TIER

CADRE_VOTES = {"优秀": 6, "称职": 3, "基本称职": 1, "不称职": 0}


def _cadre(aspects: dict[str, str], **extra: object) -> dict[str, object]:
    return {
        "rubric": "annual_cadre",
        "unit": "某人",
        "year": 2025,
        "scope": "county",
        "votes": CADRE_VOTES,
        "aspects": aspects,
        **extra,
    }


# ---------------------------------------------------------------- §4 labels: the YAML is the one source


def test_clerk_words_follow_the_seed() -> None:
    defn = load_rubric("annual_cadre")
    spec = next(s for s in defn.inputs if s.path == "aspects.political_quality")
    assert [spec.label_of(v) for v in spec.values] == ["优秀", "称职", "一般", "存在突出问题"]
    assert spec.value_of("一般") == "weak" and spec.value_of("称职") == "normal"
    assert spec.value_of("较弱") == "weak" and spec.value_of("存在严重问题") == "serious_problem"
    assert spec.value_of("良好") is None


def test_a_word_meaning_two_values_fails_at_load(tmp_path: Path) -> None:
    raw = yaml.safe_load((RUBRIC_DIR / "annual_cadre.yaml").read_text(encoding="utf-8"))
    raw["inputs"][2]["value_aliases"] = {"一般": "normal"}  # 一般 is already weak's label
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError, match="would mean both"):
        load_definition(path)


def test_worksheet_function_reads_the_clerks_yiban_as_weak() -> None:
    four_weak = [[["一般"]], [["一般"]], [["一般"]], [["一般"]], [["称职"]]]
    args = [[["县区"]], [[6, 3, 1, 0]], *four_weak, [[None]], [[None]]]
    assert LXBZ_TIER("annual_cadre", *args) == "基本称职"
    all_normal = [[["称职"]]] * 5
    assert LXBZ_TIER("annual_cadre", [["县区"]], [[6, 3, 1, 0]], *all_normal, [[None]], [[None]]) == "称职"


def test_form_dropdown_shows_the_yaml_labels() -> None:
    from lxbz_xl.workbook.layout import data_validations_for

    lists = [
        v["formula1"]
        for v in data_validations_for(load_rubric("annual_cadre")).values()
        if v["type"] == "list"
    ]
    assert '"优秀,称职,一般,存在突出问题"' in lists


# ---------------------------------------------------------------- §11 consequences


def test_consequences_follow_the_final_tier_when_the_cohort_changes_it() -> None:
    defn = load_rubric("annual_team")
    case = {
        "rubric": "annual_team",
        "unit": "某县",
        "year": 2025,
        "scope": "county",
        "team_votes": {"优秀": 6, "较好": 3, "一般": 1},
        "principal_votes": {"优秀": 6, "称职": 3, "基本称职": 1},
        "findings": {"targets_good": True, "team_united": True},
    }
    result = evaluate(defn, case)
    assert result.tier == "优秀" and [c.kind for c in result.consequences] == ["commend"]
    result.tier = "一般"  # e.g. the cohort step demotes it
    consequences.apply(defn, result)
    consequences.apply(defn, result)  # idempotent
    assert [c.kind for c in result.consequences] == ["rectify"]
    assert sum("结果运用" in n for n in result.notes) == 1 and "集体谈话、限期改进" in result.notes[-1]


def test_unfit_lists_three_decisions_and_json_carries_them() -> None:
    result = evaluate(
        load_rubric("annual_cadre"),
        _cadre(
            dict.fromkeys(("political_quality", "leadership", "work_style", "duty_performance"), "excellent")
            | {"integrity": "存在突出问题"}
        ),
    )
    out = result.to_json()
    assert out["tier"] == "不称职" and out["may_promote"] is False
    assert [c["kind"] for c in out["consequences"]] == ["decide"] * 3
    assert {c["action"] for c in out["consequences"]} == {"免去现任领导职务", "责令辞去领导职务", "降职"}
    assert all(
        "第二十五条" not in c["reason"] and "免去现任领导职务" in c["reason"] for c in out["consequences"]
    )


# ---------------------------------------------------------------- §0 exact values beside display values


def test_json_carries_exact_values_of_items_clauses_members_and_rates() -> None:
    water = evaluate(
        load_rubric("water_saving"),
        yaml.safe_load(Path("examples/cases/water_saving_柳河镇.yaml").read_text(encoding="utf-8")),
    ).to_json()
    for item in water["items"]:
        assert Fraction(item["score_exact"]) + Fraction(item["deduction_exact"]) == Fraction(
            item["points_exact"]
        )
        for clause in item["clauses"]:
            assert abs(Fraction(clause["value_exact"]) - Fraction(str(clause["value"]))) <= Fraction(1, 200)
    perf = yaml.safe_load(Path("examples/cases/performance_青山市财政局.yaml").read_text(encoding="utf-8"))
    out = evaluate(load_rubric("performance"), perf).to_json()
    member = out["members"][0]
    assert abs(Fraction(member["total_exact"]) - Fraction(str(member["total"]))) <= Fraction(1, 200)
    assert Fraction(out["total_exact"]) == Fraction(str(out["total"]))
    rate = member["values"]["completion_rate"]
    assert rate["unit"] == "%" and rate["display"].endswith("%")
    assert rate["display"] == f"{float(Fraction(rate['exact']) * 100):.2f}".rstrip("0").rstrip(".") + "%"


# ---------------------------------------------------------------- §6 layered


def _layered(members: list[dict[str, object]], ballots: list[dict[str, str]]) -> dict[str, object]:
    return {"rubric": "layered", "unit": "某乡", "year": 2025, "ballots": ballots, "members": members}


MARK = st.integers(0, 100)


@settings(max_examples=60, deadline=None)
@given(
    target=st.integers(0, 70),
    leader=MARK,
    social=MARK,
    deduction=st.integers(0, 100),
    award=st.integers(0, 100),
    mass=st.sampled_from(["较好", "一般"]),
    scores=st.lists(MARK, min_size=1, max_size=3),
)
def test_layered_work_score_is_the_seed_formula_within_0_100(
    target: int, leader: int, social: int, deduction: int, award: int, mass: str, scores: list[int]
) -> None:
    member = {
        "name": "甲",
        "target_score": target,
        "leader_review": leader,
        "social_review": social,
        "inspection_deduction": deduction,
        "award_points": award,
        "leader_scores": scores,
    }
    result = evaluate(load_rubric("layered"), _layered([member], [{"甲": mass}]))
    assert result.ok, result.errors
    m = result.members[0]
    work = next(v.value for v in m.values if v.name == "work_score")
    raw = (
        target + Fraction(30) * (Fraction(1, 2) * leader + Fraction(1, 2) * social) / 100 - deduction + award
    )
    assert work == min(Fraction(100), max(Fraction(0), raw))
    assert m.total is not None and 0 <= m.total <= 100


def test_target_points_follow_an_edited_review_points(tmp_path: Path) -> None:
    raw = yaml.safe_load((RUBRIC_DIR / "layered.yaml").read_text(encoding="utf-8"))
    raw["parameters"]["review_points"]["value"] = 40
    raw["parameters"]["leader_review_weight"]["value"] = 0.25
    path = tmp_path / "layered_local.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    defn = load_definition(path)
    assert defn.parameters["target_points"].value == 60
    member = {
        "name": "甲",
        "target_score": 61,
        "leader_review": 100,
        "social_review": 0,
        "leader_scores": [80],
    }
    bad = evaluate(defn, _layered([member], [{"甲": "较好"}]))
    assert any("应为0–60,实为61" in e.message for e in bad.errors)
    member["target_score"] = 60
    good = evaluate(defn, _layered([member], [{"甲": "较好"}]))
    assert next(v.value for v in good.members[0].values if v.name == "work_score") == 70  # 60 + 40 × 25%


def test_derived_parameters_refuse_cycles_and_disagreement(tmp_path: Path) -> None:
    raw = yaml.safe_load((RUBRIC_DIR / "layered.yaml").read_text(encoding="utf-8"))
    raw["parameters"]["target_points"]["value"] = 75  # disagrees with 100 − 30
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError, match="disagrees"):
        load_definition(path)
    del raw["parameters"]["target_points"]["value"]
    raw["parameters"]["review_points"] = {"derived": "100 - $target_points", "label": "x"}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError, match="循环引用"):
        load_definition(path)


def test_no_valid_ballot_exits_2_naming_the_ballots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = [
        {"name": n, "target_score": 60, "leader_review": 90, "social_review": 80, "leader_scores": [80]}
        for n in "甲乙丙"
    ]
    case = _layered(
        members, [{"甲": "好", "乙": "较好", "丙": "一般"}, {"甲": "较好", "乙": "好", "丙": "一般"}]
    )
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    assert main(["score", str(path), "--format", "json"]) == 2
    out = json.loads(capsys.readouterr().out)[0]
    assert out["total"] is None
    assert [e["field"] for e in out["errors"]] == ["ballots"]
    assert "第1、2张选票" in out["errors"][0]["message"]


def test_worksheet_function_names_the_ballots_when_none_is_valid() -> None:
    from udfs import LXBZ_MEMBER

    rows = [[n, 60, 90, 80, None, None, 80] for n in "甲乙丙"]
    bad = [["好", "较好", "一般"], ["较好", "好", "一般"]]
    got = LXBZ_MEMBER("layered", "total", [rows[0]], bad, rows)
    assert got.startswith("#LXBZ! ") and "第1、2张选票" in got
    good = [["较好", "较好", "一般"], ["较好", "好", "一般"]]
    assert LXBZ_MEMBER("layered", "review_part", [rows[0]], good, rows) == 25.5


@pytest.mark.parametrize("rubric", ["annual_team", "annual_cadre"])
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_consequences_always_match_the_final_tier(rubric: str, data: st.DataObject) -> None:
    from tests.strategies import cases

    defn = load_rubric(rubric)
    assert defn.tiers is not None
    case = data.draw(cases(rubric))
    if rubric == "annual_cadre":  # the strategy draws codes; clerks pick labels: both must mean the same
        aspects = case.get("aspects", {})
        spec = {s.path: s for s in defn.inputs}
        words = {k: spec[f"aspects.{k}"].label_of(v) for k, v in aspects.items()}
        assert evaluate(defn, {**case, "aspects": words}).tier == evaluate(defn, case).tier
    result = evaluate(defn, case)
    key = result.tier if result.tier is not None else result.manual
    want = [(r.kind, r.action) for r in defn.tiers.consequences.get(key or "", [])]
    assert [(c.kind, c.action) for c in result.consequences] == want
    if defn.tiers.promotable is None or result.tier is None:
        assert result.may_promote is None
    else:
        assert result.may_promote == (result.tier in {"优秀", "称职"})


@pytest.mark.parametrize("old", ["2025.1", "2025.2"])
@pytest.mark.parametrize("rubric", ["annual_cadre", "annual_team", "layered"])
def test_a_form_of_a_previous_version_is_outdated_not_tampered(rubric: str, old: str, tmp_path: Path) -> None:
    """The bumped rubrics (2025.1 → 2025.2 for the rules of rev. 2; 2025.3 for forms that show more): a form
    saying an earlier version names both versions and is not reported as tampered."""
    import openpyxl

    from lxbz_xl.validation.check_file import check_file
    from lxbz_xl.validation.context import Context

    wb = openpyxl.load_workbook(Path("workbook_templates") / f"{rubric}.xlsx")
    for row in wb["_lxbz"].iter_rows(min_col=1, max_col=2):
        if row[0].value == "version":
            assert row[1].value == load_rubric(rubric).version == "2025.3"
            row[1].value = old
    path = tmp_path / f"{rubric}_old.xlsx"
    wb.save(path)
    report = check_file(path, Context())
    assert [f.code for f in report.findings] == ["outdated_template"], report.findings
    assert f"版本{old}" in report.findings[0].message and "当前版本2025.3" in report.findings[0].message
