"""Record every LXBZ_* call the workbook templates make, with CPython's result, for the Pyodide run.

Each template in workbook_templates/ (UDF variant) is filled with the example cases of its rubric
(examples/cases/) and a few generated valid cases, and recalculated by pycel with the LXBZ_* names bound
to recording wrappers of udfs.functions. Each call's arguments are shaped as xlwings Lite hands them to
Python (numbers as floats, empty cells as None, ranges as 2-D lists; an argument declared `ndim=2` is
always a list of rows), the function is called once more with exactly those arguments, and the call and
its result go into a JSON file that tests/lite/run.mjs replays under Pyodide.

    python tests/lite/record.py OUT.json [--generated N]

Recording at test time keeps the calls in step with the templates and the forms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# The decorators xlwings Lite uses (xlwings.server), so that each function carries the same metadata
# (`__xlfunc__`: which arguments are ndim=2, which are varargs) as it has inside the add-in.
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def _scalar(value: Any) -> Any:
    """One cell as Excel holds it: numbers are doubles, a blank (or empty text) is None."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return value if value != "" else None
    return str(value)  # pycel error objects and the like arrive as their text (err_to_str)


def _rows(value: Any) -> list[list[Any]]:
    if isinstance(value, list | tuple):
        if value and all(isinstance(r, list | tuple) for r in value):
            return [[_scalar(c) for c in r] for r in value]
        return [[_scalar(c) for c in value]]
    return [[_scalar(value)]]


def shape(value: Any, ndim: int | None) -> Any:
    """An argument as xlwings delivers it: ndim=2 → list of rows; else scalar / 1-D list / 2-D list."""
    rows = _rows(value)
    if ndim == 2:
        return rows
    if len(rows) == 1 and len(rows[0]) == 1 and not isinstance(value, list | tuple):
        return rows[0][0]
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    if len(rows) == 1:
        return rows[0]
    if all(len(r) == 1 for r in rows):
        return [r[0] for r in rows]
    return rows


def shaped_args(func: Any, args: tuple[Any, ...]) -> list[Any]:
    info = getattr(func, "__xlfunc__", None)
    specs = info["args"] if info else []
    out = []
    for i, value in enumerate(args):
        spec = specs[min(i, len(specs) - 1)] if specs else {"options": {}}
        out.append(shape(value, spec["options"].get("ndim")))
    return out


def jsonable(value: Any) -> Any:
    from lite_check import canonical  # tests/lite/lite_check.py: the same rule the Pyodide side compares by

    out = canonical(value)
    if "<unexpected type>" in json.dumps(out, default=str):
        raise TypeError(f"result of type {type(value).__name__} cannot be compared: {value!r}")
    return out


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.seen: set[str] = set()

    def wrap(self, name: str, func: Any) -> Any:
        def recorded(*args: Any) -> Any:
            call_args = shaped_args(func, args)
            result = func(*call_args)
            key = json.dumps([name, call_args], ensure_ascii=False, sort_keys=True)
            if key not in self.seen:
                self.seen.add(key)
                self.calls.append({"func": name, "args": call_args, "result": jsonable(result)})
            return result

        return recorded

    def plugin(self) -> None:
        """Take the place of the pycel plugin module of lxbz_xl.workbook.proof before it is built."""
        import udfs.functions as fns
        from lxbz_xl.workbook.proof import PLUGIN

        mod = types.ModuleType(PLUGIN)
        for name in dir(fns):
            if name.startswith("LXBZ_"):
                wrapped = self.wrap(name, getattr(fns, name))
                setattr(mod, name.lower(), wrapped)
                setattr(mod, "_xludf_" + name.lower(), wrapped)
        sys.modules[PLUGIN] = mod


def example_cases() -> dict[str, list[dict[str, Any]]]:
    from lxbz_xl.case import read_case_file
    from lxbz_xl.definition.loader import load_rubric
    from lxbz_xl.workbook.fill import case_mapping

    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        for case in read_case_file(path):
            defn = load_rubric(case.rubric)
            out.setdefault(defn.id, []).append(case_mapping(case, defn))
    return out


def direct_calls(rids: list[str]) -> list[tuple[str, tuple[Any, ...]]]:
    """The functions the templates do not use (argument help, version, veto, vote share), and error paths."""
    from lxbz_xl.definition.loader import load_rubric

    calls: list[tuple[str, tuple[Any, ...]]] = []
    for rid in rids:
        defn = load_rubric(rid)
        calls += [
            ("LXBZ_ARGS", (rid,)),
            ("LXBZ_RUBRIC_VERSION", (rid,)),
            ("LXBZ_RUBRIC_VERSION", (defn.name,)),
        ]
        if defn.items:
            calls.append(("LXBZ_ARGS", (rid, float(defn.items[0].id))))
        if defn.members is not None:
            calls.append(("LXBZ_ARGS", (rid, "member")))
    tiers = [["优秀", "较好", "一般", "较差"], [9.0, 1.0, 0.0, 0.0]]
    calls += [
        ("LXBZ_VETO", ("优秀", [[True]], [[None]])),
        ("LXBZ_VETO", ("较好", [[False]], [["否"]])),
        ("LXBZ_VETO", ("优秀", [[True]], [[True]])),
        ("LXBZ_VOTE_SHARE", (tiers, "优秀")),
        ("LXBZ_VOTE_SHARE", (tiers, "优秀", "较好")),
        ("LXBZ_VOTE_SHARE", ([[62.0, 30.0, 6.0, 2.0]], "优秀")),
        ("LXBZ_VOTE_SHARE", ([[0.0, 0.0, 0.0, 0.0]], "优秀")),
        ("LXBZ_ITEM_SCORE", ("learning_team", 1.0, [[9.0, 1.0]])),
        ("LXBZ_ITEM_SCORE", ("learning_team", 1.0, [["#N/A", None]])),
        ("LXBZ_TIER", ("no_such_rubric", [[1.0]])),
        ("LXBZ_ARGS", ("learning_team", 99.0)),
    ]
    return calls


def record(generated: int = 2) -> list[dict[str, Any]]:
    from lxbz_xl.definition.loader import builtin_ids, load_rubric
    from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
    from lxbz_xl.workbook.cases import FillError, cells_from_case
    from lxbz_xl.workbook.proof import PycelForm
    from lxbz_xl.workbook.samples import valid_cases

    recorder = Recorder()
    recorder.plugin()
    examples = example_cases()
    for rid in builtin_ids():
        defn = load_rubric(rid)
        form = PycelForm(DEFAULT_DIR / template_name(rid, "udf"), defn)
        cases = examples.get(rid, []) + (valid_cases(defn, generated, seed=3) if generated else [])
        for case in cases:
            try:
                cells = cells_from_case(defn, case)
            except FillError as exc:
                raise SystemExit(f"{rid}: example case does not fit its template: {exc}") from None
            form.run(cells)
        form.run({})  # the empty form: every function's blank path
    import udfs.functions as fns

    for name, call_args in direct_calls(builtin_ids()):
        recorder.wrap(name, getattr(fns, name))(*call_args)
    return recorder.calls


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--generated", type=int, default=2, help="generated cases per rubric besides the examples"
    )
    args = parser.parse_args()
    calls = record(args.generated)
    if not calls:
        raise SystemExit("no LXBZ_* call was recorded: are the templates' formulas bound to the UDFs?")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(calls, ensure_ascii=False), encoding="utf-8")
    names = sorted({c["func"] for c in calls})
    print(f"[record] {len(calls)} distinct LXBZ_* calls ({', '.join(names)}) → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
