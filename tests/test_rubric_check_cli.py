"""`lxbz rubrics check`, `lxbz test --rubric` and `templates build --rubric` on a local rubric file (issue 11):
a misspelt name fails every command alike, naming it, with no traceback and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from lxbz_xl.cli import main
from lxbz_xl.definition.loader import RUBRIC_DIR, builtin_ids

TYPO = ("{flag: findings.targets_far_behind}", "{flag: findings.targets_far_behnd}")


def _copy(tmp_path: Path, rid: str, old: str = "", new: str = "") -> Path:
    text = (RUBRIC_DIR / f"{rid}.yaml").read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / "my.yaml"
    out.write_text(text.replace(old, new, 1) if old else text, encoding="utf-8")
    return out


def test_shipped_rubrics_pass_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubrics", "check", *(str(RUBRIC_DIR / f"{r}.yaml") for r in builtin_ids())]) == 0
    assert capsys.readouterr().out.count("通过") == len(builtin_ids())


def test_check_lists_every_problem_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy(tmp_path, "annual_team", *TYPO)
    text = bad.read_text(encoding="utf-8").replace("$excellent_share", "$excelent_share")
    bad.write_text(text, encoding="utf-8")
    good = RUBRIC_DIR / "annual_team.yaml"
    assert main(["rubrics", "check", str(good), str(bad)]) == 2
    out = capsys.readouterr().out
    assert "通过" in out and "有问题" in out
    assert "未知字段 findings.targets_far_behnd" in out
    assert "未知参数 $excelent_share" in out and "参数 excellent_share 未被使用" in out
    assert "Traceback" not in out


def test_score_with_a_misspelt_rubric_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy(tmp_path, "annual_team", *TYPO)
    case = tmp_path / "case.yaml"
    case.write_text("rubric: annual_team\nunit: 甲\nyear: 2025\n", encoding="utf-8")
    assert main(["score", str(case), "--rubric", str(bad)]) == 2
    assert "未知字段 findings.targets_far_behnd" in capsys.readouterr().out


def test_templates_build_lists_the_problems_of_every_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _copy(tmp_path, "annual_team", *TYPO)
    other = tmp_path / "other.yaml"
    other.write_text("id: other\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["templates", "build", "--rubric", str(bad), str(other), "--out", str(out)]) == 2
    text = capsys.readouterr().out
    assert "文件 my.yaml:" in text and "文件 other.yaml:version:缺少必填项" in text
    assert not out.exists()


def test_templates_build_on_a_bad_file_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _copy(tmp_path, "annual_team", *TYPO)
    out = tmp_path / "out"
    assert main(["templates", "build", "--rubric", str(bad), "--out", str(out)]) == 2
    assert "未知字段 findings.targets_far_behnd" in capsys.readouterr().out
    assert not out.exists()


def test_spec_cases_run_against_a_local_rubric_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = Path(__file__).parent / "spec_cases" / "learning_team.yaml"
    same = _copy(tmp_path, "learning_team")
    assert main(["test", "--rubric", str(same), str(cases)]) == 0
    # A local edit of a threshold changes what the shipped cases expect: the local file is really used.
    edited = _copy(
        tmp_path, "learning_team", "title_threshold:\n    value: 90", "title_threshold:\n    value: 99"
    )
    assert main(["test", "--rubric", str(edited), str(cases)]) == 1
    assert "FAIL" in capsys.readouterr().out
    bad = _copy(tmp_path, "learning_team", "$lecture_ratio", "$lecture_rate")
    assert main(["test", "--rubric", str(bad), str(cases)]) == 2
    assert "未知参数 $lecture_rate" in capsys.readouterr().out
