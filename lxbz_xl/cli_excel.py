"""`lxbz excel config|lite`: the files that make a template's LXBZ_* formulas live in Excel.

The work is done in udfs.deploy; this module only wires it into the `lxbz` command line (cli.py calls
`register(subparsers)`). Exit codes as elsewhere: 0 ok, 1 findings, 2 input or usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    excel = subparsers.add_parser(
        "excel", help="Excel 自定义函数(LXBZ_*):经典 xlwings 设置、xlwings Lite 构建"
    )
    sub = excel.add_subparsers(dest="excel_command", required=True)

    config = sub.add_parser(
        "config",
        help="写出经典 xlwings 的设置(xlwings.conf 文件和工作表)及操作步骤",
        description="写出 xlwings.conf(放在工作簿所在文件夹)、xlwings.conf.xlsx(可复制进模板的设置表)和操作步骤。",
    )
    config.add_argument(
        "--out",
        type=Path,
        default=Path("build/xlwings_classic"),
        metavar="DIR",
        help="输出目录(默认 build/xlwings_classic)",
    )
    config.add_argument(
        "--interpreter",
        metavar="PATH",
        help="Excel 调用的 pythonw.exe(默认:在 Windows 上为当前环境的 pythonw.exe)",
    )
    config.add_argument(
        "--codepage",
        default="cp936",
        metavar="CP",
        help="xlwings.conf 文件的编码,即 Windows 系统代码页(默认 cp936,简体中文;开启 UTF-8 支持时用 utf-8)",
    )
    config.set_defaults(func=cmd_config)

    lite = sub.add_parser(
        "lite",
        help="构建 xlwings Lite 所需的 wheel、main.py 和 requirements.txt",
        description="构建纯 Python 的 lxbz-xl wheel,写出 main.py、requirements.txt 和操作步骤,并检查依赖可在 Pyodide 中安装。",
    )
    lite.add_argument(
        "--out",
        type=Path,
        default=Path("build/xlwings_lite"),
        metavar="DIR",
        help="输出目录(默认 build/xlwings_lite)",
    )
    lite.add_argument("--wheel-url", metavar="URL", help="wheel 的 HTTPS 地址(写入 requirements.txt)")
    lite.add_argument("--wheel", type=Path, metavar="FILE", help="使用已构建的 wheel,不再构建")
    lite.add_argument("--no-build", action="store_true", help="不构建 wheel,只写 main.py 和 requirements.txt")
    lite.set_defaults(func=cmd_lite)

    rebind = sub.add_parser(
        "rebind",
        help="重新输入工作簿中所有含 LXBZ_ 的公式并重算(公式显示 #NAME? 时),需要本机的 Excel",
        description="通过 xlwings 在本机 Excel 中打开工作簿,重新输入所有含 LXBZ_ 的公式(使 Excel 绑定到函数)并重算、保存。"
        "没有 Excel 时说明应如何操作。",
    )
    rebind.add_argument("file", type=Path, metavar="FILE", help="工作簿(.xlsm / .xlsx)")
    rebind.set_defaults(func=cmd_rebind)


def cmd_config(args: argparse.Namespace) -> int:
    from udfs.deploy import PLACEHOLDER_INTERPRETER, ConfEncodingError, write_config

    try:
        files = write_config(args.out, args.interpreter, args.codepage)
    except ConfEncodingError as exc:
        print(f"错误:{exc}")
        return 2
    for path in files:
        print(path)
    if (args.interpreter or "") == "" and PLACEHOLDER_INTERPRETER in files[0].read_text(encoding="utf-8"):
        print(
            f"注意:不在 Windows 上运行,Interpreter_Win 暂写为 {PLACEHOLDER_INTERPRETER};请按实际路径修改或用 --interpreter"
        )
    return 0


def cmd_lite(args: argparse.Namespace) -> int:
    from udfs.deploy import build_lite

    if args.wheel is not None and not args.wheel.is_file():
        print(f"找不到 wheel:{args.wheel}")
        return 2
    try:
        built = build_lite(args.out, wheel_url=args.wheel_url, wheel=args.wheel, build=not args.no_build)
    except RuntimeError as exc:
        print(exc)
        return 2
    for path in built.files:
        print(path)
    print(f"纯 Python 依赖:{', '.join(sorted(built.deps.pure))}")
    print(f"Pyodide 自带的编译依赖:{', '.join(sorted(built.deps.pyodide))}")
    for problem in built.problems:
        print(f"问题:{problem}")
    return 1 if built.problems else 0


def cmd_rebind(args: argparse.Namespace) -> int:
    from udfs.rebind import WHAT_TO_DO, done_message, excel_unavailable, rebind_file

    if not args.file.is_file():
        print(f"错误:找不到工作簿 {args.file}")
        return 2
    reason = excel_unavailable()
    if reason is not None:
        print(f"无法在本机重新绑定 {args.file}:{reason}。\n{WHAT_TO_DO}")
        return 1
    n = rebind_file(args.file.resolve())
    print(f"{args.file}:{done_message(n)}")
    return 0
