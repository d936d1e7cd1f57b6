"""Planner of the main sheet 考评表 (header block, then the block planners, then sign-off) and of the
说明 sheet."""

from __future__ import annotations

from decimal import Decimal

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.model import MAIN_SHEET, SheetPlan
from lxbz_xl.workbook.plan_context import PlanContext, lines_needed
from lxbz_xl.workbook.plan_items import ITEM_WIDTHS, plan_items
from lxbz_xl.workbook.plan_members import plan_member_pointer
from lxbz_xl.workbook.plan_results import plan_results
from lxbz_xl.workbook.plan_unit_inputs import INPUTS_SECTION, plan_unit_inputs

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


def plan_main(ctx: PlanContext) -> SheetPlan:
    """The main sheet 考评表: header block, items, unit inputs, member pointer, results, sign-off."""
    defn = ctx.defn
    sheet = SheetPlan(
        MAIN_SHEET,
        dict(ITEM_WIDTHS if defn.items else PLAIN_WIDTHS),
        landscape=defn.form.orientation == "landscape",
    )
    ctx.sheets.append(sheet)
    ctx.text(
        sheet,
        "A1",
        f"{defn.name}\n考评表" if len(defn.name) > 18 else f"{defn.name}考评表",
        "title",
        "A1:I1",
    )
    sheet.heights[1] = 48
    header = FieldSpec(path="unit", label="单位名称", type="text")
    ctx.text(sheet, "A2", "单位名称", "label")
    ctx.slot(sheet, "B2", "UNIT", "header", "unit", "text", header, merge="B2:D2")
    ctx.text(sheet, "E2", "年度", "label")
    year = FieldSpec(path="year", label="年度", type="count", min=Decimal(2000), max=Decimal(2100))
    ctx.slot(sheet, "F2", "YEAR", "header", "year", "count", year, style="input")
    ctx.text(sheet, "G2", "考核组", "label")
    # Paths under "form." are not case keys (a case may itself have a `team` key: performance).
    team = FieldSpec(path="form.team", label="考核组", type="text")
    ctx.slot(sheet, "H2", "TEAM", "header", "form.team", "text", team, merge="H2:I2")
    ctx.text(sheet, "A3", "填表日期", "label")
    date = FieldSpec(path="form.date", label="填表日期", type="text")
    ctx.slot(sheet, "B3", "DATE", "header", "form.date", "text", date, merge="B3:D3")
    ctx.text(sheet, "E3", f"版本 {defn.version} · 黄色单元格填写,蓝色单元格自动计算", "subtitle", "E3:F3")
    # The LXBZ_* variant's "functions not loaded" hint (udf_formulas.hint_formula); blank otherwise.
    ctx.text(sheet, HINT_REF, "", "hint", f"{HINT_REF}:I3")
    sheet.heights[2] = 22
    hint_width = sum(sheet.widths[c] for c in "GHI")
    sheet.heights[3] = max(22.0, 12.5 * lines_needed(no_functions_hint(defn.id), hint_width, 9) + 4)
    sheet.freeze, sheet.print_rows = "A4", "1:3"  # item forms move these below the table heading
    row = 4
    last_item = row
    if defn.items:
        row = plan_items(ctx, sheet, row)
        last_item = sheet.groups[-1][0]
    row = plan_unit_inputs(ctx, sheet, row)
    row = plan_member_pointer(ctx, sheet, row, INPUTS_SECTION)
    # The sign-off stays with the results and, on item forms, with the last item and the total.
    sheet.keep_from = last_item if defn.items else row
    row = plan_results(ctx, sheet, row)
    row = _source_note(ctx, sheet, row + 1)
    row = _sign_off(ctx, sheet, row + 1)
    sheet.last_row = row
    return sheet


def _source_note(ctx: PlanContext, sheet: SheetPlan, row: int) -> int:
    defn = ctx.defn
    text = f"依据:{defn.source.passage}" + (f"\n说明:{defn.description}" if defn.description else "")
    width = sum(sheet.widths[c] for c in "ABCDEFGHI")
    ctx.text(sheet, f"A{row}", text, "subtitle", f"A{row}:I{row}")
    sheet.heights[row] = 13.0 * lines_needed(text, width, 9) + 6
    return row + 1


def _sign_off(ctx: PlanContext, sheet: SheetPlan, row: int) -> int:
    lines = (
        ("考核组成员(签字):", "考核组组长(签字):", "日期:     年   月   日"),
        ("被考核单位负责人(签字):", "单位(盖章):", "日期:     年   月   日"),
    )
    for a, b, c in lines:
        ctx.text(sheet, f"A{row}", a, "sign", f"A{row}:C{row}")
        ctx.text(sheet, f"D{row}", b, "sign", f"D{row}:F{row}")
        ctx.text(sheet, f"G{row}", c, "sign", f"G{row}:I{row}")
        sheet.heights[row] = 30
        row += 1
    return row - 1


def plan_readme(ctx: PlanContext) -> None:
    """The 说明 sheet: how to fill, the two files, #NAME?, printing."""
    # 75 characters fit portrait A4 at 100 % in Excel and in LibreOffice alike: nothing to scale.
    sheet = SheetPlan(README_SHEET, {"A": README_WIDTH}, landscape=False)
    ctx.sheets.append(sheet)
    ctx.text(sheet, "A1", f"{ctx.defn.name}考评表 · 说明", "title")
    sheet.heights[1] = 36
    row = 2
    for st, line in readme_lines(ctx.defn):
        ctx.text(sheet, f"A{row}", line, st)
        sheet.heights[row] = max(20.0, 15.0 * lines_needed(line, README_WIDTH) + 4)
        row += 1
    sheet.last_row, sheet.last_col = row - 1, 1
