"""What every sheet writer of the summary workbook shares: the summary, where the workbook goes (links are
relative to it), and look-ups of the submitted cells behind a result."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from lxbz_xl.result import Result
from lxbz_xl.summary.compute import cells_of
from lxbz_xl.summary.model import CellRefs, Entry, Ref, Submission, Summary
from lxbz_xl.summary.sheets import Sheet

__all__ = ["MISSING", "Ctx"]

MISSING = object()  # no submitted cell to compare with


SHOWN_KEPT = 16  # submissions whose shown cells stay read (a row asks for the same file's cells again)


@dataclass
class Ctx:
    summary: Summary
    out_dir: Path
    _by_path: dict[str, Submission] = field(init=False, default_factory=dict)
    _shown: dict[str, dict[str, Any] | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._by_path = {s.path: s for s in self.summary.submissions}

    @property
    def prefix(self) -> str:
        years = "、".join(str(y) for y in self.summary.years)
        return f"{years}年度考评汇总" if years else "考评汇总"

    def sheet(self, wb: Workbook, name: str) -> Sheet:
        return Sheet(wb, name, f"{self.prefix} — {name}", self.out_dir, first=name == "说明")

    def short(self, rid: str | None) -> str:
        if rid is None:
            return ""
        defn = self.summary.definitions.get(rid)
        if defn is None:  # a problem may name a rubric no used submission brought in: by id, never a path
            from lxbz_xl.rubric_ref import by_id

            with contextlib.suppress(Exception):
                defn = by_id(rid)
        return defn.short_name if defn is not None else rid

    def entry_of(self, result: Result) -> Entry | None:
        """The entry of a result the rankings, bandings or quotas list (they hold slim copies): found by
        its file and rubric, with the file's cell refs."""
        sub = self._by_path.get(result.source) if result.source is not None else None
        defn = self.summary.definitions.get(result.rubric)
        if sub is None or defn is None or not sub.used:
            return None
        return Entry(sub, defn, result, result, CellRefs(sub.path, cells_of(defn)))

    def cell_ref(self, result: Result, key: str) -> Ref | None:
        """The submitted cell of `key` (total, tier, title, an input path), None when the form has none."""
        return self.entry_ref(self.entry_of(result), key)

    @staticmethod
    def entry_ref(e: Entry | None, key: str) -> Ref | None:
        ref = e.refs.get(key) if e is not None else None
        return ref if ref is not None and ref.cell else None

    def workbook_value(self, ref: Ref | None) -> Any:
        """What the submitted workbook itself shows in `ref` (its cached value, "" when blank).

        Read from the file (by the validator, which already had it open), not inferred: a form leaves its
        total and tier blank until every item is filled, while the core scores a blank item as nothing
        found (and says so in its notes).
        """
        if ref is None or not ref.cell:
            return MISSING
        shown = self.shown(ref.file)
        key = f"{ref.sheet}!{ref.cell}"
        if shown is None or key not in shown:  # validation kept only the headline outputs
            return MISSING
        value = shown[key]
        return "" if value is None else value

    def shown(self, path: str) -> dict[str, Any] | None:
        """The headline cells a submission shows (read from disk; the last few kept)."""
        if path in self._shown:
            return self._shown[path]
        sub = self._by_path.get(path)
        shown = None if sub is None else sub.shown
        if len(self._shown) >= SHOWN_KEPT:
            del self._shown[next(iter(self._shown))]
        self._shown[path] = shown
        return shown
