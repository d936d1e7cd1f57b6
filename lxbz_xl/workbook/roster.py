"""The 班子成员明细 roster sheet, compiled from the rubric's own `roster:` block.

RUBRICS.md §1 asks templates to accept either typed counts or a roster. The rubric YAML is the single
source of truth: its `roster.columns` are the sheet's columns and its `roster.derive` rules are the
clause counts. This module translates the subset of conditions a sheet formula can express into
`Derived` tests; anything else raises `ValueError` ("roster derive rule not supported by the template
compiler") so an edit the form cannot follow fails loudly instead of drifting from the core.

Supported rules (per clause input path `items.N.field`):

* null                                         the number of named rows (班子成员人数)
* {flag: c} / {not: {flag: c}}                 a bool column is 是 / 否 (blank = the column's default)
* {compare: {left: c, op: "<", right: X}}      a number was entered and is below X ($param or literal)
* {any: [...]}                                 any of the above
* {all: [{flag: P} | {not: {flag: P}}, X]}     X, only for rows whose principal column P is 是 / 否

Thresholds are read from the rubric's parameters, so an edited rubric moves the cut points.
Counting itself is the core's (`lxbz_xl.engine.roster.derive_counts`); the sheet formulas (plan_roster.py)
follow the same rules, and the equality proofs check that they agree.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from lxbz_xl.definition import logic as L
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine import roster as core_roster
from lxbz_xl.workbook.model import Derived as Derived
from lxbz_xl.workbook.model import Roster as Roster
from lxbz_xl.workbook.model import RosterColumn as RosterColumn

ROWS = 30  # rows on the sheet (presentation, not rubric data)
WIDTHS = {"text": 10.0, "bool": 8.0, "number": 9.0, "count": 7.0}  # column width by column type
UNSUPPORTED = "roster derive rule not supported by the template compiler"


def _where(defn: RubricDefinition, path: str) -> str:
    return f"{defn.id}.yaml roster.derive.{path}"


def _fail(defn: RubricDefinition, path: str, why: str) -> ValueError:
    return ValueError(f"{_where(defn, path)}: {UNSUPPORTED}: {why}")


def _bool_flag(
    defn: RubricDefinition, path: str, cond: Any, cols: dict[str, FieldSpec]
) -> tuple[str, str] | None:
    """("yes", c) for {flag: c}, ("no", c) for {not: {flag: c}} on a bool column; None otherwise."""
    kind = "yes"
    if isinstance(cond, L.NotCond):
        kind, cond = "no", cond.not_
    if not isinstance(cond, L.FlagCond):
        return None
    spec = cols.get(cond.flag)
    if spec is None or spec.type != "bool":
        raise _fail(defn, path, f"{cond.flag} is not a bool roster column")
    return kind, cond.flag


def _tests(defn: RubricDefinition, path: str, cond: Any, cols: dict[str, FieldSpec]) -> list[tuple[str, ...]]:
    flag = _bool_flag(defn, path, cond, cols)
    if flag is not None:
        return [flag]
    if isinstance(cond, L.AnyCond):
        return [t for c in cond.any for t in _tests(defn, path, c, cols)]
    if isinstance(cond, L.CompareCond):
        body = cond.compare
        if body.op != "<":
            raise _fail(defn, path, f"only '<' comparisons are supported, not {body.op!r}")
        left = body.left
        if not isinstance(left, str) or left not in cols or cols[left].type not in ("number", "count"):
            raise _fail(defn, path, f"the left side {left!r} must be a number or count roster column")
        if cols[left].default is not None:
            raise _fail(defn, path, f"{left} has a default; a compared column must leave blanks blank")
        right = body.right
        if isinstance(right, str) and right.startswith("$") and right[1:] in defn.parameters:
            return [("below", left, right)]
        if isinstance(right, Decimal | int) and not isinstance(right, bool):
            return [("below", left, format(Decimal(right), "f"))]
        raise _fail(defn, path, f"the right side {right!r} must be a $parameter or a number")
    raise _fail(defn, path, f"condition {type(cond).__name__} cannot be written as a sheet formula")


def compile_roster(defn: RubricDefinition) -> Roster | None:
    """The sheet's Roster built from `defn.roster`; None when the rubric has none. Raises ValueError."""
    src = defn.roster
    if src is None:
        return None
    cols = {c.path: c for c in src.columns}
    if not src.columns or src.columns[0].type != "text":
        raise ValueError(
            f"{defn.id}.yaml roster.columns: {UNSUPPORTED}: the first column must be the text name"
        )
    for c in src.columns:
        if c.type not in WIDTHS:
            raise ValueError(
                f"{defn.id}.yaml roster.columns.{c.path}: {UNSUPPORTED}: type {c.type} has no sheet cell"
            )
        if c is not src.columns[0] and c.required:
            raise ValueError(
                f"{defn.id}.yaml roster.columns.{c.path}: {UNSUPPORTED}: only the name may be required"
            )
    inputs = {(i.id, s.path): s for i in defn.items for s in i.inputs()}
    count_field: tuple[int, str] | None = None
    principal: str | None = None
    derived: list[Derived] = []
    for path, cond in src.derive.items():
        parts = path.split(".")
        if len(parts) != 3 or parts[0] != "items" or not parts[1].isdigit():
            raise _fail(defn, path, "the key must be items.N.field")
        key = (int(parts[1]), parts[2])
        if key not in inputs:
            raise _fail(defn, path, "no such clause input")
        if cond is None:
            if count_field is not None:
                raise _fail(defn, path, "only one clause input may count every row")
            count_field = key
            continue
        who = "all"
        if isinstance(cond, L.AllCond):
            if len(cond.all) != 2:
                raise _fail(defn, path, "`all` must be [principal flag, rule]")
            flag = _bool_flag(defn, path, cond.all[0], cols)
            if flag is None:
                raise _fail(defn, path, "`all` must start with {flag: P} or {not: {flag: P}}")
            if principal is not None and flag[1] != principal:
                raise _fail(defn, path, f"a second principal column {flag[1]} (already {principal})")
            principal = flag[1]
            who = "principal" if flag[0] == "yes" else "other"
            cond = cond.all[1]
        tests = _tests(defn, path, cond, cols)
        derived.append(Derived(key[0], key[1], tuple(tests), who, inputs[key].label))
    if count_field is None:
        raise ValueError(
            f"{defn.id}.yaml roster.derive: {UNSUPPORTED}: one clause input must be null (row count)"
        )
    columns = tuple(
        RosterColumn(
            c.path,
            c.label,
            c.type,
            defn.form.roster_widths.get(c.path, WIDTHS[c.type]),
            c.default if c.type == "bool" else None,
            c,
        )
        for c in src.columns
    )
    return Roster(src.label, ROWS, columns, count_field, tuple(derived), principal, src.columns[0].path)


