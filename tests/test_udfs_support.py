"""Shared helpers for the worksheet-function tests (no tests here).

* Hypothesis strategies that draw valid cases for any rubric from its definition (field types, bounds,
  one-of groups, members, ballots).
* The same case as worksheet-function arguments, shaped the way xlwings delivers them with the functions'
  declared options (``ndim=2``): every range or cell argument is a list of rows, numbers are floats or
  text ("3"), booleans are TRUE/FALSE or Chinese words, empty cells are None.
* Loading the classic xlwings decorators headlessly: `xlwings.udfs` imports pywin32 modules at the top,
  so stand-ins for them are put in sys.modules; everything the decorators do is plain Python.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import all_inputs, builtin_ids
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.inputs import resolve_num

RUBRIC_IDS = builtin_ids()
FUNCTIONS_FILE = Path(__file__).resolve().parents[1] / "udfs" / "functions.py"
NAMES = ["张三", "李四", "王五", "赵六", "钱七", "孙八"]
TRUE_CELLS = [True, "是", "有", "✓", 1.0]
FALSE_CELLS = [False, "否", "无", 0.0]


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def get_path(source: dict[str, Any], path: str) -> Any:
    node: Any = source
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part, node.get(int(part)) if part.isdigit() else None)
    return node


# ---------------------------------------------------------------- drawing valid cases


def _bounds(defn: RubricDefinition, spec: FieldSpec, lookup: Any) -> tuple[Fraction | None, Fraction | None]:
    lo = resolve_num(defn, spec.min, lookup) if spec.min is not None else None
    hi = resolve_num(defn, spec.max, lookup) if spec.max is not None else None
    return lo, hi


def value_strategy(defn: RubricDefinition, spec: FieldSpec, lookup: Any) -> st.SearchStrategy[Any]:
    lo, hi = _bounds(defn, spec, lookup)
    if spec.type == "count":
        low = int(lo or 0)
        high = low + 12 if hi is None else min(int(hi), low + 12)
        return st.integers(low, high)
    if spec.type in ("number", "numbers"):
        low = lo if lo is not None else Fraction(0)
        high = hi if hi is not None else low + 100
        number = st.integers(int(low * 100), int(high * 100)).map(lambda n: Fraction(Decimal(n) / 100))
        return st.lists(number, min_size=1, max_size=4) if spec.type == "numbers" else number
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "text":
        return st.sampled_from(NAMES)
    if spec.type == "votes":
        counts = st.lists(st.integers(0, 20), min_size=len(spec.values), max_size=len(spec.values))
        return counts.filter(lambda c: sum(c) > 0).map(lambda c: dict(zip(spec.values, c, strict=True)))
    if spec.type == "records":
        return st.lists(record_strategy(defn, spec.fields), min_size=1, max_size=3)  # [] reads as absent
    raise AssertionError(f"no strategy for {spec.type}")


def record_strategy(defn: RubricDefinition, fields: list[FieldSpec]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({f.path: value_strategy(defn, f, None) for f in fields})


@st.composite
def fields_strategy(
    draw: Any,
    defn: RubricDefinition,
    specs: list[FieldSpec],
    skip: set[str],
    keep: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Flat {path: value} for the specs; optional ones sometimes absent, @-bounded ones drawn last."""
    defaults = {s.path: s.default for s in specs if s.default is not None}
    drawn: dict[str, Any] = {}

    def lookup(path: str) -> Any:
        return drawn.get(path, defaults.get(path))

    bounded = [s for s in specs if isinstance(s.max, str) and s.max.startswith("@")]
    for spec in [s for s in specs if s not in bounded] + bounded:
        if spec.path in skip or spec.type == "ballots":
            continue
        if spec.required is False and spec.path not in keep and not draw(st.booleans()):
            continue
        drawn[spec.path] = draw(value_strategy(defn, spec, lookup))
    return drawn


