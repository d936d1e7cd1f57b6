"""The shared placement context of the planners: what has been placed so far, and how to place more.

Each block planner (plan_items, plan_unit_inputs, plan_members, plan_ballots, plan_roster, plan_main)
takes a `PlanContext` and a position and adds its sheets, texts and slots here; `finish()` turns the
context into the Plan (form.plan_for composes the planners).
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import all_inputs
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.exact import fmt
from lxbz_xl.workbook.model import (
    MAIN_SHEET,
    NO,
    YES,
    BallotFlags,
    Block,
    CellSpec,
    ItemSlots,
    Layout,
    MemberTable,
    Plan,
    SheetPlan,
    Slot,
    Text,
    enum_label,
)
from lxbz_xl.workbook.roster import roster_for


def text_width(text: str) -> float:
    """Display width in column units: CJK characters are about two."""
    return sum(2.0 if ord(c) > 0x2E80 else 1.05 for c in text)


def lines_needed(text: str, width: float, size: float = 10) -> int:
    scale = size / 10.5
    return max(
        1, sum(max(1, math.ceil(text_width(part) * scale / max(width - 1, 1))) for part in text.split("\n"))
    )


def prefix_for(rubric_id: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", rubric_id) if p]
    if len(parts) > 1:
        return "".join(p[0] for p in parts).upper()
    return rubric_id[:2].upper()


def cell_name(*parts: Any) -> str:
    """A defined name's parts joined: `cell_name("LT", "I1_missing")` → `LT_I1_MISSING`."""
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", str(p)).strip("_").upper() for p in parts if str(p) != "")


def sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\']", "", text)[:31]


def plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


