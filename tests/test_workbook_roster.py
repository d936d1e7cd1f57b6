"""The roster sheet is compiled from the rubric's `roster:` block: one source, no drift, loud failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, builtin_ids, load_definition
from lxbz_xl.engine.roster import derive_counts as core_derive_counts
from lxbz_xl.workbook.cases import cells_from_case, roster_errors
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.roster import UNSUPPORTED, compile_roster, derive_counts, roster_for

TEXT = (RUBRIC_DIR / "learning_team.yaml").read_text(encoding="utf-8")


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    assert old in TEXT
    path = tmp_path / "edited.yaml"
    path.write_text(TEXT.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("rid", builtin_ids())
def test_every_builtin_roster_compiles_from_its_yaml(rid: str) -> None:
    defn = load_rubric(rid)
    roster = roster_for(defn)
    if defn.roster is None:
        assert roster is None
        return
    assert roster is not None
    assert roster.sheet == defn.roster.label
    assert [(c.key, c.label, c.type) for c in roster.columns] == [
        (c.path, c.label, c.type) for c in defn.roster.columns
    ]
    compiled = {d.path for d in roster.derived} | {f"items.{roster.count_field[0]}.{roster.count_field[1]}"}
    assert compiled == set(defn.roster.derive)  # every rule of the YAML is on the sheet, and nothing else


def test_learning_team_translation() -> None:
    roster = compile_roster(load_rubric("learning_team"))
    assert roster is not None
    by_path = {d.path: d for d in roster.derived}
    assert roster.count_field == (7, "members") and roster.principal == "is_principal"
    assert by_path["items.2.missing_note_person_times"].tests == (("no", "notes_complete"),)
    assert by_path["items.7.members_lectured"].tests == (("yes", "lectured"),)
    assert by_path["items.6.principals_failing"].who == "principal"
    assert by_path["items.6.others_failing"].who == "other"
    assert by_path["items.6.others_failing"].tests == (
        ("below", "research_days", "$research_days"),
        ("below", "research_reports", "1"),
    )


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (
            "items.1.members_without_plan: {not: {flag: has_plan}}",
            "items.1.members_without_plan: {equals: {field: has_plan, value: false}}",
            "EqualsCond",
        ),
        (
            '{compare: {left: articles, op: "<", right: 1}}',
            '{compare: {left: articles, op: "<=", right: 0}}',
            "'<'",
        ),
        (
            "items.10.members_without_computer_skill: {not: {flag: has_computer_skill}}",
            "items.10.members_without_computer_skill: {not: {any: [{flag: has_computer_skill}]}}",
            "NotCond",
        ),
    ],
)
def test_unsupported_rule_fails_loudly(tmp_path: Path, old: str, new: str, why: str) -> None:
    defn = load_definition(_edited(tmp_path, old, new))
    evaluate(defn, {"rubric": defn.id, "unit": "甲", "year": 2025})  # the core itself is fine with it
    with pytest.raises(ValueError, match=UNSUPPORTED) as info:
        plan_for(defn)
    assert "roster.derive.items." in str(info.value) and why in str(info.value)


def test_rule_naming_an_unknown_column_is_refused_by_the_loader(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"roster\.derive\..*flag:未知字段 has_plann;可用字段:"):
        load_definition(_edited(tmp_path, "{not: {flag: has_plan}}", "{not: {flag: has_plann}}"))
    with pytest.raises(
        DefinitionError, match=r"roster\.derive\.items\.1\.members_without_plans:未知的检查项字段"
    ):
        load_definition(_edited(tmp_path, "items.1.members_without_plan:", "items.1.members_without_plans:"))


def test_edited_roster_reaches_the_sheet_without_code(tmp_path: Path) -> None:
    """A new column and rule in the YAML become a sheet column and a derived count."""
    path = _edited(
        tmp_path,
        "    - {path: has_computer_skill, label: 掌握计算机技能, type: bool, required: false, default: true}\n",
        "    - {path: has_computer_skill, label: 掌握计算机技能, type: bool, required: false, default: true}\n"
        "    - {path: plan_filed, label: 学习计划已备案, type: bool, required: false}\n",
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "items.1.members_without_plan: {not: {flag: has_plan}}",
            "items.1.members_without_plan: {any: [{not: {flag: has_plan}}, {not: {flag: plan_filed}}]}",
        ),
        encoding="utf-8",
    )
    defn = load_definition(path)
    plan = plan_for(defn)
    assert plan.roster is not None and plan.roster.columns[-1].key == "plan_filed"
    formula = " ".join(v for (s, _), v in plan.helpers.items() if s == plan.roster.sheet)
    assert "否" in formula
    rows = [{"name": "甲", "plan_filed": False}, {"name": "乙"}]
    assert derive_counts(defn, plan.roster, rows)[(1, "members_without_plan")] == 1


def test_workbook_counts_are_the_cores() -> None:
    defn = load_rubric("learning_team")
    roster = roster_for(defn)
    assert roster is not None
    rows = [
        {"name": "甲", "is_principal": "是", "research_days": 59, "notes_complete": "否"},
        {"name": "乙", "has_plan": False, "annual_hours": 109.5, "assigned_training_missed": True},
        {"research_days": 1},
    ]  # no name: not a row of the roster
    mine = derive_counts(defn, roster, rows)
    core, errors = core_derive_counts(defn, rows[:2])
    assert not errors
    assert {f"items.{k[0]}.{k[1]}": v for k, v in mine.items()} == core
    assert mine[(2, "missing_note_person_times")] == 1 and mine[(6, "principals_failing")] == 1


def test_typed_count_disagreeing_with_the_roster_is_reported_as_the_core_does() -> None:
    defn = load_rubric("learning_team")
    roster = [{"name": "赵副县长", "has_computer_skill": False}]
    case = {
        "rubric": "learning_team",
        "unit": "某县委",
        "year": 2025,
        "items": {"10": {"members_without_computer_skill": 0}},
        "roster": roster,
    }
    core = evaluate(defn, case).errors
    cells = cells_from_case(defn, case)
    found = roster_errors(defn, lambda s, r: cells.get((s, r)))
    assert [(e.field, e.message) for e in found] == [(e.field, e.message) for e in core]
    assert found and "不一致" in found[0].message
    agreeing = case | {"items": {"10": {"members_without_computer_skill": 1}}}
    cells = cells_from_case(defn, agreeing)
    assert roster_errors(defn, lambda s, r: cells.get((s, r))) == []


def test_validator_reports_a_typed_count_the_roster_contradicts(tmp_path: Path) -> None:
    from lxbz_xl.validation.check_file import check_file
    from lxbz_xl.validation.context import Context
    from lxbz_xl.workbook.fill import fill_case
    from lxbz_xl.workbook.layout import layout_for

    defn = load_rubric("learning_team")
    case = {
        "rubric": "learning_team",
        "unit": "某县委",
        "year": 2025,
        "items": {"10": {"members_without_computer_skill": 0}},
        "roster": [{"name": "赵副县长", "has_computer_skill": False}, {"research_days": 30}],
    }
    report = check_file(fill_case(defn, case, tmp_path / "lt.xlsx", "native"), Context())
    cell = layout_for(defn).by_path()["items.10.members_without_computer_skill"]
    found = {(f.code, f.sheet, f.cell): f.message for f in report.findings}
    assert "不一致" in found[("input_invalid", cell.sheet, cell.ref)]
    name = layout_for(defn).by_path()["roster.2.name"]
    assert "第2行" in found[("input_missing", name.sheet, name.ref)]  # data without a name is not counted
    assert report.total is None  # as the core: no result from contradictory inputs
