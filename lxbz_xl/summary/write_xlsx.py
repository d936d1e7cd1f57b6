"""The summary workbook (汇总.xlsx): what the organisation department files for the year.

Every figure read from a submission links to its file and cell (relative paths, so the summary and the
submissions folder travel together); every result the batch changed against what the submitted workbook
itself shows is highlighted, with a comment saying what the workbook showed, what the summary computes
and why. The chart counts are COUNTIF formulas over the tables, carrying their values (see charts.py).

This module assembles the sheets (sheets_readme, sheets_units, sheets_cohort, charts, sheets_records)
and writes the file; the shared layout is sheets.py, the per-build look-ups context.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.xml.functions import Element, tostring

from lxbz_xl.summary.charts import chart_sheet
from lxbz_xl.summary.context import Ctx
from lxbz_xl.summary.model import Summary
from lxbz_xl.summary.sheets import LINKS_HERE, LinkRels
from lxbz_xl.summary.sheets_cohort import banding_sheet, indicator_sheet, quota_sheet, ranking_sheet
from lxbz_xl.summary.sheets_readme import readme
from lxbz_xl.summary.sheets_records import entry_sheet, problem_sheet, validation_sheet
from lxbz_xl.summary.sheets_units import consequence_sheet, person_sheet, unit_sheet
from lxbz_xl.workbook.cached_values import FIXED_DATE, rewrite_package, sheet_parts

__all__ = ["SHEETS", "build_workbook", "save_workbook", "write_summary"]

# Sheet name → what it holds (the guide on 说明), in workbook order.
SHEETS: dict[str, str] = {
    "说明": "本页:汇总的来源、批次、考评细则版本、复现方法和各工作表的用途",
    "单位汇总": "每个单位一行:各考评细则的总分与档次/称号,资格链(学习型党组织→学习型领导班子→年度考核优秀、超标单位)的结论与原因",
    "干部汇总": "每名干部一行:领导干部年度考核,以及实绩考核、创新创业型、学习学分等考评中的班子成员",
    "排名": "优中选优:按总分排序,并列时未满分项目少者在前,再按单位名称",
    "好中差": "按比例划分好、中、差档,分界处同分者归入较高的一档,不能评优者顺延",
    "名额评选": "按比例确定表彰名额并据评分排序;评选是汇总之后单独的一步,不改变原始总分",
    "年度指标": "学习型领导班子创建目标比例、限期整改和集中调训名单",
    "处理意见": "每条结果运用一行(类别、单位、对象、原因),可筛选:表彰奖励、限期改进、诫勉、待研究决定、晋升工资等",
    "图表": "各考评细则的档次分布和总分分布;计数为对单位汇总、干部汇总的 COUNTIF 公式,可追溯",
    "明细与来源": "每份计入汇总的报送一行:结果、填报表内显示的结果、批次说明、文件与单元格、SHA-256",
    "问题清单": "缺报、重复报送、报送冲突、未通过校验、无法归属、名称写法不一致",
    "校验记录": "每个文件的校验结论及是否计入汇总",
}


def write_summary(summary: Summary, out: Path) -> Path:
    """Write the summary workbook to `out` atomically (temp file in the same folder + os.replace)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb, cached = build_workbook(summary, out.parent)
    return save_workbook(wb, out, cached)