class PlanContext:
    """The placement cursor shared by the planners: everything placed so far, plus the primitives."""

    def __init__(self, defn: RubricDefinition):
        self.defn = defn
        self.prefix = prefix_for(defn.id)
        self.sheets: list[SheetPlan] = []
        self.texts: list[Text] = []
        self.slots: list[Slot] = []
        self.items: list[ItemSlots] = []
        self.blocks: list[Block] = []
        self.outputs: dict[str, Slot] = {}
        self.helpers: dict[tuple[str, str], str] = {}
        self.members: MemberTable | None = None
        self.roster = roster_for(defn)
        self.roster_cells: dict[Any, Any] = {}
        self.defaults = {s.path: s.default for s in all_inputs(defn)}
        self.landscape = defn.form.orientation == "landscape"
        self.ballot_flags: BallotFlags | None = None
        self.roster_flags: dict[tuple[int, int], str] = {}

    # ---------------------------------------------------------------- primitives

    def text(self, sheet: SheetPlan, ref: str, value: str, style: str, merge: str | None = None) -> None:
        self.texts.append(
            Text(
                sheet.title,
                ref,
                value,
                style,
                merge if merge and merge.split(":")[0] != merge.split(":")[1] else None,
            )
        )

    def slot(
        self,
        sheet: SheetPlan,
        ref: str,
        name: str,
        role: str,
        path: str | None,
        kind: str,
        fieldspec: FieldSpec | None = None,
        style: str | None = None,
        number_format: str | None = None,
        bound_label: str = "",
        merge: str | None = None,
    ) -> Slot:
        spec = CellSpec(cell_name(self.prefix, name), sheet.title, ref, role, path, kind)  # type: ignore[arg-type]
        st = style or (
            "input_text"
            if kind == "text" and role != "output"
            else role
            if role != "header"
            else "input_text"
        )
        slot = Slot(spec, fieldspec, self.defaults.get(path or ""), number_format, style=st)
        if role in ("input", "header") and fieldspec is not None:
            slot.validation = self.validation(fieldspec, bound_label)
        if merge:
            self.text(sheet, ref, "", st, merge)
        self.slots.append(slot)
        return slot

    def validation(self, spec: FieldSpec, bound_label: str = "") -> dict[str, Any]:
        title = spec.label[:32]
        unit = spec.unit if spec.unit and spec.unit != "%" else ""
        if spec.type == "bool":
            return {
                "type": "list",
                "formula1": f'"{YES},{NO}"',
                "prompt": f"请选择{YES}或{NO}",
                "title": title,
            }
        if spec.type == "enum":
            shown = [enum_label(spec, v) for v in spec.values]
            extra = f"({spec.description})" if spec.description else ""
            return {
                "type": "list",
                "formula1": '"' + ",".join(shown) + '"',
                "prompt": f"请从下拉列表选择:{'/'.join(shown)}{extra}"[:250],
                "title": title,
            }
        if spec.type in ("count", "number"):
            return self._number_validation(spec, title, unit, bound_label)
        return {
            "type": "textLength",
            "operator": "lessThanOrEqual",
            "formula1": "200",
            "title": title,
            "prompt": "请填写文本(不超过200字)。",
        }

    def _number_validation(self, spec: FieldSpec, title: str, unit: str, bound_label: str) -> dict[str, Any]:
        lo = self._num(spec.min)
        hi = self._num(spec.max)
        if spec.type == "count" and lo is None:
            lo = Decimal(0)
        percent = spec.unit == "%"
        show = (lambda v: fmt(Fraction(v) * 100) + "%") if percent else (lambda v: fmt(Fraction(v)))
        word = "整数" if spec.type == "count" else "数值"
        if lo is not None and hi is not None:
            rule, op = f"{show(lo)}–{show(hi)}的{word}", "between"
        elif lo is not None:
            rule, op = f"不小于{show(lo)}的{word}", "greaterThanOrEqual"
        elif hi is not None:
            rule, op = f"不大于{show(hi)}的{word}", "lessThanOrEqual"
        else:
            rule, op = f"{word}", None
        if bound_label:
            rule += f",且不超过{bound_label}"
        out: dict[str, Any] = {
            "type": "whole" if spec.type == "count" else "decimal",
            "title": title,
            "prompt": f"请填写{rule}{unit}。",
        }
        if op:
            out["operator"] = op
            first = lo if lo is not None else hi
            out["formula1"] = plain(first)
            if op == "between":
                out["formula2"] = plain(hi)
        else:
            out["operator"] = "between"
            out["formula1"], out["formula2"] = "-1E+15", "1E+15"
        return out

    def _num(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        if isinstance(value, str) and value.startswith("$"):
            return self.defn.parameters[value[1:]].value
        if isinstance(value, str) and value.startswith("@"):
            target = self.spec_at(value[1:])
            return self._num(target.max) if target is not None else None
        return None

    @functools.cached_property
    def specs(self) -> list[FieldSpec]:
        """Every input of the rubric (items' clause inputs as `items.N.field`), in YAML order."""
        return all_inputs(self.defn)

    def spec_at(self, path: str) -> FieldSpec | None:
        return next((s for s in self.specs if s.path == path), None)

    def bound_label(self, spec: FieldSpec) -> str:
        if isinstance(spec.max, str) and spec.max.startswith("@"):
            target = self.spec_at(spec.max[1:])
            return target.label if target is not None else spec.max[1:]
        return ""

    def row_sheet(
        self,
        title: str,
        widths: dict[str, float],
        first_row: int,
        hidden: list[str],
        heading: str,
        last: str,
        height: float,
    ) -> SheetPlan:
        """A sheet of one row per person (member table, roster): numbered in A, key columns A:B and heading
        rows 2:3 repeated on every printed page, `heading` across A1:{last}1."""
        sheet = SheetPlan(
            title,
            widths,
            freeze=f"C{first_row}",
            print_rows="2:3",
            landscape=self.landscape,
            print_cols="A:B",
        )
        sheet.hidden_cols = hidden
        self.sheets.append(sheet)
        self.text(sheet, "A1", heading, "title", f"A1:{last}1")
        sheet.heights[1] = height
        self.text(sheet, "A2", "序号", "header", "A2:A3")
        return sheet

    # ---------------------------------------------------------------- labelled rows of a plain form

    def section(self, sheet: SheetPlan, row: int, title: str) -> int:
        self.text(sheet, f"A{row}", title, "section", f"A{row}:I{row}")
        sheet.heights[row] = 20
        return row + 1

    def field_row(self, sheet: SheetPlan, row: int, label: str, note: str = "") -> None:
        width = sum(sheet.widths[c] for c in "ABCDE")
        self.text(sheet, f"A{row}", label, "label", f"A{row}:E{row}")
        self.text(sheet, f"G{row}", note, "text", f"G{row}:I{row}")
        # Single-line fields are 17 pt (10 pt type): the plain forms then print on one A4 page.
        sheet.heights[row] = max(
            17.0,
            13.5
            * max(lines_needed(label, width), lines_needed(note, sum(sheet.widths[c] for c in "GHI"), 9)),
        )

    def note(self, spec: FieldSpec) -> str:
        parts = []
        if spec.description:
            parts.append(
                spec.description
                if spec.type != "enum"
                else "、".join(enum_label(spec, v) for v in spec.values)
            )
        if spec.type == "bool":
            parts.append(
                "选择是/否"
                + ("(不填按否)" if spec.default is False else "(可不填)" if not spec.required else "")
            )
        if spec.type in ("count", "number") and spec.unit:
            parts.append("单位:" + ("比例,如85%" if spec.unit == "%" else spec.unit))
        group = next((g for g in self.defn.one_of if spec.path in g), None)
        if group is not None:
            others = [s.label for s in self.specs if s.path in group and s.path != spec.path]
            parts.append(f"与“{'、'.join(others)}”二选一填写")
        elif spec.required is False and spec.type not in ("bool",):
            parts.append("可不填")
        return ";".join(parts)

    # ---------------------------------------------------------------- the result

    def finish(self) -> Plan:
        plan = Plan(
            self.defn,
            self.prefix,
            self.sheets,
            self.texts,
            self.slots,
            self.items,
            self.blocks,
            self.outputs,
            self.members,
            self.roster,
            self.roster_cells,
            self.helpers,
            self.ballot_flags,
            self.roster_flags,
        )
        plan.layout = Layout(
            self.defn.id,
            self.defn.version,
            self.prefix,
            MAIN_SHEET,
            tuple(s.title for s in self.sheets),
            tuple(s.spec for s in self.slots),
        )
        names = [s.spec.name for s in self.slots]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"{self.defn.id}: duplicate defined names {sorted(dupes)[:5]}")
        return plan
