"""The checks scripts/test-lite.sh runs inside Pyodide (tests/lite/run.mjs loads this file and calls `run`).

1. Import the add-in's main.py the way xlwings Lite does: the environment xlwings reads to pick its
   add-in decorators (`XLWINGS_ON_SERVER`, the free licence key), then `import main`; check that
   xlwings' own registration (`custom_functions_meta`, `custom_scripts_meta`) lists every LXBZ_*
   function of udfs and the `rebind_and_recalculate` script.
2. Replay every recorded LXBZ_* call (tests/lite/record.py, made by CPython) and compare the result.
3. Run `rebind_and_recalculate` on a fake book shaped like xlwings Lite's (sheets, used_range,
   `await get_formula()`, formula setter, app.calculate) built from a real template.

Also importable under CPython (tests/test_lite.py runs the rebind check there).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from fake_book import FakeBook


def lite_environment() -> None:
    os.environ.setdefault("XLWINGS_ON_SERVER", "true")
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def import_main(folder: str) -> Any:
    lite_environment()
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module("main")


def canonical(value: Any) -> Any:
    """A cell result as JSON keeps it (numbers as floats, lists for arrays); anything else is marked."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return ("<unexpected type>", type(value).__name__, repr(value))


def same(a: Any, b: Any) -> bool:
    a, b = canonical(a), canonical(b)
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def check_registration(main: Any) -> list[str]:
    from xlwings import server

    import udfs

    problems = []
    functions = {f["name"] for f in server.custom_functions_meta(main)["functions"]}
    expected = {name for name in udfs.__all__ if name.startswith("LXBZ_")}
    if missing := sorted(expected - functions):
        problems.append(f"not registered as custom functions: {missing}")
    scripts = {s["function_name"] for s in server.custom_scripts_meta(main)}
    if "rebind_and_recalculate" not in scripts:
        problems.append(f"script rebind_and_recalculate not registered (scripts: {sorted(scripts)})")
    return problems


def replay(main: Any, calls: list[dict[str, Any]]) -> list[str]:
    failures = []
    for i, call in enumerate(calls):
        try:
            got = getattr(main, call["func"])(*call["args"])
        except Exception as exc:  # a function must never raise; report it like a mismatch
            got = f"<raised {type(exc).__name__}: {exc}>"
        if not same(got, call["result"]):
            args = json.dumps(call["args"], ensure_ascii=False)[:300]
            failures.append(f"call {i} {call['func']}({args}): CPython {call['result']!r}, Pyodide {got!r}")
    return failures


async def check_rebind_async(main: Any, template: Path) -> list[str]:
    book = FakeBook.from_xlsx(template, prefixed_every=3)
    before = book.lxbz_cells()
    # The way xlwings Lite runs a script: its own dispatcher injects the book into the `xw.Book` parameter.
    import xlwings as xw
    from xlwings import server

    with contextlib.redirect_stdout(io.StringIO()):  # the script's message for the clerk
        await server.custom_scripts_call(main, "rebind_and_recalculate", typehint_to_value={xw.Book: book})
    return book.problems_after_rebind(before)


async def run(folder: str, calls_json: str, templates: str) -> str:
    """Every check; returns JSON {"passed": n, "failures": [...]} for run.mjs."""
    results: list[tuple[str, list[str]]] = []
    main = import_main(folder)
    results.append(("registration", check_registration(main)))
    calls = json.loads(Path(calls_json).read_text(encoding="utf-8"))
    failures = replay(main, calls)
    for template in sorted(Path(templates).glob("*.xlsx")):
        if "_原生公式" not in template.name:
            results.append((f"rebind {template.name}", await check_rebind_async(main, template)))
    passed = len(calls) - len(failures) + sum(1 for _, p in results if not p)
    out = failures + [f"{name}: {p}" for name, problems in results for p in problems]
    failed = len(failures) + sum(1 for _, p in results if p)
    return json.dumps(
        {"passed": passed, "failed": failed, "failures": out, "calls": len(calls), "python": sys.version},
        ensure_ascii=False,
    )
