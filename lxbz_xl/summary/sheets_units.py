"""The 单位汇总 and 干部汇总 sheets: one row per unit and year (each rubric's total and tier or title, and
the §1 eligibility chain), and one row per cadre. The charts count over both (see charts.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from openpyxl import Workbook

from lxbz_xl.result import Outcome
from lxbz_xl.summary.changes import changed
from lxbz_xl.summary.charts import Source
from lxbz_xl.summary.compute import cadre_consequences, chain_entries, summary_rank, team_consequences
from lxbz_xl.summary.context import Ctx
from lxbz_xl.summary.model import ConsequenceRow, Entry, PersonRow, Ref, UnitRow, outcome_label
from lxbz_xl.summary.sheets import A3, V, joined, yes_no

__all__ = ["consequence_sheet", "person_sheet", "unit_sheet"]


# ---------------------------------------------------------------- 单位汇总


@dataclass(frozen=True, slots=True)
class UnitCols:
    rid: str
    total: bool
    label: str | None  # 档次 | 称号 | 好中差档 | 报送情况 | None


def unit_columns(ctx: Ctx) -> list[UnitCols]:
    s = ctx.summary
    present = {rid for r in s.rows for rid in r.entries}
    order = sorted(present, key=lambda r: (summary_rank(s.definitions[r]), r))
    cols = []
    for rid in order:
        defn = s.definitions[rid]
        total = rid in s.counted.with_total
        label = (
            "好中差档"
            if defn.cohort.banding is not None
            else "档次"
            if defn.tiers is not None
            else "称号"
            if defn.title is not None
            else None
        )
        if not total and label is None:
            label = "报送情况"
        cols.append(UnitCols(rid, total, label))
    return cols


def unit_sheet(ctx: Ctx, wb: Workbook) -> Source:
    s = ctx.summary
    sh = ctx.sheet(wb, "单位汇总")
    cols = unit_columns(ctx)
    groups: list[tuple[str, int]] = [("单位", 1), ("年度", 1)]
    labels = ["单位", "年度"]
    where: dict[str, dict[str, int]] = {}
    for c in cols:
        span = [x for x in ("总分" if c.total else None, c.label) if x]
        where[c.rid] = {
            ("total" if x == "总分" else "label"): len(labels) + 1 + i for i, x in enumerate(span)
        }
        groups.append((ctx.short(c.rid), len(span)))
        labels += span
    chain_headers = s.chain.headers()
    groups += [("资格链", len(chain_headers)), ("提示", 1), ("缺报", 1), ("处理意见", 1)]
    labels += [*chain_headers, "提示", "缺报", "处理意见"]
    ncols = len(labels)
    sh.track(c for named in where.values() for c in named.values())  # the charts count over them
    sh.heading(ncols)
    sh.text(
        f"批次摘要 {s.inputs_digest[:16]}…;生成于 {s.generated_at}。数字链接到报送文件中的单元格;"
        "橙色底色:与报送表内显示的结果不同;浅黄底色:报送表内为空或待定,由汇总得出;批注写明原因。好中差档由汇总按比例计算。"
    )
    sh.header_row = sh.group_header(groups, labels)
    first, last = sh.rows(unit_row(ctx, row, cols) for row in s.rows)
    source = Source.of(sh, first, last, where)
    sh.finish(
        ncols=ncols,
        table=(1, last),
        freeze_cols=2,
        max_width=30,
        paper=A3,
        widths={ncols - 3: 40, ncols - 2: 28, ncols - 1: 16, ncols: 36},
    )
    return source


def _unit_cells(ctx: Ctx, e: Entry | None, c: UnitCols) -> list[Any]:
    if e is None:
        return [None] * (int(c.total) + int(c.label is not None))
    r = e.result
    out: list[Any] = []
    if c.total:
        ref = ctx.cell_ref(r, "total")
        out.append(V(r.total, ref=ref, **changed(ctx, r, e.standalone, ref, "total")))
    if c.label == "好中差档":
        demoted = [a for a in r.adjustments if a.kind == "demote"]
        note = joined([f"按比例为{a.before},{a.reason}" for a in demoted]) or None
        out.append(V(r.band or "—", mark=note))
    elif c.label == "报送情况":
        who = e.defn.members.label if e.defn.members is not None else "人"
        out.append(
            V(f"已报送({len(r.members)}名{who})" if r.members else "已报送", ref=Ref(e.submission.path))
        )
    elif c.label is not None:
        key = "tier" if c.label == "档次" else "title"
        ref = ctx.cell_ref(r, key)
        out.append(V(outcome_label(r), ref=ref, **changed(ctx, r, e.standalone, ref, key)))
    return out


def unit_row(ctx: Ctx, row: UnitRow, cols: list[UnitCols]) -> list[Any]:
    values: list[Any] = [row.unit, row.year]
    for c in cols:
        values += _unit_cells(ctx, row.entries.get(c.rid), c)
    return (
        values
        + chain_cells(ctx, row)
        + [joined(row.flags), joined([ctx.short(m) for m in row.missing], "、")]
        + [V(consequence_text(ctx, _team(row)), wrap=True)]
    )


def _team(row: UnitRow) -> list[ConsequenceRow]:
    """The team's own consequences (`Summary.consequences_of(unit, year)`): those of the row's entries."""
    return [c for e in row.entries.values() for c in team_consequences(e)]


def consequence_text(ctx: Ctx, rows: list[ConsequenceRow]) -> str:
    """The 处理意见 cell: each action once, with the rubric it comes from, joined by ";" (filterable).

    On 单位汇总 the team's own consequences; a cadre's are on 干部汇总 and every one on 处理意见."""
    return joined([f"{c.action}({ctx.short(c.rubric)})" for c in rows])


def chain_cells(ctx: Ctx, row: UnitRow) -> list[Any]:
    party, learning, annual = chain_entries(row)
    if party is None and learning is None and annual is None:
        return [None] * len(ctx.summary.chain.headers())
    absent = "未报送"
    cells: list[Any] = [V(yes_no(row.party_org_title, none=absent), ref=ctx.entry_ref(party, "title"))]
    learning_mark: dict[str, Any] = {}
    if learning is not None:  # a title the unit's own form already denies is not marked: 资格链说明 says why
        learning_mark = changed(
            ctx, learning.result, learning.standalone, ctx.entry_ref(learning, "title"), "title"
        )
    cells.append(
        V(
            yes_no(row.learning_title, bool(row.learning_provisional), none=absent),
            ref=ctx.entry_ref(learning, "title"),
            **learning_mark,
        )
    )
    annual_mark: dict[str, Any] = {}
    if annual is not None:
        caps = [f"{a.before}降为{a.after}:{a.reason}" for a in annual.result.adjustments if a.kind == "cap"]
        annual_mark = changed(
            ctx, annual.result, annual.standalone, ctx.entry_ref(annual, "tier"), "tier"
        ) or ({"mark": "资格链:" + ";".join(caps)} if caps else {})
    base_ref = ctx.entry_ref(annual, "base_tier")
    tier_ref = ctx.entry_ref(annual, "tier")
    cells += [
        V(row.annual_base_tier or (absent if annual is None else "—"), ref=base_ref),
        V(row.annual_tier or (absent if annual is None else "—"), ref=tier_ref, **annual_mark),
    ]
    if ctx.summary.chain.unlocks:
        # No form shows what the title unlocks (超标单位): the chain alone decides it, so a denial is
        # marked with its reasons.
        exceed = yes_no(row.exceed_eligible, none="待定" if learning is not None else "—")
        cells.append(V(exceed, mark=joined(row.reasons) or None if exceed != "是" else None))
    cells.append(V(joined(row.reasons), wrap=True))
    return cells


# ---------------------------------------------------------------- 干部汇总

PERSON_HEADERS = (
    "单位",
    "姓名",
    "考评细则",
    "职务/级别",
    "总分",
    "档次/称号",
    "获评",
    "提示",
    "来源",
    "处理意见",
)
PERSON_COLS = {"rubric": 3, "total": 5, "label": 6}


def person_refs(p: PersonRow) -> tuple[Ref | None, tuple[str, Ref | None], Outcome | None]:
    """Cells of the person's total and tier/title (with its key), and the workbook's own evaluation."""
    e = p.entry
    prefix, standalone = "", e.standalone  # type: tuple[str, Outcome | None]
    if p.index is not None and e.defn.members is not None:  # a member: its row's cells and evaluation
        prefix = f"{e.defn.members.key}.{p.index}."
        theirs = e.standalone.members  # the same rows, evaluated without the batch
        standalone = theirs[p.index - 1] if p.index <= len(theirs) else None

    def cell(key: str) -> Ref | None:
        return Ctx.entry_ref(e, prefix + key)

    label = ("tier", cell("tier")) if cell("tier") else ("title", cell("title"))
    return cell("total"), label, standalone


def person_sheet(ctx: Ctx, wb: Workbook) -> Source:
    sh = ctx.sheet(wb, "干部汇总")
    ncols = len(PERSON_HEADERS)
    sh.track(PERSON_COLS.values())  # the charts count over them
    sh.heading(ncols)
    sh.text(
        "每名干部一行:领导干部年度考核的被考核人,以及各考评中逐人评价的班子成员。数字链接到报送文件中的单元格。"
    )
    sh.header_row = sh.header(PERSON_HEADERS)
    first, last = sh.rows(person_row(ctx, p) for p in ctx.summary.persons)
    source = Source.of(sh, first, last, {"": PERSON_COLS})
    sh.finish(ncols=ncols, table=(1, last), freeze_cols=2, max_width=36)
    return source


def person_row(ctx: Ctx, p: PersonRow) -> list[Any]:
    total_ref, (key, label_ref), standalone = person_refs(p)
    o = p.outcome
    tips = [*o.flags, *([f"需人工认定:{o.manual}"] if o.manual else [])]
    return [
        p.unit,
        p.person,
        ctx.short(p.rubric),
        p.detail,
        V(o.total, ref=total_ref, **changed(ctx, o, standalone, total_ref, "total")),
        V(outcome_label(o), ref=label_ref, **changed(ctx, o, standalone, label_ref, key)),
        joined(o.awards, "、"),
        V(joined(tips), wrap=True),
        V(p.ref.text, ref=p.ref, wrap=True),
        V(consequence_text(ctx, _own(ctx, p)), wrap=True),
    ]


def _own(ctx: Ctx, p: PersonRow) -> list[ConsequenceRow]:
    """This cadre's consequences from this record (a cadre may appear under several rubrics): those of
    the record's person, or of its members of this name (`Summary.consequences_of` for this rubric)."""
    e = p.entry
    if p.index is None:
        return cadre_consequences(p)
    return [
        c
        for i, m in enumerate(e.result.members, 1)
        if m.name == p.person
        for c in cadre_consequences(replace(p, outcome=m, index=i))
    ]


