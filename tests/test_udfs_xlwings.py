"""The xlwings declarations, checked through xlwings' own metadata, headlessly.

On Windows with pywin32, `xw.func`/`xw.arg` are `xlwings.udfs.xlfunc`/`xlarg`: they store what Excel gets in
`f.__xlfunc__` (name, arguments, vararg, conversion options), from which "Import Functions" writes the VBA
wrappers. Here those real decorators run on a fresh copy of udfs/functions.py (pywin32 replaced by empty
stand-ins), so a renamed function, a lost ParamArray or a range argument without ndim=2 fails a test.
"""

from __future__ import annotations

import ast
import inspect
import io
import types
from typing import Any

import pytest

import udfs
import udfs.functions
import udfs.lite_main
from lxbz_xl import load_rubric
from tests.test_udfs_support import load_with_classic_decorators, xl_call

RANGE = {"ndim": 2, "err_to_str": True, "convert": Any}
SCALAR = {"err_to_str": True, "convert": Any}

# Excel name → [(argument, options, is ParamArray)], exactly as the templates call them.
DECLARED: dict[str, list[tuple[str, dict[str, Any], bool]]] = {
    "LXBZ_ITEM_SCORE": [("rubric", SCALAR, False), ("item", SCALAR, False), ("inputs", RANGE, True)],
    "LXBZ_DEDUCTION": [("rubric", SCALAR, False), ("item", SCALAR, False), ("inputs", RANGE, True)],
    "LXBZ_EXPLAIN": [("rubric", SCALAR, False), ("item", SCALAR, False), ("inputs", RANGE, True)],
    "LXBZ_TOTAL": [("rubric", SCALAR, False), ("item_scores", RANGE, False)],
    "LXBZ_TIER": [("rubric", SCALAR, False), ("args", RANGE, True)],
    "LXBZ_BASE_TIER": [("rubric", SCALAR, False), ("args", RANGE, True)],
    "LXBZ_TITLE": [("rubric", SCALAR, False), ("args", RANGE, True)],
    "LXBZ_VALUE": [("rubric", SCALAR, False), ("name", SCALAR, False), ("args", RANGE, True)],
    "LXBZ_FLAGS": [("rubric", SCALAR, False), ("args", RANGE, True)],
    "LXBZ_MEMBER": [
        ("rubric", SCALAR, False),
        ("output", SCALAR, False),
        ("member_row", RANGE, False),
        ("args", RANGE, True),
    ],
    "LXBZ_VETO": [("tier", SCALAR, False), ("veto_flags", RANGE, True)],
    "LXBZ_VOTE_SHARE": [("counts", RANGE, False), ("tiers", RANGE, True)],
    "LXBZ_RUBRIC_VERSION": [("rubric", SCALAR, False)],
    "LXBZ_ARGS": [("rubric", SCALAR, False), ("part", SCALAR, False)],
}


@pytest.fixture()
def classic(monkeypatch: pytest.MonkeyPatch) -> tuple[types.ModuleType, types.ModuleType]:
    return load_with_classic_decorators(monkeypatch)


def test_function_list_is_the_declared_list() -> None:
    assert [f.__name__ for f in udfs.FUNCTIONS] == list(DECLARED)
    assert all(getattr(udfs, name) is getattr(udfs.functions, name) for name in DECLARED)


def test_classic_metadata(classic: tuple[types.ModuleType, types.ModuleType]) -> None:
    _, module = classic
    for name, args in DECLARED.items():
        info = getattr(module, name).__xlfunc__
        assert info["name"] == name  # classic names the VBA function after the Python function
        assert info["sub"] is False and info["volatile"] is False and info["async_mode"] is None
        got = [(a["name"], {k: v for k, v in a["options"].items()}, a["vararg"]) for a in info["args"]]
        assert got == args, name
        assert all(a["doc"] and not a["doc"].startswith("Positional argument") for a in info["args"]), name
        assert info["ret"]["options"] == {"convert": Any}
        assert info["ret"]["doc"] == inspect.getdoc(getattr(udfs.functions, name))  # Excel's description
    assert module.LXBZ_ARGS.__xlfunc__["args"][1]["optional"] is None


def test_lite_names_are_the_excel_names(classic: tuple[types.ModuleType, types.ModuleType]) -> None:
    # xlwings Lite shows `name=` if given, else the upper-cased Python name; none is given.
    _, module = classic
    for name in DECLARED:
        assert getattr(module, name).__xlfunc__["name"].upper() == name


