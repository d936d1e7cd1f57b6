"""`lxbz validate` end to end: a folder of good, tampered and hostile submissions in one command, every
finding in all four report formats, exit codes, crash containment, and files never modified."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from lxbz_xl.cli import main
from lxbz_xl.validation import runner
from lxbz_xl.validation.context import Context
from lxbz_xl.validation.model import CODES
from lxbz_xl.validation.releases import snapshot

from .test_validate_support import LPO, Factory, hf, shared_factory, tree_hashes


@pytest.fixture(scope="session")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    return shared_factory(tmp_path_factory)


GOOD = ("good_udf.xlsx", "good_native.xlsx", "nocache.xlsx")
_HAS_MSOFFCRYPTO = (
    importlib.util.find_spec("msoffcrypto") is not None
)  # real password protection, if installed


def _recipes(f: Factory) -> dict[str, tuple[Callable[[Path], Path], str, str | None]]:
    """file name → (builder into a folder, expected code, expected cell)."""

    def put(make: Callable[[], Path]) -> Callable[[Path], Path]:
        def build(folder: Path) -> Path:
            src = make()
            dst = folder / src.name
            dst.write_bytes(src.read_bytes())
            return dst

        return build

    def names(wb: openpyxl.Workbook) -> None:
        del wb.defined_names["LPO_I1_MISSING_PLAN_ELEMENTS"]
        wb.defined_names["LPO_I1_MEMBERS_WITHOUT_PLAN"].attr_text = "'考评表'!$F$7"

    def hide_cell(wb: openpyxl.Workbook) -> None:
        wb["考评表"]["F6"].number_format = ";;;"

    h5 = f.cell_inner("H5")
    return {
        "good_udf.xlsx": (put(lambda: f.copy("good_udf.xlsx")), "", None),
        "good_native.xlsx": (put(lambda: f.copy("good_native.xlsx", variant="native")), "", None),
        "nocache.xlsx": (put(lambda: f.strip_cached_values("nocache.xlsx")), "no_cached_values", None),
        "nometa.xlsx": (
            put(lambda: f.via_openpyxl("nometa.xlsx", lambda wb: wb.remove(wb["_lxbz"]))),
            "meta_missing",
            None,
        ),
        "rubric.xlsx": (put(lambda: f.set_meta("rubric.xlsx", "rubric", "nope")), "unknown_rubric", "B1"),
        "version.xlsx": (
            put(lambda: f.set_meta("version.xlsx", "version", "1999.9")),
            "unknown_version",
            "B2",
        ),
        "old.xlsx": (put(lambda: f.set_meta("old.xlsx", "version", "2009.1")), "outdated_template", "B2"),
        "variant.xlsx": (put(lambda: f.set_meta("variant.xlsx", "variant", "vba")), "unknown_variant", "B3"),
        "fp.xlsx": (put(lambda: f.set_meta("fp.xlsx", "fingerprint", "00")), "fingerprint_mismatch", "B4"),
        "nosheet.xlsx": (
            put(
                lambda: f.via_openpyxl(
                    "nosheet.xlsx", lambda wb: wb.remove(wb["班子成员明细"]), rubric="learning_team"
                )
            ),
            "sheet_missing",
            None,
        ),
        "names.xlsx": (put(lambda: f.via_openpyxl("names.xlsx", names)), "name_missing", "F5"),
        "moved.xlsx": (put(lambda: f.via_openpyxl("moved.xlsx", names)), "name_moved", "F6"),
        "range.xlsx": (put(lambda: f.set_cell("range.xlsx", "F5", b"<v>9</v>")), "input_invalid", "F5"),
        "year.xlsx": (put(lambda: f.set_cell("year.xlsx", "F2", b"")), "input_missing", "F2"),
        "typed.xlsx": (put(lambda: f.set_cell("typed.xlsx", "H5", b"<v>10</v>")), "formula_replaced", "H5"),
        "edited.xlsx": (
            put(lambda: f.set_cell("edited.xlsx", "H5", h5.replace(b"<f>", b"<f>1+"))),
            "formula_changed",
            "H5",
        ),
        "nodv.xlsx": (
            put(
                lambda: f.edit_sheet(
                    "nodv.xlsx",
                    lambda d: d.replace(b'<dataValidation sqref="F5"', b'<dataValidation sqref="Z99"'),
                )
            ),
            "validation_removed",
            "F5",
        ),
        "loose.xlsx": (
            put(
                lambda: f.edit_sheet(
                    "loose.xlsx",
                    lambda d: re.sub(
                        rb'(<dataValidation sqref="F5".*?<formula2>)2(</formula2>)',
                        rb"\g<1>99\2",
                        d,
                        count=1,
                        flags=re.S,
                    ),
                )
            ),
            "validation_changed",
            "F5",
        ),
        "hrow.xlsx": (
            put(
                lambda: f.edit_sheet(
                    "hrow.xlsx", lambda d: d.replace(b'<row r="6" ', b'<row r="6" hidden="1" ', 1)
                )
            ),
            "hidden_row",
            "F6",
        ),
        "hcol.xlsx": (
            put(
                lambda: f.edit_sheet(
                    "hcol.xlsx",
                    lambda d: d.replace(b'min="6" max="6" />', b'min="6" max="6" hidden="1" />', 1),
                )
            ),
            "hidden_column",
            None,
        ),
        "hcell.xlsx": (put(lambda: f.via_openpyxl("hcell.xlsx", hide_cell)), "hidden_cell", "F6"),
        "stale.xlsx": (
            put(lambda: f.set_cell("stale.xlsx", "H5", re.sub(rb"<v>[^<]*</v>", b"<v>10</v>", h5))),
            "value_mismatch",
            "H5",
        ),
        "errval.xlsx": (
            put(
                lambda: f.set_cell("errval.xlsx", "H5", re.sub(rb"<v>[^<]*</v>", b"<v>#NAME?</v>", h5), t="e")
            ),
            "cached_error",
            "H5",
        ),
        "macro.xlsm": (put(lambda: f.add_macro("macro.xlsm")), "macros", None),
        # hostile files (guard.py): each is its own finding, the batch goes on
        "garbage.xlsx": (hf.random_garbage, "not_a_zip", None),
        "secret.xlsx": (hf.encrypted_cfb, "encrypted", None),
        "ratio.xlsx": (hf.ratio_bomb, "zip_bomb", None),
        "laughs.xlsx": (hf.billion_laughs, "xml_bomb", None),
        "huge.xlsx": (hf.oversize_sparse, "too_large", None),
        "rows.xlsx": (hf.many_rows, "too_many_rows", None),
        "report.xlsx": (hf.pdf_renamed, "wrong_type", None),
        "truncated.xlsx": (hf.truncated_zip, "corrupt", None),
        # the run itself (see the patched check below)
        "crash.xlsx": (put(lambda: f.copy("crash.xlsx")), "internal_error", None),
        "slow.xlsx": (put(lambda: f.copy("slow.xlsx")), "timeout", None),
        "die.xlsx": (put(lambda: f.copy("die.xlsx")), "internal_error", None),
    } | ({"protected.xlsx": (hf.really_encrypted, "encrypted", None)} if _HAS_MSOFFCRYPTO else {})


@pytest.fixture(scope="module")
def batch(
    factory: Factory, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, tuple[str, str | None]]]:
    folder = tmp_path_factory.mktemp("batch")
    (folder / "sub").mkdir()
    expected = {}
    for name, (build, code, cell) in _recipes(factory).items():
        target = folder / "sub" if name.startswith(("good_native", "rows")) else folder  # recursion
        path = build(target)
        if path.name != name:
            path = path.rename(path.with_name(name))
        expected[name] = (code, cell)
    releases = tmp_path_factory.mktemp("releases")
    old = snapshot(Context().rubric(LPO))
    old["version"] = "2009.1"
    old["items"]["1"]["points"] = "15"
    (releases / f"{LPO}@2009.1.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    return folder, expected | {"_releases": (str(releases), None)}


def _patch_run_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers are forked, so they inherit this: one file raises, one hangs, one kills its worker."""
    real = runner.check_file

    def check(path: Path, context: Context, limits: object) -> object:
        if path.name == "crash.xlsx":
            raise RuntimeError("boom")
        if path.name == "slow.xlsx":
            time.sleep(30)
        if path.name == "die.xlsx":
            os._exit(3)
        return real(path, context, limits)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "check_file", check)


