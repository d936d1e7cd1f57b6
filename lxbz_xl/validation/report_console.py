"""The terse console report (rich): one line per workbook, then its findings."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from lxbz_xl.validation.model import STATUS_WORDS, WorkbookReport
from lxbz_xl.validation.report_json import summary
from lxbz_xl.validation.safe_text import console as esc

PER_FILE = 8  # findings shown per workbook; all of them are in --json/--junit/--xlsx
_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def print_report(reports: Sequence[WorkbookReport], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for title in ("文件", "状态", "细则", "单位", "年度", "总分", "档次/称号", "问题"):
        table.add_column(title, overflow="fold")
    for r in reports:
        status = STATUS_WORDS[r.status]
        table.add_row(  # everything but the status word is data from the submission: escaped
            esc(r.path),
            f"[green]{status}[/]" if r.status == "valid" else f"[red]{status}[/]",
            esc(r.rubric or "—"),
            esc(r.unit or "—"),
            esc(r.year or "—"),
            "—" if r.total is None else esc(r.total),
            esc(r.tier or r.title or "—"),
            str(len(r.findings)),
        )
    console.print(table)
    for r in reports:
        if not r.findings:
            continue
        console.print(f"[bold]{esc(r.path)}[/]", highlight=False)
        for f in r.findings[:PER_FILE]:
            where = f" {f.where}" if f.where and f.where not in f.message else ""  # terse: say it once
            line = f"  [{_STYLE[f.severity]}]{esc(f.code)}[/]{esc(where)} {esc(f.message)}"
            console.print(line, highlight=False)
        if len(r.findings) > PER_FILE:
            console.print(f"  …另有{len(r.findings) - PER_FILE}个问题(见 --json/--xlsx 报告)")
    s = summary(reports)
    console.print(
        f"共{s['workbooks']}个工作簿:{s['valid']}个通过,{s['invalid']}个不通过,{s['findings']}个问题。",
        highlight=False,
    )
