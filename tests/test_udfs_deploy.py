"""`lxbz excel config|lite`: the classic xlwings settings and the xlwings Lite bundle.

The Lite checks are what Pyodide needs: a py3-none-any wheel, and every dependency either pure Python
(its WHEEL says Root-Is-Purelib: true, no compiled files) or one Pyodide ships (pydantic-core, PyYAML).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import openpyxl
import pytest

from lxbz_xl.cli_excel import register
from udfs import deploy

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="lxbz")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def test_config_files(tmp_path: Path) -> None:
    exe = r"C:\Users\clerk\lxbz\.venv\Scripts\pythonw.exe"
    assert run("excel", "config", "--out", str(tmp_path), "--interpreter", exe) == 0
    # The file format xlwings reads (xlwings.utils.read_user_config): "KEY","VALUE" per line.
    text = (tmp_path / "xlwings.conf").read_text(encoding="utf-8")
    pairs = dict(tuple(v.strip('"') for v in re.findall(r'"[^"]*"', line)) for line in text.splitlines())
    assert pairs == {"INTERPRETER_WIN": exe, "UDF MODULES": "udfs"}
    sheet = openpyxl.load_workbook(tmp_path / "xlwings.conf.xlsx")["xlwings.conf"]
    assert [tuple(r) for r in sheet.iter_rows(values_only=True)] == [
        ("Interpreter_Win", exe),
        ("UDF Modules", "udfs"),
    ]
    steps = (tmp_path / "EXCEL-经典xlwings-步骤.txt").read_text(encoding="utf-8")
    assert "Import Functions" in steps and exe in steps and ".xlsm" in steps


def _vba_input(data: bytes, codepage: str = "cp936") -> dict[str, str]:
    """What xlwings' VBA GetConfigFromFile reads: ANSI bytes (the system code page), `Input #` pairs."""
    text = data.decode(codepage, errors="replace")
    return {k: v for k, v in (re.findall(r'"([^"]*)"', line) for line in text.splitlines() if line)}


def test_config_file_reads_right_on_chinese_windows(tmp_path: Path) -> None:
    exe = r"C:\Users\张三\考评\.venv\Scripts\pythonw.exe"
    assert run("excel", "config", "--out", str(tmp_path), "--interpreter", exe) == 0
    data = (tmp_path / "xlwings.conf").read_bytes()
    assert _vba_input(data) == {"INTERPRETER_WIN": exe, "UDF MODULES": "udfs"}
    assert data.count(b"\r\n") == 2  # Windows line ends
    # The UTF-8 file written before was garbled when read in cp936: the reason for the code page.
    assert (
        _vba_input(deploy.conf_file_text(deploy.conf_settings(exe)).encode("utf-8"))["INTERPRETER_WIN"] != exe
    )
    # The sheet variant holds Unicode cell values, read as such.
    sheet = openpyxl.load_workbook(tmp_path / "xlwings.conf.xlsx")["xlwings.conf"]
    assert sheet["B1"].value == exe


def test_config_codepage_utf8_for_windows_set_to_utf8(tmp_path: Path) -> None:
    exe = r"C:\Users\张三\pythonw.exe"
    assert run("excel", "config", "--out", str(tmp_path), "--interpreter", exe, "--codepage", "utf-8") == 0
    assert _vba_input((tmp_path / "xlwings.conf").read_bytes(), "utf-8")["INTERPRETER_WIN"] == exe


def test_config_path_outside_the_code_page_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cfg"
    assert run("excel", "config", "--out", str(out), "--interpreter", "C:\\Users\\😀\\pythonw.exe") == 2
    message = capsys.readouterr().out
    assert "Interpreter_Win" in message and "cp936" in message and "8.3" in message
    assert not out.exists()  # nothing half-written
    assert run("excel", "config", "--out", str(out), "--codepage", "klingon") == 2
    assert "未知的代码页" in capsys.readouterr().out


def test_config_writes_the_rebind_macro(tmp_path: Path) -> None:
    assert run("excel", "config", "--out", str(tmp_path)) == 0
    bas = (tmp_path / deploy.REBIND_BAS_NAME).read_bytes()
    assert bas.isascii() and b"Sub LXBZ_Rebind()" in bas
    assert b'RunPython "import udfs.rebind; udfs.rebind.rebind_caller()"' in bas
    steps = (tmp_path / "EXCEL-经典xlwings-步骤.txt").read_text(encoding="utf-8")
    assert "LXBZ_Rebind" in steps and "cp936" in steps


def test_rebind_command_without_excel_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from udfs import rebind

    assert run("excel", "rebind", str(tmp_path / "missing.xlsx")) == 2
    assert "找不到工作簿" in capsys.readouterr().out
    book = tmp_path / "form.xlsx"
    book.write_bytes(b"")
    monkeypatch.setattr(rebind, "excel_unavailable", lambda: "本机没有 Excel")
    assert run("excel", "rebind", str(book)) == 1
    out = capsys.readouterr().out
    assert "本机没有 Excel" in out and "rebind_and_recalculate" in out and "LXBZ_Rebind" in out
    assert "原生公式" in out