@st.composite
def cases(draw: Any, defn: RubricDefinition) -> dict[str, Any]:
    specs = all_inputs(defn)
    skip: set[str] = set()
    keep: set[str] = set()
    for group in defn.one_of:
        keep.add(draw(st.sampled_from(group)))
        skip |= set(group) - keep
    case: dict[str, Any] = {"rubric": defn.id, "year": 2025}
    for path, value in draw(fields_strategy(defn, specs, skip, frozenset(keep))).items():
        set_path(case, path, value)
    names: list[str] = []
    if defn.members is not None:
        n = draw(st.integers(1, 4))
        names = NAMES[:n]
        rows = []
        for name in names:
            record = draw(fields_strategy(defn, defn.members.inputs, {defn.members.name_field}))
            record[defn.members.name_field] = name
            rows.append({k: v for k, v in record.items()})
        case[defn.members.key] = [_nest(r) for r in rows]
    for spec in specs:
        if spec.type == "ballots":
            ballot = st.dictionaries(st.sampled_from(names), st.sampled_from(spec.values), min_size=1)
            # A first ballot rating everyone below the top tier: valid whatever the cap on 好, so every
            # member has a mark (no valid ballot is an input error, RUBRICS.md §6).
            first = draw(st.fixed_dictionaries({n: st.sampled_from(spec.values[1:]) for n in names}))
            set_path(case, spec.path, [first, *draw(st.lists(ballot, min_size=0, max_size=4))])
    return case


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        set_path(out, path, value)
    return out


# ---------------------------------------------------------------- the case as cells


@st.composite
def cell(draw: Any, spec_type: str, value: Any) -> Any:
    """One value as a clerk's cell: numbers as floats or text, booleans as TRUE/FALSE or 是/否/✓."""
    if value is None:
        return None
    if spec_type == "bool":
        return draw(st.sampled_from(TRUE_CELLS if value else FALSE_CELLS))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Fraction):
        text = (
            str(Decimal(value.numerator) / Decimal(value.denominator))
            if isinstance(value, Fraction)
            else str(value)
        )
        return draw(st.sampled_from([float(Decimal(text)), text]))
    return value


@st.composite
def votes_arg(draw: Any, tiers: list[str], votes: dict[str, int] | None) -> Any:
    if votes is None:
        return [[None] * len(tiers)]
    counts = [float(votes[t]) for t in tiers]
    style = draw(st.sampled_from(["row", "column", "labelled_rows", "labelled_columns"]))
    if style == "row":
        return [counts]
    if style == "column":
        return [[c] for c in counts]
    if style == "labelled_rows":
        return [list(tiers), counts]
    return [[t, c] for t, c in zip(tiers, counts, strict=True)]


def pad(rows: list[list[Any]]) -> list[list[Any]]:
    width = max((len(r) for r in rows), default=1)
    return [r + [None] * (width - len(r)) for r in rows]


@st.composite
def member_row(draw: Any, defn: RubricDefinition, record: dict[str, Any]) -> list[Any]:
    assert defn.members is not None
    cells: list[Any] = []
    for spec in defn.members.inputs:
        value = get_path(record, spec.path)
        if spec.type == "votes":
            cells += [None] * len(spec.values) if value is None else [float(value[t]) for t in spec.values]
        elif spec.type == "numbers":
            cells += [draw(cell("number", v)) for v in value or []]
        elif spec.type == "records":
            for r in value or []:
                cells += [draw(cell(f.type, r[f.path])) for f in spec.fields]
        else:
            cells.append(draw(cell(spec.type, value)))
    return cells


