"""The layers of lxbz_xl.workbook (issue 11): model.py is a leaf, every module imports on its own (no
import cycle hidden by import order), and no function imports a workbook module to dodge a cycle."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lxbz_xl" / "workbook"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")

# Function-level imports of workbook modules that remain, and why (anything else fails the test).
ALLOWED_LOCAL: set[tuple[str, str]] = set()  # none left: no function imports a workbook module


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, inside a function) of every import statement of a module's tree."""
    out: list[tuple[str, bool]] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                out.extend((a.name, inner) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                out.extend(
                    [(f"{child.module}.{a.name}", inner) for a in child.names]
                    if child.module == "lxbz_xl.workbook"
                    else [(child.module, inner)]
                )
            visit(child, inner)

    visit(tree, False)
    return out


def test_model_is_a_leaf() -> None:
    tree = ast.parse((PACKAGE / "model.py").read_text(encoding="utf-8"))
    found = [name for name, _local in _imports(tree)]
    assert found, "no imports found: the walk is broken"
    for name in found:
        top = name.split(".")[0]
        allowed = (
            name == "__future__"
            or top in sys.stdlib_module_names
            or name.startswith("lxbz_xl.definition")
            or name == "lxbz_xl.exact"
        )
        assert allowed, (
            f"model.py imports {name}: it may import only lxbz_xl.definition, lxbz_xl.exact, stdlib"
        )


def test_the_leaf_check_sees_a_forbidden_import() -> None:
    tree = ast.parse("def f():\n    from lxbz_xl.workbook.form import Plan\nimport openpyxl\n")
    assert _imports(tree) == [("lxbz_xl.workbook.form", True), ("openpyxl", False)]


def test_no_function_level_import_dodges_a_cycle() -> None:
    local = set()
    for stem in MODULES:
        tree = ast.parse((PACKAGE / f"{stem}.py").read_text(encoding="utf-8"))
        for name, inside in _imports(tree):
            if inside and name.startswith("lxbz_xl.workbook"):
                local.add((stem, name))
    local -= {("cases", n) for _s, n in local}  # cases.py is rewritten elsewhere
    assert local <= ALLOWED_LOCAL, sorted(local - ALLOWED_LOCAL)


# Each module imported first, with no lxbz_xl module loaded before it (third-party modules stay
# loaded: import order among our own modules is what a cycle depends on). One interpreter for all, so
# the check costs one start-up, not one per module.
_ISOLATED = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "lxbz_xl" or m.startswith(("lxbz_xl.", "udfs"))]:
        del sys.modules[loaded]
    try:
        importlib.import_module("lxbz_xl.workbook." + name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_workbook_module_imports_on_its_own() -> None:
    assert "model" in MODULES and "form" in MODULES
    done = subprocess.run(
        [sys.executable, "-c", _ISOLATED, *MODULES], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not os.environ.get("LXBZ_SLOW"), reason="one interpreter per module: set LXBZ_SLOW=1")
@pytest.mark.parametrize("name", MODULES)
def test_each_workbook_module_imports_first_in_a_new_interpreter(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import lxbz_xl.workbook.{name}"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_isolated_import_catches_a_cycle(tmp_path: Path) -> None:
    """The isolation script reports a module whose import fails only when it is imported first."""
    pkg = tmp_path / "lxbz_xl" / "workbook"
    pkg.mkdir(parents=True)
    (tmp_path / "lxbz_xl" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from lxbz_xl.workbook.b import B\nA = 1\n")
    (pkg / "b.py").write_text("from lxbz_xl.workbook.a import A\nB = 2\n")
    done = subprocess.run(
        [sys.executable, "-c", _ISOLATED, "a", "b"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert "a: ImportError" in done.stdout and "b: ImportError" in done.stdout


def test_moved_names_stay_importable_from_their_old_modules() -> None:
    """Code written against form.py / layout.py / roster.py before the re-layering keeps working."""
    from lxbz_xl.workbook import form, layout, model, plan_main, plan_results, roster

    for name in (
        "Plan",
        "Slot",
        "SheetPlan",
        "Text",
        "ItemSlots",
        "Block",
        "MemberTable",
        "MAIN_SHEET",
        "quote",
    ):
        assert getattr(form, name) is getattr(model, name), name
    for name in ("NO", "YES", "Layout", "CellSpec", "enum_label", "META_SHEET", "GENERATOR"):
        assert getattr(layout, name) is getattr(model, name), name
    from lxbz_xl import cells

    assert layout.enum_value is cells.enum_code  # one reading of a dropdown's words, the cell reader's
    for name in ("Roster", "RosterColumn", "Derived"):
        assert getattr(roster, name) is getattr(model, name), name
    for name in ("HINT_REF", "README_SHEET", "no_functions_hint", "readme_lines"):
        assert getattr(form, name) is getattr(plan_main, name), name
    assert form.vote_shares is plan_results.vote_shares and callable(form.plan_for)
    assert callable(layout.case_from_cells) and callable(layout.expected_outputs)


def test_model_column_letters_are_openpyxls() -> None:
    from openpyxl.utils import get_column_letter

    from lxbz_xl.workbook.model import col

    assert [col(i) for i in range(1, 2000)] == [get_column_letter(i) for i in range(1, 2000)]
