"""A rubric file's names are resolved and type-checked at load: a misspelling fails, naming the file, the
YAML path and what is allowed, in Chinese (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lxbz_xl.definition.check import TEXT_FIELDS, check_definition, unmarked_strings
from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, builtin_ids, load_definition, load_rubric


def _edited(tmp_path: Path, rubric: str, old: str, new: str) -> Path:
    text = (RUBRIC_DIR / f"{rubric}.yaml").read_text(encoding="utf-8")
    assert old in text, old
    out = tmp_path / "my.yaml"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def _problems(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert str(info.value).startswith("文件 my.yaml:")
    return info.value.problems


@pytest.mark.parametrize("rid", builtin_ids())
def test_shipped_rubrics_are_sound(rid: str) -> None:
    assert check_definition(load_rubric(rid)) == []


def test_misspelt_flag_names_the_path_and_the_allowed_fields(tmp_path: Path) -> None:
    path = _edited(
        tmp_path, "annual_team", "{flag: findings.targets_far_behind}", "{flag: findings.targets_far_behnd}"
    )
    (problem,) = _problems(path)
    where, message = problem.split(":", 1)
    assert where.startswith("tiers.rules.") and where.endswith(".flag")
    assert message.startswith("未知字段 findings.targets_far_behnd;可用字段:")
    assert "findings.targets_far_behind" in message


def test_misspelt_variable_in_an_expression(tmp_path: Path) -> None:
    path = _edited(tmp_path, "water_saving", "expr: items_total", "expr: items_totl")
    (problem,) = _problems(path)
    assert "未知字段 items_totl;可用字段:" in problem and "items_total" in problem


def test_misspelt_parameter(tmp_path: Path) -> None:
    path = _edited(tmp_path, "learning_team", "$lecture_ratio", "$lecture_rate")
    problems = _problems(path)
    assert any("未知参数 $lecture_rate;可用参数:" in p and "lecture_ratio" in p for p in problems)


def test_unused_parameter(tmp_path: Path) -> None:
    path = _edited(
        tmp_path, "performance", "parameters:\n", "parameters:\n  spare: {value: 1, label: 备用}\n"
    )
    assert _problems(path) == [
        "parameters.spare:参数 spare 未被使用(规则中没有 $spare 或 {spare});请删除或在规则中引用"
    ]


def test_a_parameter_is_really_used_by_the_rule_it_describes(tmp_path: Path) -> None:
    """performance.yaml's partial_weight (一般票的扣减系数) used to be hard-coded as "-0.5" beside it."""
    from fractions import Fraction

    from lxbz_xl import evaluate

    case = {
        "rubric": "performance",
        "unit": "某局",
        "year": 2025,
        "team": {"quantitative": 80, "qualitative": 90},
        "members": [
            {
                "name": "张三",
                "truth_votes": {"真实": 6, "不完全真实": 4, "不真实": 0},
                "overall_votes": {"好": 6, "较好": 2, "一般": 2, "较差": 0},
                "qualitative": 90,
            }
        ],
    }
    path = _edited(tmp_path, "performance", "partial_weight: {value: 0.5,", "partial_weight: {value: 0.25,")
    rates = []
    for defn in (load_rubric("performance"), load_definition(path)):
        result = evaluate(defn, case)
        assert not result.errors, result.errors
        truth = next(v for v in result.members[0].values if v.name == "truth_rate")
        rates.append(truth.value)
    assert rates == [1 - Fraction(1, 2) * Fraction(4, 10), 1 - Fraction(1, 4) * Fraction(4, 10)]
    assert (
        truth.explanation
        == "100% − 100%×(25%×工作真实性评价不完全真实得票率(40%) + 100%×工作真实性评价不真实得票率(0%))"
    )


def test_bool_input_in_a_per_unit_clause_is_a_type_error(tmp_path: Path) -> None:
    old = 'input: {path: members_failing_daily_study, label: 日学不达标人数, type: count, unit: 人, max: "@items.7.members"}'
    new = "input: {path: members_failing_daily_study, label: 日学不达标人数, type: bool}"
    (problem,) = _problems(_edited(tmp_path, "learning_team", old, new))
    assert problem.endswith(
        ".input.type:类型不符:日学不达标人数(members_failing_daily_study)的类型为是/否,"
        "按人数/个数扣分或得分需要 count(非负整数)或 number(数值)"
    )


def test_share_of_a_field_that_is_not_a_vote_table(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        "performance",
        "{share: {votes: truth_votes, tiers: [不真实]}}",
        "{share: {votes: name, tiers: [不真实]}}",
    )
    problems = _problems(path)
    assert any("share.votes:类型不符:name 的类型为文本,此处需要票数表" in p for p in problems), problems


def test_enum_compared_with_a_value_it_does_not_have(tmp_path: Path) -> None:
    path = _edited(tmp_path, "annual_cadre", "value: serious_problem}", "value: serious_problme}")
    (problem,) = _problems(path)
    assert problem.endswith(
        ".equals.value:'serious_problme' 不是选项之一;可用:excellent、normal、weak、serious_problem"
    )


def test_vote_tier_not_in_the_vote_table(tmp_path: Path) -> None:
    path = _edited(tmp_path, "performance", "tiers: [不真实]", "tiers: [不真]")
    (problem,) = _problems(path)
    assert problem.endswith("share.tiers:不真 不是 truth_votes 的选项;可用:真实、不完全真实、不真实")


def test_a_variable_reads_only_what_is_computed_before_it(tmp_path: Path) -> None:
    # water_saving: the unit total reads items_total; a variable cannot read the total it feeds.
    path = _edited(tmp_path, "water_saving", "expr: items_total", "expr: total")
    (problem,) = _problems(path)
    assert "未知字段 total" in problem


