"""`lxbz rubrics release`: the documented command that records a template release snapshot
(<id>@<version>.json), and refuses a different snapshot under an unchanged version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lxbz_xl.cli import main
from lxbz_xl.definition.loader import builtin_ids

EXAMPLE = Path(__file__).parent / "rubrics" / "branch_standard.yaml"


def _changed_copy(tmp: Path, version: str | None = None) -> Path:
    """The example with one item's deduction changed (扣4分 → 扣3分), optionally under a new version."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("per_unit: 4", "per_unit: 3")
    if version:
        text = text.replace('version: "2026.1"', f'version: "{version}"')
    path = tmp / "changed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_release_writes_id_at_version_json(tmp_path: Path) -> None:
    out = tmp_path / "releases"
    assert main(["rubrics", "release", "--rubric", str(EXAMPLE), "--out", str(out)]) == 0
    (path,) = out.iterdir()
    assert path.name == "branch_standard@2026.1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["rubric"], data["version"]) == ("branch_standard", "2026.1")
    assert data["fingerprints"]["udf"] and data["fingerprints"]["native"]


def test_releasing_the_same_template_again_is_a_no_op(tmp_path: Path) -> None:
    out = tmp_path / "releases"
    assert main(["rubrics", "release", "--rubric", str(EXAMPLE), "--out", str(out)]) == 0
    path = out / "branch_standard@2026.1.json"
    before = path.stat().st_mtime_ns
    assert main(["rubrics", "release", str(EXAMPLE), "--out", str(out)]) == 0
    assert path.stat().st_mtime_ns == before


def test_a_changed_template_under_the_same_version_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "releases"
    assert main(["rubrics", "release", "--rubric", str(EXAMPLE), "--out", str(out)]) == 0
    recorded = (out / "branch_standard@2026.1.json").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["rubrics", "release", "--rubric", str(_changed_copy(tmp_path)), "--out", str(out)]) == 2
    said = capsys.readouterr().out
    assert "拒绝覆盖" in said and "2026.1" in said and "提高" in said
    assert (out / "branch_standard@2026.1.json").read_text(encoding="utf-8") == recorded
    # Bumping the version is the fix: the old snapshot stays, the new one is added.
    bumped = _changed_copy(tmp_path, "2026.2")
    assert main(["rubrics", "release", "--rubric", str(bumped), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "branch_standard@2026.1.json",
        "branch_standard@2026.2.json",
    ]


def test_without_a_file_every_built_in_rubric_is_released(tmp_path: Path) -> None:
    out = tmp_path / "releases"
    assert main(["rubrics", "release", "--out", str(out)]) == 0
    names = {p.name.split("@")[0] for p in out.iterdir()}
    assert names == set(builtin_ids())


def test_the_old_module_entry_point_still_works(tmp_path: Path) -> None:
    out = tmp_path / "releases"
    cmd = [sys.executable, "-m", "lxbz_xl.validation.releases", str(EXAMPLE), "--out", str(out)]
    assert subprocess.run(cmd, check=False, capture_output=True).returncode == 0
    assert (out / "branch_standard@2026.1.json").is_file()
