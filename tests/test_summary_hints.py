"""Rules and layout that belong to one rubric live in its YAML, not in code (issue 11): the §1 chain's
parts and the summary's unit order (`summary:`), roster column widths (`form.roster_widths`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, load_definition, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition, SummaryHints
from lxbz_xl.summary.compute import build_summary
from lxbz_xl.summary.model import Submission

YEAR = 2025


def _sub(case: dict[str, Any]) -> Submission:
    case = {"year": YEAR, **case}
    path = f"{case['rubric']}_{case['unit']}.xlsx"
    return Submission(path, f"sha-{path}", "valid", case["rubric"], "v", "udf", case["unit"], YEAR, [], case)


def _loader(rid: str, **hints: Any) -> Callable[[str], RubricDefinition]:
    """load_rubric, except that `rid` gets other `summary:` hints."""
    changed = load_rubric(rid)
    changed = changed.model_copy(update={"summary": SummaryHints(**hints)})

    def load(ref: str) -> RubricDefinition:
        return changed if ref == rid else load_rubric(ref)

    return load


ANNUAL = {
    "rubric": "annual_team",
    "unit": "甲县",
    "scope": "county",
    "team_votes": {"优秀": 8, "较好": 2},
    "principal_votes": {"优秀": 8, "称职": 2},
    "findings": {"targets_good": True, "team_united": True},
}
CHAIN = [
    _sub({"rubric": "learning_party_org", "unit": "甲县", "items": {}}),
    _sub({"rubric": "learning_team", "unit": "甲县"}),
    _sub(ANNUAL),
]


def test_the_chain_is_the_one_the_yaml_declares() -> None:
    (row,) = build_summary(CHAIN, ["t"]).rows
    assert (row.party_org_title, row.learning_title, row.annual_tier, row.exceed_eligible) == (
        True,
        True,
        "优秀",
        True,
    )
    # The same batch, with learning_team declaring no part in the chain: the chain has no learning title.
    (row,) = build_summary(CHAIN, ["t"], load=_loader("learning_team", order=2)).rows
    assert row.learning_title is None and row.exceed_eligible is None
    assert row.party_org_title is True and row.annual_tier == "优秀"
    # … and no rubric names the words: nothing says 学习型领导班子 or 超标单位 (they come from the YAML).
    assert not any("学习型领导班子" in r or "超标单位" in r for r in row.reasons), row.reasons


def test_the_chain_words_come_from_the_yaml() -> None:
    """Column headings and reasons use `short_name`, `chain_label` and `unlocks` of the chain's rubrics."""
    batch = [CHAIN[0], CHAIN[2]]  # the learning-team form is missing: its words come through the links
    summary = build_summary(batch, ["t"])
    assert summary.chain.headers() == (
        "学习型党组织",
        "学习型领导班子",
        "年度考核档次(资格链前)",
        "年度考核档次",
        "可评超标单位",
        "资格链说明",
    )
    assert "缺少学习型领导班子考评表,超标单位资格待定" in summary.rows[0].reasons
    renamed = _loader(
        "learning_team", order=2, chain="learning", chain_label="学习型班子", unlocks="先进单位"
    )
    summary = build_summary(batch, ["t"], load=renamed)
    assert summary.chain.headers()[1] == "学习型班子" and "可评先进单位" in summary.chain.headers()
    assert "缺少学习型班子考评表,先进单位资格待定" in summary.rows[0].reasons
    no_unlock = _loader("learning_team", order=2, chain="learning")
    summary = build_summary(batch, ["t"], load=no_unlock)
    assert not any(h.startswith("可评") for h in summary.chain.headers())


@pytest.mark.parametrize(
    ("hints", "words"),
    [
        ({"unlocks": "超标单位"}, "unlocks"),
        ({"chain": "annual", "unlocks": "超标单位"}, "unlocks"),
        ({"chain_label": "x"}, "chain_label"),
    ],
)
def test_chain_words_need_their_part(hints: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SummaryHints(**hints)


def test_units_are_listed_in_the_declared_order() -> None:
    batch = [
        _sub({"rubric": "learning_party_org", "unit": "乙县", "items": {}}),
        _sub(ANNUAL),
    ]
    assert [r.unit for r in build_summary(batch, ["t"]).rows] == ["乙县", "甲县"]  # order 1 before 3
    moved = _loader("learning_party_org", order=9, chain="party_org")
    assert [r.unit for r in build_summary(batch, ["t"], load=moved).rows] == ["甲县", "乙县"]


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = (RUBRIC_DIR / "learning_team.yaml").read_text(encoding="utf-8")
    assert old in text, old
    out = tmp_path / "my.yaml"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


WIDTHS = "roster_widths: {is_principal: 6, cycle_hours: 10, quarterly_notes_chars: 10}"


def test_roster_widths_come_from_the_yaml(tmp_path: Path) -> None:
    from lxbz_xl.workbook.roster import compile_roster

    shipped = compile_roster(load_rubric("learning_team"))
    assert shipped is not None
    widths = {c.key: c.width for c in shipped.columns}
    assert (widths["is_principal"], widths["cycle_hours"], widths["name"]) == (6.0, 10.0, 10.0)
    edited = load_definition(_edited(tmp_path, WIDTHS, "roster_widths: {is_principal: 12.5}"))
    roster = compile_roster(edited)
    assert roster is not None
    widths = {c.key: c.width for c in roster.columns}
    assert (widths["is_principal"], widths["cycle_hours"]) == (
        12.5,
        9.0,
    )  # 9.0: the default of a number column


def test_a_misspelt_roster_column_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(_edited(tmp_path, WIDTHS, "roster_widths: {is_principle: 6}"))
    (problem,) = info.value.problems
    assert problem.startswith("form.roster_widths.is_principle:未知的成员明细列 is_principle;可用列:name、")


def test_a_chain_part_outside_the_three_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(
            _edited(
                tmp_path,
                "summary: {order: 2, chain: learning, unlocks: 超标单位}",
                "summary: {chain: learner}",
            )
        )
    assert "summary.chain" in str(info.value)
