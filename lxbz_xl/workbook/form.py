"""The form plan: where every label, input and output of a rubric's workbook goes.

Derived from the definition only (items → one input row per clause input; unit inputs → labelled
fields, vote tables, lists, records; members → a table sheet; ballots → a matrix sheet). Formula
writers (udf_formulas, native_formulas) and the builder read cell positions from this plan.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter as col

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import all_inputs
from lxbz_xl.definition.rubric import Item, RubricDefinition
from lxbz_xl.engine.items import render
from lxbz_xl.exact import fmt
from lxbz_xl.workbook.layout import NO, YES, CellSpec, Layout, enum_label
from lxbz_xl.workbook.roster import Roster, roster_for

MAIN_SHEET = "考评表"
# Presentation sizes (not scoring rules): how many blank rows/cells a list input gets on the form. Member
# and ballot rows and the cells of a list input come from the rubric's `form:` hints (FormHints).
LIST_DEFAULT = 10
LIST_SHEET_MIN = 11  # lists longer than this get their own sheet
RECORD_ROWS = 8
MEMBER_LIST_CELLS = 5
MEMBER_RECORD_PAIRS = 3
# Main grid: A 项目 | B 考核内容 | C 分值 | D 评分标准 | E:F 检查情况 (label, value) | G 扣分 | H 得分 | I 扣分说明
# 159 columns fit landscape A4 at 90 %: 9 pt type prints at 8 pt.
ITEM_WIDTHS = {"A": 10, "B": 31, "C": 6, "D": 25, "E": 31, "F": 10, "G": 7, "H": 7, "I": 32}
# Forms without items print portrait: 114 columns fit A4's width at about 90 %.
PLAIN_WIDTHS = {"A": 8, "B": 20, "C": 8, "D": 12, "E": 12, "F": 12, "G": 8, "H": 8, "I": 26}


HINT_REF = "G3"
README_SHEET = "说明"
README_WIDTH = 75


def no_functions_hint(rubric_id: str) -> str:
    return (
        f"未加载 LXBZ 函数:请改用 {rubric_id}_原生公式.xlsx,"
        "或在 Excel 中加载 xlwings 加载项后运行「重新绑定并计算」(见“说明”表)"
    )


def readme_lines(defn: RubricDefinition) -> list[tuple[str, str]]:
    """(style, text) rows of the 说明 sheet: how to fill, what a blank item means, how to bring the
    LXBZ_* functions back (#NAME?), which file to use without them, printing."""
    rid = defn.id
    return [
        ("section", "填写说明"),
        (
            "label",
            f"本表由 lxbz-xl 按《{defn.name}》(版本 {defn.version})生成:黄色单元格填写,蓝色单元格自动计算,请勿改动公式。",
        ),
        (
            "label",
            "未填写的项目按未发现问题计(扣分项不扣分,加分项计满分);考评结果中的“未填写项目”一行列出这些项目,确有问题请如实填写。",
        ),
        ("section", "两种文件"),
        ("label", f"{rid}.xlsx:LXBZ 函数版,由 lxbz 的 xlwings 加载项计算(Excel + xlwings 或 xlwings Lite)。"),
        (
            "label",
            f"{rid}_原生公式.xlsx:原生公式版,不需要加载项,WPS、LibreOffice、Excel 均可直接使用,结果与函数版相同。",
        ),
        ("section", "单元格显示 #NAME? 时(LXBZ 函数未绑定):运行“重新绑定并计算”"),
        (
            "label",
            "xlwings Lite(Microsoft 365,Windows/Mac/网页版):打开 xlwings Lite 任务窗格,运行脚本「重新绑定并计算」(rebind_and_recalculate)。",
        ),
        (
            "label",
            "经典 xlwings(Windows Excel + 本机 Python):关闭工作簿,在命令行运行 lxbz excel rebind 工作簿.xlsx,再打开(详见 docs/excel-functions.md)。",
        ),
        ("label", f"没有 Excel 加载项(WPS、LibreOffice 等):请改用 {rid}_原生公式.xlsx。"),
        ("section", "打印"),
        ("label", "各表按 A4 纸宽排版,多页时每页重复表头;签字栏与考评结果同页打印。"),
    ]


def share_path(votes: str, tiers: list[str] | tuple[str, ...]) -> str:
    return f"shares.{votes}.{'+'.join(tiers)}"


def vote_shares(defn: RubricDefinition) -> list[tuple[str, tuple[str, ...]]]:
    """(votes input, tiers) of every `share` condition on the unit's own vote tables, each once, in the
    tables' order (widest first: 优秀+较好 before 优秀)."""
    from pydantic import BaseModel

    from lxbz_xl.definition.logic import ShareBody

    votes_inputs = {s.path: s for s in defn.inputs if s.type == "votes"}
    found: list[tuple[str, tuple[str, ...]]] = []

    def walk(node: Any) -> None:
        if isinstance(node, ShareBody):
            spec = votes_inputs.get(node.votes)
            if spec is not None:
                key = (node.votes, tuple(t for t in spec.values if t in node.tiers))
                if key not in found:
                    found.append(key)
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)

    for part in (defn.variables, defn.total, defn.tiers, defn.title, defn.flags):
        walk(part)
    order = list(votes_inputs)

    def key(pair: tuple[str, tuple[str, ...]]) -> tuple[int, int, int]:
        values = votes_inputs[pair[0]].values
        return order.index(pair[0]), values.index(pair[1][0]) if pair[1] else 0, -len(pair[1])

    return sorted(found, key=key)


def text_width(text: str) -> float:
    """Display width in column units: CJK characters are about two."""
    return sum(2.0 if ord(c) > 0x2E80 else 1.05 for c in text)