# ---------------------------------------------------------------- 处理意见

CONSEQUENCE_HEADERS = ("年度", "单位", "对象", "考评细则", "类别", "处理意见", "原因", "来源")


def consequence_sheet(ctx: Ctx, wb: Workbook) -> None:
    """Each consequence (RUBRICS.md §11) as its own row, with an autofilter on 类别/单位 for the clerk."""
    sh = ctx.sheet(wb, "处理意见")
    ncols = len(CONSEQUENCE_HEADERS)
    sh.heading(ncols)
    # Short lines: a wide sheet prints across pages, and a paragraph is read on the first one.
    for line in (
        "每条处理意见一行:档次的结果运用(表彰奖励、集体谈话和限期改进、诫勉、免职/责令辞职/降职待研究决定等)",
        "和跨年度规则(连续三年优秀晋升工资、评议结果靠后限期整改)。",
        "可按类别、单位筛选;免职、降职等只列出,由有权机关决定。",
    ):
        sh.text(line)
    sh.header_row = sh.header(CONSEQUENCE_HEADERS)
    rows = (
        [
            c.year,
            c.unit,
            c.person or "领导班子",
            ctx.short(c.rubric),
            c.kind_label,
            V(c.action, wrap=True),
            V(c.reason, wrap=True),
            V(c.ref.text, ref=c.ref, wrap=True),
        ]
        for c in ctx.summary.consequences
    )
    first, last = sh.rows(rows)
    if last < first:
        sh.text("(本批次没有处理意见)")
    widths = {1: 6, 2: 28, 3: 12, 4: 16, 5: 12, 6: 30, 7: 44, 8: 30}  # 对象 is 领导班子 or a name
    sh.finish(ncols=ncols, table=(1, last), freeze_cols=3, max_width=40, widths=widths)
