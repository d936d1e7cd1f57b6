"""`lxbz` command line. Terse output.

Exit codes, the same for every subcommand: 0 ok, 1 findings, 2 input or usage error, 3 internal error
(a crash of lxbz itself: one Chinese line on stderr, the traceback only with LXBZ_DEBUG=1).

Starts fast: nothing is imported at module level beyond the standard library; each command imports what
it uses when it runs, and a sub-command contributed by another module is imported only when it is the
command given (all of them for `lxbz --help` or an unknown command). See bench/cli_start.py.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxbz_xl.definition import lite

if TYPE_CHECKING:
    from lxbz_xl.case import Case
    from lxbz_xl.definition.rubric import RubricDefinition
    from lxbz_xl.result import Result

# Sub-commands contributed by the Excel, template and validation modules (command → module), when present.
PLUGINS = {
    "excel": "lxbz_xl.cli_excel",
    "templates": "lxbz_xl.cli_templates",
    "fill": "lxbz_xl.cli_templates",
    "validate": "lxbz_xl.cli_validate",
    "summary": "lxbz_xl.cli_summary",
    "demo": "lxbz_xl.cli_demo",
    "prove": "lxbz_xl.cli_prove",
}
CORE_COMMANDS = ("score", "rubrics", "test")


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, width=160)


def _cases(paths: list[str]) -> tuple[list[Case], list[str]]:
    from lxbz_xl.case import CaseFileError, read_case_file

    cases: list[Case] = []
    problems: list[str] = []
    for raw in paths:
        try:
            cases.extend(read_case_file(raw))
        except CaseFileError as exc:
            problems.append(str(exc))
    return cases, problems


def local_loader(path: str | None) -> Callable[[str], RubricDefinition]:
    """Rubric references resolved against a local rubric file first, then built-ins by id or Chinese name.

    `path` is a file the user named on the command line (`--rubric my.yaml`); references read from case
    files are never opened as paths (lxbz_xl.rubric_ref). Raises DefinitionError if the file is unsound.
    """
    from lxbz_xl.definition.loader import load_rubric
    from lxbz_xl.rubric_ref import by_id

    if not path:
        return functools.partial(by_id, names=True)
    custom = load_rubric(path)

    def load(ref: str) -> RubricDefinition:
        # Cases naming the edited rubric (by id or Chinese name) are scored against the local file.
        return custom if ref in (custom.id, custom.name, custom.short_name) else by_id(ref, names=True)

    return load


def cmd_score(args: argparse.Namespace) -> int:
    from lxbz_xl.cohort import evaluate_cohort
    from lxbz_xl.definition.loader import DefinitionError

    settled()
    if args.from_workbook:
        from lxbz_xl.cli_validate import score_workbook  # type: ignore[attr-defined]

        if not args.write:
            _console().print("需要 --write OUT 指定输出文件")
            return 2
        return int(score_workbook(Path(args.from_workbook), Path(args.write)))
    if not args.cases:
        _console().print("用法:lxbz score CASE... [--format table|json]")
        return 2
    try:
        load = local_loader(args.rubric)
    except DefinitionError as exc:  # every problem, one per line, unwrapped (paths and names stay whole)
        from lxbz_xl.validation.safe_text import console as esc

        _console().print(esc(exc), style="red", soft_wrap=True)
        return 2
    cases, problems = _cases(args.cases)
    unknown = []
    for case in cases:
        try:
            defn = load(case.rubric)
        except DefinitionError as exc:
            unknown.append(case)
            problems.append(f"{case.source}:{'; '.join(exc.problems)}")
            continue
        if case.rubric_version is not None and case.rubric_version != defn.version:
            unknown.append(case)
            problems.append(
                f"{case.source}:rubric(考评细则标识)要求版本{case.rubric_version},"
                f"而“{defn.short_name}”当前为版本{defn.version}"
            )
    batch = evaluate_cohort([c for c in cases if c not in unknown], load)
    failed = bool(problems) or any(r.errors for r in batch.results)
    if args.format == "json":
        records = [r.to_json() for r in batch.results]
        records += [
            {"source": p.split(":")[0], "errors": [{"field": "file", "message": p}]} for p in problems
        ]
        payload = {"cases": records, "summary": batch.summary} if args.with_summary else records
        import json

        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        print_table(batch.results, problems, batch.summary)
    return 2 if failed else 0


def print_table(results: Sequence[Result], problems: list[str], summary: list[str]) -> None:
    """The readable report: rich on a terminal; to a pipe or file the same bytes without importing rich
    (lxbz_xl/plain_text.py), unless the text needs rich's own layout."""
    from lxbz_xl import plain_text
    from lxbz_xl.report_table import RichReport, print_report

    if plain_text.applies(sys.stdout):
        plain = plain_text.PlainReport()
        try:
            print_report(plain, results, problems, summary)
        except plain_text.Unsupported:
            pass
        else:
            sys.stdout.write(plain.text())
            return
    print_report(RichReport(_console()), results, problems, summary)


