"""The 图表 sheet: a native bar chart per tier distribution and per histogram of totals, each beside its
data table.

A count is a COUNTIF(S) formula over the 单位汇总 / 干部汇总 columns whenever one reproduces it, so a
reader can see which cells it counts; every formula is first evaluated here over the values actually
written and used only when it gives the core's count (otherwise the number is written, with a note).
openpyxl cannot store a formula's value, so the values are returned for the package rewrite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.utils import get_column_letter

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.summary.model import HISTOGRAM_BINS, Distribution, Summary, bin_label
from lxbz_xl.summary.sheets import Sheet, V
from lxbz_xl.validation.safe_text import Formula

__all__ = ["Source", "chart_sheet"]

Cached = dict[tuple[str, str], Any]
# One condition of a count: (column, operator, operand); "=" compares text, ">=" / "<" numbers.
Cond = tuple[int, str, Any]
BAR_COLOR = "4472C4"
BLOCK_ROWS = 17  # a chart is 7.5 cm high: about 15 rows of default height, plus a gap


@dataclass(frozen=True, slots=True)
class Source:
    """A written table the charts count over: its data rows and, per key, named column indices
    (单位汇总: rubric id → {"total", "label"}; 干部汇总: "" → {"rubric", "total", "label"}).

    The sheet is streamed out once finished, so the source keeps the values of these columns only."""

    title: str
    first: int
    last: int
    cols: dict[str, dict[str, int]]
    columns: dict[int, list[Any]]
    headers: dict[int, str]

    @classmethod
    def of(cls, sh: Sheet, first: int, last: int, cols: dict[str, dict[str, int]]) -> Source:
        """Take the named columns of `sh` (tracked with `Sheet.track` from before its header)."""
        wanted = {c for named in cols.values() for c in named.values()}
        columns = {c: [sh.value(r, c) for r in range(first, last + 1)] for c in wanted}
        headers = {}
        for c in wanted:  # the lowest non-empty header cell above the data
            above = (sh.value(r, c) for r in range(first - 1, 0, -1))
            headers[c] = str(next((v for v in above if v), get_column_letter(c)))
        return cls(sh.name, first, last, cols, columns, headers)

    def range(self, col: int) -> str:
        letter = get_column_letter(col)
        return f"'{self.title}'!${letter}${self.first}:${letter}${self.last}"

    def values(self, col: int) -> list[Any]:
        return self.columns[col]

    def header(self, col: int) -> str:
        return self.headers[col]


def _criterion(op: str, operand: Any) -> str:
    """A COUNTIF criterion literal matching exactly `operand` (wildcards and leading operators escaped)."""
    if op == "=":
        text = str(operand).replace("~", "~~").replace("*", "~*").replace("?", "~?")
        text = "=" + text if text[:1] in "=<>" else text
    else:
        text = f"{op}{operand}"
    return '"' + text.replace('"', '""') + '"'


def _formula(src: Source, conds: list[Cond]) -> str:
    args = ",".join(f"{src.range(col)},{_criterion(op, x)}" for col, op, x in conds)
    return Formula(f"=COUNTIF({args})" if len(conds) == 1 else f"=COUNTIFS({args})")


def _holds(value: Any, op: str, operand: Any) -> bool:
    if op == "=":
        return isinstance(value, str) and value == str(operand)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False  # COUNTIF skips text and blanks for numeric criteria
    return value >= operand if op == ">=" else value < operand


def _count(src: Source, conds: list[Cond]) -> int:
    columns = [(src.values(col), op, x) for col, op, x in conds]
    n = src.last - src.first + 1
    return sum(1 for i in range(n) if all(_holds(vals[i], op, x) for vals, op, x in columns))


def _level(defn: RubricDefinition, d: Distribution) -> str:
    """unit | person | member: whose outcomes a distribution counts (its title names the members' label)."""
    if defn.members is not None and d.title.startswith(f"{defn.short_name}({defn.members.label})"):
        return "member"
    return "person" if defn.subject == "person" else "unit"


_BINS = {bin_label(lo, hi): (lo, hi) for lo, hi in HISTOGRAM_BINS}


def _conds(
    d: Distribution, defn: RubricDefinition, units: Source, persons: Source, histogram: bool
) -> tuple[Source, dict[str, list[Cond]], str] | None:
    """The table, the conditions per category, and a sentence naming the counted column(s)."""
    key = "total" if histogram else "label"
    if _level(defn, d) == "unit":
        col = units.cols.get(d.rubric, {}).get(key)
        if col is None or units.last < units.first:
            return None
        base: list[Cond] = []
        src, what = units, f"“单位汇总”{get_column_letter(col)}列({defn.short_name}·{units.header(col)})"
    else:
        cols = persons.cols[""]
        col = cols[key]
        if persons.last < persons.first:
            return None
        base = [(cols["rubric"], "=", defn.short_name)]
        src = persons
        what = f"“干部汇总”中考评细则为“{defn.short_name}”的行的{get_column_letter(col)}列({persons.header(col)})"
    conds: dict[str, list[Cond]] = {}
    for category in d.counts:
        if not histogram:
            conds[category] = [*base, (col, "=", category)]
        elif category in _BINS:
            lo, hi = _BINS[category]
            conds[category] = [*base, (col, ">=", lo), (col, "<", hi)]
        else:
            return None
    return src, conds, what


def chart_sheet(sh: Sheet, summary: Summary, units: Source, persons: Source) -> Cached:
    """Write the chart blocks; return the cached value of every formula cell."""
    cached: Cached = {}
    ncols = 3
    sh.heading(12)
    sh.text(
        "每个图表左侧是它的数据表。数量是对“单位汇总”“干部汇总”相应列的 COUNTIF 公式(可在编辑栏查看所计的单元格);"
        "不能用简单公式表示的,写明计数的是哪些行。分布按考评细则中的档次顺序列出,个数为0的档次也保留。",
        ncols=12,
    )
    sh.skip()
    blocks = [(d, False) for d in summary.distributions()] + [(d, True) for d in summary.histograms()]
    for d, histogram in blocks:
        _block(sh, summary, d, histogram, units, persons, cached)
    if not blocks:
        sh.text("(本批次没有可统计的档次或总分)", ncols=12)
    sh.finish(ncols=ncols, widths={1: 22, 2: 8, 3: 12})
    return cached


def _block(
    sh: Sheet,
    summary: Summary,
    d: Distribution,
    histogram: bool,
    units: Source,
    persons: Source,
    cached: Cached,
) -> None:
    ws = sh.ws
    top = sh.row
    defn = summary.definitions[d.rubric]
    sh.section(d.title, ncols=3)
    head = sh.header(["总分区间" if histogram else "档次/结果", "数量", "计数依据"])
    plan = _conds(d, defn, units, persons, histogram)
    exact = plan is not None and all(_count(plan[0], plan[1][c]) == n for c, n in d.counts.items())
    for category, n in d.counts.items():
        row = sh.row
        sh.put(row, 1, category)
        if exact and plan is not None:
            src, conds, _ = plan
            sh.put(row, 2, V(_formula(src, conds[category]), fmt="0"))
            cached[(ws.title, f"B{row}")] = n
            sh.put(row, 3, "公式计数")
        else:
            sh.put(row, 2, n)
            sh.put(row, 3, "汇总计算")
        sh.row += 1
    last = sh.row - 1
    sh.put(sh.row, 1, "合计")
    sh.put(sh.row, 2, Formula(f"=SUM(B{head + 1}:B{last})"))
    cached[(ws.title, f"B{sh.row}")] = d.total
    sh.put(sh.row, 3, "")
    sh.row += 1
    who = "总分" if histogram else "档次"
    if exact and plan is not None:
        note = f"数量:对{plan[2]}按{'区间' if histogram else '类别'}计数。"
    else:
        level = _level(defn, d)
        rows = {"unit": "单位汇总中该考评细则的各单位", "person": "干部汇总中该考评细则的各行"}.get(
            level, f"各单位报送中的全部{defn.members.label if defn.members else '成员'}"
        )
        note = f"数量为汇总计算的个数,统计{rows}的{who}(不能用简单公式表示)。"
    sh.text(note, ncols=3)
    _chart(ws, d, head, last, top)
    sh.row = max(sh.row + 1, top + BLOCK_ROWS)


def _chart(ws: Any, d: Distribution, head: int, last: int, top: int) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.title = d.title
    chart.legend = None
    chart.add_data(Reference(ws, min_col=2, min_row=head, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=last))
    chart.series[0].graphicalProperties.solidFill = BAR_COLOR
    chart.series[0].graphicalProperties.line.solidFill = BAR_COLOR
    # The count alone on each bar (LibreOffice otherwise adds the series and category names).
    chart.dataLabels = DataLabelList(
        showVal=True, showSerName=False, showCatName=False, showLegendKey=False, showPercent=False
    )
    # openpyxl ≥3.1 marks axes deleted unless told otherwise: the categories must show.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.title = "数量"
    chart.y_axis.scaling.min = 0
    chart.y_axis.majorUnit = max(1, math.ceil(max(d.counts.values(), default=0) / 5))
    chart.y_axis.number_format = "0"
    chart.gapWidth = 60
    chart.width, chart.height = 16, 7.5
    ws.add_chart(chart, f"E{top}")