def test_every_problem_is_listed(tmp_path: Path) -> None:
    path = _edited(tmp_path, "annual_cadre", "value: serious_problem}", "value: x}")
    text = path.read_text(encoding="utf-8").replace("value: excellent}", "value: y}", 1)
    path.write_text(text, encoding="utf-8")
    assert len(_problems(path)) == 2


def test_every_schema_string_is_a_checked_reference_or_known_text() -> None:
    """A new construct whose string names a field must mark it `Annotated[str, Ref(kind)]` (or be listed as
    prose in TEXT_FIELDS): no name in a rubric file escapes the check by being new."""
    assert unmarked_strings() == set(TEXT_FIELDS)


# ---------------------------------------------------------------- rev. 2 constructs (merged from main)


def test_a_link_when_reads_the_linked_rubrics_names(tmp_path: Path) -> None:
    """annual_team's party-building link holds on the secretary's result: its flags, not the team's."""
    path = _edited(tmp_path, "annual_team", "- {flag: measures_ineffective}", "- {flag: measures_inefective}")
    (problem,) = _problems(path)
    where, message = problem.split(":", 1)
    assert where == "cohort.links.1.when.any.1.flag"
    assert message.startswith("未知字段 measures_inefective;可用字段:")
    assert "measures_ineffective" in message and "team_votes" not in message
    own = _edited(tmp_path, "annual_team", "- {flag: measures_ineffective}", "- {flag: learning_team_title}")
    assert [p.split(":", 1)[0] for p in _problems(own)] == ["cohort.links.1.when.any.1.flag"]


def test_a_link_when_fills_a_yes_no_input(tmp_path: Path) -> None:
    text = (RUBRIC_DIR / "annual_team.yaml").read_text(encoding="utf-8")
    assert "    - field: party_building_blocked\n" in text
    path = tmp_path / "my.yaml"
    path.write_text(
        text.replace("    - field: party_building_blocked\n", "    - field: scope\n"), encoding="utf-8"
    )
    (problem,) = _problems(path)
    assert problem.startswith("cohort.links.1.field:类型不符:scope 的类型为")
    assert problem.endswith("when 条件的结果需要是/否(bool)")


def test_streak_previous_inputs_and_tier(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        "annual_cadre",
        "previous: [previous_tiers.last_year,",
        "previous: [previous_tiers.lastyear,",
    )
    (problem,) = _problems(path)
    assert problem.startswith("cohort.streaks.0.previous.0:未知字段 previous_tiers.lastyear;可用字段:")
    path = _edited(tmp_path, "annual_cadre", "  streaks:\n    - tier: 优秀", "  streaks:\n    - tier: 优异")
    assert _problems(path) == ["cohort.streaks.0.tier:'优异' 不是档次之一;可用:优秀、称职、基本称职、不称职"]


def test_form_lists_name_a_numbers_input(tmp_path: Path) -> None:
    path = _edited(
        tmp_path, "party_secretary", "form: {lists: {report_marks: 60}}", "form: {lists: {report_mark: 60}}"
    )
    (problem,) = _problems(path)
    assert problem == "form.lists.report_mark:未知的数值列表字段 report_mark;可用字段:report_marks"
    path = _edited(
        tmp_path,
        "party_secretary",
        "form: {lists: {report_marks: 60}}",
        "form: {lists: {assessing_body: 60}}",
    )
    (problem,) = _problems(path)
    assert problem.startswith("form.lists.assessing_body:未知的数值列表字段 assessing_body")


def test_quota_parent_when_reads_the_unit(tmp_path: Path) -> None:
    path = _edited(tmp_path, "innovation", "parent_when: {flag: title}", "parent_when: {flag: titel}")
    (problem,) = _problems(path)
    assert problem.startswith("cohort.quota.pools.1.parent_when.flag:未知字段 titel;可用字段:")
    # the unit's names: the team's inputs, not the members' own
    assert "comprehensive_excellent" in problem and "position" not in problem


def test_banding_group_and_bottom_flag_key(tmp_path: Path) -> None:
    path = _edited(tmp_path, "party_secretary", "group_by: assessing_body", "group_by: assessing_bdy")
    (problem,) = _problems(path)
    assert problem.startswith("cohort.banding.group_by:未知字段 assessing_bdy;可用字段:")
    path = _edited(tmp_path, "performance", "- key: satisfaction_share", "- key: satisfaction_shar")
    (problem,) = _problems(path)
    assert problem.startswith("cohort.bottom_flags.0.key:未知字段 satisfaction_shar;")


def test_schema_annotations_are_resolved_for_the_walk() -> None:
    """Definitions defer their schema (defer_build): the walk must still see inside recursive conditions,
    or a parameter used only there (annual_cadre's share thresholds) would be reported unused."""
    from lxbz_xl.definition import logic as L
    from lxbz_xl.definition.check import model_fields

    assert "ForwardRef" not in repr(model_fields(L.AnyCond)["any"].annotation)
    assert check_definition(load_rubric("annual_cadre")) == []


def test_parent_when_only_on_member_pools(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        "innovation",
        "        entity: unit\n        filter: {flag: title}\n",
        "        entity: unit\n        filter: {flag: title}\n        parent_when: {flag: title}\n",
    )
    assert _problems(path) == ["cohort.quota.pools.0.parent_when:parent_when 只用于按成员(member)的名额池"]


def test_cohort_rules_cannot_read_item_sums(tmp_path: Path) -> None:
    """A cohort rule reads a finished result (cohort.result_env), which carries total, tier and title but not
    the item sums: `items_total` there would always be missing, so it is refused at load."""
    path = _edited(tmp_path, "learning_team", "    key: total", "    key: items_total")
    (problem,) = _problems(path)
    assert problem.startswith("cohort.") and "未知字段 items_total" in problem