def test_mixed_folder_all_findings_in_all_four_reports(
    batch: tuple[Path, dict[str, tuple[str, str | None]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, expected = batch
    releases = expected.pop("_releases")[0]
    monkeypatch.setenv("LXBZ_RELEASES_DIR", str(releases))
    _patch_run_failures(monkeypatch)
    before = tree_hashes(folder)
    out_json, out_junit, out_xlsx = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.xlsx"
    started = time.perf_counter()
    code = main(
        [
            "validate",
            str(folder),
            "--jobs",
            "2",
            "--timeout",
            "2",
            "--json",
            str(out_json),
            "--junit",
            str(out_junit),
            "--xlsx",
            str(out_xlsx),
        ]
    )
    assert time.perf_counter() - started < 40
    assert code == 1
    assert tree_hashes(folder) == before  # submissions are only read
    console = capsys.readouterr().out

    records = {Path(r["path"]).name: r for r in json.loads(out_json.read_text(encoding="utf-8"))["workbooks"]}
    assert set(records) == set(expected)
    junit = {Path(c.get("name", "")).name: c for c in ET.parse(out_junit).getroot().iter("testcase")}
    assert set(junit) == set(expected)
    wb = openpyxl.load_workbook(out_xlsx)
    ws = wb["问题清单"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws["A1"].value == "文件"
    rows = [
        dict(zip([c.value for c in ws[1]], [c.value for c in row], strict=True))
        for row in ws.iter_rows(min_row=2)
    ]

    for name, (want, cell) in expected.items():
        record = records[name]
        if not want:
            passing = [f for f in record["findings"] if f["code"] != "items_unfilled"]  # §0: passes
            assert record["status"] == "valid" and passing == [], name
            assert junit[name].find("failure") is None and junit[name].find("error") is None
            continue
        hits = [f for f in record["findings"] if f["code"] == want]
        assert hits, f"{name}: {want} not in {record['findings']}"
        if cell:
            assert hits[0]["cell"] == cell, (name, hits[0])
        assert set(record) >= {
            "path",
            "sha256",
            "status",
            "rubric",
            "version",
            "variant",
            "unit",
            "year",
            "total",
            "tier",
            "findings",
        }
        case = junit[name]
        text = "".join(e.text or "" for e in case.iter() if e.tag in ("failure", "error", "system-out"))
        assert want in text, name
        if CODES[want][0] != "info":
            assert record["status"] == "invalid"
            tag = "error" if want in ("internal_error", "timeout") else "failure"
            assert case.find(tag) is not None, name
        assert any(
            r["问题代码"] == want and Path(r["文件"]).name == name and (not cell or r["单元格"] == cell)
            for r in rows
        ), name
        assert want in console and name in console
    assert records["good_udf.xlsx"]["total"] == 96 and records["good_udf.xlsx"]["unit"] == "红星县委"
    assert "boom" in records["crash.xlsx"]["findings"][0]["message"]


def test_exit_zero_for_valid_batch_and_in_process_run(factory: Factory, tmp_path: Path) -> None:
    for name in GOOD[:2]:
        (tmp_path / name).write_bytes(factory.good(LPO, "native" if "native" in name else "udf").read_bytes())
    (tmp_path / "~$good_udf.xlsx").write_bytes(b"lock file")  # Excel's lock file is not a submission
    assert main(["validate", str(tmp_path / "*.xlsx"), "--jobs", "1"]) == 0
    assert main(["validate", str(tmp_path)]) == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "none*.xlsx")]) == 2
    assert main(["validate", str(tmp_path)]) == 2  # an empty folder matches nothing
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(tmp_path), "--jobs", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--bogus"])
    assert exc.value.code == 2


def test_unexpected_exception_in_process_is_a_finding(
    factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "a.xlsx"
    good.write_bytes(factory.good().read_bytes())
    bad = tmp_path / "crash.xlsx"
    bad.write_bytes(factory.good().read_bytes())
    _patch_run_failures(monkeypatch)
    reports = runner.run([bad, good], jobs=1)
    assert [r.status for r in reports] == ["invalid", "valid"]
    assert reports[0].findings[0].code == "internal_error"


# ------------------------------------------------------------------------------------------------ score --from-workbook


def test_score_from_workbook_writes_recomputed_copy(factory: Factory, tmp_path: Path) -> None:
    from lxbz_xl.validation.check_file import check_file
    from lxbz_xl.validation.read_fast import read_workbook

    # A workbook saved without calculated results (written by a tool that does not calculate): valid, and the
    # copy gets the core's values.
    src = tmp_path / "uncalculated.xlsx"
    src.write_bytes(
        factory.edit_sheet(
            "uncalculated.xlsx", lambda d: re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", d)
        ).read_bytes()
    )
    assert "no_cached_values" in {f.code for f in check_file(src, Context()).findings}
    before = src.read_bytes()
    out = tmp_path / "out" / "scored.xlsx"
    out.parent.mkdir()
    assert main(["score", "--from-workbook", str(src), "--write", str(out)]) == 0
    assert src.read_bytes() == before
    assert [f.code for f in check_file(out, Context()).findings] == ["items_unfilled"]  # fresh values
    a, b = read_workbook(src), read_workbook(out)
    assert a.defined_names == b.defined_names and a.sheet_names == b.sheet_names
    assert a.sheets["考评表"].validations == b.sheets["考评表"].validations
    assert [p.name for p in out.parent.iterdir()] == ["scored.xlsx"]  # no temp file left behind


def test_score_from_workbook_refuses_what_validate_refuses(factory: Factory, tmp_path: Path) -> None:
    """Issue 16: a workbook `validate` rejects (here an edited cached score) gets the same finding and no copy."""
    src = tmp_path / "stale.xlsx"
    src.write_bytes(
        factory.edit_sheet(
            "stale_score.xlsx",
            lambda d: re.sub(rb'(<c r="H5"[^>]*><f>[^<]*</f><v>)[^<]*(</v>)', rb"\g<1>10\2", d),
        ).read_bytes()
    )
    out = tmp_path / "scored.xlsx"
    assert main(["score", "--from-workbook", str(src), "--write", str(out)]) == 1
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["stale.xlsx"]


def test_score_from_workbook_refuses_to_overwrite_the_input(factory: Factory, tmp_path: Path) -> None:
    from lxbz_xl.cli_validate import score_workbook

    src = tmp_path / "a.xlsx"
    src.write_bytes(factory.good().read_bytes())
    before = src.read_bytes()
    assert score_workbook(src, src) == 2
    assert score_workbook(src, tmp_path / "." / "a.xlsx") == 2
    link = tmp_path / "hard.xlsx"
    os.link(src, link)
    assert score_workbook(src, link) == 2  # same inode under another name
    assert src.read_bytes() == before
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(factory.set_cell("bad_score.xlsx", "F5", b"<v>9</v>").read_bytes())
    assert score_workbook(bad, tmp_path / "bad_out.xlsx") == 1  # inputs invalid: nothing written
    assert not (tmp_path / "bad_out.xlsx").exists()


def test_discover_files_folders_and_globs(tmp_path: Path) -> None:
    from lxbz_xl.validation.discover import discover

    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/1.xlsx", "a/b/2.XLSM", "a/b/3.xls", "a/~$1.xlsx", "c.txt"):
        (tmp_path / name).write_bytes(b"x")
    files, unmatched = discover(
        [
            str(tmp_path / "a"),
            str(tmp_path / "**" / "*.xlsx"),
            str(tmp_path / "c.txt"),
            str(tmp_path / "missing.xlsx"),
        ]
    )
    names = sorted(p.name for p in files)
    assert names == ["1.xlsx", "2.XLSM", "c.txt"]  # no duplicates; an explicit file is taken as named
    assert unmatched == [str(tmp_path / "missing.xlsx")]


def test_watchdog_stops_a_hang_the_file_timer_cannot_interrupt(
    factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hang inside C code (simulated: SIGALRM blocked) is ended by killing the worker."""
    import signal

    real = runner.check_file

    def check(path: Path, context: Context, limits: object) -> object:
        if path.name == "hang.xlsx":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(60)
        return real(path, context, limits)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "check_file", check)
    paths = []
    for name in ("a.xlsx", "hang.xlsx", "b.xlsx", "c.xlsx"):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(factory.good().read_bytes())
    started = time.perf_counter()
    reports = runner.run(paths, jobs=2, timeout=0.5, watchdog=1.5)
    assert time.perf_counter() - started < 20
    assert [r.status for r in reports] == ["valid", "invalid", "valid", "valid"]
    assert reports[1].findings[0].code == "timeout"