def save_workbook(wb: Workbook, out: Path, cached: dict[tuple[str, str], Any] | None = None) -> Path:
    """Save a workbook of `Sheet`s to `out` atomically: openpyxl's package, then the chart counts'
    cached values (`cached`) and what the sheets kept in files of their own (links, comments)."""
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".part", dir=out.parent)
    os.close(fd)
    saved, filled = Path(name), Path(name + ".xlsx")
    try:
        wb.save(saved)
        # openpyxl cannot store a formula's value: write the chart counts' cached values into the package.
        with_cached_values(saved, filled, cached or {}, _spliced(wb))
        os.replace(filled, out)
    finally:
        for ws in wb.worksheets:
            if isinstance(ws._rels, LinkRels):
                ws._rels.links.close()
                ws._rels.notes.close()
        for leftover in (saved, filled, filled.with_name(filled.name + ".tmp")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return out


# A part, the mark in it, whether the mark stays, and the file whose bytes go before the mark.
Splice = tuple[bytes, bool, IO[bytes]]


def _spliced(wb: Workbook) -> dict[str, Splice]:
    """What each sheet left in files of its own (sheets.LinkRels, sheets.Notes), by package part."""
    out: dict[str, Splice] = {}
    for ws in wb.worksheets:
        rels = ws._rels
        if not isinstance(rels, LinkRels):
            continue
        if rels.count:
            out[get_rels_path(ws.path)[1:]] = (tostring(Element(LINKS_HERE)), False, rels.links)
        if rels.notes.count > 1:
            comments = next(r.Target for r in rels if r.Id == "comments")
            out[comments.lstrip("/")] = (b"</commentList>", True, rels.notes.xml)
            out[ws.legacy_drawing] = (b"</xml>", True, rels.notes.vml)
    return out


def with_cached_values(
    src: Path, dst: Path, cached: dict[tuple[str, str], Any], spliced: Mapping[str, Splice] | None = None
) -> None:
    """`rewrite_package` for a big package: the parts holding formulas (the chart sheet) and docProps go
    through it; every other part (the big tables, tens of MB at 10,000 submissions) is streamed. A part
    named in `spliced` gets a file's bytes before its last mark (which stays, or goes)."""
    spliced = spliced or {}
    with zipfile.ZipFile(src) as zin:
        parts = sheet_parts(zin)
        small = {parts[sheet] for sheet, _ in cached} | {"docProps/core.xml", "xl/workbook.xml"}
        small |= {"xl/_rels/workbook.xml.rels", "[Content_Types].xml"}  # what sheet_parts reads
        head, fixed_head = dst.with_name(dst.name + ".head.xlsx"), dst.with_name(dst.name + ".fixed.xlsx")
        try:
            with zipfile.ZipFile(head, "w", zipfile.ZIP_DEFLATED) as zout:
                for name in sorted(small & set(zin.namelist())):
                    zout.writestr(zin.getinfo(name), zin.read(name))
            rewrite_package(head, fixed_head, cached, {})
            with (
                zipfile.ZipFile(fixed_head) as fixed,
                zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout,
            ):
                for info in zin.infolist():
                    if info.filename in small:
                        zout.writestr(fixed.getinfo(info.filename), fixed.read(info.filename))
                        continue
                    zi = zipfile.ZipInfo(info.filename, FIXED_DATE)
                    zi.compress_type, zi.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                    if info.filename in spliced:
                        _splice(zin.read(info), spliced[info.filename], zout, zi)
                        continue
                    with zin.open(info) as r, zout.open(zi, "w") as w:
                        shutil.copyfileobj(r, w, 1 << 20)
        finally:
            for part in (head, fixed_head):
                part.unlink(missing_ok=True)


def _splice(part: bytes, splice: Splice, zout: zipfile.ZipFile, zi: zipfile.ZipInfo) -> None:
    mark, stays, extra = splice
    head, tail = part.rsplit(mark, 1)
    extra.seek(0)
    with zout.open(zi, "w") as w:
        w.write(head)
        shutil.copyfileobj(extra, w, 1 << 20)
        w.write((mark if stays else b"") + tail)


def build_workbook(summary: Summary, out_dir: Path) -> tuple[Workbook, dict[tuple[str, str], Any]]:
    """The workbook (links relative to `out_dir`) and the cached values of its formula cells."""
    ctx = Ctx(summary, out_dir)
    wb = Workbook(write_only=True)  # each sheet streams to a temporary file as it is finished
    readme(ctx, wb, SHEETS)
    units = unit_sheet(ctx, wb)
    persons = person_sheet(ctx, wb)
    ranking_sheet(ctx, wb)
    banding_sheet(ctx, wb)
    quota_sheet(ctx, wb)
    indicator_sheet(ctx, wb)
    consequence_sheet(ctx, wb)
    # The charts count over the two summary tables, so they follow them.
    cached = chart_sheet(ctx.sheet(wb, "图表"), summary, units, persons)
    entry_sheet(ctx, wb)
    problem_sheet(ctx, wb)
    validation_sheet(ctx, wb)
    return wb, cached
