"""`lxbz` command line. Terse output; exit codes: 0 ok, 1 findings, 2 input or usage error."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from lxbz_xl.case import Case, CaseFileError, read_case_file
from lxbz_xl.cohort import evaluate_cohort
from lxbz_xl.definition.loader import DefinitionError, all_inputs, builtin_ids, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import TYPE_WORDS, dec, range_text, resolve_num
from lxbz_xl.report_table import print_result, print_summary

# Sub-commands contributed by the Excel, template and validation modules, when present.
PLUGINS = (
    "lxbz_xl.cli_excel",
    "lxbz_xl.cli_templates",
    "lxbz_xl.cli_validate",
    "lxbz_xl.cli_summary",
    "lxbz_xl.cli_demo",
)


def _cases(paths: list[str]) -> tuple[list[Case], list[str]]:
    cases: list[Case] = []
    problems: list[str] = []
    for raw in paths:
        try:
            cases.extend(read_case_file(raw))
        except CaseFileError as exc:
            problems.append(str(exc))
    return cases, problems


def local_loader(path: str | None) -> Callable[[str], RubricDefinition]:
    """Rubric references resolved against a local rubric file first (raises DefinitionError if unsound)."""
    if not path:
        return load_rubric
    custom = load_rubric(path)

    def load(ref: str) -> RubricDefinition:
        # Cases naming the edited rubric (by id or Chinese name) are scored against the local file.
        return custom if ref in (custom.id, custom.name, custom.short_name) else load_rubric(ref)

    return load


def cmd_score(args: argparse.Namespace) -> int:
    console = Console(highlight=False, width=160)
    if args.from_workbook:
        from lxbz_xl.cli_validate import score_workbook  # type: ignore[attr-defined]

        if not args.write:
            console.print("需要 --write OUT 指定输出文件")
            return 2
        return int(score_workbook(Path(args.from_workbook), Path(args.write)))
    if not args.cases:
        console.print("用法:lxbz score CASE... [--format table|json]")
        return 2
    try:
        load = local_loader(args.rubric)
    except DefinitionError as exc:
        console.print(str(exc), style="red", markup=False, soft_wrap=True)
        return 2
    cases, problems = _cases(args.cases)
    unknown = []
    for case in cases:
        try:
            load(case.rubric)
        except DefinitionError as exc:
            unknown.append(case)
            problems.append(f"{case.source}:{exc}")
    batch = evaluate_cohort([c for c in cases if c not in unknown], load)
    failed = bool(problems) or any(r.errors for r in batch.results)
    if args.format == "json":
        records = [r.to_json() for r in batch.results]
        records += [
            {"source": p.split(":")[0], "errors": [{"field": "file", "message": p}]} for p in problems
        ]
        payload = {"cases": records, "summary": batch.summary} if args.with_summary else records
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in batch.results:
            print_result(console, r)
        for p in problems:
            console.print(f"[red]无法评分[/red] {p}")
        print_summary(console, batch.summary)
    return 2 if failed else 0


def _field_line(defn: RubricDefinition, spec_path: str, spec: object) -> tuple[str, str, str, str]:
    from lxbz_xl.definition.fields import FieldSpec

    assert isinstance(spec, FieldSpec)
    lo = resolve_num(defn, spec.min) if spec.min is not None and not str(spec.min).startswith("@") else None
    hi = resolve_num(defn, spec.max) if spec.max is not None and not str(spec.max).startswith("@") else None
    if spec.type == "count":
        allowed = range_text(lo or 0, hi) if hi is not None else "≥0"
        if isinstance(spec.max, str) and spec.max.startswith("@"):
            allowed += f",不大于{spec.max[1:]}"
    elif spec.type == "enum":
        allowed = "/".join(v if spec.label_of(v) == v else f"{v}({spec.label_of(v)})" for v in spec.values)
    elif spec.type in ("votes", "ballots"):
        allowed = "/".join(spec.values)
    elif spec.type in ("number", "numbers"):
        allowed = range_text(lo, hi, spec.unit == "%")
    elif spec.type == "records":
        allowed = "每条:" + "、".join(f"{f.path}({f.label})" for f in spec.fields)
    else:
        allowed = "是/否" if spec.type == "bool" else ""
    need = "必填" if spec.required else f"选填{'' if spec.default is None else f',缺省{spec.default}'}"
    return spec_path, spec.label, TYPE_WORDS[spec.type], f"{allowed}({need})"


def cmd_rubrics(args: argparse.Namespace) -> int:
    console = Console(highlight=False, width=160)
    if args.action == "check":
        return _check_rubrics(console, args.id)
    if args.action == "list" or not args.id:
        for rid in builtin_ids():
            d = load_rubric(rid)
            console.print(f"{rid:<20} {d.version:<8} {d.name}")
        return 0
    try:
        d = load_rubric(args.id[0])
    except DefinitionError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    console.print(f"[bold]{d.id}[/bold] {d.name}(版本{d.version},来源:种子{d.source.seed})")
    if d.description:
        console.print(d.description)
    from rich.table import Table

    table = Table("字段", "中文名称", "类型", "允许范围", box=None)
    for spec in all_inputs(d):
        table.add_row(*_field_line(d, spec.path, spec))
    if d.members:
        for spec in d.members.inputs:
            table.add_row(*_field_line(d, f"{d.members.key}[].{spec.path}", spec))
    if d.roster:
        for spec in d.roster.columns:
            table.add_row(*_field_line(d, f"{d.roster.key}[].{spec.path}", spec))
    console.print(table)
    pending = [
        f"{p.label}={pct(dec(p.value)) if p.unit == '%' else fmt(dec(p.value))}"
        for p in d.parameters.values()
        if p.pending_local
    ]
    if pending:
        console.print("待本地确定的参数:" + "、".join(pending))
    if d.tiers is not None:  # RUBRICS.md §11: what each final tier means
        for tier, rules in d.tiers.consequences.items():
            console.print(f"结果运用({tier}):" + "/".join(r.action for r in rules))
        if d.tiers.promotable is not None:
            console.print(f"可选拔担任上一级领导职务的档次:{'、'.join(d.tiers.promotable)}")
    return 0


def _check_rubrics(console: Console, refs: list[str]) -> int:
    """`lxbz rubrics check FILE…`: 0 when every file is sound, 2 with every problem of every file listed."""
    if not refs:
        console.print("用法:lxbz rubrics check FILE.yaml…")
        return 2
    status = 0
    for ref in refs:
        try:
            defn = load_rubric(ref)
        except DefinitionError as exc:
            status = 2
            console.print(f"[red]有问题[/red] {ref}:{len(exc.problems)}处")
            for line in str(exc).splitlines():
                console.print(f"  {line}", markup=False, soft_wrap=True)
            continue
        console.print(f"[green]通过[/green] {ref}({defn.id} 版本{defn.version})")
    return status


def cmd_test(args: argparse.Namespace) -> int:
    """Run YAML spec cases (input → expected), OpenFisca-style, for people who edit rubric files."""
    from lxbz_xl.spec_cases import collect, run

    console = Console(highlight=False, width=160)
    try:
        load = local_loader(args.rubric)
    except DefinitionError as exc:
        console.print(str(exc), markup=False, soft_wrap=True)
        return 2
    cases = collect([Path(p) for p in args.paths])
    if not cases:
        console.print("没有找到测试案例(*.yaml)")
        return 2
    failed = 0
    for case in cases:
        try:
            problems = run(case, load)
        except DefinitionError as exc:
            problems = [str(exc)]
        if problems:
            failed += 1
            console.print(f"[red]FAIL[/red] {case.id}")
            for p in problems:
                console.print(f"     {p}")
    console.print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lxbz", description="考评细则评分、Excel 模板与批量校验")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser("score", help="对案例文件(YAML/JSON)评分")
    score.add_argument("cases", nargs="*", help="案例文件")
    score.add_argument("--format", choices=("table", "json"), default="table")
    score.add_argument("--rubric", help="使用自定义的考评细则 YAML 文件")
    score.add_argument("--with-summary", action="store_true", help="JSON 输出包含跨单位汇总")
    score.add_argument("--from-workbook", help="从填好的工作簿重新计算")
    score.add_argument("--write", help="与 --from-workbook 一起使用:写出重新计算的副本")
    score.set_defaults(func=cmd_score)
    rubrics = sub.add_parser("rubrics", help="列出或查看考评细则及其字段")
    rubrics.add_argument("action", choices=("list", "show", "check"), help="check:检查考评细则文件")
    rubrics.add_argument("id", nargs="*", help="考评细则标识或 YAML 文件(check 可给多个)")
    rubrics.set_defaults(func=cmd_rubrics)
    test = sub.add_parser("test", help="运行 YAML 测试案例(输入 → 预期结果)")
    test.add_argument("paths", nargs="+", help="案例文件或目录,如 tests/spec_cases")
    test.add_argument("--rubric", help="用本地考评细则 YAML 文件运行案例(案例中同名的细则)")
    test.set_defaults(func=cmd_test)
    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
