"""A definition that contradicts itself fails at load, naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, builtin_ids, load_definition, load_rubric


def _edited(tmp_path: Path, rubric: str, edit) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((RUBRIC_DIR / f"{rubric}.yaml").read_text(encoding="utf-8"))
    edit(data)
    out = tmp_path / "my_rubric.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_every_builtin_rubric_loads() -> None:
    """The built-ins are exactly the YAML files shipped in lxbz_xl/rubrics/ (adding a file is the whole
    change); each loads, is named after its file and cites its seed."""
    files = sorted(p.stem for p in RUBRIC_DIR.glob("*.yaml"))
    assert builtin_ids() == files and len(files) >= 10
    for rid in builtin_ids():
        defn = load_rubric(rid)
        assert defn.id == rid and defn.source.seed


def test_every_item_cites_its_seed_passage() -> None:
    for rid in builtin_ids():
        for item in load_rubric(rid).items:
            assert item.reference.passage and item.reference.seed in {"000", "001", "002", "003", "004"}


def test_item_points_must_add_up(tmp_path: Path) -> None:
    path = _edited(tmp_path, "learning_team", lambda d: d["items"][1].__setitem__("points", 12))
    with pytest.raises(
        DefinitionError, match=r"文件 my_rubric\.yaml:items:各项分值合计 102,不等于 total_points 100"
    ):
        load_definition(path)


def test_clause_cap_larger_than_item(tmp_path: Path) -> None:
    path = _edited(tmp_path, "learning_team", lambda d: d["items"][4]["clauses"][0].__setitem__("cap", 11))
    with pytest.raises(DefinitionError, match=r"文件 my_rubric\.yaml:items\.4:.*cap 11 大于本项分值 10"):
        load_definition(path)


def test_unknown_rule_kind(tmp_path: Path) -> None:
    def edit(d):  # type: ignore[no-untyped-def]
        d["items"][0]["clauses"][0]["kind"] = "bonus"

    with pytest.raises(
        DefinitionError, match=r"文件 my_rubric\.yaml:items\.0\.clauses\.0:未知的规则类型 bonus"
    ):
        load_definition(_edited(tmp_path, "learning_team", edit))


def test_unknown_condition_kind(tmp_path: Path) -> None:
    def edit(d):  # type: ignore[no-untyped-def]
        d["tiers"]["rules"][0]["when"] = {"majority": []}

    with pytest.raises(DefinitionError, match=r"tiers\.rules\.0\.when:未知的规则类型 majority;可用:"):
        load_definition(_edited(tmp_path, "annual_team", edit))


def test_tiers_out_of_order(tmp_path: Path) -> None:
    def edit(d):  # type: ignore[no-untyped-def]
        d["tiers"]["thresholds"][0]["min"] = 70

    with pytest.raises(DefinitionError, match=r"文件 my_rubric\.yaml:.*档次分数线顺序错误"):
        load_definition(_edited(tmp_path, "performance", edit))


def test_tier_not_in_order(tmp_path: Path) -> None:
    def edit(d):  # type: ignore[no-untyped-def]
        d["tiers"]["default"] = "良好"

    with pytest.raises(DefinitionError, match="良好"):
        load_definition(_edited(tmp_path, "annual_team", edit))


def test_unknown_parameter_reference(tmp_path: Path) -> None:
    def edit(d):  # type: ignore[no-untyped-def]
        del d["parameters"]["lecture_ratio"]

    with pytest.raises(DefinitionError, match=r"文件 my_rubric\.yaml:.*:未知参数 \$lecture_ratio;可用参数:"):
        load_definition(_edited(tmp_path, "learning_team", edit))


def test_typo_in_a_key_is_rejected(tmp_path: Path) -> None:
    path = _edited(tmp_path, "learning_team", lambda d: d["items"][0].__setitem__("pionts", 10))
    with pytest.raises(DefinitionError, match=r"items\.0\.pionts:未知的键"):
        load_definition(path)


def test_an_edited_copy_changes_the_result(tmp_path: Path) -> None:
    from lxbz_xl import evaluate

    def edit(d):  # type: ignore[no-untyped-def]
        d["parameters"]["title_threshold"]["value"] = 95
        d["version"] = "2026.local"

    defn = load_rubric(_edited(tmp_path, "learning_team", edit))
    case = {
        "rubric": "learning_team",
        "unit": "甲",
        "year": 2026,
        "items": {1: {"missing_elements": 3, "members_without_plan": 3}},
        "context": {"party_org_title": True, "annual_team_tier": "较好"},
    }
    result = evaluate(defn, case)
    assert result.total == 94 and result.title is False and result.rubric_version == "2026.local"


def test_pending_local_defaults_are_marked() -> None:
    assert load_rubric("performance").parameters["team_top"].pending_local
    assert load_rubric("party_secretary").cohort.banding.pending_local  # type: ignore[union-attr]


def test_chinese_name_resolves() -> None:
    assert load_rubric("推进学习型领导班子建设活动考评细则").id == "learning_team"
    assert load_rubric("学习型领导班子").id == "learning_team"
    with pytest.raises(DefinitionError, match="未知的考评细则"):
        load_rubric("不存在的细则")
