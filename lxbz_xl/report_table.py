"""Readable Chinese console output for scored cases (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lxbz_xl.engine.consequences import NOTE_PREFIX, PROMOTE_NOTE
from lxbz_xl.exact import fmt
from lxbz_xl.result import Outcome, Result, show
from lxbz_xl.validation.safe_text import console as esc  # case text is data, never rich markup


def _outcome_lines(o: Outcome) -> list[str]:
    lines = []
    if o.manual:
        lines.append(f"档次:{o.manual}({o.tier_reason})")
    elif o.tier is not None:
        base = f"(基础档次{o.base_tier})" if o.base_tier != o.tier else ""
        lines.append(f"档次:{o.tier}{base}")
        if o.tier_reason:
            lines.append(f"  依据:{o.tier_reason}")
    for a in o.adjustments:
        lines.append(f"  调整:{a.before}→{a.after},{a.reason}")
    if o.title_name is not None:
        verdict = "是" if o.title else "否"
        lines.append(f"{o.title_name}:{verdict}")
        lines += [f"  未满足:{f}" for f in o.failed]
        if o.provisional_on:
            lines.append(f"  待定(缺少):{'、'.join(o.provisional_on)}")
    if o.band is not None:
        lines.append(f"综合排序档次:{o.band}")
    if o.rank is not None:
        lines.append(f"排名:第{o.rank}名")
    lines += [f"奖项:{a}" for a in o.awards]
    lines += [f"提示:{f}" for f in o.flags]
    lines += [n if n.startswith((NOTE_PREFIX, PROMOTE_NOTE)) else f"说明:{n}" for n in o.notes]
    return lines


def print_result(console: Console, r: Result) -> None:
    title = f"{r.unit or '(未填单位)'} {r.year or ''}年 · {r.rubric}(版本{r.rubric_version})"
    console.print(f"[bold]{esc(title)}[/bold]" + (f"  [dim]{esc(r.source)}[/dim]" if r.source else ""))
    if r.errors:
        for e in r.errors:
            console.print(f"  [red]输入错误[/red] {esc(e.field)}: {esc(e.message)}")
        return
    if r.items:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for col in ("项目", "分值", "得分", "扣分", "扣分说明"):
            table.add_column(col, overflow="fold")
        for i in r.items:
            table.add_row(
                esc(f"{i.id} {i.name}"),
                fmt(i.points),
                fmt(i.score),
                fmt(i.deduction),
                esc(";".join(i.explanations)),
            )
        console.print(table)
    for v in r.values:
        console.print(f"  {esc(v.label)}:{esc(show(v.value, v.display))}  [dim]{esc(v.explanation)}[/dim]")
    if r.total is not None:
        console.print(f"  [bold]总分:{fmt(r.total)}[/bold]")
    for line in _outcome_lines(r):
        console.print("  " + esc(line))
    for m in r.members:
        parts = [f"{v.label}{show(v.value, v.display)}" for v in m.values]
        parts += [f"得分{show(m.total)}"] if m.total is not None else []
        parts += [line.strip() for line in _outcome_lines(m)]
        console.print(esc(f"  · {m.name}:" + ";".join(parts)))


def print_summary(console: Console, lines: list[str]) -> None:
    if lines:
        console.print("[bold]汇总[/bold]")
        for line in lines:
            console.print("  " + esc(line))
