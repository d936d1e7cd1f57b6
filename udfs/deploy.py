"""What it takes to make a template's =LXBZ_*(…) formulas live in Excel, as files a person can hand over.

* Classic xlwings (Windows desktop Excel + local Python): the xlwings settings (`UDF Modules = udfs`, the
  interpreter) as an `xlwings.conf` file for the workbook's folder, as a ready `xlwings.conf` sheet, and
  step-by-step instructions. Importing the VBA wrappers ("Import Functions") still needs Excel itself.
* xlwings Lite (Microsoft 365, Pyodide): the pure-Python lxbz-xl wheel, `main.py` (udfs/lite_main.py,
  which only re-exports the functions) and `requirements.txt`, after checking that every dependency is
  pure Python or shipped by Pyodide.

Used by `lxbz excel config|lite` (lxbz_xl/cli_excel.py) and scripts/build_xlwings_lite.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

UDF_MODULE = "udfs"
PROJECT = "lxbz-xl"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
LITE_MAIN = Path(__file__).with_name("lite_main.py")
PLACEHOLDER_INTERPRETER = r"%USERPROFILE%\lxbz\.venv\Scripts\pythonw.exe"
PLACEHOLDER_WHEEL_URL = "https://你的服务器/路径/{wheel}"

# Packages with compiled parts that Pyodide itself ships, so xlwings Lite can install them anyway.
PYODIDE_PROVIDED = frozenset({"pydantic-core", "pyyaml"})
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


# ---------------------------------------------------------------- classic xlwings


def default_interpreter() -> str:
    """pythonw.exe of this environment on Windows (no console window per recalculation), else a placeholder."""
    if os.name != "nt":
        return PLACEHOLDER_INTERPRETER
    exe = Path(sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return str(windowless if windowless.is_file() else exe)


def conf_settings(interpreter: str) -> list[tuple[str, str]]:
    """(sheet key, value) in the spelling of the `_xlwings.conf` sheet that `xlwings quickstart` creates."""
    return [("Interpreter_Win", interpreter), ("UDF Modules", UDF_MODULE)]


# xlwings' VBA reads the directory xlwings.conf with `Open … For Input` / `Input #` (xlwings.bas,
# GetConfigFromFile): bytes in the system ANSI code page, which is GBK (cp936) on Simplified Chinese Windows.
# A UTF-8 file turns a non-ASCII interpreter path into mojibake there, so the file is written in that code
# page (`--codepage utf-8` for Windows set to "Beta: Use Unicode UTF-8 for worldwide language support").
CONF_CODEPAGE = "cp936"


class ConfEncodingError(ValueError):
    """A setting cannot be written in the code page xlwings' VBA reads the file in."""


def conf_file_text(settings: list[tuple[str, str]]) -> str:
    # The file format of xlwings.conf: one "KEY","VALUE" line each, keys upper case, Windows line ends.
    return "".join(f'"{key.upper()}","{value}"\r\n' for key, value in settings)


def conf_file_bytes(settings: list[tuple[str, str]], codepage: str = CONF_CODEPAGE) -> bytes:
    text = conf_file_text(settings)
    try:
        return text.encode(codepage)
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        key = next((k for k, v in settings if bad in v), "")
        raise ConfEncodingError(
            f"xlwings.conf:{key} 的值含有字符“{bad}”,无法按系统代码页 {codepage} 写出"
            f"(经典 xlwings 的 VBA 按系统代码页读取该文件)。请改用只含 ASCII 字符的路径"
            f"(如 dir /x 显示的 8.3 短路径,或以 %USERPROFILE% 开头的路径),"
            f"或改用 xlwings.conf 工作表(xlwings.conf.xlsx,不受代码页影响)。"
        ) from None
    except LookupError:
        raise ConfEncodingError(f"未知的代码页:{codepage}(应为 cp936、gbk、utf-8 等)") from None


