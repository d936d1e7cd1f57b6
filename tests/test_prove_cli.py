"""`lxbz templates prove` / `lxbz prove`: the three-way proof of any rubric through one command.

Runs on a rubric written for the tests (tests/rubrics/test_mixed.yaml, not built in) and on one built-in
rubric, with a few cases; the LibreOffice part is marked `libreoffice`. A template built from a different
rubric than the one proved must be caught (exit 1, mismatches named per cell, in Chinese).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lxbz_xl.cli import main

MIXED = Path(__file__).parent / "rubrics" / "test_mixed.yaml"


def _skip_without_pycel() -> None:
    pytest.importorskip("pycel")


def test_udf_proof_of_a_rubric_file(capsys: pytest.CaptureFixture[str]) -> None:
    _skip_without_pycel()
    code = main(["templates", "prove", "--rubric", str(MIXED), "--cases", "6", "--variant", "udf"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "test_mixed LXBZ函数版(pycel):6例全部一致" in out


def test_udf_proof_of_a_built_in_rubric(capsys: pytest.CaptureFixture[str]) -> None:
    _skip_without_pycel()
    code = main(["prove", "learning_team", "--cases", "3", "--seed", "5", "--variant", "udf"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "learning_team LXBZ函数版(pycel):3例全部一致" in out


def test_templates_of_another_rubric_are_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Templates built from test_mixed, proved against an edited copy (每次扣分 2 → 3): exit 1."""
    _skip_without_pycel()
    templates = tmp_path / "templates"
    assert (
        main(["templates", "build", "--rubric", str(MIXED), "--variant", "udf", "--out", str(templates)]) == 0
    )
    edited = tmp_path / "test_mixed.yaml"
    text = MIXED.read_text(encoding="utf-8")
    assert "per_meeting: {value: 2," in text
    edited.write_text(text.replace("per_meeting: {value: 2,", "per_meeting: {value: 3,"), encoding="utf-8")
    capsys.readouterr()
    code = main(
        ["prove", "--rubric", str(edited), "--templates", str(templates), "--cases", "12", "--variant", "udf"]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "个单元格不一致" in out
    assert "例不一致,如 test_mixed 第" in out  # per named cell, with an example case
    assert "应为" in out and "工作簿显示" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prove", "--cases", "0"], "--cases 应为正整数"),
        (["prove", "no_such_rubric", "--cases", "2"], "no_such_rubric"),
        (["prove", "--rubric", str(MIXED), "--templates", "/nonexistent", "--variant", "udf"], "缺少"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().out


@pytest.mark.libreoffice
def test_three_way_proof_with_libreoffice(capsys: pytest.CaptureFixture[str]) -> None:
    from lxbz_xl.office import find_soffice

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    _skip_without_pycel()
    code = main(["prove", "learning_team", "--rubric", str(MIXED), "--cases", "4", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    for rid in ("test_mixed", "learning_team"):
        assert f"{rid} LXBZ函数版(pycel):4例全部一致" in out
        assert f"{rid} 原生公式版(LibreOffice):4例全部一致" in out
