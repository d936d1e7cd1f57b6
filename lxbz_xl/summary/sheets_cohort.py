"""The cross-unit sheets: 排名 (优中选优), 好中差 (bands by share), 名额评选 (quotas) and 年度指标
(title-share goals, 限期整改, 集中调训). Each reads the cohort evaluation (lxbz_xl.cohort), never recomputes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

from lxbz_xl.cohort import BandingRecord, QuotaCandidate, QuotaRecord, band_names, below_full
from lxbz_xl.exact import fmt, pct
from lxbz_xl.summary.context import Ctx
from lxbz_xl.summary.model import Ref, outcome_label
from lxbz_xl.summary.sheets import Sheet, V, joined, pct_fmt

__all__ = ["banding_sheet", "indicator_sheet", "quota_sheet", "ranking_sheet"]


# ---------------------------------------------------------------- 排名

RANK_RULE = "按总分排序;并列时未满分项目少者在前,再按单位名称"


def ranking_sheet(ctx: Ctx, wb: Workbook) -> None:
    sh = ctx.sheet(wb, "排名")
    labels = ["考评细则", "年度", "名次", "单位", "总分", "未满分项目数", "称号"]
    sh.heading(len(labels))
    sh.text(f"排序规则:{RANK_RULE}。参加排名的是获得称号的单位;总分链接到报送文件。")
    rankings = ctx.summary.cohort.rankings
    rows = (  # made as they are written: a province's ranking is thousands of rows
        [
            ctx.short(rec.rubric),
            rec.year,
            r.rank,
            r.unit,
            V(r.total, ref=ctx.cell_ref(r, "total")),
            below_full(r),
            V(outcome_label(r), ref=ctx.cell_ref(r, "title")),
        ]
        for rec in rankings
        for r in rec.order
    )
    sh.header_row = sh.header(labels)
    first, last = sh.rows(rows)
    if last < first:
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
    labels = [
        "考评细则",
        "年度",
        "位次",
        "单位",
        "书记",
        "总分",
        "按比例所在档",
        "最终档次",
        "说明",
        "考核主体",
    ]
    sh.heading(len(labels))
    sh.text(
        "按总分从高到低按比例划档(名额向下取整);分界处同分者同档(均归入较高的一档);不能评优者由较好档顺延至中间档。"
    )
    records = ctx.summary.cohort.bandings
    for rec in records:
        banding_params(ctx, sh, rec)
    if records:
        sh.section("综合排序")
    sh.header_row = sh.header(labels)
    _, last = sh.rows(row for rec in records for row in _banding_rows(ctx, rec))
    if not records:
        sh.text("(本批次没有按比例划档的考评)")
    sh.finish(ncols=len(labels), table=(1, last), widths={1: 18, 4: 18, 9: 40, 10: 18})


def _banding_rows(ctx: Ctx, rec: BandingRecord) -> Iterator[list[Any]]:
    places = _positions([r.total for r in rec.order])
    for place, r in zip(places, rec.order, strict=True):
        why = [a.reason for a in r.adjustments if a.kind == "demote"]
        before = rec.by_rank.get(r.unit)
        yield [
            ctx.short(rec.rubric),
            rec.year,
            place,
            r.unit,
            r.inputs.get("secretary"),
            V(r.total, ref=ctx.cell_ref(r, "total")),
            before,
            V(
                r.band,
                mark=f"按比例为{before},最终为{r.band}:" + ";".join(why) if r.band != before else None,
            ),
            V(joined(why), wrap=True),
            rec.group or "",
        ]


def banding_params(ctx: Ctx, sh: Sheet, rec: BandingRecord) -> None:
    spec = ctx.summary.definitions[rec.rubric].cohort.banding
    n = len(rec.order)
    mark = "(比例待本地确定)" if rec.pending_local else ""
    body = f"考核主体“{rec.group}”" if rec.group else ("未填写考核主体" if spec and spec.group_by else "")
    sh.section(f"{ctx.short(rec.rubric)} {rec.year}年{body}:参加综合排序{n}个{mark}")
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
    sh.heading(len(labels) + 5)
    records = s.cohort.quotas
    versions = sorted({f"{ctx.short(q.rubric)} {s.definitions[q.rubric].version}" for q in records})
    sh.text(
        "评选是汇总之后单独的一步:按比例确定名额(比例×基数,向下取整),在符合标准者中按评分排序;"
        "名额分界处同分者不作取舍,待研究确定。评选不改变任何单位、干部的原始总分。"
    )
    sh.text(
        f"输入:批次摘要 {s.inputs_digest};考评细则版本 {'、'.join(versions) or '—'};参数见下表。同一输入得到同一结果。"
    )
    for cycle in s.cohort.award_years:  # 每两年评选一次: whether the year is an award year
        verdict = "是" if cycle.award_year else "否"
        sh.kv(f"{ctx.short(cycle.rubric)} {cycle.year}年是否评选年", f"{verdict}。{cycle.text}")
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
                V("、".join(q.excluded_by_team), wrap=True),
                V(
                    f"{q.open_seats}个席位待定:" + "、".join(q.pending) if q.pending else "",
                    wrap=True,
                ),
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
            "所在班子非综合考评优秀或未达标、不参加评选",
            "所在班子并列待定(席位空缺)",
        ],
        params,
    )
    sh.skip()
    sh.section("候选名单与结果")
    sh.header_row = sh.header(labels)
    _, last = sh.rows(row for q in records for row in _candidate_rows(ctx, q))
    sh.finish(
        ncols=len(labels) + 5, table=(1, last), widths={1: 18, 3: 26, 9: 26, 10: 22, 11: 30, 12: 30, 13: 30}
    )


def _candidate_rows(ctx: Ctx, q: QuotaRecord) -> Iterator[list[Any]]:
    scored = [c for c in q.candidates if c.score is not None]
    places = _positions([c.score for c in scored]) + [None] * (len(q.candidates) - len(scored))
    # A member pool names people, a unit pool its units: the name column and score cells follow.
    member_pool = q.entity == "member"
    for place, c in zip(places, q.candidates, strict=True):
        yield [
            ctx.short(q.rubric),
            q.year,
            q.pool,
            place,
            c.result.unit,
            c.name if member_pool else "",
            V(c.score, ref=score_ref(ctx, q, c, member_pool)),
            V(c.outcome, mark=None),
        ]


def score_ref(ctx: Ctx, q: QuotaRecord, c: QuotaCandidate, member_pool: bool) -> Ref | None:
    """The input cell the pool ranks `c` on: the unit's, or (in a member pool) the member's row."""
    e = ctx.entry_of(c.result)
    if not q.score or e is None:
        return None
    key = q.score
    if member_pool and e.defn.members is not None:
        # A candidate carries only the member's name: its row is where that name is.
        i = next((k for k, m in enumerate(c.result.members, 1) if m.name == c.name), None)
        if i is None:
            return None
        key = f"{e.defn.members.key}.{i}.{q.score}"
    return ctx.entry_ref(e, key)


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