def _field_line(defn: RubricDefinition, spec_path: str, spec: object) -> tuple[str, str, str, str]:
    from fractions import Fraction

    from lxbz_xl.definition.fields import FieldSpec
    from lxbz_xl.inputs import TYPE_WORDS, range_text, resolve_num

    assert isinstance(spec, FieldSpec)
    lo = resolve_num(defn, spec.min) if spec.min is not None and not str(spec.min).startswith("@") else None
    hi = resolve_num(defn, spec.max) if spec.max is not None and not str(spec.max).startswith("@") else None
    if spec.type == "count":
        allowed = range_text(lo or Fraction(0), hi) if hi is not None else "≥0"
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
    # Unset `required` means required wherever inputs.read_fields reads the field (unit, member and roster
    # fields alike); item clause inputs arrive here already resolved by all_inputs (absent = nothing found).
    default = ("是" if spec.default else "否") if isinstance(spec.default, bool) else spec.default
    need = "必填" if spec.required is not False else f"选填{'' if default is None else f',缺省{default}'}"
    return spec_path, spec.label, TYPE_WORDS[spec.type], f"{allowed}({need})"


def _year_arg(text: str) -> int:
    from lxbz_xl.definition.years import year_arg

    return year_arg(text)


def cmd_rubrics(args: argparse.Namespace) -> int:
    from lxbz_xl.definition.loader import DefinitionError, all_inputs, builtin_ids, load_rubric
    from lxbz_xl.exact import fmt, pct
    from lxbz_xl.inputs import dec

    console = _console()
    if args.action == "check":
        return _check_rubrics(console, args.id)
    if args.action == "release":
        return _release_rubrics(console, [*args.id, *args.rubric], args.out)
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
    from lxbz_xl.definition.years import dated_lines, year_label

    whole = d
    try:
        d = d.fixed(args.year)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    console.print(f"[bold]{d.id}[/bold] {d.name}(版本{d.version},来源:种子{d.source.seed})")
    if whole.dated:
        console.print(f"参数取值年度:{year_label(args.year)}(--year 可选其他年度)")
        for line in dated_lines(whole):
            console.print(f"按年度取值:{line}")
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


def _release_rubrics(console: Any, refs: list[str], out: str | None) -> int:
    """`lxbz rubrics release [FILE|ID…] [--out DIR]`: snapshot each rubric's templates as released; 2 when a
    different snapshot of the same version exists (bump the version) or a file does not load."""
    from lxbz_xl.definition.loader import DefinitionError, builtin_ids, load_rubric
    from lxbz_xl.validation.context import Context, releases_dir
    from lxbz_xl.validation.releases import ReleaseConflict, release
    from lxbz_xl.validation.safe_text import console as esc

    directory = Path(out) if out else releases_dir()
    status = 0
    for ref in refs or builtin_ids():
        try:
            defn = load_rubric(ref)
        except DefinitionError as exc:
            console.print(f"[red]{esc(str(exc))}[/red]")
            status = 2
            continue
        rctx = Context(releases_dir=directory, custom={defn.id: defn}).rubric(defn.id)
        assert rctx is not None
        try:
            path, written = release(rctx, directory)
        except ReleaseConflict as exc:
            console.print(f"[red]拒绝覆盖[/red] {esc(str(exc))}")
            status = 2
            continue
        console.print(f"{'已记录' if written else '未变(与已记录的快照相同)'} {esc(str(path))}")
    return status


def _check_rubrics(console: Any, refs: list[str]) -> int:
    """`lxbz rubrics check FILE…`: 0 when every file is sound, 2 with every problem of every file listed."""
    from lxbz_xl.definition.loader import DefinitionError, load_rubric

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
    from lxbz_xl.definition.loader import DefinitionError
    from lxbz_xl.spec_cases import collect, run

    console = _console()
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