def test_vba_wrappers(classic: tuple[types.ModuleType, types.ModuleType]) -> None:
    """The VBA that "Import Functions" writes into the .xlsm, generated from the metadata."""
    xlwings_udfs, module = classic
    out = io.StringIO()
    xlwings_udfs.generate_vba_wrapper("udfs", module, out, types.SimpleNamespace(Name="模板.xlsm"))
    vba = out.getvalue()
    assert "Function LXBZ_ITEM_SCORE(rubric, item, ParamArray inputs())" in vba
    assert "Function LXBZ_MEMBER(rubric, output, member_row, ParamArray args())" in vba
    assert "Function LXBZ_TOTAL(rubric, item_scores)" in vba
    assert "Function LXBZ_ARGS(rubric, Optional part)" in vba
    assert 'LXBZ_TIER = XLPy.CallUDF("udfs", "LXBZ_TIER", argsArray, ThisWorkbook, Application.Caller)' in vba
    assert vba.count("End Function") == len(DECLARED)


def test_called_through_xlwings_conversion(classic: tuple[types.ModuleType, types.ModuleType]) -> None:
    """COM values (tuples of row tuples, floats, error codes) through xlwings' conversion pipeline."""
    _, m = classic
    rid = "learning_team"
    assert xl_call(m.LXBZ_ITEM_SCORE, rid, 7.0, ((10.0, 1.0),)) == 9  # one row range
    assert xl_call(m.LXBZ_ITEM_SCORE, rid, 7.0, 10.0, 1.0) == 9  # single cells
    assert xl_call(m.LXBZ_ITEM_SCORE, rid, 7.0, ((10.0,), (1.0,))) == 9  # a column
    assert xl_call(m.LXBZ_ITEM_SCORE, rid, 1.0, (("", None),)) == 10  # empty row: absent, nothing found
    assert xl_call(m.LXBZ_ITEM_SCORE, rid, 1.0, "3", None) == 7  # a number stored as text
    assert xl_call(m.LXBZ_ITEM_SCORE, rid, 4.0, "✓", 2.0) == 8  # 交流会 held: ✓
    assert xl_call(m.LXBZ_ITEM_SCORE, rid, 1.0, -2146826246) == "#LXBZ! 第1项缺项数应为非负整数,实为'#N/A'"
    assert xl_call(m.LXBZ_TIER, rid, 92.0, "是", "较好") == "学习型领导班子"
    team = (("优秀", "较好", "一般", "较差"), (50.0, 40.0, 5.0, 5.0))
    principal = ((70.0, 25.0, 5.0, 0.0),)
    flags = ((True, True, None, None, None, None, None, None),)
    args = ("county", team, principal, flags)
    # The eight findings as one row range is not the convention (one argument per input): reported.
    assert xl_call(m.LXBZ_TIER, "annual_team", *args).startswith("#LXBZ! ")
    findings = (True, True, None, None, None, None, None, None)
    args = ("县区", team, principal, *findings, "是", None, None)
    assert xl_call(m.LXBZ_TIER, "annual_team", *args) == "一般"  # base 较好, one veto: one step down
    assert xl_call(m.LXBZ_BASE_TIER, "annual_team", *args) == "较好"
    assert xl_call(m.LXBZ_VETO, "优秀", ((False, "是"),)) == "较好"
    assert xl_call(m.LXBZ_VOTE_SHARE, ((9.0, 1.0, 0.0, 0.0),), "优秀", "较好") == 1.0


def test_lite_main_only_reexports() -> None:
    """main.py for xlwings Lite holds no function of its own: it imports every LXBZ_* from udfs (and the
    re-bind script from udfs.rebind)."""
    tree = ast.parse(inspect.getsource(udfs.lite_main))
    assert not [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    ]
    imported = [
        a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "udfs" for a in n.names
    ]
    assert imported == sorted(DECLARED)
    scripts = [
        a.name
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.module == "udfs.rebind"
        for a in n.names
    ]
    assert scripts == ["rebind_and_recalculate"]
    # xlwings Lite registers the members of main.py that carry metadata: the very same objects.
    members = dict(inspect.getmembers(udfs.lite_main, inspect.isfunction))
    assert {name: members[name] for name in DECLARED} == {
        name: getattr(udfs.functions, name) for name in DECLARED
    }


def test_importable_without_windows_or_licence() -> None:
    # Off Windows xlwings' decorators are no-ops: the functions are plain Python and work as such.
    assert udfs.LXBZ_RUBRIC_VERSION("learning_team") == load_rubric("learning_team").version
