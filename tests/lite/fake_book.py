"""A stand-in for the xlwings Lite `Book` that `rebind_and_recalculate` is given, built from a real .xlsx.

It has the shape of the xlwings API the script uses, as in xlwings 0.37 Lite: `book.sheets` (iterable),
`sheet.used_range` (values snapshot: `.row`, `.column`, `await .get_formula()` → rows of formulas/values),
`sheet.range((row, col)).formula = text` (recorded, in order) and `book.app.calculate()` (recorded).
`prefixed_every=k` stores every k-th LXBZ_ formula the way Office keeps an add-in function it has bound
(`=_xldudf_LXBZ_…`), to check the script enters the plain name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class FakeApp:
    def __init__(self, book: FakeBook) -> None:
        self.book = book

    def calculate(self) -> None:
        self.book.log.append(("calculate", None, None))


class FakeRange:
    def __init__(self, sheet: FakeSheet, row: int, column: int, nrows: int = 1, ncols: int = 1) -> None:
        self.sheet, self.row, self.column, self.nrows, self.ncols = sheet, row, column, nrows, ncols
        self.ndim: int | None = None

    def options(self, ndim: int | None = None) -> FakeRange:
        out = FakeRange(self.sheet, self.row, self.column, self.nrows, self.ncols)
        out.ndim = ndim
        return out

    async def get_formula(self) -> Any:
        rows = [
            [self.sheet.cells.get((r, c), "") for c in range(self.column, self.column + self.ncols)]
            for r in range(self.row, self.row + self.nrows)
        ]
        # xlwings' shape rules for reading: one cell → scalar, one row/column → flat list; ndim=2 → rows.
        if self.ndim == 2:
            return rows
        if self.nrows == 1 and self.ncols == 1:
            return rows[0][0]
        if self.nrows == 1:
            return rows[0]
        if self.ncols == 1:
            return [r[0] for r in rows]
        return rows

    @property
    def formula(self) -> Any:
        if not self.sheet.book.classic:
            raise NotImplementedError("xlwings Lite reads formulas only with `await get_formula()`")
        # Classic xlwings (COM): a string for one cell, else a tuple of row tuples.
        rows = tuple(
            tuple(self.sheet.cells.get((r, c), "") for c in range(self.column, self.column + self.ncols))
            for r in range(self.row, self.row + self.nrows)
        )
        return rows[0][0] if self.nrows == 1 and self.ncols == 1 else rows

    @formula.setter
    def formula(self, value: str) -> None:
        assert self.nrows == 1 and self.ncols == 1, "the script enters one cell at a time"
        if self.sheet.book.classic and self.sheet.api.ProtectContents:
            raise PermissionError(f"{self.sheet.name}: the cell is on a protected sheet")
        self.sheet.cells[(self.row, self.column)] = value
        self.sheet.book.log.append(("formula", (self.sheet.name, self.row, self.column), value))


class FakeComSheet:
    """The part of a COM Worksheet the classic script touches (protection)."""

    def __init__(self, sheet: FakeSheet, protected: bool) -> None:
        self.sheet, self.ProtectContents = sheet, protected

    def Unprotect(self) -> None:
        self.ProtectContents = False
        self.sheet.book.log.append(("unprotect", self.sheet.name, None))

    def Protect(self, **_: Any) -> None:
        self.ProtectContents = True
        self.sheet.book.log.append(("protect", self.sheet.name, None))


class FakeSheet:
    def __init__(self, book: FakeBook, name: str, cells: dict[tuple[int, int], Any], protected: bool) -> None:
        self.book, self.name, self.cells = book, name, cells
        if book.classic:
            self.api = FakeComSheet(self, protected)

    @property
    def used_range(self) -> FakeRange:
        if not self.cells:
            return FakeRange(self, 1, 1)
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        top, left = min(rows), min(cols)
        return FakeRange(self, top, left, max(rows) - top + 1, max(cols) - left + 1)

    def range(self, cell: tuple[int, int]) -> FakeRange:
        return FakeRange(self, *cell)


class FakeBook:
    def __init__(self, classic: bool = False) -> None:
        self.classic = classic
        self.sheets: list[FakeSheet] = []
        self.app = FakeApp(self)
        self.log: list[tuple[str, Any, Any]] = []
        self.stored: dict[tuple[str, int, int], str] = {}

    @classmethod
    def from_xlsx(cls, path: Path, prefixed_every: int = 0, classic: bool = False) -> FakeBook:
        import openpyxl

        book = cls(classic)
        wb = openpyxl.load_workbook(path)
        k = 0
        for ws in wb.worksheets:
            cells: dict[tuple[int, int], Any] = {}
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    value = cell.value
                    if isinstance(value, str) and value.startswith("=") and "LXBZ_" in value:
                        book.stored[(ws.title, cell.row, cell.column)] = value
                        k += 1
                        if prefixed_every and k % prefixed_every == 0:
                            value = value.replace("LXBZ_", "_xldudf_LXBZ_")
                    cells[(cell.row, cell.column)] = value
            book.sheets.append(FakeSheet(book, ws.title, cells, bool(ws.protection.sheet)))
        return book

    @property
    def unprotected(self) -> set[str]:
        return {where for kind, where, _ in self.log if kind == "unprotect"}

    def lxbz_cells(self) -> dict[tuple[str, int, int], str]:
        return dict(self.stored)

    def problems_after_rebind(self, before: dict[tuple[str, int, int], str]) -> list[str]:
        problems = []
        writes = [(where, value) for kind, where, value in self.log if kind == "formula"]
        written = dict(writes)
        if not before:
            problems.append("the template has no LXBZ_ formula: nothing was tested")
        if len(writes) != len(written):
            problems.append("a cell was entered more than once")
        if set(written) != set(before):
            missing = sorted(set(before) - set(written))[:5]
            extra = sorted(set(written) - set(before))[:5]
            problems.append(f"re-entered cells differ: not entered {missing}, entered needlessly {extra}")
        for where, value in written.items():
            if where in before and value != before[where]:
                problems.append(f"{where}: entered {value!r}, the template holds {before[where]!r}")
        if self.classic:
            still_open = [
                s.name for s in self.sheets if s.name in self.unprotected and not s.api.ProtectContents
            ]
            if still_open:
                problems.append(f"protection not restored on {still_open}")
        calcs = [i for i, (kind, _, _) in enumerate(self.log) if kind == "calculate"]
        if len(calcs) != 1 or calcs[0] != len(self.log) - 1:
            problems.append(
                f"app.calculate() must be called once, after every formula (log: {len(self.log)} entries)"
            )
        return problems