@st.composite
def unit_args(draw: Any, defn: RubricDefinition, case: dict[str, Any], items_total: Any) -> list[Any]:
    """The unit arguments in the documented order, plus a trailing blank row on every table."""
    args: list[Any] = []
    if defn.items:
        args.append([[items_total]])
    rows: list[list[Any]] = []
    names: list[str] = []
    if defn.members is not None:
        records = case.get(defn.members.key, [])
        names = [r[defn.members.name_field] for r in records]
        rows = pad([draw(member_row(defn, r)) for r in records] + [[None]])
    for spec in defn.inputs:
        value = get_path(case, spec.path)
        if spec.type == "votes":
            args.append(draw(votes_arg(spec.values, value)))
        elif spec.type == "numbers":
            args.append([[draw(cell("number", v)) for v in value or []] + [None]])
        elif spec.type == "records":
            args.append(
                [[draw(cell(f.type, r[f.path])) for f in spec.fields] for r in value or []]
                + [[None] * len(spec.fields)]
            )
        elif spec.type == "ballots":
            args.append(pad([[b.get(n) for n in names] for b in value or []] + [[None]]))
        else:
            args.append([[draw(cell(spec.type, value))]])
    if defn.members is not None:
        args.append(rows)
    return args


# ---------------------------------------------------------------- classic xlwings, headless


def win32_stubs() -> dict[str, types.ModuleType]:
    stubs = {n: types.ModuleType(n) for n in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
    stubs["pythoncom"].CoInitialize = lambda: None  # type: ignore[attr-defined]
    stubs["win32com.client"].Dispatch = None  # type: ignore[attr-defined]
    stubs["win32com"].client = stubs["win32com.client"]  # type: ignore[attr-defined]
    return stubs


def load_with_classic_decorators(monkeypatch: Any) -> tuple[types.ModuleType, types.ModuleType]:
    """(xlwings.udfs, a fresh copy of udfs/functions.py decorated by it) — as on Windows with pywin32."""
    for name, module in win32_stubs().items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    xlwings = importlib.import_module("xlwings")
    classic = importlib.import_module("xlwings.udfs")
    monkeypatch.setattr(xlwings, "func", classic.xlfunc, raising=False)
    monkeypatch.setattr(xlwings, "arg", classic.xlarg, raising=False)
    monkeypatch.setattr(xlwings, "ret", classic.xlret, raising=False)
    spec = importlib.util.spec_from_file_location("udfs_classic_check", FUNCTIONS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "udfs_classic_check", module)
    spec.loader.exec_module(module)
    return classic, module


CELL_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826273: "#VALUE!"}


class _WindowsLikeImpl:
    """What xlwings' Windows engine does to COM values before conversion (None/'' → empty, error codes)."""

    @staticmethod
    def clean_value_data(
        data: Any, datetime_builder: Any, empty_as: Any, number_builder: Any, err_to_str: bool
    ) -> Any:
        def one(v: Any) -> Any:
            if v in ("", None):
                return empty_as
            if isinstance(v, int) and not isinstance(v, bool) and v in CELL_ERRORS:
                return CELL_ERRORS[v] if err_to_str else None
            return v

        return [[one(v) for v in row] for row in data]


def xlwings_read(raw: Any, options: dict[str, Any]) -> Any:
    """xlwings' own conversion pipeline for one argument, with a Windows-like engine underneath."""
    from xlwings.conversion import accessors
    from xlwings.conversion.framework import ConversionContext

    convert = options.get("convert")
    pipeline = accessors.get(convert, convert).reader(options)
    ctx = ConversionContext.__new__(ConversionContext)
    ctx.range, ctx.value, ctx.source_value, ctx.meta = None, raw, raw, {}
    ctx.engine = types.SimpleNamespace(impl=_WindowsLikeImpl())
    pipeline(ctx)
    return ctx.value


def xl_call(func: Any, *raw_args: Any) -> Any:
    """Call a decorated function the way classic xlwings' call_udf does: each raw COM value (a tuple of
    row tuples for a range) goes through the conversion declared for its argument."""
    infos = func.__xlfunc__["args"]
    args = [xlwings_read(raw, infos[min(i, len(infos) - 1)]["options"]) for i, raw in enumerate(raw_args)]
    return func(*args)
