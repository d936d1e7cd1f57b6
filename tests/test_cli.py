"""`lxbz score` and `lxbz rubrics`: output keys, Chinese tables and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lxbz_xl.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cases"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_score_json_has_the_documented_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _write(
        tmp_path,
        "a.yaml",
        "rubric: learning_team\nunit: 某县委\nyear: 2025\nitems:\n  1: {missing_elements: 1, members_without_plan: 2}\ncontext: {party_org_title: true, annual_team_tier: 较好}\n",
    )
    assert main(["score", str(case), "--format", "json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    for key in ("rubric", "unit", "year", "total", "items", "title", "adjustments", "errors"):
        assert key in record
    assert record["total"] == 97 and record["title"] is True
    first = record["items"][0]
    assert (first["id"], first["score"], first["deduction"]) == (1, 7, 3)
    assert "每1名班子成员无个人计划扣1分:2人,扣2分" in first["explanations"]
    assert [i["id"] for i in record["items"]] == list(range(1, 11))


def test_tier_rubric_json_has_tier_and_base_tier(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _write(
        tmp_path,
        "t.yaml",
        "rubric: annual_team\nunit: 某县\nyear: 2025\nscope: county\nteam_votes: {优秀: 8, 较好: 2}\nprincipal_votes: {优秀: 8, 称职: 2}\nfindings: {targets_good: true, team_united: true}\nvetoes: {veto_population: true}\n",
    )
    assert main(["score", str(case), "--format", "json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert (record["base_tier"], record["tier"]) == ("优秀", "较好")
    assert record["adjustments"][0]["kind"] == "veto"


def test_bad_case_exits_2_and_others_still_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "good.yaml", "rubric: learning_party_org\nunit: 甲\nyear: 2025\n")
    bad = _write(
        tmp_path,
        "bad.yaml",
        "rubric: learning_team\nunit: 乙\nyear: 2025\nitems: {1: {missing_elements: 4}}\n",
    )
    broken = _write(tmp_path, "broken.yaml", "rubric: [unclosed\n")
    assert main(["score", str(good), str(bad), str(broken), "--format", "json"]) == 2
    records = json.loads(capsys.readouterr().out)
    assert records[0]["total"] == 100 and records[0]["errors"] == []
    assert records[1]["errors"][0]["message"] == "第1项缺项数应为0–3,实为4"
    assert "broken.yaml" in records[2]["errors"][0]["message"]


def test_table_output_is_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _write(
        tmp_path,
        "a.yaml",
        "rubric: learning_team\nunit: 某县委\nyear: 2025\nitems: {7: {members: 7, members_lectured: 1}}\n",
    )
    assert main(["score", str(case)]) == 0
    out = capsys.readouterr().out
    assert "扣分说明" in out and "总分:99" in out and "学习型领导班子:是" in out


def test_rubrics_show_lists_fields_with_labels_and_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubrics", "show", "annual_team"]) == 0
    out = capsys.readouterr().out
    assert "team_votes" in out and "领导班子民主测评" in out and "优秀/较好/一般/较差" in out
    assert main(["rubrics", "show", "nope"]) == 2


def test_examples_score_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.yaml"))
    assert len(files) >= 10
    assert main(["score", *files, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["rubric"] for r in records} >= {"learning_team", "annual_team", "innovation", "study_credits"}


def test_score_against_an_edited_rubric_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from lxbz_xl.definition.loader import RUBRIC_DIR

    data = yaml.safe_load((RUBRIC_DIR / "learning_team.yaml").read_text(encoding="utf-8"))
    data["parameters"]["title_threshold"]["value"] = 95
    data["version"] = "2026.本地"
    mine = tmp_path / "my.yaml"
    mine.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    case = _write(
        tmp_path,
        "c.yaml",
        "rubric: learning_team\nunit: 甲\nyear: 2026\nitems: {1: {missing_elements: 3, members_without_plan: 3}}\ncontext: {party_org_title: true, annual_team_tier: 较好}\n",
    )
    assert main(["score", str(case), "--rubric", str(mine), "--format", "json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert (record["rubric_version"], record["total"], record["title"]) == ("2026.本地", 94, False)
    assert main(["score", str(case), "--rubric", str(tmp_path / "missing.yaml")]) == 2
