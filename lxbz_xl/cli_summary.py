"""`lxbz summary PATH... --out 汇总.xlsx`: the yearly picture across units from validated submissions.

Every file is validated first (the same checks as `lxbz validate`); only valid files enter the summary,
and the rest are listed in it. Exit codes: 0 written and every file used; 1 written, with problems
listed (invalid, duplicated, conflicting or missing submissions); 2 usage error, nothing written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from lxbz_xl.cli_validate import _run_with_progress, add_run_options, find_inputs, load_custom
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.rubric_ref import by_id
from lxbz_xl.validation.model import MergedReports
from lxbz_xl.validation.safe_text import console as esc


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "summary",
        help="跨单位汇总:资格链、排名、好中差、名额、年度指标(写出汇总工作簿)",
        description="读取报送的工作簿(先校验),按单位和年度汇总各考评细则的结果,写出汇总工作簿。",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="文件、文件夹(递归)或通配符")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="汇总工作簿(.xlsx)")
    p.add_argument("--json", type=Path, metavar="FILE", help="同时写出 JSON 汇总")
    p.add_argument(
        "--year", type=int, metavar="YEAR", help="只汇总该年度(其他年度的报送仍用于跨年度关联,如上年度学分)"
    )
    add_run_options(p)
    p.set_defaults(func=cmd_summary)


def _usable_target(path: Path, suffix: str, console: Console) -> bool:
    if path.suffix.lower() != suffix:
        console.print(f"[red]{esc(path)}:输出文件应以 {suffix} 结尾[/]")
        return False
    if path.is_dir() or not path.parent.is_dir():
        console.print(f"[red]{esc(path)}:目录不存在或目标是文件夹[/]")
        return False
    return True


def cmd_summary(args: argparse.Namespace) -> int:
    from lxbz_xl.summary.collect import submission_of
    from lxbz_xl.summary.compute import build_summary
    from lxbz_xl.summary.write_json import write_summary_json
    from lxbz_xl.summary.write_xlsx import write_summary

    console = Console(highlight=False, width=None if Console().is_terminal else 160)
    if not _usable_target(args.out, ".xlsx", console) or (
        args.json is not None and not _usable_target(args.json, ".json", console)
    ):
        return 2
    found = find_inputs(args.paths, (args.out, args.json), console)  # a previous summary is no submission
    if found is None:
        return 2
    custom = load_custom(args.rubrics, console)
    if custom is None:
        return 2
    # The reports stay in the runner's spool: each is read back once, and only its submission is kept.
    reports = MergedReports(found.entries, found.refused, _run_with_progress(found.files, args, console))

    loaded: dict[str, RubricDefinition] = {}  # one look-up per rubric: the batch asks once per file and link

    def load(ref: str) -> RubricDefinition:
        found = loaded.get(ref)
        if found is None:
            found = loaded[ref] = by_id(ref, custom)  # a submission names its rubric by id, never by path
        return found

    submissions = [submission_of(r) for r in reports]
    del reports, found  # the discovered paths (10,000 Path objects) are not needed again
    summary = build_summary(submissions, [str(p) for p in args.paths], load, year=args.year)
    write_summary(summary, args.out)
    if args.json is not None:
        write_summary_json(summary, args.json)
    print_summary(summary, console)
    console.print(f"汇总工作簿:{esc(args.out)}" + (f";JSON:{esc(args.json)}" if args.json else ""))
    return 1 if summary.problems else 0


def rubric_name(rubric_id: str | None) -> str | None:
    if rubric_id is None:
        return None
    try:
        return by_id(rubric_id).short_name
    except ValueError:
        return rubric_id


def print_summary(summary: object, console: Console) -> None:
    """Terse: counts, then each problem on one line, then the cohort lines."""
    from lxbz_xl.summary.model import Summary

    assert isinstance(summary, Summary)
    used = sum(1 for s in summary.submissions if s.used)
    years = "、".join(str(y) for y in summary.years) or "—"
    console.print(
        f"汇总 {years} 年度:{len(summary.submissions)} 份报送,计入 {used} 份;"
        f"{len(summary.rows)} 个单位,{len(summary.persons)} 名干部;问题 {len(summary.problems)} 条"
    )
    for p in summary.problems:
        where = "、".join(Path(f).name for f in p.files)
        who = " ".join(str(x) for x in (p.unit, p.year, rubric_name(p.rubric)) if x)
        line = f"{who}{'  ' + where if where else ''}:{p.detail}"
        console.print(f"  [yellow]{esc(p.kind)}[/] {esc(line)}")
    for line in summary.cohort.summary:
        console.print(f"  {esc(line)}")
