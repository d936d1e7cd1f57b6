"""`lxbz templates build|preview` and `lxbz fill`: workbook templates generated from the rubric data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lxbz_xl.case import CaseFileError, read_case_file
from lxbz_xl.definition.loader import DefinitionError, builtin_ids, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.definition.years import year_arg
from lxbz_xl.engine.evaluate import evaluate


def _rubrics(files: list[str] | None) -> tuple[list[RubricDefinition], dict[str, str]]:
    """Definitions to build, and the YAML text of those given as files (embedded in the workbook)."""
    if not files:
        return [load_rubric(r) for r in builtin_ids()], {}
    defns, sources, problems = [], {}, []
    for f in files:  # every file is checked before anything is written, and every problem reported
        try:
            defn = load_rubric(f)
        except DefinitionError as exc:
            problems.append(exc)
            continue
        defns.append(defn)
        if Path(f).is_file():
            sources[defn.id] = Path(f).read_text(encoding="utf-8")
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise _Several(problems)
    return defns, sources


class _Several(DefinitionError):
    """Problems of several rubric files, each line already naming its file."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        self.file = "、".join(e.file for e in errors)
        self.problems = [p for e in errors for p in e.problems]
        ValueError.__init__(self, "\n".join(str(e) for e in errors))


def cmd_build(args: argparse.Namespace) -> int:
    from lxbz_xl.workbook.build import DEFAULT_DIR, build_all

    try:
        defns, refs = _rubrics(args.rubric)
    except DefinitionError as exc:
        print(f"错误:{exc}")
        return 2
    out = Path(args.out) if args.out else DEFAULT_DIR
    variants = ("udf", "native") if args.variant == "all" else (args.variant,)
    try:
        for path in build_all(defns, out, variants, refs, args.year):
            print(path)
    except ValueError as exc:  # a year before a dated parameter's first start date
        print(f"错误:{exc}")
        return 2
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from lxbz_xl.office import LibreOfficeError
    from lxbz_xl.workbook.build import DEFAULT_DIR
    from lxbz_xl.workbook.preview import preview_all

    templates = Path(args.templates) if args.templates else DEFAULT_DIR
    out = Path(args.out) if args.out else Path("docs/img")
    try:
        for png in preview_all(templates, out, sample=not args.blank, pdf=args.pdf):
            print(png)
    except LibreOfficeError as exc:
        print(f"错误:{exc}")
        return 2
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
    from lxbz_xl.workbook.cases import FillError
    from lxbz_xl.workbook.fill import case_mapping, fill_case, output_name

    out = Path(args.out)
    templates = Path(args.templates) if args.templates else DEFAULT_DIR
    status = 0
    index = 0
    written: set[Path] = set()
    built: dict[int | None, Path] = {}
    for raw in args.cases:
        try:
            cases = read_case_file(raw)
        except CaseFileError as exc:
            print(f"错误:{exc}")
            status = 2
            continue
        for case in cases:
            index += 1
            try:
                defn = load_rubric(args.rubric or case.rubric)
                mapping: dict[str, Any] = case_mapping(case, defn)
                if args.rubric:
                    mapping["rubric"] = defn.id
                dst = out / output_name(mapping, index, args.variant)
                if dst in written:  # two cases of the same unit and year in this run: keep both
                    dst = dst.with_name(f"{dst.stem}_{index}{dst.suffix}")
                template = templates / template_name(defn.id, args.variant)
                if defn.dated:  # dated parameters: the form of the case's own year, built here
                    template = _year_template(defn, args, case.year, built)
                fill_case(defn.fixed(case.year), mapping, dst, args.variant, template)
            except (DefinitionError, FillError, ValueError) as exc:
                print(f"错误:{case.source}:{exc}")
                status = 2
                continue
            written.add(dst)
            errors = evaluate(defn, mapping).errors if "roster" not in mapping else []
            if errors:
                print(f"警告:{case.source}:{errors[0].message}(已写入,结果单元格显示错误或空白)")
                status = max(status, 1)
            print(dst)
    return status


def _year_template(defn: RubricDefinition, args: argparse.Namespace, year: int | None, built: dict) -> Path:
    """The template of `year`'s rules for a rubric with dated parameters, built once per run into a
    temporary folder (the committed templates carry the latest values). Raises ValueError (Chinese) for
    a year before a parameter's first start date."""
    import atexit
    import shutil
    import tempfile

    from lxbz_xl.workbook.build import build_template

    if year not in built:
        tmp = Path(tempfile.mkdtemp(prefix="lxbz-fill-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        source = (
            Path(args.rubric).read_text(encoding="utf-8")
            if args.rubric and Path(args.rubric).is_file()
            else None
        )
        built[year] = build_template(defn, tmp, args.variant, source, year)
    return built[year]


def register(subparsers: Any) -> None:
    templates = subparsers.add_parser("templates", help="生成或预览各考评细则的 Excel 模板")
    tsub = templates.add_subparsers(dest="templates_command", required=True)
    build = tsub.add_parser("build", help="由考评细则定义生成模板(LXBZ函数版与原生公式版)")
    build.add_argument("--out", help="输出目录(默认 workbook_templates/)")
    build.add_argument(
        "--rubric", nargs="+", metavar="FILE.yaml", help="只生成这些考评细则(标识或 YAML 文件)"
    )
    build.add_argument(
        "--variant", choices=("udf", "native", "all"), default="all", help="生成哪种模板(默认两种)"
    )
    build.add_argument(
        "--year",
        type=year_arg,
        default=None,
        help="按该年度生效的参数值生成(按年度取值的参数;默认:最新值),年度记入 _lxbz",
    )
    build.set_defaults(func=cmd_build)
    preview = tsub.add_parser("preview", help="用 LibreOffice 把模板渲染为 PDF/PNG 预览")
    preview.add_argument("--out", help="输出目录(默认 docs/img/)")
    preview.add_argument("--templates", help="模板目录(默认 workbook_templates/)")
    preview.add_argument("--blank", action="store_true", help="预览空白模板(默认填入示例案例)")
    preview.add_argument("--pdf", action="store_true", help="同时保存整本 PDF")
    preview.set_defaults(func=cmd_preview)
    from lxbz_xl.cli_prove import add_parser

    add_parser(tsub)  # templates prove
    fill = subparsers.add_parser("fill", help="把案例文件填入模板副本(含计算结果缓存值)")
    fill.add_argument("cases", nargs="+", metavar="CASE", help="案例文件(YAML/JSON)")
    fill.add_argument("--out", required=True, help="输出目录")
    fill.add_argument("--variant", choices=("udf", "native"), default="udf", help="模板种类(默认 udf)")
    fill.add_argument("--rubric", help="考评细则(覆盖案例中的 rubric;可为 YAML 文件)")
    fill.add_argument("--templates", help="模板目录(默认 workbook_templates/)")
    fill.set_defaults(func=cmd_fill)
