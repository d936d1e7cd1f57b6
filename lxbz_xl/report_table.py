"""Readable Chinese console output for scored cases.

Written through a small output interface (`esc`, `line`, `table`): `RichReport` prints with rich (colours
on a terminal), `lxbz_xl.plain_text.PlainReport` writes the same bytes rich writes to a pipe without
importing rich (the `lxbz score` start, issue 14).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from lxbz_xl.engine.consequences import NOTE_PREFIX, PROMOTE_NOTE
from lxbz_xl.exact import fmt
from lxbz_xl.result import Outcome, Result, show

COLUMNS = ("项目", "分值", "得分", "扣分", "扣分说明")


class Report(Protocol):
    def esc(self, text: object) -> str:
        """Case text as data, never markup."""
        ...

    def line(self, markup: str) -> None: ...

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None: ...


class RichReport:
    """The report printed by a rich console (`lxbz score` on a terminal, or text rich must lay out)."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def esc(self, text: object) -> str:
        from lxbz_xl.validation.safe_text import console as esc

        return esc(text)

    def line(self, markup: str) -> None:
        self.console.print(markup)

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        from rich.table import Table

        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*row)
        self.console.print(table)


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


def print_result(out: Report, r: Result) -> None:
    esc = out.esc
    title = f"{r.unit or '(未填单位)'} {r.year or ''}年 · {r.rubric}(版本{r.rubric_version})"
    out.line(f"[bold]{esc(title)}[/bold]" + (f"  [dim]{esc(r.source)}[/dim]" if r.source else ""))
    if r.errors:
        for e in r.errors:
            out.line(f"  [red]输入错误[/red] {esc(e.field)}: {esc(e.message)}")
        return
    if r.items:
        rows = [
            (
                esc(f"{i.id} {i.name}"),
                fmt(i.points),
                fmt(i.score),
                fmt(i.deduction),
                esc(";".join(i.explanations)),
            )
            for i in r.items
        ]
        out.table(COLUMNS, rows)
    for v in r.values:
        out.line(f"  {esc(v.label)}:{esc(show(v.value, v.display))}  [dim]{esc(v.explanation)}[/dim]")
    if r.total is not None:
        out.line(f"  [bold]总分:{fmt(r.total)}[/bold]")
    for line in _outcome_lines(r):
        out.line("  " + esc(line))
    for m in r.members:
        parts = [f"{v.label}{show(v.value, v.display)}" for v in m.values]
        parts += [f"得分{show(m.total)}"] if m.total is not None else []
        parts += [line.strip() for line in _outcome_lines(m)]
        out.line(esc(f"  · {m.name}:" + ";".join(parts)))


def print_problems(out: Report, problems: list[str]) -> None:
    """Case files that could not be scored at all."""
    for p in problems:
        out.line(f"[red]无法评分[/red] {out.esc(p)}")


def print_summary(out: Report, lines: list[str]) -> None:
    if lines:
        out.line("[bold]汇总[/bold]")
        for line in lines:
            out.line("  " + out.esc(line))


def print_report(out: Report, results: Sequence[Result], problems: list[str], summary: list[str]) -> None:
    """What `lxbz score` prints as a table: every result, the files it could not score, the summary."""
    for r in results:
        print_result(out, r)
    print_problems(out, problems)
    print_summary(out, summary)