def roster_for(defn: RubricDefinition) -> Roster | None:
    return compile_roster(defn)


def bound(defn: RubricDefinition, text: str) -> Fraction:
    return Fraction(defn.parameters[text[1:]].value) if text.startswith("$") else Fraction(text)


def named_rows(rows: list[dict[str, Any]], name: str = "name") -> list[dict[str, Any]]:
    return [r for r in rows if r.get(name) not in (None, "")]


def derive_counts(
    defn: RubricDefinition, roster: Roster, rows: list[dict[str, Any]]
) -> dict[tuple[int, str], int]:
    """Clause counts from roster rows (only rows with a name count): the core's derivation itself."""
    counts, _ = core_roster.derive_counts(defn, named_rows(rows, roster.name))
    out = {roster.count_field: counts[f"items.{roster.count_field[0]}.{roster.count_field[1]}"]}
    for d in roster.derived:
        out[(d.item, d.field)] = counts[d.path]
    return out


def row_hits(defn: RubricDefinition, roster: Roster, row: dict[str, Any]) -> list[int]:
    """Per derived rule, 1 when this one row counts toward it (the sheet's hidden helper cells)."""
    if row.get(roster.name) in (None, ""):
        return [0] * len(roster.derived)
    counts = derive_counts(defn, roster, [row])
    return [counts[(d.item, d.field)] for d in roster.derived]