def write_conf_sheet(path: Path, settings: list[tuple[str, str]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "xlwings.conf"  # settings must start in A1 of a sheet with exactly this name
    for row, (key, value) in enumerate(settings, 1):
        sheet.cell(row, 1, key)
        sheet.cell(row, 2, value)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 60
    book.save(path)


CLASSIC_STEPS = """\
让模板中的 =LXBZ_…(…) 公式在 Windows 桌面版 Excel 中计算(经典 xlwings)
==========================================================================

一次性准备(每台电脑):
1. 安装 Python 3.11 或更高版本,建立环境并安装本软件包(含 xlwings):
       python -m venv %USERPROFILE%\\lxbz\\.venv
       %USERPROFILE%\\lxbz\\.venv\\Scripts\\pip install "lxbz_xl-…-py3-none-any.whl[excel]"
2. 安装 xlwings 加载项:  %USERPROFILE%\\lxbz\\.venv\\Scripts\\xlwings addin install
3. (只需在制作模板的电脑上)Excel:文件 → 选项 → 信任中心 → 信任中心设置 → 宏设置,
   勾选“信任对 VBA 工程对象模型的访问”。

制作一次模板(.xlsm):
4. 打开模板工作簿,另存为“启用宏的工作簿(*.xlsm)”。
5. 设置(任选其一):
   a. 把本目录的 xlwings.conf 复制到工作簿所在文件夹;或
   b. 打开 xlwings.conf.xlsx,右键工作表“xlwings.conf” → 移动或复制 → 复制到模板中
      (工作表名必须是 xlwings.conf,设置从 A1 开始)。
   其中 Interpreter_Win 为第 1 步环境中的 pythonw.exe:{interpreter}
   UDF Modules 为 {module}。
6. Alt+F11 打开 VBA 编辑器 → 工具 → 引用,勾选 xlwings。
7. 在 Excel 的 xlwings 选项卡点击 “Import Functions”(导入函数):生成 VBA 模块 xlwings_udfs,
   其中有 LXBZ_ITEM_SCORE、LXBZ_TIER 等函数。
8. 按 Ctrl+Alt+F9 全部重算:原来显示 #NAME? 的公式即得出结果。
   若仍显示 #NAME?(Excel 未把文件中已存的公式绑定到函数):在 VBA 编辑器中 文件 → 导入文件,
   选本目录的 {rebind_bas},然后 开发工具 → 宏 → 运行 LXBZ_Rebind:它重新输入所有含 LXBZ_ 的公式
   (工作表保护会临时撤消并恢复)并重算。也可在装有 Excel 的电脑上执行:lxbz excel rebind 文件.xlsm
9. 保存 .xlsm。

填表人的电脑只需第 1、2 步(以及第 5 步的 a 或已含设置表的模板),不需要第 3、6、7 步。
函数改名或参数变化(升级本软件包后)时,在模板上重新执行第 7 步。

关于 xlwings.conf 的编码:xlwings 的 VBA 按 Windows 的系统代码页读取该文件,本文件按 {codepage}
写出(简体中文 Windows 为 cp936/GBK),因此含中文的解释器路径能正确读取。若 Windows 开启了
“使用 Unicode UTF-8 提供全球语言支持”,请用 lxbz excel config --codepage utf-8 重新生成;
xlwings.conf 工作表不受代码页影响。
"""

REBIND_BAS_NAME = "lxbz_rebind.bas"
# A VBA module for classic xlwings (ASCII only: the VBA editor reads .bas files in the ANSI code page).
REBIND_BAS = """Attribute VB_Name = "lxbz_rebind"
' Re-enter every formula that calls an LXBZ_ function, then recalculate (lxbz-xl, udfs/rebind.py).
' Needs the xlwings reference (Tools > References > xlwings) and the xlwings.conf settings.
Sub LXBZ_Rebind()
    RunPython "import udfs.rebind; udfs.rebind.rebind_caller()"
End Sub
"""


def write_config(out: Path, interpreter: str | None = None, codepage: str = CONF_CODEPAGE) -> list[Path]:
    """Raises ConfEncodingError (before writing anything) when a setting does not fit the code page."""
    interpreter = interpreter or default_interpreter()
    settings = conf_settings(interpreter)
    data = conf_file_bytes(settings, codepage)
    out.mkdir(parents=True, exist_ok=True)
    conf = out / "xlwings.conf"
    conf.write_bytes(data)
    sheet = out / "xlwings.conf.xlsx"
    write_conf_sheet(sheet, settings)
    bas = out / REBIND_BAS_NAME
    bas.write_bytes(REBIND_BAS.replace("\n", "\r\n").encode("ascii"))
    steps = out / "EXCEL-经典xlwings-步骤.txt"
    steps.write_text(
        CLASSIC_STEPS.format(
            interpreter=interpreter, module=UDF_MODULE, rebind_bas=REBIND_BAS_NAME, codepage=codepage
        ),
        encoding="utf-8",
    )
    return [conf, sheet, bas, steps]


# ---------------------------------------------------------------- xlwings Lite


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(lines: list[str]) -> list[str]:
    """Names of the requirements that apply here (extras dropped, other markers honoured when possible)."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pragma: no cover - packaging is almost always present next to pip
        Requirement = None  # type: ignore[assignment,misc]
    names = []
    for line in lines:
        if Requirement is not None:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            names.append(req.name)
        elif "extra ==" not in line:
            names.append(re.split(r"[\s;<>=!~\[(]", line.strip(), maxsplit=1)[0])
    return names


def project_requirements(root: Path = PROJECT_ROOT) -> list[str]:
    import tomllib

    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return _requirement_names(list(data["project"]["dependencies"]))


def is_pure(dist: metadata.Distribution) -> bool:
    wheel = dist.read_text("WHEEL")
    if wheel:
        return bool(re.search(r"^Root-Is-Purelib:\s*true\s*$", wheel, re.MULTILINE | re.IGNORECASE))
    return not any(str(f).endswith(NATIVE_SUFFIXES) for f in dist.files or [])


@dataclass
class DependencyCheck:
    pure: list[str] = field(default_factory=list)
    pyodide: list[str] = field(default_factory=list)  # compiled, but shipped by Pyodide
    problems: list[str] = field(default_factory=list)


def check_dependencies(requirements: list[str] | None = None) -> DependencyCheck:
    """Walk the installed dependency closure: each must be pure Python or provided by Pyodide."""
    out = DependencyCheck()
    todo = list(requirements if requirements is not None else project_requirements())
    seen: set[str] = set()
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            out.problems.append(f"{name}: 未安装,无法检查")
            continue
        if is_pure(dist):
            out.pure.append(name)
        elif name in PYODIDE_PROVIDED:
            out.pyodide.append(name)
        else:
            out.problems.append(f"{name}: 含编译扩展,且 Pyodide 不提供")
        todo += _requirement_names(list(dist.requires or []))
    return out


def build_wheel(out: Path, root: Path = PROJECT_ROOT) -> Path:
    """`pip wheel --no-deps` of the source tree; the wheel must be py3-none-any and purelib."""
    if not (root / "pyproject.toml").is_file():
        raise RuntimeError(f"{root} 不是源代码目录(没有 pyproject.toml);请用 --wheel 指定已构建的 wheel")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp, str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            raise RuntimeError(f"pip wheel 失败:\n{proc.stdout}\n{proc.stderr}")
        target = out / wheels[0].name
        shutil.copy2(wheels[0], target)
    return target


def wheel_problems(wheel: Path) -> list[str]:
    problems = []
    if not wheel.name.endswith("-py3-none-any.whl"):
        problems.append(f"{wheel.name}: 不是纯 Python wheel(应为 py3-none-any)")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        native = [n for n in names if n.endswith(NATIVE_SUFFIXES)]
        problems += [f"{wheel.name}: 含编译文件 {n}" for n in native]
        info = [n for n in names if n.endswith(".dist-info/WHEEL")]
        if not info or "Root-Is-Purelib: true" not in zf.read(info[0]).decode():
            problems.append(f"{wheel.name}: WHEEL 未声明 Root-Is-Purelib: true")
        if "udfs/functions.py" not in names:
            problems.append(f"{wheel.name}: 缺少 udfs/functions.py")
    return problems


def requirements_text(wheel_ref: str, deps: list[str]) -> str:
    """Requirement lines only: the wheel, then the dependencies unpinned (Pyodide's compiled ones must not
    be pinned). No comment lines: they are pasted into the add-in's requirements.txt tab, and what they
    said is in the steps file."""
    return "\n".join([wheel_ref, *deps]) + "\n"


LITE_STEPS = """\
让模板中的 =LXBZ_…(…) 公式在 xlwings Lite 中计算(Microsoft 365:Windows、Mac 或网页版,无需安装 Python)
===========================================================================================

1. 把 {wheel} 放到可通过 HTTPS 访问、允许跨域(CORS)的位置(单位内网服务器、对象存储等),
   地址以文件名结尾;或发布到(内部)PyPI。requirements.txt 第一条已写为:{wheel_ref}
2. 打开模板工作簿 → 开始 → 加载项 → 搜索 xlwings → 添加 “xlwings Lite”;打开 xlwings Lite 面板。
3. 在 requirements.txt 标签页:保留 xlwings 那一行,加上本目录 requirements.txt 中的各行
   (第一行是 lxbz-xl 的 wheel 地址;其余为依赖,不要固定版本);等待安装完成。
4. 在 main.py 标签页:用本目录 main.py 的内容替换示例代码(它只导入 lxbz-xl 中的函数,不复制代码)。
5. 函数注册后,原来显示 #NAME? 的 =LXBZ_TIER(…) 等公式即计算。若仍显示 #NAME?(Excel 未把文件中
   已存的公式绑定到加载项函数):审阅 → 撤消工作表保护,在 xlwings Lite 面板的“脚本”中运行
   rebind_and_recalculate(重新输入所有含 LXBZ_ 的公式并重算),再保护工作表。
6. 保存工作簿(代码随工作簿保存)。填表人只需安装 xlwings Lite 加载项并打开该工作簿。
"""


@dataclass
class LiteBuild:
    files: list[Path]
    wheel: Path | None
    deps: DependencyCheck
    problems: list[str]


def build_lite(
    out: Path, wheel_url: str | None = None, wheel: Path | None = None, build: bool = True
) -> LiteBuild:
    """Write main.py, requirements.txt and the steps; build (or copy) the wheel and check it."""
    out.mkdir(parents=True, exist_ok=True)
    built: Path | None = None
    problems: list[str] = []
    if wheel is not None:
        built = out / wheel.name
        if wheel.resolve() != built.resolve():
            shutil.copy2(wheel, built)
    elif build:
        built = build_wheel(out)
    if built is not None:
        problems += wheel_problems(built)
    name = built.name if built is not None else "lxbz_xl-<版本>-py3-none-any.whl"
    wheel_ref = wheel_url or PLACEHOLDER_WHEEL_URL.format(wheel=name)
    deps = check_dependencies()
    problems += deps.problems
    main = out / "main.py"
    shutil.copyfile(LITE_MAIN, main)
    requirements = out / "requirements.txt"
    requirements.write_text(requirements_text(wheel_ref, project_requirements()), encoding="utf-8")
    steps = out / "EXCEL-xlwings-Lite-步骤.txt"
    steps.write_text(LITE_STEPS.format(wheel=name, wheel_ref=wheel_ref), encoding="utf-8")
    files = [main, requirements, steps] + ([built] if built is not None else [])
    return LiteBuild(files, built, deps, problems)
