"""Inputs at load time: a retired input is named with what replaced it (`retired_inputs:`), not with a
bare 未知字段; a retired name that is still an input, or a record shape not every back end reads alike, fails."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, load_definition, load_rubric
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.workbook.embed import definition_digest

pytestmark = pytest.mark.core
EXAMPLE = sorted(Path(__file__).parents[1].glob("examples/cases/layered_*.yaml"))[0]


def test_a_retired_member_field_says_what_replaced_it() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    members = [dict(m) for m in data["members"]]
    members[1]["review_score"] = 80
    result = evaluate(load_rubric("layered"), {**data, "members": members})
    (error,) = [e for e in result.errors if e.field.endswith("review_score")]
    assert error.field == "members.2.review_score"  # rows are counted from 1
    assert "已停用" in error.message and "leader_review" in error.message and "social_review" in error.message
    assert "未知字段" not in error.message


def test_an_unknown_field_is_still_unknown() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    members = [dict(m) for m in data["members"]]
    members[0]["review_scor"] = 80
    result = evaluate(load_rubric("layered"), {**data, "members": members})
    assert any("未知字段" in e.message and e.field == "members.1.review_scor" for e in result.errors)


def test_a_retired_name_that_is_still_an_input_fails_at_load(tmp_path: Path) -> None:
    text = (RUBRIC_DIR / "layered.yaml").read_text(encoding="utf-8")
    edited = tmp_path / "my.yaml"
    edited.write_text(text.replace("  members.review_score:", "  members.leader_review:"), encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"retired_inputs\.members\.leader_review"):
        load_definition(edited)


def test_hints_change_no_digest() -> None:
    defn = load_rubric("layered")
    assert definition_digest(defn) == definition_digest(defn.model_copy(update={"retired_inputs": {}}))


@pytest.mark.parametrize(
    "fields",
    [
        "[{path: points, label: 分值, type: number}]",
        "[{path: reason, label: 理由, type: text}, {path: points, label: 分值, type: number}]",
        "[{path: points, label: 分值, type: number}, {path: reason, label: 理由, type: text}, "
        "{path: by, label: 认定单位, type: text}]",
    ],
)
def test_a_record_shape_every_back_end_reads_alike_or_none(tmp_path: Path, fields: str) -> None:
    """Forms, functions and validation lay a record out as (分值, 理由): any other shape fails at load."""
    text = (RUBRIC_DIR / "performance.yaml").read_text(encoding="utf-8")
    old = """    fields:
      - {path: points, label: 加减分, type: number, min: -100, max: 100}
      - {path: reason, label: 理由, type: text}
"""
    assert old in text
    edited = tmp_path / "my.yaml"
    edited.write_text(text.replace(old, f"    fields: {fields}\n", 1), encoding="utf-8")
    with pytest.raises(DefinitionError, match="记录列表"):
        load_definition(edited)
