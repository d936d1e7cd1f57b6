"""`lxbz validate PATH...` and `lxbz score --from-workbook FILE --write OUT`.

Exit codes: 0 every workbook valid (info findings allowed), 1 any workbook has findings, 2 usage error
(an argument that matched no file, an unwritable report path, a bad option), 3 internal error (cli.main).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lxbz_xl.cli_rescore import score_workbook
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.validation.discover import MAX_ENTRIES, Discovery, find
from lxbz_xl.validation.model import MergedReports, WorkbookReport
from lxbz_xl.validation.report_console import print_report
from lxbz_xl.validation.report_json import summary, write_json
from lxbz_xl.validation.report_junit import write_junit
from lxbz_xl.validation.report_xlsx import write_xlsx
from lxbz_xl.validation.runner import FILE_TIMEOUT, run
from lxbz_xl.validation.safe_text import console as esc

__all__ = ["add_run_options", "cmd_validate", "find_inputs", "load_custom", "register", "score_workbook"]

PROGRESS_FROM = 50  # files; shorter batches finish before a bar would be useful


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs 应为正整数,实为{text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs 应为正整数,实为{value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "validate",
        help="批量校验报送的工作簿(.xlsx/.xlsm)",
        description="批量校验报送的工作簿:身份、结构、填写值、篡改、重新计算。",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="文件、文件夹(递归)或通配符")
    p.add_argument("--json", type=Path, metavar="FILE", help="写出 JSON 报告(每个工作簿一条记录)")
    p.add_argument("--junit", type=Path, metavar="FILE", help="写出 JUnit XML 报告(供 CI 显示)")
    p.add_argument("--xlsx", type=Path, metavar="FILE", help="写出问题清单工作簿(可筛选)")
    add_run_options(p)
    p.set_defaults(func=cmd_validate)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """How the files are checked: own rubric files, worker processes, time limit per file (validate, summary)."""
    p.add_argument(
        "--rubric",
        dest="rubrics",
        type=Path,
        action="append",
        default=[],
        metavar="YAML",
        help="本地修改的考评细则文件(可重复);按其标识代替同名内置细则,用于校验由它生成的模板",
    )
    p.add_argument("--jobs", type=_jobs, default=None, metavar="N", help="并行进程数(默认:CPU 核数)")
    p.add_argument(
        "--timeout",
        type=float,
        default=FILE_TIMEOUT,
        metavar="SECONDS",
        help=f"单个文件的处理时限(默认 {FILE_TIMEOUT:g} 秒)",
    )


def _outputs_ok(args: argparse.Namespace, console: Console) -> bool:
    ok = True
    for flag in ("json", "junit", "xlsx"):
        target: Path | None = getattr(args, flag)
        if target is None:
            continue
        if target.is_dir() or not target.parent.is_dir():
            console.print(f"[red]--{flag} {esc(target)}:目录不存在或目标是文件夹[/]")
            ok = False
    return ok


def cmd_validate(args: argparse.Namespace) -> int:
    console = Console(highlight=False, width=None if Console().is_terminal else 160)
    found = find_inputs(args.paths, (args.json, args.junit, args.xlsx), console)
    if found is None:
        return 2
    if not _outputs_ok(args, console) or load_custom(args.rubrics, console) is None:
        return 2
    # Every report stays in the runner's spool; each writer reads them back one at a time.
    reports = MergedReports(found.entries, found.refused, _run_with_progress(found.files, args, console))
    totals = summary(reports)
    print_report(reports, console, totals)
    if args.json:
        write_json(reports, args.json, totals)
    if args.junit:
        write_junit(reports, args.junit)
    if args.xlsx:
        write_xlsx(reports, args.xlsx)
    return 0 if totals["invalid"] == 0 else 1


def find_inputs(paths: list[str], outputs: tuple[Path | None, ...], console: Console) -> Discovery | None:
    """The run's entries (a previous run's own report files left out), or None after saying what matched
    nothing. Symlinks, special and oversize files are kept as refused entries: they are reported."""
    found = find(paths).without({p.resolve() for p in outputs if p is not None})
    for arg in found.unmatched:
        console.print(f"[red]{esc(arg)}:没有找到 .xlsx/.xlsm 文件[/]")
    for arg in found.too_many:
        console.print(
            f"[red]{esc(arg)}:包含超过{MAX_ENTRIES:,}个条目,不像一批报送文件,未搜索;请指定具体的文件夹[/]"
        )
    if found.unmatched or found.too_many or not found.entries:
        return None
    return found


def load_custom(paths: list[Path], console: Console) -> dict[str, RubricDefinition] | None:
    """The `--rubric` files by id, or None (after saying why) when one cannot be used."""
    from lxbz_xl.definition.loader import DefinitionError, load_rubric

    out: dict[str, RubricDefinition] = {}
    for path in paths:
        if not path.is_file():
            console.print(f"[red]--rubric {esc(path)}:文件不存在[/]")
            return None
        try:
            defn = load_rubric(path)
        except DefinitionError as exc:
            console.print(f"[red]--rubric {esc(path)}:{esc(exc)}[/]")
            return None
        if defn.id in out:
            console.print(f"[red]--rubric {esc(path)}:考评细则标识{esc(defn.id)}重复[/]")
            return None
        out[defn.id] = defn
    return out


def _run_with_progress(
    files: list[Path], args: argparse.Namespace, console: Console
) -> Sequence[WorkbookReport]:
    if not files:
        return []
    # spool: finished reports go to an unnamed temporary file, read back one at a time by the writers.
    options = {"jobs": args.jobs, "timeout": args.timeout, "rubrics": args.rubrics, "spool": True}
    if len(files) < PROGRESS_FROM or not console.is_terminal:
        return run(files, **options)
    columns = (TextColumn("校验"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("validate", total=len(files))
        return run(files, on_done=lambda _r: progress.advance(task), **options)