def test_rebind_file_through_an_excel_app(tmp_path: Path) -> None:
    """`lxbz excel rebind` drives Excel through xlwings: open, re-enter, save, close (a stand-in app)."""
    sys.path.insert(0, str(ROOT / "tests" / "lite"))
    from fake_book import FakeBook

    from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
    from udfs import rebind

    template = DEFAULT_DIR / template_name("annual_team", "udf")
    book = FakeBook.from_xlsx(template, classic=True)
    calls: list[str] = []
    book.save = lambda: calls.append("save")  # type: ignore[attr-defined]
    book.close = lambda: calls.append("close")  # type: ignore[attr-defined]
    app = argparse.Namespace(books=argparse.Namespace(open=lambda path: calls.append(path) or book))
    before = book.lxbz_cells()
    assert rebind.rebind_file(template, app) == len(before) > 0
    assert calls == [str(template), "save", "close"]
    assert book.problems_after_rebind(before) == []


def test_config_off_windows_writes_a_placeholder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("excel", "config", "--out", str(tmp_path)) == 0
    if sys.platform != "win32":
        assert deploy.PLACEHOLDER_INTERPRETER in (tmp_path / "xlwings.conf").read_text(encoding="utf-8")
        assert "注意" in capsys.readouterr().out


def test_udf_module_setting_names_the_function_module() -> None:
    module = __import__(deploy.UDF_MODULE)
    assert {f.__name__ for f in module.FUNCTIONS} <= set(dir(module))


def test_lite_files_without_building(tmp_path: Path) -> None:
    url = "https://intranet.example/wheels/lxbz_xl-0.1.0-py3-none-any.whl"
    assert run("excel", "lite", "--no-build", "--out", str(tmp_path), "--wheel-url", url) == 0
    assert (tmp_path / "main.py").read_text(encoding="utf-8") == deploy.LITE_MAIN.read_text(encoding="utf-8")
    lines = (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    # Only requirement lines: no comments (they are pasted into the add-in's requirements.txt tab).
    assert lines == [url, *deploy.project_requirements()]
    assert {"pydantic", "pyyaml", "openpyxl", "defusedxml", "rich"} <= set(lines)


def test_lite_build_makes_a_pure_wheel(tmp_path: Path) -> None:
    assert run("excel", "lite", "--out", str(tmp_path)) == 0
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    assert deploy.wheel_problems(wheel) == []
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {"udfs/functions.py", "udfs/lite_main.py", "lxbz_xl/rubrics/learning_team.yaml"} <= names
    assert wheel.name in (tmp_path / "requirements.txt").read_text(encoding="utf-8")


def test_wheel_problems_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "lxbz_xl-0.1.0-cp311-cp311-win_amd64.whl"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("lxbz_xl/_speedup.pyd", b"")
        zf.writestr("lxbz_xl-0.1.0.dist-info/WHEEL", "Root-Is-Purelib: false\n")
    problems = deploy.wheel_problems(bad)
    assert len(problems) == 4 and any("_speedup.pyd" in p for p in problems)


def _wheel_says_pure(name: str) -> bool:
    wheel = metadata.distribution(name).read_text("WHEEL") or ""
    return "Root-Is-Purelib: true" in wheel


def test_dependencies_are_pure_or_in_pyodide() -> None:
    check = deploy.check_dependencies()
    assert check.problems == []
    assert set(check.pyodide) <= deploy.PYODIDE_PROVIDED
    # The ones named in the issue, looked at directly in their installed WHEEL files.
    for name in (
        "openpyxl",
        "defusedxml",
        "rich",
        "et-xmlfile",
        "pygments",
        "markdown-it-py",
        "mdurl",
        "pydantic",
    ):
        assert _wheel_says_pure(name), name
        assert name in check.pure
    for name in ("pydantic-core", "pyyaml"):
        assert name in check.pyodide  # compiled, but built into Pyodide


def test_an_unknown_compiled_dependency_is_a_problem() -> None:
    check = deploy.check_dependencies(["numpy"])  # compiled; fine for Pyodide too, but not in our list
    assert any(p.startswith("numpy:") for p in check.problems)


def test_udfs_import_only_what_pyodide_has() -> None:
    """Importing the Lite main.py pulls in the core, pydantic and PyYAML only (xlwings comes with Lite)."""
    code = (
        "import sys; sys.modules['xlwings'] = None\n"
        "before = set(sys.modules)\n"
        "import udfs.lite_main\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(' '.join(sorted(n for n in new if n not in sys.stdlib_module_names and not n.startswith('_'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    allowed = {
        "lxbz_xl",
        "udfs",
        "pydantic",
        "pydantic_core",
        "yaml",
        "typing_extensions",
        "annotated_types",
        "typing_inspection",
        "cython_runtime",
    }  # cython_runtime: PyYAML's C loader
    assert set(out.stdout.split()) <= allowed, out.stdout
