"""`lxbz demo`: the main job end to end, on the shipped example cases.

score the examples → build the templates → fill sample submissions → plant a few bad and hostile ones →
validate the folder (console, JSON, JUnit and findings workbook). Exit 0 when every step behaved as
expected: clean submissions valid, each planted problem found.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cases"
MARKER = ".lxbz-demo"


def _step(console: Console, n: int, text: str) -> None:
    console.rule(f"[bold]{n}/5 {text}[/bold]")


def _prepare(out: Path) -> None:
    """Start from an empty folder; only a folder the demo made itself is ever cleared."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise SystemExit(f"{out} 不是空目录,也不是演示目录;请换一个 --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("lxbz demo output\n", encoding="utf-8")


def _plant(submissions: Path, console: Console) -> list[str]:
    """Copies of good submissions with typical problems, plus hostile files. Returns their file names."""
    import openpyxl

    from lxbz_xl.definition.loader import load_rubric
    from lxbz_xl.workbook.layout import layout_for

    planted: list[str] = []
    source = next(iter(sorted(submissions.glob("*learning_team*.xlsx"))), None)
    if source is not None:
        layout = layout_for(load_rubric("learning_team"))
        by_path = layout.by_path()
        total, first = by_path["total"], by_path["items.1.missing_elements"]
        wb = openpyxl.load_workbook(source)
        wb[total.sheet][total.ref] = 100  # a formula overwritten with a typed total
        tampered = submissions / "篡改_总分改为数值.xlsx"
        wb.save(tampered)
        wb = openpyxl.load_workbook(source)
        wb[first.sheet][first.ref] = 4  # 4 missing elements on a 3-element clause
        bad = submissions / "输入超范围_缺项数4.xlsx"
        wb.save(bad)
        planted += [tampered.name, bad.name]
    fake = submissions / "伪装成xlsx的PDF.xlsx"
    fake.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    broken = submissions / "损坏的文件.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    planted += [fake.name, broken.name]
    console.print("已放入问题样本:" + "、".join(planted))
    return planted


def cmd_demo(args: argparse.Namespace) -> int:
    from lxbz_xl.cli import main

    console = Console(highlight=False, width=160)
    out = Path(args.out)
    _prepare(out)
    examples = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    templates, submissions, reports = out / "templates", out / "submissions", out / "reports"

    _step(console, 1, "评分:示例案例(含跨单位资格链、排序与名额)")
    if main(["score", *examples]) != 0:
        console.print("[red]示例案例评分失败[/red]")
        return 1
    _step(console, 2, "由考评细则生成模板(LXBZ函数版 + 原生公式版)")
    if main(["templates", "build", "--out", str(templates)]) != 0:
        return 1
    console.print(f"模板:{templates}({len(list(templates.glob('*.xlsx')))} 个文件)")
    _step(console, 3, "把示例案例填入模板,生成报送工作簿")
    if main(["fill", *examples, "--out", str(submissions), "--templates", str(templates)]) != 0:
        return 1
    native = submissions / "原生公式版"
    if (
        main(["fill", *examples, "--out", str(native), "--templates", str(templates), "--variant", "native"])
        != 0
    ):
        return 1
    _step(console, 4, "放入几份有问题的报送(篡改、超范围、伪装、损坏)")
    planted = _plant(submissions, console)
    _step(console, 5, "批量校验报送文件夹")
    reports.mkdir(exist_ok=True)
    code = main(
        [
            "validate",
            str(submissions),
            "--json",
            str(reports / "validate.json"),
            "--junit",
            str(reports / "validate.junit.xml"),
            "--xlsx",
            str(reports / "问题清单.xlsx"),
        ]
    )
    records: list[dict[str, Any]] = json.loads((reports / "validate.json").read_text(encoding="utf-8"))
    if isinstance(records, dict):  # tolerate a wrapped report
        records = records.get("workbooks", [])
    invalid = {Path(r["path"]).name for r in records if r.get("status") != "valid"}
    expected_ok = code == 1 and set(planted) <= invalid and invalid <= set(planted)
    console.rule()
    console.print(f"报告:{reports}/validate.json、validate.junit.xml、问题清单.xlsx")
    if expected_ok:
        console.print(
            f"[green]演示完成[/green]:{len(records) - len(invalid)} 份报送通过校验,{len(invalid)} 份问题样本均被发现。"
        )
        return 0
    console.print(
        f"[red]演示结果不符合预期[/red]:校验退出码 {code};发现问题的文件:{sorted(invalid)};放入的问题样本:{planted}"
    )
    return 1


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="演示:评分 → 生成模板 → 填写 → 校验 → 报告")
    demo.add_argument("--out", default="out/demo", help="输出目录(默认 out/demo)")
    demo.set_defaults(func=cmd_demo)
