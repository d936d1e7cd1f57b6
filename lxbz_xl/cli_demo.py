"""`lxbz demo`: the whole yearly story in one command, in under a minute.

build the templates → fill a city's submissions (about 40 units, lxbz_xl/demo/city.yaml) → plant the
problems a real batch has (input errors, a tampered file, a corrupt file, a conflicting resubmission, an
identical copy, a missing form) → validate the folder → write the summary workbook → say where it all is.
Exit 0 when every step behaved as expected: clean submissions valid, each planted problem found.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

MARKER = ".lxbz-demo"
DEFAULT_OUT = "lxbz-demo"


def _prepare(out: Path) -> None:
    """Start from an empty folder; only a folder the demo made itself is ever cleared."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise SystemExit(f"{out} 不是空目录,也不是演示目录;请换一个 --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("lxbz demo output\n", encoding="utf-8")


def _build_one(job: tuple[str, str, str]) -> str:
    """One template, in a worker process (building is CPU-bound: openpyxl plus the core's cached values)."""
    from lxbz_xl.definition.loader import load_rubric
    from lxbz_xl.workbook.build import build_template

    rubric, variant, out = job
    return str(build_template(load_rubric(rubric), Path(out), variant))


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from lxbz_xl.cli_summary import print_summary
    from lxbz_xl.definition.loader import builtin_ids, load_rubric
    from lxbz_xl.demo.planting import plant
    from lxbz_xl.demo.population import population
    from lxbz_xl.summary.collect import submission_of
    from lxbz_xl.summary.compute import build_summary
    from lxbz_xl.summary.write_json import write_summary_json
    from lxbz_xl.summary.write_xlsx import write_summary
    from lxbz_xl.validation.report_json import write_json
    from lxbz_xl.validation.report_junit import write_junit
    from lxbz_xl.validation.report_xlsx import write_xlsx
    from lxbz_xl.validation.runner import run
    from lxbz_xl.workbook.build import template_name
    from lxbz_xl.workbook.fill import fill_case, output_name

    console = Console(highlight=False, width=None if Console().is_terminal else 160)
    start = time.perf_counter()
    out = Path(args.out)
    _prepare(out)
    templates, submissions, reports = out / "templates", out / "submissions", out / "reports"
    reports.mkdir()
    defns = [load_rubric(rid) for rid in builtin_ids()]
    cases = population(year=args.year)

    with _progress(console) as progress:
        jobs = [(defn.id, variant, str(templates)) for defn in defns for variant in ("udf", "native")]
        task = progress.add_task("1/5 生成模板", total=len(jobs))
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for _path in pool.map(_build_one, jobs):
                progress.advance(task)

        task = progress.add_task("2/5 填写报送", total=len(cases))
        written = []
        for i, case in enumerate(cases):
            defn = load_rubric(case["rubric"])
            # Units without the Python add-in use the native-formula variant: about one in four here.
            variant = "native" if i % 4 == 3 else "udf"
            dst = submissions / output_name(case, i, variant)
            fill_case(defn, case, dst, variant, templates / template_name(defn.id, variant))
            written.append((case, dst))
            progress.advance(task)

        task = progress.add_task("3/5 放入问题样本", total=1)
        planted = plant(written, templates)
        progress.advance(task)

        files = sorted(submissions.glob("*.xlsx"))
        task = progress.add_task("4/5 批量校验", total=len(files))
        results = run(files, on_done=lambda _r: progress.advance(task))
        write_json(results, reports / "validate.json")
        write_junit(results, reports / "validate.junit.xml")
        write_xlsx(results, reports / "问题清单.xlsx")

        task = progress.add_task("5/5 跨单位汇总", total=1)
        summary = build_summary([submission_of(r) for r in results], [str(submissions)])
        summary_xlsx, summary_json = out / "汇总.xlsx", out / "汇总.json"
        write_summary(summary, summary_xlsx)
        write_summary_json(summary, summary_json)
        progress.advance(task)

    invalid = {Path(r.path).name for r in results if r.status != "valid"}
    for r in results:
        if r.status != "valid":
            first = r.findings[0] if r.findings else None
            console.print(f"  [red]不通过[/] {Path(r.path).name}:{first.message if first else ''}")
    print_summary(summary, console)
    problems = {(p.kind, p.unit, p.rubric) for p in summary.problems}
    found = planted.expected_invalid <= invalid and invalid <= planted.expected_invalid
    found = found and planted.expected_problems <= problems
    console.rule()
    _where(console, out, templates, submissions, reports, summary_xlsx, summary_json)
    seconds = time.perf_counter() - start
    if found:
        console.print(
            f"[green]演示完成[/](用时{seconds:.0f}秒):{len(results) - len(invalid)} 份报送通过校验,"
            f"{len(invalid)} 份问题样本和 {len(planted.expected_problems)} 项汇总问题均被发现。"
        )
        return 0
    console.print(
        f"[red]演示结果不符合预期[/]:不通过的文件 {sorted(invalid)},应为 {sorted(planted.expected_invalid)};"
        f"未发现的汇总问题 {sorted(planted.expected_problems - problems, key=str)}"
    )
    return 1


def _where(console: Console, out: Path, *paths: Path) -> None:
    names = ("模板", "报送文件", "校验报告", "汇总工作簿", "汇总 JSON")
    for name, path in zip(names, paths, strict=True):
        count = f"({sum(1 for p in path.iterdir() if p.is_file())} 个文件)" if path.is_dir() else ""
        console.print(f"  {name:<8}{path}{count}")
    console.print(f"  全部输出在 {out}/;用 Excel/WPS 打开 {out}/汇总.xlsx 查看汇总")


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="演示:生成模板 → 填写约40个单位的报送 → 校验 → 跨单位汇总")
    demo.add_argument("--out", default=DEFAULT_OUT, help=f"输出目录(默认 ./{DEFAULT_OUT})")
    demo.add_argument("--year", type=int, default=2025, help="演示年度(默认 2025)")
    demo.set_defaults(func=cmd_demo)