def _plugin_modules(argv: Sequence[str] | None) -> list[str]:
    """The modules whose sub-commands the parser needs for this command line (None: all of them)."""
    command = next((a for a in argv or () if not a.startswith("-")), None) if argv is not None else None
    if command in CORE_COMMANDS:
        return []
    if command in PLUGINS:
        return [PLUGINS[command]]
    return list(dict.fromkeys(PLUGINS.values()))  # help, no command or an unknown one: list every command


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
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
    rubrics.add_argument(
        "action",
        choices=("list", "show", "check", "release"),
        help="check:检查考评细则文件;release:记录模板发布快照(<id>@<version>.json)",
    )
    rubrics.add_argument("id", nargs="*", help="考评细则标识或 YAML 文件(check、release 可给多个)")
    rubrics.add_argument(
        "--rubric",
        nargs="+",
        default=[],
        metavar="FILE.yaml",
        help="release:本地考评细则文件(默认全部内置细则)",
    )
    rubrics.add_argument(
        "--out", help="release:快照目录(默认 lxbz_xl/validation/releases/ 或 LXBZ_RELEASES_DIR)"
    )
    rubrics.add_argument(
        "--year", type=_year_arg, default=None, help="show:按该年度生效的参数值显示(默认:最新值)"
    )
    rubrics.set_defaults(func=cmd_rubrics)
    test = sub.add_parser("test", help="运行 YAML 测试案例(输入 → 预期结果)")
    test.add_argument("paths", nargs="+", help="案例文件或目录,如 tests/spec_cases")
    test.add_argument("--rubric", help="用本地考评细则 YAML 文件运行案例(案例中同名的细则)")
    test.set_defaults(func=cmd_test)
    for name in _plugin_modules(argv):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_CRASH = 0, 1, 2, 3

# The `lxbz` process pauses the cyclic garbage collector while a command imports its modules: start-up
# creates hundreds of thousands of long-lived objects (modules, pydantic model classes, a definition read
# from the cache), which the collector would scan again and again for nothing. `settled()` then moves them
# to the permanent generation (gc.freeze) and resumes collection, so neither the command's own work nor the
# final collection at exit rescans them. Only the process itself does this (main() without argv), never a
# caller in the same process (tests, the Excel UDF server).
_gc_paused = False


def settled() -> None:
    """A command has imported (and loaded) what it needs: collect cyclic garbage as usual from here on."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


@contextlib.contextmanager
def private_tmp() -> Iterator[Path | None]:
    """A temporary folder of this run, removed at the end whatever happens: whatever writes temporary
    files (openpyxl, template builds, worker processes, also ones killed by the watchdog) writes them
    here, so a run leaves nothing behind in TMPDIR but the outputs it was asked for."""
    import shutil
    import tempfile

    saved_env, saved_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    try:
        folder = Path(tempfile.mkdtemp(prefix="lxbz-run-"))
    except OSError:  # no writable temp folder: run as before rather than refuse to run
        yield None
        return
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved_dir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        shutil.rmtree(folder, ignore_errors=True)


def _may_write_temporary_files(args: argparse.Namespace) -> bool:
    """Every command but scoring case files (which reads YAML and prints) runs in a private_tmp()."""
    return not (args.command == "score" and not args.from_workbook)


def _light(args: argparse.Namespace) -> bool:
    """Whether this `lxbz` process can score without pydantic (definition/lite.py): scoring case files,
    with a rubric cache folder, definitions not imported yet, and not a run again after a lite.Miss
    (`LXBZ_LITE=0` also turns this off)."""
    if args.command != "score" or args.from_workbook or os.environ.get("LXBZ_LITE") == "0":
        return False
    if "lxbz_xl.definition.base" in sys.modules:
        return False
    from lxbz_xl.definition.cache import cache_dir

    where = cache_dir()
    return where is not None and where.is_dir()  # no cache yet (or none possible): nothing to read


def _again_with_pydantic(argv: list[str]) -> int:
    """Run this command again in a fresh process that loads rubric files with pydantic (and so fills the
    cache for the next run): the light process met something only that can do (lite.Miss)."""
    import subprocess

    env = {**os.environ, "LXBZ_LITE": "0"}
    return subprocess.call([sys.executable, "-m", "lxbz_xl.cli", *argv], env=env)


def main(argv: Sequence[str] | None = None) -> int:
    global _gc_paused
    process = argv is None  # the `lxbz` process itself, not a caller in the same process (tests)
    if process and gc.isenabled():  # see settled()
        _gc_paused = True
        gc.disable()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command != "score":
        settled()  # only `score` calls settled() itself, once its modules are imported; others may run long
    if process and _light(args):
        lite.ACTIVE = True
    try:
        with private_tmp() if _may_write_temporary_files(args) else contextlib.nullcontext():
            return int(args.func(args))
    except lite.Miss:  # nothing is printed before every definition is loaded
        settled()
        return _again_with_pydantic(argv)
    except KeyboardInterrupt:
        sys.stderr.write("已中断\n")
        return 130
    except Exception:  # the one place a crash becomes an exit code
        if os.environ.get("LXBZ_DEBUG") == "1":
            raise
        sys.stderr.write("lxbz 内部错误,已中止(退出码 3);设置 LXBZ_DEBUG=1 可查看详细信息\n")
        return EXIT_CRASH
    finally:
        settled()


if __name__ == "__main__":
    raise SystemExit(main())
