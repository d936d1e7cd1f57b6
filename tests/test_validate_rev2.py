"""Forms built from a rubric's revision-1 template (before RUBRICS.md revision 2 bumped its version) are
reported by `lxbz validate` as outdated templates naming both versions, never as tampered."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from lxbz_xl.definition.loader import builtin_ids, load_rubric
from lxbz_xl.validation.check_file import check_file
from lxbz_xl.validation.context import Context
from lxbz_xl.validation.model import CODES

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "430dece"  # the last commit before part B of revision 2 bumped these rubrics


def _git_show(path: str) -> bytes:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE}:{path}"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"{path} at {BEFORE} is not in this checkout's git history (a rubric added since)")


def _old_version(rubric: str) -> str:
    """The version the rubric had before revision 2 (read from git, so a rubric added later skips)."""
    return str(yaml.safe_load(_git_show(f"lxbz_xl/rubrics/{rubric}.yaml"))["version"])


def _old_template(rubric: str, dst: Path) -> Path:
    dst.write_bytes(_git_show(f"workbook_templates/{rubric}.xlsx"))
    return dst


@pytest.mark.parametrize("rubric", builtin_ids())
def test_revision_1_form_is_an_outdated_template_not_tampered(rubric: str, tmp_path: Path) -> None:
    old, new = _old_version(rubric), load_rubric(rubric).version
    assert old != new  # revision 2 changed the rubric, so its version moved on
    report = check_file(_old_template(rubric, tmp_path / f"{rubric}.xlsx"), Context())
    codes = {f.code for f in report.findings}
    assert "outdated_template" in codes
    message = next(f.message for f in report.findings if f.code == "outdated_template")
    assert f"版本{old}" in message and f"当前版本{new}" in message
    assert not {c for c in codes if CODES[c][1] == "tamper"}