def lines_needed(text: str, width: float, size: float = 10) -> int:
    scale = size / 10.5
    return max(
        1, sum(max(1, math.ceil(text_width(part) * scale / max(width - 1, 1))) for part in text.split("\n"))
    )


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
    args: list[str]  # formula argument text per input (a cell, or roster-or-typed choice)
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
    roster_cells: dict[str, Any]  # "count" → ref text, (item, field) → ref text of derived counts
    helpers: dict[tuple[str, str], str]  # formulas shared by both variants (roster flags, ballot headings)
    ballot_flags: tuple[str, str, str, int, int] | None = (
        None  # sheet, valid col, invalid col, first, last row
    )
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


def quote(sheet: str) -> str:
    return f"'{sheet}'" if re.search(r"[^A-Za-z0-9_]", sheet) else sheet


def prefix_for(rubric_id: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", rubric_id) if p]
    if len(parts) > 1:
        return "".join(p[0] for p in parts).upper()
    return rubric_id[:2].upper()


def _name(*parts: Any) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", str(p)).strip("_").upper() for p in parts if str(p) != "")


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\']", "", text)[:31]


class _Builder:
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
        self.ballot_flags: tuple[str, str, str, int, int] | None = None
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
        spec = CellSpec(_name(self.prefix, name), sheet.title, ref, role, path, kind)  # type: ignore[arg-type]
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
            lo = self._num(spec.min)
            hi = self._num(spec.max)
            if spec.type == "count" and lo is None:
                lo = Decimal(0)
            percent = spec.unit == "%"
            show = (lambda v: fmt(_frac(v) * 100) + "%") if percent else (lambda v: fmt(_frac(v)))
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
                out["formula1"] = _plain(first)
                if op == "between":
                    out["formula2"] = _plain(hi)
            else:
                out["operator"] = "between"
                out["formula1"], out["formula2"] = "-1E+15", "1E+15"
            return out
        return {
            "type": "textLength",
            "operator": "lessThanOrEqual",
            "formula1": "200",
            "title": title,
            "prompt": "请填写文本(不超过200字)。",
        }

    def _num(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        if isinstance(value, str) and value.startswith("$"):
            return self.defn.parameters[value[1:]].value
        if isinstance(value, str) and value.startswith("@"):
            target = next((s for s in self._all_specs() if s.path == value[1:]), None)
            return self._num(target.max) if target is not None else None
        return None

    @functools.cached_property
    def _spec_list(self) -> list[FieldSpec]:
        return all_inputs(self.defn)

    def _all_specs(self) -> list[FieldSpec]:
        return self._spec_list

    def bound_label(self, spec: FieldSpec) -> str:
        if isinstance(spec.max, str) and spec.max.startswith("@"):
            target = next((s for s in self._all_specs() if s.path == spec.max[1:]), None)
            return target.label if target is not None else spec.max[1:]
        return ""

    # ---------------------------------------------------------------- main sheet

    def main(self) -> SheetPlan:
        defn = self.defn
        sheet = SheetPlan(
            MAIN_SHEET,
            dict(ITEM_WIDTHS if defn.items else PLAIN_WIDTHS),
            landscape=defn.form.orientation == "landscape",
        )
        self.sheets.append(sheet)
        self.main_sheet = sheet
        self.text(
            sheet,
            "A1",
            f"{defn.name}\n考评表" if len(defn.name) > 18 else f"{defn.name}考评表",
            "title",
            "A1:I1",
        )
        sheet.heights[1] = 48
        header = FieldSpec(path="unit", label="单位名称", type="text")
        self.text(sheet, "A2", "单位名称", "label")
        self.slot(sheet, "B2", "UNIT", "header", "unit", "text", header, merge="B2:D2")
        self.text(sheet, "E2", "年度", "label")
        year = FieldSpec(path="year", label="年度", type="count", min=Decimal(2000), max=Decimal(2100))
        self.slot(sheet, "F2", "YEAR", "header", "year", "count", year, style="input")
        self.text(sheet, "G2", "考核组", "label")
        # Paths under "form." are not case keys (a case may itself have a `team` key: performance).
        team = FieldSpec(path="form.team", label="考核组", type="text")
        self.slot(sheet, "H2", "TEAM", "header", "form.team", "text", team, merge="H2:I2")
        self.text(sheet, "A3", "填表日期", "label")
        date = FieldSpec(path="form.date", label="填表日期", type="text")
        self.slot(sheet, "B3", "DATE", "header", "form.date", "text", date, merge="B3:D3")
        self.text(
            sheet, "E3", f"版本 {defn.version} · 黄色单元格填写,蓝色单元格自动计算", "subtitle", "E3:F3"
        )
        # The LXBZ_* variant's "functions not loaded" hint (udf_formulas.hint_formula); blank otherwise.
        self.text(sheet, HINT_REF, "", "hint", f"{HINT_REF}:I3")
        sheet.heights[2] = 22
        hint_width = sum(sheet.widths[c] for c in "GHI")
        sheet.heights[3] = max(22.0, 12.5 * lines_needed(no_functions_hint(defn.id), hint_width, 9) + 4)
        sheet.freeze, sheet.print_rows = "A4", "1:3"  # item forms move these below the table heading
        row = 4
        last_item = row
        if defn.items:
            row = self.item_table(sheet, row)
            last_item = sheet.groups[-1][0]
        row = self.unit_inputs(sheet, row)
        row = self.member_pointer(sheet, row)
        # The sign-off stays with the results and, on item forms, with the last item and the total.
        sheet.keep_from = last_item if defn.items else row
        row = self.results(sheet, row)
        row = self.source_note(sheet, row + 1)
        row = self.sign_off(sheet, row + 1)
        sheet.last_row = row
        return sheet

    def item_table(self, sheet: SheetPlan, row: int) -> int:
        defn = self.defn
        for c, label in zip(
            "ABCDEGHI",
            ("项目", "考核内容", "分值", "评分标准", "检查情况", "扣分", "得分", "扣分说明"),
            strict=True,
        ):
            self.text(sheet, f"{c}{row}", label, "header", f"E{row}:F{row}" if c == "E" else None)
        sheet.freeze = f"A{row + 1}"
        sheet.print_rows = f"{row}:{row}"
        sheet.heights[row] = 22
        row += 1
        derived = (
            {(d.item, d.field) for d in self.roster.derived} | {self.roster.count_field}
            if self.roster
            else set()
        )
        for item in defn.items:
            specs = item.inputs()
            first, last = row, row + max(1, len(specs)) - 1
            span = lambda c, a=first, b=last: f"{c}{a}:{c}{b}"  # noqa: E731
            self.text(sheet, f"A{first}", f"{item.id}. {item.name}", "center", span("A"))
            content = render(item.content, defn)
            standard = render(item.standard, defn) + (f"\n({render(item.note, defn)})" if item.note else "")
            self.text(sheet, f"B{first}", content, "text", span("B"))
            self.text(sheet, f"C{first}", fmt(_frac(item.points)), "center", span("C"))
            self.text(sheet, f"D{first}", standard, "text", span("D"))
            slots, args = [], []
            for k, spec in enumerate(specs):
                r = first + k
                path = f"items.{item.id}.{spec.path}"
                clause = next(c for c in item.clauses if spec in _clause_inputs(c))
                label = render(clause.label, defn)
                if len(_clause_inputs(clause)) > 1:
                    label = f"{label}:{spec.label}"
                if (item.id, spec.path) in derived:
                    label += "(明细已填时按明细统计)"
                self.text(sheet, f"E{r}", label, "label")
                full = next(s for s in self._all_specs() if s.path == path)
                slot = self.slot(
                    sheet,
                    f"F{r}",
                    f"I{item.id}_{spec.path}",
                    "input",
                    path,
                    spec.type,
                    full,
                    number_format="0" if spec.type == "count" else "General",
                    bound_label=self.bound_label(spec),
                )
                slots.append(slot)
                args.append(f"F{r}")
                sheet.heights[r] = max(20.0, 15.0 * lines_needed(label, ITEM_WIDTHS["E"]) + 3)
            out = {}
            for key, c, kind, st in (
                ("deduction", "G", "number", "output"),
                ("score", "H", "number", "output"),
                ("explanation", "I", "text", "output_text"),
            ):
                out[key] = self.slot(
                    sheet,
                    f"{c}{first}",
                    f"I{item.id}_{key[:7] if key == 'explanation' else key}",
                    "output",
                    f"items.{item.id}.{key}",
                    kind,
                    style=st,
                    number_format="General" if item.mode != "proportional" else "0.00",
                    merge=span(c),
                )
            # Merged content/standard texts need the rows to be tall enough in total (no auto-fit on merges).
            need = (
                max(lines_needed(content, ITEM_WIDTHS["B"], 9), lines_needed(standard, ITEM_WIDTHS["D"], 9))
                * 14.5  # 9 pt CJK type: LibreOffice (Noto CJK) lays out about 14.5 pt a line
                + 6
            )
            have = sum(sheet.heights.get(r, 20.0) for r in range(first, last + 1))
            if need > have:
                extra = (need - have) / (last - first + 1)
                for r in range(first, last + 1):
                    sheet.heights[r] = sheet.heights.get(r, 20.0) + extra
            self.items.append(
                ItemSlots(item, slots, args, out["score"], out["deduction"], out["explanation"])
            )
            sheet.groups.append((first, last))
            row = last + 1
        self.text(
            sheet,
            f"A{row}",
            defn.total_label if defn.total is None else "节水工作得分合计",
            "header",
            f"A{row}:B{row}",
        )
        self.text(sheet, f"C{row}", fmt(_frac(defn.total_points or 0)), "header")
        self.text(sheet, f"D{row}", "", "header", f"D{row}:G{row}")
        path = "total" if defn.total is None else "items_total"
        self.outputs[path] = self.slot(
            sheet,
            f"H{row}",
            "TOTAL" if path == "total" else "ITEMS_TOTAL",
            "output",
            path,
            "number",
            number_format=_score_format(defn),
        )
        self.text(sheet, f"I{row}", "", "header")
        sheet.heights[row] = 24
        return row + 1

    # ---------------------------------------------------------------- unit inputs

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

    def unit_inputs(self, sheet: SheetPlan, row: int) -> int:
        defn = self.defn
        specs = [s for s in self._all_specs() if not s.path.startswith("items.")]
        if not specs:
            return row
        row = self.section(sheet, row + 1 if defn.items else row, "考核情况(填写)")
        for spec in specs:
            base = _name(spec.path)
            if spec.type in ("count", "number", "bool", "enum", "text"):
                note = self.note(spec)
                self.field_row(sheet, row, spec.label, note)
                slot = self.slot(
                    sheet,
                    f"F{row}",
                    base,
                    "input",
                    spec.path,
                    spec.type,
                    spec,
                    number_format="0%" if spec.unit == "%" else None,
                    bound_label=self.bound_label(spec),
                )
                self.blocks.append(Block(spec, [slot], sheet.title, f"F{row}", f"F{row}"))
                row += 1
            elif spec.type == "votes":
                self.text(sheet, f"A{row}", f"{spec.label}(票数)", "header", f"A{row}:E{row}")
                self.text(sheet, f"F{row}", "票数", "header")
                self.text(sheet, f"G{row}", "说明", "header", f"G{row}:I{row}")
                row += 1
                slots = []
                for k, tier in enumerate(spec.values, 1):
                    note = "按有效票填写;各档次票数之和即有效票数" if k == 1 else ""
                    self.field_row(sheet, row, f"    {tier}", note)
                    one = spec.model_copy(
                        update={
                            "type": "count",
                            "label": f"{spec.label}{tier}票数",
                            "min": None,
                            "max": Decimal(100000),
                        }
                    )
                    slots.append(
                        self.slot(
                            sheet,
                            f"F{row}",
                            f"{base}_{k}",
                            "input",
                            f"{spec.path}.{tier}",
                            "count",
                            one,
                            number_format="0",
                        )
                    )
                    row += 1
                sheet.groups.append((row - len(spec.values) - 1, row - 1))
                self.blocks.append(Block(spec, slots, sheet.title, slots[0].spec.ref, slots[-1].spec.ref))
            elif spec.type == "numbers":
                n = defn.form.lists.get(spec.path, LIST_DEFAULT)
                one = spec.model_copy(update={"type": "number"})
                if n >= LIST_SHEET_MIN:
                    row = self.list_sheet(sheet, row, spec, one, n)
                    continue
                self.text(sheet, f"A{row}", spec.label + "(空白不计)", "header", f"A{row}:E{row}")
                self.text(sheet, f"F{row}", "分数", "header")
                self.text(sheet, f"G{row}", self.note(spec), "header", f"G{row}:I{row}")
                row += 1
                slots = []
                for k in range(1, n + 1):
                    self.field_row(sheet, row, f"    第{k}个")
                    slots.append(
                        self.slot(sheet, f"F{row}", f"{base}_{k}", "input", f"{spec.path}.{k}", "number", one)
                    )
                    row += 1
                self.blocks.append(Block(spec, slots, sheet.title, slots[0].spec.ref, slots[-1].spec.ref))
            elif spec.type == "records":
                points, reason = spec.fields[0], spec.fields[1]
                self.text(sheet, f"A{row}", spec.label, "header", f"A{row}:E{row}")
                self.text(sheet, f"F{row}", points.label, "header")
                self.text(sheet, f"G{row}", reason.label, "header", f"G{row}:I{row}")
                row += 1
                slots = []
                for k in range(1, RECORD_ROWS + 1):
                    self.text(
                        sheet, f"A{row}", f"    第{k}条(加分填正数,减分填负数)", "label", f"A{row}:E{row}"
                    )
                    slots.append(
                        self.slot(
                            sheet,
                            f"F{row}",
                            f"{base}_{k}_{points.path}",
                            "input",
                            f"{spec.path}.{k}.{points.path}",
                            "number",
                            points,
                        )
                    )
                    slots.append(
                        self.slot(
                            sheet,
                            f"G{row}",
                            f"{base}_{k}_{reason.path}",
                            "input",
                            f"{spec.path}.{k}.{reason.path}",
                            "text",
                            reason,
                            merge=f"G{row}:I{row}",
                        )
                    )
                    sheet.heights[row] = 20
                    row += 1
                self.blocks.append(
                    Block(spec, slots, sheet.title, slots[0].spec.ref, slots[-1].spec.ref, cols=2)
                )
            elif spec.type == "ballots":
                block = self.ballot_block(spec)
                self.blocks.append(block)
                self.field_row(sheet, row, spec.label, f"在“{block.sheet}”表逐张填写(每行一张选票,空行不计)")
                self.text(sheet, f"F{row}", "见分表", "center")
                row += 1
            else:
                raise ValueError(f"{defn.id}: no form for input type {spec.type} ({spec.path})")
        return row

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
            others = [s.label for s in self._all_specs() if s.path in group and s.path != spec.path]
            parts.append(f"与“{'、'.join(others)}”二选一填写")
        elif spec.required is False and spec.type not in ("bool",):
            parts.append("可不填")
        return ";".join(parts)

    def list_sheet(self, main: SheetPlan, row: int, spec: FieldSpec, one: FieldSpec, n: int) -> int:
        title = _sheet_title(spec.label.split("(")[0])
        sheet = SheetPlan(title, {"A": 8, "B": 14, "C": 40}, freeze="A3", print_rows="2:2", landscape=False)
        self.sheets.append(sheet)
        self.text(sheet, "A1", spec.label, "title", "A1:C1")
        sheet.heights[1] = 30
        for c, label in zip("ABC", ("序号", "分数", "说明"), strict=True):
            self.text(sheet, f"{c}2", label, "header")
        slots = []
        base = _name(spec.path)
        for k in range(1, n + 1):
            r = k + 2
            self.text(sheet, f"A{r}", str(k), "center")
            slots.append(self.slot(sheet, f"B{r}", f"{base}_{k}", "input", f"{spec.path}.{k}", "number", one))
            self.text(sheet, f"C{r}", "每人一个百分制分数;空白不计" if k == 1 else "", "text")
        sheet.last_row, sheet.last_col = n + 2, 3
        self.blocks.append(Block(spec, slots, title, "B3", f"B{n + 2}"))
        self.field_row(main, row, spec.label, f"在“{title}”表逐行填写(共{n}行,空白不计)")
        self.text(main, f"F{row}", "见分表", "center")
        return row + 1

    def ballot_block(self, spec: FieldSpec) -> Block:
        assert self.members is not None, "ballots need a member table"
        m = self.members
        title = _sheet_title(spec.label)
        n = m.rows
        widths = {"A": 8} | {col(2 + j): 7 for j in range(n)}
        sheet = SheetPlan(
            title, widths, freeze="B4", print_rows="3:3", landscape=self.landscape, print_cols="A:A"
        )
        self.sheets.append(sheet)
        last = col(1 + n)
        self.text(sheet, "A1", spec.label, "title", f"A1:{last}1")
        sheet.heights[1] = 30
        self.text(
            sheet,
            "A2",
            f"每行一张选票,每列一名被评价干部(姓名取自“{m.sheet}”表);"
            f"选择{'/'.join(spec.values)}。{spec.description or ''}",
            "subtitle",
            f"A2:{last}2",
        )
        sheet.heights[2] = 30
        self.text(sheet, "A3", "选票号", "header")
        name_col = col(m.inputs[0][1][0])
        for j in range(n):
            ref = f"{col(2 + j)}3"
            self.helpers[(title, ref)] = (
                f'=IF({quote(m.sheet)}!{name_col}{m.first_row + j}="","",'
                f"{quote(m.sheet)}!{name_col}{m.first_row + j})"
            )
            self.text(sheet, ref, "", "header")
        sheet.heights[3] = 30
        slots = []
        one = FieldSpec(path=spec.path, label="评价", type="enum", values=spec.values)
        base = _name(spec.path)
        for b in range(1, self.defn.form.ballots + 1):
            r = b + 3
            self.text(sheet, f"A{r}", str(b), "center")
            for j in range(n):
                slots.append(
                    self.slot(
                        sheet,
                        f"{col(2 + j)}{r}",
                        f"{base}_{b}_{j + 1}",
                        "input",
                        f"{spec.path}.{b}.{j + 1}",
                        "enum",
                        one,
                    )
                )
        # Helper columns: 有效 / 作废 per ballot (the ballot rule: at most floor(share × evaluated) "好").
        rule = ballot_rule(self.defn, spec.path)
        vcol, icol = col(2 + n), col(3 + n)
        sheet.widths[vcol] = sheet.widths[icol] = 6
        self.text(sheet, f"{vcol}3", "有效票", "header")
        self.text(sheet, f"{icol}3", "作废票", "header")
        for b in range(1, self.defn.form.ballots + 1):
            r = b + 3
            row = f"$B{r}:${last}{r}"
            nonempty = "(" + "+".join(f'COUNTIF({row},"{v}")' for v in spec.values) + ")>0"
            if rule is None:
                bad = "FALSE"
            else:
                tier, share = rule
                bad = (
                    f'{share.denominator}*COUNTIF({row},"{tier}")>{share.numerator}*{m.count_formula(title)}'
                )
            self.helpers[(title, f"{vcol}{r}")] = f"=IF(AND({nonempty},NOT({bad})),1,0)"
            self.helpers[(title, f"{icol}{r}")] = f"=IF(AND({nonempty},{bad}),1,0)"
            self.text(sheet, f"{vcol}{r}", "", "helper")
            self.text(sheet, f"{icol}{r}", "", "helper")
        self.ballot_flags = (title, vcol, icol, 4, self.defn.form.ballots + 3)
        sheet.last_row, sheet.last_col = self.defn.form.ballots + 3, n + 3
        return Block(spec, slots, title, "B4", f"{last}{self.defn.form.ballots + 3}")

    # ---------------------------------------------------------------- members

    def member_table(self) -> None:
        defn = self.defn
        spec = defn.members
        if spec is None:
            return
        title = _sheet_title(spec.label)
        first_row, n = 4, defn.form.members
        columns: list[tuple[FieldSpec, list[int], list[str]]] = []
        c = 2
        for i, f in enumerate(spec.inputs):
            if f.type in ("numbers", "records") and i != len(spec.inputs) - 1:
                raise ValueError(
                    f"{defn.id}: list input {f.path} must be the last member input (member-row rule)"
                )
            if f.type == "votes":
                subs = list(f.values)
            elif f.type == "numbers":
                subs = [f"{k}" for k in range(1, MEMBER_LIST_CELLS + 1)]
            elif f.type == "records":
                subs = [
                    x
                    for k in range(1, MEMBER_RECORD_PAIRS + 1)
                    for x in (f"{f.fields[0].label}{k}", f"{f.fields[1].label}{k}")
                ]
            else:
                subs = []
            width = max(1, len(subs))
            columns.append((f, list(range(c, c + width)), subs))
            c += width
        last_input = c - 1
        outputs: list[tuple[str, str, str]] = []
        for var in spec.variables:
            outputs.append(
                (f"values.{var.name}", var.label, "percent" if var.display == "percent" else "number")
            )
        if spec.total is not None:
            outputs.append(("total", "总分", "number"))
        if spec.tiers is not None:
            if spec.tiers.adjustments:
                outputs.append(("base_tier", "初定档次", "tier"))
            outputs.append(("tier", "档次", "tier"))
        if spec.title is not None:
            outputs.append(("title", spec.title.name.split("(")[0], "bool"))
        if spec.flags:
            outputs.append(("flags", "提示事项", "text"))
        widths = {"A": 5.0}
        for f, cols, subs in columns:
            for j, cc in enumerate(cols):
                sub = subs[j] if subs else f.label
                widths[col(cc)] = max(7.0, min(16.0, text_width(sub) * 0.9 + 1)) if f.type != "text" else 12.0
        for k, (_key, label, kind) in enumerate(outputs):
            widths[col(last_input + 1 + k)] = (
                30.0 if kind == "text" else max(8.0, min(14.0, text_width(label) * 0.6 + 2))
            )
        last_col = last_input + len(outputs)
        flag_col = last_col + 1  # hidden helper: 1 when the row has a name (counts members, no SUMPRODUCT)
        widths[col(flag_col)] = 5.0
        sheet = SheetPlan(
            title,
            widths,
            freeze=f"C{first_row}",
            print_rows="2:3",
            landscape=self.landscape,
            print_cols="A:B",
        )
        sheet.hidden_cols = [col(flag_col)]
        self.sheets.append(sheet)
        self.text(
            sheet,
            "A1",
            f"{defn.short_name} · {spec.label}明细(每行一人,空行不计)",
            "title",
            f"A1:{col(last_col)}1",
        )
        sheet.heights[1] = 32
        self.text(sheet, "A2", "序号", "header", "A2:A3")
        for f, cols, subs in columns:
            head = f.label + ("(票数)" if f.type == "votes" else "")
            if subs:
                self.text(sheet, f"{col(cols[0])}2", head, "header", f"{col(cols[0])}2:{col(cols[-1])}2")
                for cc, sub in zip(cols, subs, strict=True):
                    self.text(sheet, f"{col(cc)}3", sub, "header")
            else:
                self.text(sheet, f"{col(cols[0])}2", head, "header", f"{col(cols[0])}2:{col(cols[0])}3")
        for k, (_key, label, _kind) in enumerate(outputs):
            cc = col(last_input + 1 + k)
            self.text(sheet, f"{cc}2", label, "header", f"{cc}2:{cc}3")
        sheet.heights[2] = 30
        sheet.heights[3] = 44
        row_slots = []
        for r in range(n):
            row = first_row + r
            self.text(sheet, f"A{row}", str(r + 1), "center")
            slots: dict[str, Slot] = {}
            for f, cols, _subs in columns:
                base = f"M{r + 1}_{f.path}"
                if f.type == "votes":
                    for j, (cc, tier) in enumerate(zip(cols, f.values, strict=True), 1):
                        one = f.model_copy(
                            update={"type": "count", "label": f"{f.label}{tier}票数", "max": Decimal(100000)}
                        )
                        slots[f"{f.path}.{tier}"] = self.slot(
                            sheet,
                            f"{col(cc)}{row}",
                            f"{base}_{j}",
                            "input",
                            f"{spec.key}.{r + 1}.{f.path}.{tier}",
                            "count",
                            one,
                        )
                elif f.type == "numbers":
                    one = f.model_copy(update={"type": "number"})
                    for j, cc in enumerate(cols, 1):
                        slots[f"{f.path}.{j}"] = self.slot(
                            sheet,
                            f"{col(cc)}{row}",
                            f"{base}_{j}",
                            "input",
                            f"{spec.key}.{r + 1}.{f.path}.{j}",
                            "number",
                            one,
                        )
                elif f.type == "records":
                    for j in range(MEMBER_RECORD_PAIRS):
                        for h, part in enumerate(f.fields[:2]):
                            cc = cols[2 * j + h]
                            slots[f"{f.path}.{j + 1}.{part.path}"] = self.slot(
                                sheet,
                                f"{col(cc)}{row}",
                                f"{base}_{j + 1}_{part.path}",
                                "input",
                                f"{spec.key}.{r + 1}.{f.path}.{j + 1}.{part.path}",
                                part.type,
                                part,
                            )
                else:
                    slots[f.path] = self.slot(
                        sheet,
                        f"{col(cols[0])}{row}",
                        base,
                        "input",
                        f"{spec.key}.{r + 1}.{f.path}",
                        f.type,
                        f,
                        number_format="0%" if f.unit == "%" else None,
                    )
            for k, (key, _label, kind) in enumerate(outputs):
                slots[key] = self.slot(
                    sheet,
                    f"{col(last_input + 1 + k)}{row}",
                    f"M{r + 1}_{key.replace('values.', 'V_')}",
                    "output",
                    f"{spec.key}.{r + 1}.{key}",
                    kind,
                    number_format="0.00%" if kind == "percent" else "0.00",
                )
            row_slots.append(slots)
            self.helpers[(title, f"{col(flag_col)}{row}")] = f'=IF(${col(columns[0][1][0])}{row}="",0,1)'
            self.text(sheet, f"{col(flag_col)}{row}", "", "helper")
            sheet.heights[row] = 18
        sheet.last_row, sheet.last_col = first_row + n - 1, last_col
        self.members = MemberTable(
            title,
            first_row,
            n,
            2,
            last_input,
            [(f, cols) for f, cols, _ in columns],
            row_slots,
            outputs,
            col(flag_col),
        )

    # ---------------------------------------------------------------- roster (from the rubric's roster: block)

    def roster_sheet(self) -> None:
        roster = self.roster
        if roster is None:
            return
        defn = self.defn
        first_row, n = 4, roster.rows
        cols_in = {c.key: 2 + k for k, c in enumerate(roster.columns)}
        last_input = 1 + len(roster.columns)
        helper_first = last_input + 1
        widths = {"A": 5.0} | {col(2 + k): c.width for k, c in enumerate(roster.columns)}
        for k in range(len(roster.derived) + 1):
            widths[col(helper_first + k)] = 6.0
        sheet = SheetPlan(
            roster.sheet,
            widths,
            freeze=f"C{first_row}",
            print_rows="2:3",
            landscape=self.landscape,
            print_cols="A:B",
        )
        sheet.hidden_cols = [col(helper_first + k) for k in range(len(roster.derived) + 1)]
        name_flag = col(helper_first + len(roster.derived))  # 1 when the row has a name
        self.sheets.append(sheet)
        last_col = helper_first + len(roster.derived) - 1
        self.text(
            sheet,
            "A1",
            f"{defn.short_name} · {roster.sheet}(填写后,各项人数按明细统计;不填则在考评表直接填写人数)",
            "title",
            f"A1:{col(last_input)}1",
        )
        sheet.heights[1] = 36
        self.text(sheet, "A2", "序号", "header", "A2:A3")
        for c in roster.columns:
            cc = col(cols_in[c.key])
            self.text(sheet, f"{cc}2", c.label, "header", f"{cc}2:{cc}3")
        for k, d in enumerate(roster.derived):
            cc = col(helper_first + k)
            self.text(sheet, f"{cc}2", "统计", "header")
            self.text(sheet, f"{cc}3", d.label, "header")
        sheet.heights[2] = 22
        sheet.heights[3] = 60
        for r in range(n):
            row = first_row + r
            self.text(sheet, f"A{row}", str(r + 1), "center")
            for c in roster.columns:
                kind = c.type
                fs = c.spec or FieldSpec(path=c.key, label=c.label, type=kind)  # type: ignore[arg-type]
                self.slot(
                    sheet,
                    f"{col(cols_in[c.key])}{row}",
                    f"R{r + 1}_{c.key}",
                    "input",
                    f"roster.{r + 1}.{c.key}",
                    kind,
                    fs,
                )
            name = f"${col(cols_in[roster.name])}{row}"

            def bool_is(key: str, kind: str, row: int = row) -> str:
                # 是/否 as typed; a blank cell is the column's default (as the core reads it).
                cell = f"${col(cols_in[key])}{row}"
                want, blank_too = (
                    (YES, roster.column(key).default is True)
                    if kind == "yes"
                    else (NO, roster.column(key).default is False)
                )
                return f'OR({cell}="{want}",{cell}="")' if blank_too else f'{cell}="{want}"'

            for k, d in enumerate(roster.derived):
                tests = []
                for t in d.tests:
                    if t[0] in ("no", "yes"):
                        tests.append(bool_is(t[1], t[0]))
                    else:
                        tests.append(
                            _number_below(defn, roster.column(t[1]), f"{col(cols_in[t[1]])}{row}", t[2])
                        )
                cond = tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"
                who = None
                if d.who != "all" and roster.principal is not None:
                    who = bool_is(roster.principal, "yes" if d.who == "principal" else "no")
                full = f'AND({name}<>"",{who},{cond})' if who else f'AND({name}<>"",{cond})'
                self.helpers[(roster.sheet, f"{col(helper_first + k)}{row}")] = f"=IF({full},1,0)"
                self.roster_flags[(r, k)] = f"{col(helper_first + k)}{row}"
                self.text(sheet, f"{col(helper_first + k)}{row}", "", "helper")
            self.helpers[(roster.sheet, f"{name_flag}{row}")] = f'=IF({name}="",0,1)'
            self.roster_flags[(r, -1)] = f"{name_flag}{row}"
            self.text(sheet, f"{name_flag}{row}", "", "helper")
            sheet.heights[row] = 18
        # Summary: number of named rows, then each derived count.
        srow = first_row + n + 1
        self.text(
            sheet,
            f"A{srow}",
            "按明细统计的人数(明细为空时,考评表按直接填写的人数计分)",
            "section",
            f"A{srow}:{col(last_input)}{srow}",
        )
        srow += 1
        last = first_row + n - 1
        entries: list[tuple[Any, str, str]] = [
            ("count", "班子成员人数(有姓名的行数)", f"=SUM({name_flag}{first_row}:{name_flag}{last})")
        ]
        for k, d in enumerate(roster.derived):
            cc = col(helper_first + k)
            item = next(i for i in defn.items if i.id == d.item)
            spec = next(s for s in item.inputs() if s.path == d.field)
            entries.append(
                ((d.item, d.field), f"第{d.item}项 {spec.label}", f"=SUM({cc}{first_row}:{cc}{last})")
            )
        for key, label, formula in entries:
            self.text(sheet, f"B{srow}", label, "label", f"B{srow}:F{srow}")
            path = "derived.count" if key == "count" else f"derived.items.{key[0]}.{key[1]}"
            name = "R_COUNT" if key == "count" else f"R_I{key[0]}_{key[1]}"
            slot = self.slot(sheet, f"G{srow}", name, "output", path, "number", number_format="0")
            self.helpers[(roster.sheet, f"G{srow}")] = formula
            self.roster_cells[key] = (roster.sheet, slot.spec.ref)
            sheet.heights[srow] = 18
            srow += 1
        sheet.last_row, sheet.last_col = srow, last_col
        # Clause arguments: the roster count when the roster has names, else the typed cell.
        count_ref = self._xref(self.roster_cells["count"])
        for its in self.items:
            for k, spec in enumerate(its.item.inputs()):
                key = (its.item.id, spec.path)
                typed = f'IF({its.args[k]}="","",{its.args[k]})'  # "" not 0 when blank, in every engine
                if key == roster.count_field:
                    its.args[k] = f"IF({count_ref}>0,{count_ref},{typed})"
                elif key in self.roster_cells:
                    its.args[k] = f"IF({count_ref}>0,{self._xref(self.roster_cells[key])},{typed})"

    def _xref(self, where: tuple[str, str]) -> str:
        sheet, ref = where
        return f"{quote(sheet)}!{ref}" if sheet != MAIN_SHEET else ref

    # ---------------------------------------------------------------- results and sign-off

    def results(self, sheet: SheetPlan, row: int) -> int:
        defn = self.defn
        rows: list[tuple[str, str, str, str]] = []  # (path, label, kind, name)
        for var in defn.variables:
            kind = "percent" if var.display == "percent" else "count" if _is_count(var.expr) else "number"
            rows.append((f"values.{var.name}", var.label, kind, f"V_{var.name}"))
        if defn.total is not None:
            rows.append(("total", defn.total_label, "number", "TOTAL"))
        for k, (votes, tiers) in enumerate(vote_shares(defn), 1):
            # The shares the tier and title conditions test, shown as percentages (exact in the core).
            spec = next(s for s in defn.inputs if s.path == votes)
            label = f"{spec.label}:{'、'.join(tiers)}得票率{'之和' if len(tiers) > 1 else ''}"
            rows.append((share_path(votes, tiers), label, "percent", f"SHARE_{k}"))
        if defn.tiers is not None:
            if defn.tiers.adjustments:
                rows.append(("base_tier", "初定档次(调整前)", "tier", "BASE_TIER"))
            label = "评定档次" + ("(档次分界待本地确定)" if defn.tiers.pending_local else "")
            rows.append(("tier", label, "tier", "TIER"))
        if defn.title is not None:
            rows.append(("title", f"是否达到“{defn.title.name}”", "bool", "TITLE"))
        if defn.flags:
            rows.append(("flags", "提示事项(如限期整改)", "text", "FLAGS"))
        if defn.items:  # RUBRICS.md §0: the items left blank, in the core's words
            rows.append(("unfilled", "未填写项目(按未发现问题计)", "text", "UNFILLED"))
        if not rows:
            return row
        row = self.section(sheet, row + 1, "考评结果(自动计算)")
        for path, label, kind, name in rows:
            self.field_row(sheet, row, label)
            text_kind = kind in ("tier", "bool", "text")
            self.outputs[path] = self.slot(
                sheet,
                f"F{row}",
                name,
                "output",
                path,
                kind,
                number_format={"percent": "0.00%", "count": "0"}.get(kind, "0.00"),
                merge=f"F{row}:I{row}" if text_kind else None,
            )
            if not text_kind:
                self.text(sheet, f"G{row}", "", "text", f"G{row}:I{row}")
            row += 1
        return row

    def member_pointer(self, sheet: SheetPlan, row: int) -> int:
        if self.members is None:
            return row
        m = self.members
        if not any(t.value == "考核情况(填写)" for t in self.texts if t.sheet == sheet.title):
            row = self.section(sheet, row, "考核情况(填写)")
        self.field_row(
            sheet,
            row,
            f"{self.defn.members.label}明细" if self.defn.members else "成员明细",  # type: ignore[union-attr]
            f"在“{m.sheet}”表逐行填写(共{m.rows}行,空行不计);每人的结果在该表右侧自动计算",
        )
        self.text(sheet, f"F{row}", "见分表", "center")
        return row + 1

    def source_note(self, sheet: SheetPlan, row: int) -> int:
        defn = self.defn
        text = f"依据:{defn.source.passage}" + (f"\n说明:{defn.description}" if defn.description else "")
        width = sum(sheet.widths[c] for c in "ABCDEFGHI")
        self.text(sheet, f"A{row}", text, "subtitle", f"A{row}:I{row}")
        sheet.heights[row] = 13.0 * lines_needed(text, width, 9) + 6
        return row + 1

    def sign_off(self, sheet: SheetPlan, row: int) -> int:
        lines = (
            ("考核组成员(签字):", "考核组组长(签字):", "日期:     年   月   日"),
            ("被考核单位负责人(签字):", "单位(盖章):", "日期:     年   月   日"),
        )
        for a, b, c in lines:
            self.text(sheet, f"A{row}", a, "sign", f"A{row}:C{row}")
            self.text(sheet, f"D{row}", b, "sign", f"D{row}:F{row}")
            self.text(sheet, f"G{row}", c, "sign", f"G{row}:I{row}")
            sheet.heights[row] = 30
            row += 1
        return row - 1

    def readme_sheet(self) -> None:
        # 75 characters fit portrait A4 at 100 % in Excel and in LibreOffice alike: nothing to scale.
        sheet = SheetPlan(README_SHEET, {"A": README_WIDTH}, landscape=False)
        self.sheets.append(sheet)
        self.text(sheet, "A1", f"{self.defn.name}考评表 · 说明", "title")
        sheet.heights[1] = 36
        row = 2
        for st, line in readme_lines(self.defn):
            self.text(sheet, f"A{row}", line, st)
            sheet.heights[row] = max(20.0, 15.0 * lines_needed(line, README_WIDTH) + 4)
            row += 1
        sheet.last_row, sheet.last_col = row - 1, 1

    def _finish(self) -> Plan:
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
        order = [s.title for s in self.sheets]
        plan.layout = Layout(
            self.defn.id,
            self.defn.version,
            self.prefix,
            MAIN_SHEET,
            tuple(order),
            tuple(s.spec for s in self.slots),
        )
        names = [s.spec.name for s in self.slots]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"{self.defn.id}: duplicate defined names {sorted(dupes)[:5]}")
        return plan


def _is_count(expr: Any) -> bool:
    from lxbz_xl.definition import logic as L

    return isinstance(expr, L.InvalidBallotsExpr)


def _score_format(defn: RubricDefinition) -> str:
    """Whole-point rubrics show plain integers; proportional scores show two decimals (display only)."""
    return "0.00" if any(i.mode == "proportional" for i in defn.items) else "General"


def ballot_rule(defn: RubricDefinition, path: str) -> tuple[str, Any] | None:
    """(tier, max share) of the ballot-validity rule for the ballots input `path`, from the definition."""
    from lxbz_xl.definition import logic as L

    entities = [defn] + ([defn.members] if defn.members else [])
    for ent in entities:
        for var in ent.variables:  # type: ignore[union-attr]
            expr = var.expr
            body = (
                expr.invalid_ballots
                if isinstance(expr, L.InvalidBallotsExpr)
                else expr.ballot_points
                if isinstance(expr, L.BallotPointsExpr)
                else None
            )
            if body is not None and body.ballots == path and body.tier and body.max_share is not None:
                share = body.max_share
                value = defn.parameters[share[1:]].value if isinstance(share, str) else share
                return body.tier, _frac(value)
    return None


def _frac(value: Any) -> Any:
    from fractions import Fraction

    return Fraction(value)


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _number_below(defn: RubricDefinition, column: Any, cell: str, bound: str) -> str:
    """A number was entered, is one the core accepts (its bounds, whole for counts), and is below `bound`."""
    parts: list[str] = []
    spec = column.spec
    for attr, op in (("min", ">="), ("max", "<=")):
        limit = getattr(spec, attr, None) if spec is not None else None
        if limit is None and attr == "min" and column.type == "count":
            limit = Decimal(0)  # the core reads a count as a whole number ≥ 0
        if isinstance(limit, Decimal) or (isinstance(limit, str) and limit.startswith("$")):
            text = _plain(limit) if isinstance(limit, Decimal) else _param_value(defn, limit)
            parts.append(f"{cell}{op}{text}")
    if column.type == "count":
        parts.append(f"{cell}=INT({cell})")
    parts.append(f"{cell}<{_param_value(defn, bound)}")
    # IF, not AND: AND evaluates every argument, and INT of a text cell is #VALUE!.
    return f"IF(ISNUMBER({cell}),AND({','.join(parts)}),FALSE)"


def _param_value(defn: RubricDefinition, text: str) -> str:
    if text.startswith("$"):
        return _plain(defn.parameters[text[1:]].value)
    return text


def _clause_inputs(clause: Any) -> list[FieldSpec]:
    for attrs in (("input",), ("base", "achieved"), ("done", "target")):
        if all(hasattr(clause, a) for a in attrs):
            return [getattr(clause, a) for a in attrs]
    return []


def plan_for(defn: RubricDefinition) -> Plan:
    """The form plan of `defn`, kept on its compiled rubric (built once per definition object)."""
    from lxbz_xl.compiled import compiled

    memo = compiled(defn).memo
    hit: Plan | None = memo.get("form.plan")
    if hit is not None:
        return hit
    b = _Builder(defn)
    # The member table is planned first (the ballot matrix refers to member rows); sheets are then ordered
    # main, members, other input sheets, roster.
    members: list[SheetPlan] = []
    if defn.members is not None:
        b.member_table()
        members, b.sheets = b.sheets, []
    b.main()
    b.sheets = [b.sheets[0], *members, *b.sheets[1:]]
    b.roster_sheet()
    b.readme_sheet()
    plan = b._finish()
    memo["form.plan"] = plan
    return plan
