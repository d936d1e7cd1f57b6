"""The 说明 sheet: what the summary is, the batch it was built from, how to reproduce it, the rubric
versions used and a guide to the other sheets."""

from __future__ import annotations

import shlex

from openpyxl import Workbook

from lxbz_xl.summary.context import Ctx
from lxbz_xl.summary.sheets import CHANGED_FILL, SETTLED_FILL, V

__all__ = ["readme"]


def readme(ctx: Ctx, wb: Workbook, guide: dict[str, str]) -> None:
    """`guide`: sheet name → what it holds, in workbook order (each name links to its sheet)."""
    s = ctx.summary
    sh = ctx.sheet(wb, "说明")
    ncols = 5
    sh.heading(ncols)
    sh.text(
        "本工作簿是组织部门对本批次考评报送的年度汇总:由 lxbz summary 读取通过校验的报送工作簿,"
        "按各考评细则统一计算(含资格链、排名、好中差档次和名额评选)后生成,可直接归档。"
        "每个来自报送文件的数字都链接到该文件的单元格(须保持汇总与报送文件夹的相对位置);"
        "底色标出汇总结果与报送表内显示不同的格,批注写明报送表显示的内容、汇总结果和原因。"
    )
    sh.skip()
    valid = sum(1 for x in s.submissions if x.status == "valid")
    used = sum(1 for x in s.submissions if x.used)
    sh.kv("年度", "、".join(str(y) for y in s.years) or "(无)")
    sh.kv("生成时间", s.generated_at)
    sh.kv("输入路径", "\n".join(s.inputs))
    sh.kv("报送文件数", len(s.submissions))
    sh.kv("通过校验", valid)
    sh.kv("计入汇总", used)
    sh.kv("问题条数", len(s.problems))
    sh.kv("批次摘要(SHA-256)", V(s.inputs_digest, note="对全部报送文件的文件名和内容计算;文件相同则摘要相同"))
    command = "lxbz summary " + " ".join(shlex.quote(p) for p in s.inputs) + " --out 汇总.xlsx"
    if s.year is not None:  # narrowed with --year: the same batch without it reports every year
        command += f" --year {s.year}"
    sh.kv("复现方法", f"{command}\n(同一批文件、同一版本的考评细则得到相同的结果;先核对批次摘要)")
    sh.kv("标记说明", "橙色底色:汇总结果与报送表内显示的不同,或被资格链取消了称号、降低了档次(批注写明原因)")
    sh.fill(sh.row - 1, 2, CHANGED_FILL)
    sh.kv("", "浅黄底色:报送表内为空或“待定”,由同批次其他考评的结果或按考评细则计算得出(批注写明依据)")
    sh.fill(sh.row - 1, 2, SETTLED_FILL)
    sh.kv("链接说明", "蓝色下划线:点击打开报送文件中对应的单元格")
    sh.skip()
    sh.section("使用的考评细则")
    counts = {rid: s.counted.entries[rid] for rid in s.definitions}
    sh.table(
        ["标识", "名称", "版本", "简称", "计入份数"],
        [
            [d.id, V(d.name, wrap=True), d.version, d.short_name, counts[rid]]
            for rid, d in sorted(s.definitions.items())
        ],
    )
    sh.skip()
    sh.section("工作表")
    head = sh.header(["工作表", "内容", None, None, None])
    sh.merge(head, 2, ncols)
    for name, what in guide.items():
        sh.put(sh.row, 1, V(name, goto=f"'{name}'!A1"))
        sh.kv_tail(what)
    sh.skip()
    sh.section("跨单位汇总情况")
    for i, line in enumerate(s.cohort.summary, 1):
        sh.put(sh.row, 1, i)
        sh.kv_tail(line)
    if not s.cohort.summary:
        sh.text("(本批次没有需要跨单位排序、划档或评选的考评)")
    sh.finish(ncols=ncols, widths={1: 20, 2: 44, 3: 10, 4: 22, 5: 10})
