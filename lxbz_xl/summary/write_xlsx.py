"""The summary workbook (汇总.xlsx): what the organisation department files for the year.

Every figure read from a submission links to its file and cell (relative paths, so the summary and the
submissions folder travel together); every result the batch changed against what the submitted workbook
itself shows is highlighted, with a comment saying what the workbook showed, what the summary computes
and why. The chart counts are COUNTIF formulas over the tables, carrying their values (see charts.py).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from lxbz_xl.cohort import BandingRecord, band_names, below_full
from lxbz_xl.exact import exact, fmt, pct
from lxbz_xl.result import MemberResult, Outcome, Result
from lxbz_xl.summary.charts import Source, chart_sheet
from lxbz_xl.summary.compute import ANNUAL, LEARNING, PARTY_ORG
from lxbz_xl.summary.model import UNIT_ORDER, Entry, PersonRow, Ref, Summary, UnitRow, outcome_label
from lxbz_xl.summary.sheets import A3, CHANGED_FILL, SETTLED_FILL, Sheet, V, pct_fmt, yes_no
from lxbz_xl.workbook.cached_values import read_values, rewrite_package

__all__ = ["SHEETS", "build_workbook", "write_summary"]

# Sheet name → what it holds (the guide on 说明).
SHEETS: dict[str, str] = {
    "说明": "本页:汇总的来源、批次、考评细则版本、复现方法和各工作表的用途",
    "单位汇总": "每个单位一行:各考评细则的总分与档次/称号,资格链(学习型党组织→学习型领导班子→年度考核优秀、超标单位)的结论与原因",
    "干部汇总": "每名干部一行:领导干部年度考核,以及实绩考核、创新创业型、学习学分等考评中的班子成员",
    "排名": "优中选优:按总分排序,并列时未满分项目少者在前,再按单位名称",
    "好中差": "按比例划分好、中、差档,分界处同分者归入较好一档,不能评优者顺延",
    "名额评选": "按比例确定表彰名额并据评分排序;评选是汇总之后单独的一步,不改变原始总分",
    "年度指标": "学习型领导班子创建目标比例、限期整改和集中调训名单",
    "图表": "各考评细则的档次分布和总分分布;计数为对单位汇总、干部汇总的 COUNTIF 公式,可追溯",
    "明细与来源": "每份计入汇总的报送一行:结果、填报表内显示的结果、批次说明、文件与单元格、SHA-256",
    "问题清单": "缺报、重复报送、报送冲突、未通过校验、无法归属",
    "校验记录": "每个文件的校验结论及是否计入汇总",
}
VARIANT_WORDS = {"udf": "LXBZ函数版", "native": "原生公式版"}
STATUS_WORDS = {"valid": "通过", "invalid": "不通过"}
CHAIN_MARK = "同批次"  # the core's notes for values carried along the §1 chain contain this


def write_summary(summary: Summary, out: Path) -> Path:
    """Write the summary workbook to `out` atomically (temp file in the same folder + os.replace)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb, cached = build_workbook(summary, out.parent)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".part", dir=out.parent)
    os.close(fd)
    saved, filled = Path(name), Path(name + ".xlsx")
    try:
        wb.save(saved)
        # openpyxl cannot store a formula's value: write the chart counts' cached values into the package.
        rewrite_package(saved, filled, cached, {})
        os.replace(filled, out)
    finally:
        for leftover in (saved, filled, filled.with_name(filled.name + ".tmp")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return out


def build_workbook(summary: Summary, out_dir: Path) -> tuple[Workbook, dict[tuple[str, str], Any]]:
    """The workbook (links relative to `out_dir`) and the cached values of its formula cells."""
    ctx = Ctx(summary, out_dir)
    wb = Workbook()
    readme(ctx, wb)
    units = unit_sheet(ctx, wb)
    persons = person_sheet(ctx, wb)
    ranking_sheet(ctx, wb)
    banding_sheet(ctx, wb)
    quota_sheet(ctx, wb)
    indicator_sheet(ctx, wb)
    cached = chart_sheet(ctx.sheet(wb, "图表"), summary, units, persons)
    entry_sheet(ctx, wb)
    problem_sheet(ctx, wb)
    validation_sheet(ctx, wb)
    return wb, cached


MISSING = object()  # no submitted cell to compare with


@dataclass
class Ctx:
    summary: Summary
    out_dir: Path
    by_result: dict[int, Entry] = field(init=False)
    _cells: dict[str, dict[tuple[str, str], Any] | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_result = {id(e.result): e for e in self.summary.entries}

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
        if defn is None:
            from lxbz_xl.definition.loader import load_rubric

            with contextlib.suppress(Exception):
                defn = load_rubric(rid)
        return defn.short_name if defn is not None else rid

    def entry_of(self, result: Result) -> Entry | None:
        return self.by_result.get(id(result))

    def cell_ref(self, result: Result, key: str) -> Ref | None:
        """The submitted cell of `key` (total, tier, title, an input path), None when the form has none."""
        return self.entry_ref(self.entry_of(result), key)

    @staticmethod
    def entry_ref(e: Entry | None, key: str) -> Ref | None:
        ref = e.refs.get(key) if e is not None else None
        return ref if ref is not None and ref.cell else None

    def workbook_value(self, ref: Ref | None) -> Any:
        """What the submitted workbook itself shows in `ref` (its cached value, "" when blank).

        Read from the file, not inferred: a form leaves its total and tier blank until every item is
        filled, while the core scores a blank item as nothing found (and says so in its notes).
        """
        if ref is None or not ref.cell:
            return MISSING
        if ref.file not in self._cells:
            try:
                self._cells[ref.file] = read_values(Path(ref.file))
            except (OSError, ValueError, KeyError, zipfile.BadZipFile):
                self._cells[ref.file] = None
        cells = self._cells[ref.file]
        if cells is None:
            return MISSING
        value = cells.get((ref.sheet or "", ref.cell))
        return "" if value is None else value


# ---------------------------------------------------------------- what changed, and why


def shown(outcome: Result | MemberResult) -> str:
    """The tier or title verdict as the summary shows it ("" for none)."""
    label = outcome_label(outcome)
    return "" if label == "—" else label


def as_shown(o: Outcome | None, key: str) -> str:
    """A result as a correct form cell shows it: total to 2 places, tier (or the manual decision), 是/待定/否."""
    if o is None:
        return ""
    if key == "total":
        return "" if o.total is None else fmt(o.total)
    if key == "tier":
        return o.tier or o.manual or ""
    if o.title is None:
        return ""
    return "待定" if o.title and o.provisional_on else ("是" if o.title else "否")


def cell_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt(exact(value))
    return str(value)


def why_changed(result: Outcome, standalone: Outcome) -> list[str]:
    """What the batch added to the workbook's own evaluation: carried values, caps, failed conditions."""
    why = [n for n in result.notes if CHAIN_MARK in n and n not in standalone.notes]
    why += [
        f"{a.before}降为{a.after}:{a.reason}" for a in result.adjustments if a not in standalone.adjustments
    ]
    why += [f"未满足“{f}”" for f in result.failed if f not in standalone.failed]
    why += [f"尚缺“{p}”" for p in result.provisional_on if p not in standalone.provisional_on]
    return why


def changed(
    ctx: Ctx, result: Outcome, standalone: Outcome | None, ref: Ref | None, key: str
) -> dict[str, Any]:
    """`V` keywords highlighting a figure that differs from what the submitted workbook shows in `ref`
    (or, without a cell, from the workbook's own evaluation), with a comment giving both and why. The
    lighter highlight when the summary only settles what the workbook left blank or 待定."""
    after = as_shown(result, key)
    value = ctx.workbook_value(ref)
    before = as_shown(standalone, key) if value is MISSING else cell_text(value)
    if before == after or (value is MISSING and standalone is None):
        return {}
    why = why_changed(result, standalone) if standalone is not None else []
    if not before:
        notes = [n for n in result.notes if CHAIN_MARK not in n]
        why = ["报送表内此格为空,汇总按考评细则计算" + (f"({';'.join(notes)})" if notes else ""), *why]
    why = why or ["同批次其他考评结果带入后重新计算"]
    text = f"填报表显示:{before or '(空)'};汇总结果:{after or '(空)'}。\n原因:" + ";".join(why)
    return {"mark": text, "settled": before in ("", "待定") and after != "否"}


def _join(items: list[str], sep: str = ";") -> str:
    return sep.join(dict.fromkeys(i for i in items if i))


# ---------------------------------------------------------------- 说明


def readme(ctx: Ctx, wb: Workbook) -> None:
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
    other_years = {x.year for x in s.submissions if x.used and x.year is not None} - set(s.years)
    if other_years and len(s.years) == 1:  # built with --year: other years only fed the links
        command += f" --year {s.years[0]}"
    sh.kv("复现方法", f"{command}\n(同一批文件、同一版本的考评细则得到相同的结果;先核对批次摘要)")
    sh.kv("标记说明", "橙色底色:汇总结果与报送表内显示的不同,或被资格链取消了称号、降低了档次(批注写明原因)")
    sh.ws.cell(sh.row - 1, 2).fill = CHANGED_FILL
    sh.kv("", "浅黄底色:报送表内为空或“待定”,由同批次其他考评的结果或按考评细则计算得出(批注写明依据)")
    sh.ws.cell(sh.row - 1, 2).fill = SETTLED_FILL
    sh.kv("链接说明", "蓝色下划线:点击打开报送文件中对应的单元格")
    sh.skip()
    sh.section("使用的考评细则")
    counts = {rid: len(s.entries_of(rid)) for rid in s.definitions}
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
    sh.ws.merge_cells(start_row=head, start_column=2, end_row=head, end_column=ncols)
    for name, what in SHEETS.items():
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


# ---------------------------------------------------------------- 单位汇总


@dataclass(frozen=True, slots=True)
class UnitCols:
    rid: str
    total: bool
    label: str | None  # 档次 | 称号 | 好中差档 | 报送情况 | None


def unit_columns(ctx: Ctx) -> list[UnitCols]:
    s = ctx.summary
    present = {e.rubric for r in s.rows for e in r.entries.values()}
    order = [r for r in UNIT_ORDER if r in present] + sorted(present - set(UNIT_ORDER))
    cols = []
    for rid in order:
        defn = s.definitions[rid]
        total = any(e.result.total is not None for e in s.entries_of(rid))
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


CHAIN_HEADERS = (
    "学习型党组织",
    "学习型领导班子",
    "年度考核档次(资格链前)",
    "年度考核档次",
    "可评超标单位",
    "资格链说明",
)


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
    groups += [("资格链", len(CHAIN_HEADERS)), ("提示", 1), ("缺报", 1)]
    labels += [*CHAIN_HEADERS, "提示", "缺报"]
    ncols = len(labels)
    sh.heading(ncols)
    sh.text(
        f"批次摘要 {s.inputs_digest[:16]}…;生成于 {s.generated_at}。数字链接到报送文件中的单元格;"
        "橙色底色:与报送表内显示的结果不同;浅黄底色:报送表内为空或待定,由汇总得出;批注写明原因。好中差档由汇总按比例计算。"
    )
    sh.header_row = sh.group_header(groups, labels)
    first, last = sh.rows([unit_row(ctx, row, cols) for row in s.rows])
    sh.finish(
        ncols=ncols,
        table=(1, last),
        freeze_cols=2,
        max_width=30,
        paper=A3,
        widths={ncols - 2: 40, ncols - 1: 28, ncols: 16},
    )
    return Source(sh.ws, first, last, where)


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
        note = _join([f"按比例为{a.before},{a.reason}" for a in demoted]) or None
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
        values + chain_cells(ctx, row) + [_join(row.flags), _join([ctx.short(m) for m in row.missing], "、")]
    )


def chain_cells(ctx: Ctx, row: UnitRow) -> list[Any]:
    party, learning, annual = (row.entries.get(k) for k in (PARTY_ORG, LEARNING, ANNUAL))
    if party is None and learning is None and annual is None:
        return [None] * len(CHAIN_HEADERS)
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
    # No form shows 超标单位 eligibility: the chain alone decides it, so a denial is marked with its reasons.
    exceed = yes_no(row.exceed_eligible, none="待定" if learning is not None else "—")
    cells.append(V(exceed, mark=_join(row.reasons) or None if exceed != "是" else None))
    cells.append(V(_join(row.reasons), wrap=True))
    return cells


# ---------------------------------------------------------------- 干部汇总

PERSON_HEADERS = ("单位", "姓名", "考评细则", "职务/级别", "总分", "档次/称号", "获评", "提示", "来源")
PERSON_COLS = {"rubric": 3, "total": 5, "label": 6}


def person_refs(p: PersonRow) -> tuple[Ref | None, tuple[str, Ref | None], Outcome | None]:
    """Cells of the person's total and tier/title (with its key), and the workbook's own evaluation."""
    e = p.entry
    prefix, standalone = "", e.standalone  # type: tuple[str, Outcome | None]
    if isinstance(p.outcome, MemberResult) and e.defn.members is not None:
        i = next((k for k, m in enumerate(e.result.members) if m is p.outcome), None)
        if i is None:
            return None, ("tier", None), None
        prefix = f"{e.defn.members.key}.{i + 1}."
        theirs = e.standalone.members  # the same rows, evaluated without the batch
        standalone = theirs[i] if i < len(theirs) else None

    def cell(key: str) -> Ref | None:
        ref = e.refs.get(prefix + key)
        return ref if ref is not None and ref.cell else None

    label = ("tier", cell("tier")) if cell("tier") else ("title", cell("title"))
    return cell("total"), label, standalone


def person_sheet(ctx: Ctx, wb: Workbook) -> Source:
    sh = ctx.sheet(wb, "干部汇总")
    ncols = len(PERSON_HEADERS)
    sh.heading(ncols)
    sh.text(
        "每名干部一行:领导干部年度考核的被考核人,以及各考评中逐人评价的班子成员。数字链接到报送文件中的单元格。"
    )
    sh.header_row = sh.header(PERSON_HEADERS)
    rows = []
    for p in ctx.summary.persons:
        total_ref, (key, label_ref), standalone = person_refs(p)
        o = p.outcome
        tips = [*o.flags, *([f"需人工认定:{o.manual}"] if o.manual else [])]
        rows.append(
            [
                p.unit,
                p.person,
                ctx.short(p.rubric),
                p.detail,
                V(o.total, ref=total_ref, **changed(ctx, o, standalone, total_ref, "total")),
                V(outcome_label(o), ref=label_ref, **changed(ctx, o, standalone, label_ref, key)),
                _join(o.awards, "、"),
                V(_join(tips), wrap=True),
                V(p.ref.text, ref=p.ref, wrap=True),
            ]
        )
    first, last = sh.rows(rows)
    sh.finish(ncols=ncols, table=(1, last), freeze_cols=2, max_width=36)
    return Source(sh.ws, first, last, {"": PERSON_COLS})


# ---------------------------------------------------------------- 排名

RANK_RULE = "按总分排序;并列时未满分项目少者在前,再按单位名称"


def ranking_sheet(ctx: Ctx, wb: Workbook) -> None:
    sh = ctx.sheet(wb, "排名")
    labels = ["考评细则", "年度", "名次", "单位", "总分", "未满分项目数", "称号"]
    sh.heading(len(labels))
    sh.text(f"排序规则:{RANK_RULE}。参加排名的是获得称号的单位;总分链接到报送文件。")
    rows = []
    for rec in ctx.summary.cohort.rankings:
        for r in rec.order:
            rows.append(
                [
                    ctx.short(rec.rubric),
                    rec.year,
                    r.rank,
                    r.unit,
                    V(r.total, ref=ctx.cell_ref(r, "total")),
                    below_full(r),
                    V(outcome_label(r), ref=ctx.cell_ref(r, "title")),
                ]
            )
    sh.header_row = sh.header(labels)
    _, last = sh.rows(rows)
    if not rows:
        sh.text("(本批次没有需要排名的考评)")
    ties = [(rec, t) for rec in ctx.summary.cohort.rankings for t in rec.ties]
    if ties:
        sh.skip()
        sh.section("并列说明")
        for rec, t in ties:
            sh.text(f"{ctx.short(rec.rubric)} {rec.year}年:{t}")
    sh.finish(ncols=len(labels), table=(1, last), widths={1: 18, 4: 30})


# ---------------------------------------------------------------- 好中差


def _positions(totals: list[Any]) -> list[int]:
    """Competition ranking (1, 2, 2, 4): equal totals share a place."""
    out: list[int] = []
    for i, t in enumerate(totals):
        out.append(out[-1] if i and t == totals[i - 1] else i + 1)
    return out


def banding_sheet(ctx: Ctx, wb: Workbook) -> None:
    sh = ctx.sheet(wb, "好中差")
    labels = ["考评细则", "年度", "位次", "单位", "书记", "总分", "按比例所在档", "最终档次", "说明"]
    sh.heading(len(labels))
    sh.text(
        "按总分从高到低按比例划档(名额向下取整);分界处同分者均归入较好一档;不能评优者由较好档顺延至中间档。"
    )
    records = ctx.summary.cohort.bandings
    for rec in records:
        banding_params(ctx, sh, rec)
    rows = []
    for rec in records:
        places = _positions([r.total for r in rec.order])
        for place, r in zip(places, rec.order, strict=True):
            why = [a.reason for a in r.adjustments if a.kind == "demote"]
            before = rec.by_rank.get(r.unit)
            rows.append(
                [
                    ctx.short(rec.rubric),
                    rec.year,
                    place,
                    r.unit,
                    r.inputs.get("secretary"),
                    V(r.total, ref=ctx.cell_ref(r, "total")),
                    before,
                    V(
                        r.band,
                        mark=f"按比例为{before},最终为{r.band}:" + ";".join(why)
                        if r.band != before
                        else None,
                    ),
                    V(_join(why), wrap=True),
                ]
            )
    if records:
        sh.section("综合排序")
    sh.header_row = sh.header(labels)
    _, last = sh.rows(rows)
    if not records:
        sh.text("(本批次没有按比例划档的考评)")
    sh.finish(ncols=len(labels), table=(1, last), widths={1: 18, 4: 18, 9: 40})


def banding_params(ctx: Ctx, sh: Sheet, rec: BandingRecord) -> None:
    spec = ctx.summary.definitions[rec.rubric].cohort.banding
    n = len(rec.order)
    mark = "(比例待本地确定)" if rec.pending_local else ""
    sh.section(f"{ctx.short(rec.rubric)} {rec.year}年:参加综合排序{n}个{mark}")
    rows = []
    for name in band_names(spec) if spec is not None else list(rec.shares):
        final = sum(1 for r in rec.order if r.band == name)
        if name in rec.shares:
            share = rec.shares[name]
            rows.append(
                [
                    name,
                    V(float(share), fmt=pct_fmt(share)),
                    rec.sizes.get(name),
                    final,
                    f"{n}×{pct(share)}向下取整",
                ]
            )
        else:
            rows.append([name, "其余", None, final, ""])
    sh.table(["档", "比例", "按比例名额", "最终个数", "计算"], rows)
    if rec.pending_local:
        sh.text("比例为考评细则中的默认值,待本地确定。")
    for t in rec.ties:
        sh.text("并列:" + t)
    sh.skip()


# ---------------------------------------------------------------- 名额评选


def quota_sheet(ctx: Ctx, wb: Workbook) -> None:
    s = ctx.summary
    sh = ctx.sheet(wb, "名额评选")
    labels = ["考评细则", "年度", "名额池", "位次", "单位", "姓名", "评分", "结果"]
    sh.heading(len(labels) + 3)
    records = s.cohort.quotas
    versions = sorted({f"{ctx.short(q.rubric)} {s.definitions[q.rubric].version}" for q in records})
    sh.text(
        "评选是汇总之后单独的一步:按比例确定名额(比例×基数,向下取整),在符合标准者中按评分排序;"
        "名额分界处同分者不作取舍,待研究确定。评选不改变任何单位、干部的原始总分。"
    )
    sh.text(
        f"输入:批次摘要 {s.inputs_digest};考评细则版本 {'、'.join(versions) or '—'};参数见下表。同一输入得到同一结果。"
    )
    sh.section("评选参数")
    params = []
    for q in records:
        params.append(
            [
                ctx.short(q.rubric),
                q.year,
                q.pool,
                V(float(q.share), fmt=pct_fmt(q.share)),
                q.base,
                q.quota,
                q.eligible,
                len([c for c in q.candidates if c.outcome == "入选"]),
                f"{q.base}×{pct(q.share)}={fmt(q.share * q.base)},向下取整",
                q.requires_parent_in or "",
                V("、".join(q.excluded_by_parent), wrap=True),
            ]
        )
    sh.table(
        [
            "考评细则",
            "年度",
            "名额池",
            "比例",
            "基数",
            "名额",
            "符合标准",
            "入选",
            "计算",
            "须所在班子获评",
            "所在班子未获评、不参加排序",
        ],
        params,
    )
    sh.skip()
    sh.section("候选名单与结果")
    rows = []
    for q in records:
        scored = [c for c in q.candidates if c.score is not None]
        places = _positions([c.score for c in scored]) + [None] * (len(q.candidates) - len(scored))
        member_pool = any(c.name != c.result.unit for c in q.candidates)
        for place, c in zip(places, q.candidates, strict=True):
            rows.append(
                [
                    ctx.short(q.rubric),
                    q.year,
                    q.pool,
                    place,
                    c.result.unit,
                    c.name if member_pool else "",
                    V(c.score, ref=score_ref(ctx, q.rubric, q.pool, c.result, c.name)),
                    V(c.outcome, mark=None),
                ]
            )
    sh.header_row = sh.header(labels)
    _, last = sh.rows(rows)
    sh.finish(ncols=len(labels) + 3, table=(1, last), widths={1: 18, 3: 26, 9: 26, 10: 22, 11: 30})


def score_ref(ctx: Ctx, rid: str, pool_name: str, result: Result, name: str) -> Ref | None:
    """The input cell a quota pool ranks on (the unit's, or the member's row)."""
    quota = ctx.summary.definitions[rid].cohort.quota
    pool = next((p for p in quota.pools if p.name == pool_name), None) if quota else None
    e = ctx.entry_of(result)
    if pool is None or e is None:
        return None
    key = pool.score
    if pool.entity == "member" and e.defn.members is not None:
        i = next((k for k, m in enumerate(result.members, 1) if m.name == name), None)
        if i is None:
            return None
        key = f"{e.defn.members.key}.{i}.{pool.score}"
    ref = e.refs.get(key)
    return ref if ref is not None and ref.cell else None


# ---------------------------------------------------------------- 年度指标

FLAG_ORDER = ("限期整改", "集中调训")


def indicator_sheet(ctx: Ctx, wb: Workbook) -> None:
    s = ctx.summary
    sh = ctx.sheet(wb, "年度指标")
    ncols = 5
    sh.heading(ncols)
    sh.text(
        "年度指标:达到称号的单位占比与当年目标;群众满意度达不到要求须限期整改的班子;连续两年学分不足须集中调训的干部。"
    )
    for rec in s.cohort.shares:
        n = len(rec.hits) + len(rec.misses) + len(rec.pending)
        ratio = rec.share
        met = (
            "未设目标" if rec.goal is None or ratio is None else ("已达到" if ratio >= rec.goal else "未达到")
        )
        sh.skip()
        sh.section(f"{ctx.short(rec.rubric)} {rec.year}年:{rec.label}")
        sh.kv("达到称号的单位数", len(rec.hits))
        sh.kv("单位总数", n)
        sh.kv("比例", V(float(ratio), fmt=pct_fmt(ratio)) if ratio is not None else "—")
        sh.kv("年度目标", V(float(rec.goal), fmt=pct_fmt(rec.goal)) if rec.goal is not None else "未设目标")
        sh.kv("是否达到", met)
        sh.kv("未达到的单位", "、".join(rec.misses) or "无")
        sh.kv(
            "待定的单位",
            ("、".join(rec.pending) + "(缺少资格链所需的报送,不计入达到数)") if rec.pending else "无",
        )
    kinds = [*FLAG_ORDER, *sorted({f.kind for f in s.flags} - set(FLAG_ORDER))]
    for kind in kinds:
        flags = [f for f in s.flags if f.kind == kind]
        sh.skip()
        sh.section(kind)
        if not flags:
            sh.text("(本批次没有)")
            continue
        width = max(1, *(len(f.refs) for f in flags))
        sources = ["来源"] if width == 1 else [f"来源{i + 1}" for i in range(width)]
        rows = [
            [
                f.unit,
                f.person or "领导班子",
                V(f.detail, wrap=True),
                *[V(r.text, ref=r, wrap=True) for r in f.refs],
            ]
            for f in flags
        ]
        sh.table(["单位", "对象", "说明", *sources], rows)
    sh.finish(ncols=ncols, widths={1: 24, 2: 12, 3: 50})


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
    rows = []
    for e in sorted(ctx.summary.entries, key=lambda x: (x.result.year or 0, x.result.unit, x.rubric)):
        r = e.result
        total_ref, tier_ref, title_ref = (ctx.cell_ref(r, k) for k in ("total", "tier", "title"))
        label_ref = tier_ref or title_ref
        rows.append(
            [
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
                _join(r.awards, "、"),
                V(workbook_text(ctx, e), wrap=True),
                V(_join([n for n in r.notes if CHAIN_MARK in n], "\n"), wrap=True),
                V(Path(e.submission.path).name, ref=Ref(e.submission.path)),
                V(f"{total_ref.sheet}!{total_ref.cell}", ref=total_ref) if total_ref else "",
                V(f"{label_ref.sheet}!{label_ref.cell}", ref=label_ref) if label_ref else "",
                V(e.submission.sha256, code=True),
            ]
        )
    sh.header_row = sh.header(labels)
    _, last = sh.rows(rows)
    sh.finish(ncols=len(labels), table=(1, last), freeze_cols=1, paper=A3, widths={13: 60})


# ---------------------------------------------------------------- 问题清单, 校验记录


def problem_sheet(ctx: Ctx, wb: Workbook) -> None:
    problems = ctx.summary.problems
    width = max([1, *(len(p.files) for p in problems)])
    files = ["文件"] if width == 1 else [f"文件{i + 1}" for i in range(width)]
    labels = ["类型", "单位", "年度", "考评细则", *files, "说明"]
    sh = ctx.sheet(wb, "问题清单")
    sh.heading(len(labels))
    sh.text(
        "汇总发现的问题:缺报、重复报送、报送冲突、未通过校验和无法归属的文件。未通过校验的文件的详细问题见校验报告。"
    )
    rows = [
        [
            p.kind,
            p.unit or "",
            p.year,
            ctx.short(p.rubric),
            *[V(Path(f).name, ref=Ref(f), wrap=True) for f in p.files],
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
    rows = [
        [
            V(Path(x.path).name, ref=Ref(x.path), wrap=True),
            STATUS_WORDS.get(x.status, x.status),
            ctx.short(x.rubric),
            x.version,
            x.unit or "",
            x.year,
            "是" if x.used else "否",
            V(_join(x.problems, "\n"), wrap=True),
            V(x.sha256, code=True),
        ]
        for x in sorted(ctx.summary.submissions, key=lambda x: x.path)
    ]
    sh.header_row = sh.header(labels)
    _, last = sh.rows(rows)
    sh.finish(ncols=len(labels), table=(1, last), widths={8: 60}, max_width=36)
