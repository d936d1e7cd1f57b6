"""`lxbz templates prove` (also `lxbz prove`): the three-way proof of any rubric, built in or from a file.

Exit 0: every recalculated cell equals the core; 1: mismatches (listed per named cell); 2: usage (a bad
rubric file, a missing formula engine, a bad number).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


def _missing_engine(variants: tuple[str, ...]) -> str | None:
    if "udf" in variants:
        try:
            import pycel  # noqa: F401

            import udfs.functions  # noqa: F401
        except ImportError as exc:
            return f"无法运行 LXBZ 函数版证明:缺少 {exc.name}(pip install pycel)"
    if "native" in variants:
        from lxbz_xl.office import find_soffice

        if find_soffice() is None:
            return "无法运行原生公式版证明:未安装 LibreOffice(soffice);可用 --variant udf 只证明函数版"
    return None


def _missing_templates(folder: str | None, defns: list[Any], variants: tuple[str, ...]) -> str | None:
    from lxbz_xl.workbook.build import template_name

    if folder is None:
        return None
    missing = [
        template_name(d.id, v)
        for d in defns
        for v in variants
        if not (Path(folder) / template_name(d.id, v)).is_file()
    ]
    return f"模板目录 {folder} 中缺少:{'、'.join(missing)}" if missing else None


def cmd_prove(args: argparse.Namespace) -> int:
    from lxbz_xl.cli_templates import _rubrics
    from lxbz_xl.definition.loader import DefinitionError
    from lxbz_xl.office import LibreOfficeError
    from lxbz_xl.workbook.proof import prove, report

    if args.cases < 1:
        print(f"错误:--cases 应为正整数,实为 {args.cases}")
        return EXIT_USAGE
    variants = ("udf", "native") if args.variant == "both" else (args.variant,)
    try:
        defns, sources = _rubrics([*(args.rubric or []), *args.ids] or None)
    except DefinitionError as exc:
        print(f"错误:{exc}")
        return EXIT_USAGE
    problem = _missing_engine(variants) or _missing_templates(args.templates, defns, variants)
    if problem:
        print(f"错误:{problem}")
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="lxbz-prove-") as tmp:
        try:
            templates = Path(args.templates) if args.templates else None
            proofs = prove(defns, args.cases, args.seed, Path(tmp), variants, sources, templates)
        except LibreOfficeError as exc:
            print(f"错误:{exc}")
            return EXIT_USAGE
    for line in report(proofs):
        print(line)
    bad = sum(1 for p in proofs if p.mismatches)
    if bad:
        print(f"不一致:{bad}项(考评细则 × 模板种类)与核心计算结果不同")
        return EXIT_MISMATCH
    print(f"全部一致:{len(defns)}个考评细则,每个{args.cases}例")
    return EXIT_OK


def add_parser(subparsers: Any, name: str = "prove") -> None:
    prove = subparsers.add_parser(
        name, help="三方证明:核心计算、LXBZ函数版(pycel)与原生公式版(LibreOffice)逐格一致"
    )
    prove.add_argument("ids", nargs="*", metavar="RUBRIC_ID", help="考评细则标识(默认全部内置细则)")
    prove.add_argument("--rubric", nargs="+", metavar="FILE.yaml", help="考评细则 YAML 文件(可不是内置细则)")
    prove.add_argument("--cases", type=int, default=20, help="每个细则生成的案例数(边界值 + 随机,默认 20)")
    prove.add_argument("--seed", type=int, default=0, help="随机种子(默认 0)")
    prove.add_argument("--templates", help="证明此目录中已生成的模板(默认按考评细则现场生成)")
    prove.add_argument(
        "--variant", choices=("udf", "native", "both"), default="both", help="证明哪种模板(默认两种)"
    )
    prove.set_defaults(func=cmd_prove)


def register(subparsers: Any) -> None:
    add_parser(subparsers)
