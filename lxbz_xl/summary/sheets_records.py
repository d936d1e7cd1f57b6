"""The provenance sheets: 明细与来源 (each used submission: result, what its workbook shows, file, cells,
SHA-256), 问题清单 (missing, duplicate, conflicting, invalid, unplaceable files) and 校验记录 (every file)."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from lxbz_xl.summary.changes import CHAIN_MARK, as_shown, cell_text, changed, shown
from lxbz_xl.summary.context import MISSING, Ctx
from lxbz_xl.summary.model import Entry, Ref, file_name
from lxbz_xl.summary.sheets import A3, V, joined

__all__ = ["entry_sheet", "problem_sheet", "validation_sheet"]

VARIANT_WORDS = {"udf": "LXBZ函数版", "native": "原生公式版"}
STATUS_WORDS = {"valid": "通过", "invalid": "不通过"}


# ---------------------------------------------------------------- 明细与来源


def workbook_text(ctx: Ctx, e: Entry) -> str:
    """What the submitted workbook shows for total, tier and title (its own evaluation where no cell)."""
    parts = []
    for key, label in (("total", "总分"), ("tier", "档次"), ("title", e.result.title_name or "称号")):
        value = ctx.workbook_value(ctx.entry_ref(e, key))
        text = as_shown(e.standalone, key) if value is MISSING else cell_text(value)
        if value is not MISSING or text:
            parts.append(f"{label}:{text or '(空)'}")
    return ";".join(parts) or "—"


def entry_sheet(ctx: Ctx, wb: Workbook) -> None:
    sh = ctx.sheet(wb, "明细与来源")
    labels = [
        "单位", "年度", "考评细则", "版本", "模板类型", "总分", "档次", "称号", "排名", "档", "获评",
        "填报表内结果", "资格链与批次说明", "文件", "总分单元格", "档次/称号单元格", "SHA-256",
    ]  # fmt: skip
    sh.heading(len(labels))
    sh.text(
        "每份计入汇总的报送一行。“填报表内结果”是报送工作簿自身显示的结果;与汇总不同时,“资格链与批次说明”写明原因。"
    )
    every = ctx.summary.entries
    # Sorted by position (the entries are on disk: sort their keys, then read each once more).
    order = sorted(range(len(every)), key=lambda i: _entry_key(every[i]))
    sh.header_row = sh.header(labels)
    _, last = sh.rows(entry_row(ctx, every[i]) for i in order)
    sh.finish(ncols=len(labels), table=(1, last), freeze_cols=1, paper=A3, widths={13: 60})


def _entry_key(e: Entry) -> tuple[int, str, str]:
    return (e.result.year or 0, e.result.unit, e.rubric)


def entry_row(ctx: Ctx, e: Entry) -> list[Any]:
    r = e.result
    total_ref, tier_ref, title_ref = (ctx.cell_ref(r, k) for k in ("total", "tier", "title"))
    label_ref = tier_ref or title_ref
    return [
        r.unit,
        r.year,
        ctx.short(e.rubric),
        e.submission.version or e.defn.version,
        VARIANT_WORDS.get(e.submission.variant or "", e.submission.variant or ""),
        V(r.total, ref=total_ref, **changed(ctx, r, e.standalone, total_ref, "total")),
        V(
            r.tier or ("需人工认定" if r.manual else ""),
            ref=tier_ref,
            **changed(ctx, r, e.standalone, tier_ref, "tier"),
        ),
        V(
            shown(r) if r.title is not None else "",
            ref=title_ref,
            **changed(ctx, r, e.standalone, title_ref, "title"),
        ),
        r.rank,
        r.band,
        joined(r.awards, "、"),
        V(workbook_text(ctx, e), wrap=True),
        V(joined([n for n in r.notes if CHAIN_MARK in n], "\n"), wrap=True),
        V(file_name(e.submission.path), ref=Ref(e.submission.path)),
        V(f"{total_ref.sheet}!{total_ref.cell}", ref=total_ref) if total_ref else "",
        V(f"{label_ref.sheet}!{label_ref.cell}", ref=label_ref) if label_ref else "",
        V(e.submission.sha256, code=True),
    ]


# ---------------------------------------------------------------- 问题清单, 校验记录


def problem_sheet(ctx: Ctx, wb: Workbook) -> None:
    problems = ctx.summary.problems
    width = max([1, *(len(p.files) for p in problems)])
    files = ["文件"] if width == 1 else [f"文件{i + 1}" for i in range(width)]
    labels = ["类型", "单位", "年度", "考评细则", *files, "说明"]
    sh = ctx.sheet(wb, "问题清单")
    sh.heading(len(labels))
    sh.text(
        "汇总发现的问题:缺报、重复报送、报送冲突、未通过校验和无法归属的文件,以及单位名称写法不一致之处。未通过校验的文件的详细问题见校验报告。"
    )
    rows = [
        [
            p.kind,
            p.unit or "",
            p.year,
            ctx.short(p.rubric),
            *[V(file_name(f), ref=Ref(f), wrap=True) for f in p.files],
            *[None] * (width - len(p.files)),
            V(p.detail, wrap=True),
        ]
        for p in problems
    ]
    sh.header_row = sh.header(labels)
    _, last = sh.rows(rows)
    if not rows:
        sh.text("(未发现问题)")
    sh.finish(ncols=len(labels), table=(1, last), widths={len(labels): 60}, max_width=36)


def validation_sheet(ctx: Ctx, wb: Workbook) -> None:
    labels = ["文件", "状态", "考评细则", "版本", "单位", "年度", "计入汇总", "问题", "SHA-256"]
    sh = ctx.sheet(wb, "校验记录")
    sh.heading(len(labels))
    sh.text("本批次每个文件的校验结论。未计入汇总的通过校验文件,原因见问题清单(重复报送或报送冲突)。")
    rows = (
        [
            V(file_name(x.path), ref=Ref(x.path), wrap=True),
            STATUS_WORDS.get(x.status, x.status),
            ctx.short(x.rubric),
            x.version,
            x.unit or "",
            x.year,
            "是" if x.used else "否",
            V(joined(x.problems, "\n"), wrap=True),
            V(x.sha256, code=True),
        ]
        for x in sorted(ctx.summary.submissions, key=lambda x: x.path)
    )
    sh.header_row = sh.header(labels)
    _, last = sh.rows(rows)
    sh.finish(ncols=len(labels), table=(1, last), widths={8: 60}, max_width=36)
