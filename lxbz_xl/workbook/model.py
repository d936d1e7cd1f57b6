"""The form plan's data: where every label, input and output of a rubric's workbook goes.

A leaf module: it imports only lxbz_xl.definition, lxbz_xl.exact and the standard library, so the
planners (plan_*.py), the formula compiler (formulas.py and its back ends), the cell readers and the
public layout API (layout.py) all import from here and never from each other to get a type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import Item, RubricDefinition

META_SHEET = "_lxbz"  # hidden; key/value rows in A/B: rubric, version, variant, fingerprint, generator
GENERATOR = "lxbz_xl.workbook 1"
VARIANTS = ("udf", "native")
MAIN_SHEET = "考评表"

YES, NO = "是", "否"


def enum_label(spec: FieldSpec | None, value: str) -> str:
    """What a dropdown shows for a coded value: the field's `value_labels` in the rubric YAML (the one
    source for forms, the CLI and the worksheet functions)."""
    return spec.label_of(value) if spec is not None else value


def col(index: int) -> str:
    """Column letters of a 1-based column index (1 → A, 27 → AA), as openpyxl's get_column_letter."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def quote(sheet: str) -> str:
    return f"'{sheet}'" if re.search(r"[^A-Za-z0-9_]", sheet) else sheet


def xl_string(text: str) -> str:
    """A spreadsheet string literal: `"…"` with inner quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class CellSpec:
    name: str  # defined name, e.g. "LT_I1_MISSING_ELEMENTS"
    sheet: str
    ref: str  # "F7"
    role: Literal["header", "input", "output"]
    # Inputs: the case path ("items.1.missing_elements", "team_votes.优秀", "members.3.name", "roster.2.name",
    # "ballots.4.2" = ballot 4, member row 2). Outputs: "items.1.score", "total", "tier", "values.<var>",
    # "members.3.total", "members.3.values.<var>", "derived.items.5.members_failing_daily_study"…
    path: str | None
    kind: str  # inputs: count/bool/number/enum/text; outputs: number/percent/text/tier/bool


@dataclass(frozen=True)
class Layout:
    rubric_id: str
    version: str
    prefix: str
    main_sheet: str
    sheets: tuple[str, ...]
    cells: tuple[CellSpec, ...]

    def inputs(self) -> list[CellSpec]:
        return [c for c in self.cells if c.role == "input"]

    def outputs(self) -> list[CellSpec]:
        return [c for c in self.cells if c.role == "output"]

    def headers(self) -> list[CellSpec]:
        return [c for c in self.cells if c.role == "header"]

    def by_path(self) -> dict[str, CellSpec]:
        return {c.path: c for c in self.cells if c.path is not None}

    def by_name(self) -> dict[str, CellSpec]:
        return {c.name: c for c in self.cells}


# ---------------------------------------------------------------- roster (compiled in roster.py)


@dataclass(frozen=True)
class RosterColumn:
    key: str
    label: str
    type: str  # bool | number | count | text
    width: float = 9
    default: Any = None  # a bool column's value when its cell is blank (None: blank never counts)
    spec: FieldSpec | None = None  # the rubric's field spec (bounds for data validation)


# A row counts toward a clause when it has a name, passes `who`, and any test holds.
# Tests: ("no", col) the cell is 否 (or blank and the column defaults to false); ("yes", col) the cell is 是
# (or blank and the column defaults to true); ("below", col, bound) a number was entered and is below the
# bound ("$param" or a literal). A blank number never counts: an unknown fact is not a failure.
@dataclass(frozen=True)
class Derived:
    item: int
    field: str
    tests: tuple[tuple[str, ...], ...]
    who: str = "all"  # all | principal | other  (the principal column)
    label: str = ""

    @property
    def path(self) -> str:
        return f"items.{self.item}.{self.field}"


@dataclass(frozen=True)
class Roster:
    sheet: str
    rows: int
    columns: tuple[RosterColumn, ...]
    count_field: tuple[int, str]  # the clause input that is the number of named rows (班子成员人数)
    derived: tuple[Derived, ...]
    principal: str | None = None
    name: str = "name"  # the column whose filled cells make a row count

    def column(self, key: str) -> RosterColumn:
        return next(c for c in self.columns if c.key == key)


# ---------------------------------------------------------------- the plan


@dataclass
class Slot:
    spec: CellSpec
    fieldspec: FieldSpec | None = None
    default: Any = None  # the value the core uses when the cell is blank
    number_format: str | None = None
    validation: dict[str, Any] = field(default_factory=dict)
    style: str = "input"


@dataclass
class Text:
    sheet: str
    ref: str
    value: str
    style: str
    merge: str | None = None  # "A1:I1"


@dataclass
class SheetPlan:
    title: str
    widths: dict[str, float]
    freeze: str | None = None
    print_rows: str | None = None
    landscape: bool = True
    hidden: bool = False
    heights: dict[int, float] = field(default_factory=dict)
    hidden_cols: list[str] = field(default_factory=list)
    last_row: int = 1
    last_col: int = 9
    print_cols: str | None = None  # columns repeated on every page of a sheet wider than the paper ("A:B")
    groups: list[tuple[int, int]] = field(default_factory=list)  # rows printed on one page (an item, a table)
    keep_from: int | None = None  # from this row on nothing is split: the last item, total, results, sign-off


@dataclass
class ItemSlots:
    item: Item
    inputs: list[Slot]  # Item.inputs() order
    score: Slot
    deduction: Slot
    explain: Slot


@dataclass
class Block:
    """One unit-level input: its slots flattened row-major and the range they form."""

    spec: FieldSpec
    slots: list[Slot]
    sheet: str
    first: str
    last: str
    cols: int = 1  # 2 for records (points, reason)


@dataclass
class MemberTable:
    sheet: str
    first_row: int
    rows: int
    first_col: int
    last_input_col: int
    inputs: list[tuple[FieldSpec, list[int]]]  # spec → its columns
    row_slots: list[dict[str, Slot]]  # per row: input path or output key → slot
    outputs: list[tuple[str, str, str]]  # (key, label, kind): key total|tier|base_tier|title|values.<var>
    flag_col: str = ""  # hidden helper column: 1 for a row with a name

    def count_formula(self, here: str) -> str:
        """Number of members (rows with a name), as a formula usable from sheet `here`."""
        sheet = "" if here == self.sheet else f"{quote(self.sheet)}!"
        return (
            f"SUM({sheet}${self.flag_col}${self.first_row}:${self.flag_col}${self.first_row + self.rows - 1})"
        )

    def row_range(self, r: int) -> str:
        """The input cells of member row `r` (0-based), on the member sheet."""
        row = self.first_row + r
        return f"{col(self.first_col)}{row}:{col(self.last_input_col)}{row}"

    def name_cell(self, r: int) -> str:
        """The name cell of member row `r` (0-based), column-absolute: `$B4`."""
        return f"${col(self.inputs[0][1][0])}{self.first_row + r}"


# (sheet, valid column, invalid column, first row, last row) of the ballot matrix's helper columns
BallotFlags = tuple[str, str, str, int, int]


@dataclass
class Plan:
    defn: RubricDefinition
    prefix: str
    sheets: list[SheetPlan]
    texts: list[Text]
    slots: list[Slot]
    items: list[ItemSlots]
    blocks: list[Block]
    outputs: dict[str, Slot]  # unit-level outputs by path
    members: MemberTable | None
    roster: Roster | None
    roster_cells: dict[Any, Any]  # "count" → (sheet, ref), (item, field) → (sheet, ref) of derived counts
    helpers: dict[tuple[str, str], str]  # formulas shared by both variants (roster flags, ballot headings)
    ballot_flags: BallotFlags | None = None
    roster_flags: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, derived index) → ref
    layout: Layout = field(init=False)

    def ref(self, slot: Slot | tuple[str, str], here: str = MAIN_SHEET) -> str:
        sheet, ref = (slot.spec.sheet, slot.spec.ref) if isinstance(slot, Slot) else slot
        return ref if sheet == here else f"{quote(sheet)}!{ref}"

    def rng(self, sheet: str, first: str, last: str, here: str = MAIN_SHEET) -> str:
        text = first if first == last else f"{first}:{last}"
        return text if sheet == here else f"{quote(sheet)}!{text}"

    def member_range(self, here: str = MAIN_SHEET) -> str:
        m = self.members
        assert m is not None
        return self.rng(
            m.sheet,
            f"{col(m.first_col)}{m.first_row}",
            f"{col(m.last_input_col)}{m.first_row + m.rows - 1}",
            here,
        )

    def block_range(self, block: Block, here: str = MAIN_SHEET) -> str:
        return self.rng(block.sheet, block.first, block.last, here)

    def roster_source(self, item_id: int, path: str) -> tuple[str, str] | None:
        """The roster-sheet cell counting clause input `path` of item `item_id`, when the roster derives it
        (the number of named rows for the roster's count field)."""
        if self.roster is None:
            return None
        if (item_id, path) == self.roster.count_field:
            return self.roster_cells["count"]  # type: ignore[no-any-return]
        return self.roster_cells.get((item_id, path))

    def total_key(self) -> str:
        """The output that sums the items: `total`, or `items_total` when the rubric computes its own total."""
        return "total" if self.defn.total is None else "items_total"


_T = TypeVar("_T")


def derived(plan: Plan, name: str, make: Callable[[Plan], _T]) -> _T:
    """What `make(plan)` gives, worked out once per plan and kept on it (plans are built once per rubric
    and never change; the validator asks for these for every submission)."""
    found: _T | None = plan.__dict__.get(name)
    if found is None:
        found = plan.__dict__[name] = make(plan)
    return found
