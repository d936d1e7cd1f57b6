"""`lxbz validate PATH...` and `lxbz score --from-workbook FILE --write OUT`.

Exit codes: 0 every workbook valid (info findings allowed), 1 any workbook has findings, 2 usage error
(an argument that matched no file, an unwritable report path, a bad option).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.validation.check_file import check_file_full
from lxbz_xl.validation.context import Context
from lxbz_xl.validation.discover import discover
from lxbz_xl.validation.model import WorkbookReport
from lxbz_xl.validation.report_console import print_report
from lxbz_xl.validation.report_json import write_json
from lxbz_xl.validation.report_junit import write_junit
from lxbz_xl.validation.report_xlsx import write_xlsx
from lxbz_xl.validation.runner import FILE_TIMEOUT, run

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
            console.print(f"[red]--{flag} {target}:目录不存在或目标是文件夹[/]")
            ok = False
    return ok


def cmd_validate(args: argparse.Namespace) -> int:
    console = Console(highlight=False, width=None if Console().is_terminal else 160)
    files, unmatched = discover(args.paths)
    reports_out = {p.resolve() for p in (args.json, args.junit, args.xlsx) if p is not None}
    files = [f for f in files if f.resolve() not in reports_out]  # a previous run's --xlsx is no submission
    for arg in unmatched:
        console.print(f"[red]{arg}:没有找到 .xlsx/.xlsm 文件[/]")
    if unmatched or not files:
        return 2
    if not _outputs_ok(args, console) or load_custom(args.rubrics, console) is None:
        return 2
    reports = _run_with_progress(files, args, console)
    print_report(reports, console)
    if args.json:
        write_json(reports, args.json)
    if args.junit:
        write_junit(reports, args.junit)
    if args.xlsx:
        write_xlsx(reports, args.xlsx)
    return 0 if all(r.status == "valid" for r in reports) else 1


def load_custom(paths: list[Path], console: Console) -> dict[str, RubricDefinition] | None:
    """The `--rubric` files by id, or None (after saying why) when one cannot be used."""
    from lxbz_xl.definition.loader import DefinitionError, load_rubric

    out: dict[str, RubricDefinition] = {}
    for path in paths:
        if not path.is_file():
            console.print(f"[red]--rubric {path}:文件不存在[/]")
            return None
        try:
            defn = load_rubric(path)
        except DefinitionError as exc:
            console.print(f"[red]--rubric {path}:{exc}[/]")
            return None
        if defn.id in out:
            console.print(f"[red]--rubric {path}:考评细则标识{defn.id}重复[/]")
            return None
        out[defn.id] = defn
    return out


def _run_with_progress(
    files: list[Path], args: argparse.Namespace, console: Console
) -> Sequence[WorkbookReport]:
    # spool: finished reports go to an unnamed temporary file, read back one at a time by the writers.
    options = {"jobs": args.jobs, "timeout": args.timeout, "rubrics": args.rubrics, "spool": True}
    if len(files) < PROGRESS_FROM or not console.is_terminal:
        return run(files, **options)
    columns = (TextColumn("校验"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("validate", total=len(files))
        return run(files, on_done=lambda _r: progress.advance(task), **options)


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    with contextlib.suppress(OSError):
        return b.exists() and os.path.samefile(a, b)
    return False


def score_workbook(src: Path, out: Path) -> int:
    """Write a recomputed copy of ``src`` to ``out``: fresh cached values and explanations in every output
    cell; styles, validations and defined names kept (the package is copied part by part). The input is
    only read. Returns 0 when written, 1 when the workbook cannot be scored, 2 on a usage error."""
    console = Console(highlight=False, width=160)
    if not src.is_file():
        console.print(f"[red]{src}:文件不存在[/]")
        return 2
    if _same_file(src, out):
        console.print(f"[red]输出文件与输入文件相同({out}):不会覆盖报送的原件,请指定另一个文件名[/]")
        return 2
    if not out.parent.is_dir():
        console.print(f"[red]{out.parent}:目录不存在[/]")
        return 2
    checked = check_file_full(src, Context(), keep_inputs=True)
    get = checked.get
    report, result, rubric = checked.report, checked.result, checked.rubric
    print_report([report], console)
    if result is None or rubric is None or checked.variant is None or not result.ok:
        console.print("[red]无法重新计算:请先按上述问题修改后再试[/]")
        return 1
    from lxbz_xl.workbook.cached_values import rewrite_package

    cached = rubric.expected_outputs(result, checked.variant, get)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        rewrite_package(src, tmp, cached)
        os.replace(tmp, out)  # atomic: readers see the old file or the complete new one
    finally:
        tmp.unlink(missing_ok=True)
    console.print(f"已写出 {out}:总分 {report.total},档次 {report.tier or '—'}")
    return 0
