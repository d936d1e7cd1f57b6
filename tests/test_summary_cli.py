"""`lxbz summary` and `lxbz demo` end to end on real files: exit codes, outputs, never touching inputs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lxbz_xl.cli import main
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
from lxbz_xl.workbook.fill import fill_case

CHAIN = {
    "learning_party_org": {"items": {3: {"missing_elements": 5}, 9: {"members_short_of_hours": 1}}},  # 89
    "learning_team": {},
    "annual_team": {
        "scope": "county",
        "team_votes": {"优秀": 8, "较好": 2},
        "principal_votes": {"优秀": 8, "称职": 2},
        "findings": {"targets_good": True, "team_united": True},
    },
}


def _fill(folder: Path, unit: str, rubric: str, extra: dict[str, object], name: str | None = None) -> Path:
    defn = load_rubric(rubric)
    case = {"rubric": rubric, "unit": unit, "year": 2025, **extra}
    dst = folder / (name or f"{rubric}_{unit}.xlsx")
    return fill_case(defn, case, dst, "udf", DEFAULT_DIR / template_name(rubric, "udf"))


@pytest.fixture()
def batch(tmp_path: Path) -> Path:
    folder = tmp_path / "报送"
    for rubric, extra in CHAIN.items():
        _fill(folder, "甲县", rubric, extra)
    return folder


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_summary_writes_workbook_and_json_exit_0_without_problems(batch: Path, tmp_path: Path) -> None:
    before = _digest(batch)
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    assert main(["summary", str(batch), "--out", str(out), "--json", str(js), "--jobs", "1"]) == 0
    assert out.is_file() and _digest(batch) == before  # submissions are only read
    data = json.loads(js.read_text(encoding="utf-8"))
    (row,) = data["rows"]
    assert row["unit"] == "甲县"
    # The chain: 89 < 90 → no party-org title → no learning-team title → annual 优秀 capped to 较好.
    text = json.dumps(row, ensure_ascii=False)
    assert "较好" in text and "不能评为超标单位" in text


def test_summary_exit_1_lists_conflicts_and_invalid_files(batch: Path, tmp_path: Path) -> None:
    _fill(batch, "甲县", "learning_party_org", {}, name="learning_party_org_甲县_更正.xlsx")  # differs
    (batch / "坏文件.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    assert main(["summary", str(batch), "--out", str(out), "--json", str(js), "--jobs", "1"]) == 1
    kinds = {p["kind"] for p in json.loads(js.read_text(encoding="utf-8"))["problems"]}
    assert {"报送冲突", "未通过校验", "缺报"} <= kinds


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--out", "x.csv"], "suffix"),
        (["--out", "/no/such/dir/汇总.xlsx"], "folder"),
    ],
)
def test_summary_usage_errors_exit_2(batch: Path, args: list[str], why: str) -> None:
    assert main(["summary", str(batch), *args]) == 2, why


def test_summary_of_nothing_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["summary", str(tmp_path / "missing"), "--out", str(tmp_path / "a.xlsx")]) == 2
    assert not (tmp_path / "a.xlsx").exists()


def test_summary_ignores_its_own_previous_output(batch: Path, tmp_path: Path) -> None:
    out = batch / "汇总.xlsx"
    assert main(["summary", str(batch), "--out", str(out), "--jobs", "1"]) == 0
    assert main(["summary", str(batch), "--out", str(out), "--jobs", "1"]) == 0  # not read as a submission


def test_demo_runs_the_whole_story(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    assert (out / "汇总.xlsx").is_file() and (out / "汇总.json").is_file()
    assert len(list((out / "templates").glob("*.xlsx"))) == 20
    data = json.loads((out / "汇总.json").read_text(encoding="utf-8"))
    assert 35 <= len({r["unit"] for r in data["rows"]}) <= 60
    kinds = {p["kind"] for p in data["problems"]}
    assert {"未通过校验", "报送冲突", "重复报送", "缺报"} <= kinds
    # A folder the demo did not make is never cleared.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["demo", "--out", str(tmp_path / "other")])
    assert (tmp_path / "other" / "keep.txt").exists()
