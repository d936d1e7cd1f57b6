"""Re-bind stored =LXBZ_*(…) formulas to the add-in's functions, then recalculate.

A template written by openpyxl stores `=LXBZ_TIER(…)` as plain text; Excel binds such a name to an
add-in's custom function when the formula is *entered*, so a file opened before the functions were
registered may keep `#NAME?` until each formula is entered again. (Office also stores bound add-in
functions under a prefix, `_xldudf_LXBZ_…`; the prefix is dropped when re-entering.) Re-entering every
formula that calls an LXBZ_ function and recalculating is what this module does, for both runtimes:

* xlwings Lite: the script `rebind_and_recalculate`, imported into the add-in's main.py
  (udfs/lite_main.py) so Lite lists it under 脚本; formulas are read on demand there
  (`await range.get_formula()`).
* classic xlwings: `rebind_caller()` from VBA (`RunPython "import udfs.rebind; udfs.rebind.rebind_caller()"`),
  or `lxbz excel rebind FILE`, which opens the file in Excel through xlwings; both use `rebind_book`.

A protected sheet (the templates protect their forms, without a password) is unprotected for the
re-entry and protected again where the runtime allows it (classic: through COM); xlwings Lite has no
protection API, so there the sheets must be unprotected first (审阅 → 撤消工作表保护), as the docs say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

try:
    import xlwings as xw
except ImportError:  # core-only install: the script is a plain coroutine function
    from udfs import _noxl as xw  # type: ignore[no-redef]

MARK = "LXBZ_"
_PREFIX = re.compile(r"_xldudf_(?=LXBZ_)", re.IGNORECASE)


def calls_lxbz(formula: Any) -> bool:
    return isinstance(formula, str) and formula.startswith("=") and MARK in formula.upper()


def as_rows(formulas: Any) -> list[list[Any]]:
    """Formulas of a range as rows: a single cell's string, a flat row or a list/tuple of rows."""
    if not isinstance(formulas, list | tuple):
        return [[formulas]]
    if formulas and all(isinstance(r, list | tuple) for r in formulas):
        return [list(r) for r in formulas]
    return [list(formulas)]


def to_rebind(formulas: Any, top: int, left: int) -> list[tuple[int, int, str]]:
    """(row, column, formula to enter) for each LXBZ_ formula of a block whose top-left cell is (top, left)."""
    out = []
    for i, row in enumerate(as_rows(formulas)):
        for j, formula in enumerate(row):
            if calls_lxbz(formula):
                out.append((top + i, left + j, _PREFIX.sub("", formula)))
    return out


def _enter(sheet: Any, cells: Iterable[tuple[int, int, str]]) -> int:
    n = 0
    for row, column, formula in cells:
        sheet.range((row, column)).formula = formula
        n += 1
    return n


def _unprotect(sheet: Any) -> bool:
    """Classic (COM) only: lift a password-less protection; True when it has to be restored."""
    api = getattr(sheet, "api", None)
    try:
        protected = bool(api.ProtectContents)  # type: ignore[union-attr]
    except Exception:
        return False  # no COM object (xlwings Lite, a stand-in): nothing to do here
    if protected:
        api.Unprotect()  # type: ignore[union-attr]
    return protected


def _protect(sheet: Any) -> None:
    sheet.api.Protect(DrawingObjects=True, Contents=True, Scenarios=True, AllowFormattingColumns=True)


def rebind_book(book: Any) -> int:
    """Classic xlwings (synchronous formulas): re-enter every LXBZ_ formula, then recalculate."""
    n = 0
    for sheet in book.sheets:
        used = sheet.used_range
        cells = to_rebind(used.formula, used.row, used.column)
        if not cells:
            continue
        restore = _unprotect(sheet)
        try:
            n += _enter(sheet, cells)
        finally:
            if restore:
                _protect(sheet)
    book.app.calculate()
    return n


async def rebind_book_async(book: Any) -> int:
    """xlwings Lite: the same, with formulas fetched on demand (`await Range.get_formula()`)."""
    n = 0
    for sheet in book.sheets:
        used = sheet.used_range
        # ndim=2: rows of formulas whatever the shape (a one-column range would otherwise come back flat).
        formulas = await used.options(ndim=2).get_formula()
        n += _enter(sheet, to_rebind(formulas, used.row, used.column))
    book.app.calculate()
    return n


def done_message(n: int) -> str:
    if n == 0:
        return "没有找到含 LXBZ_ 的公式(无需重新绑定);已重新计算。"
    return f"已重新输入 {n} 个含 LXBZ_ 的公式并重新计算;若仍显示 #NAME?,请确认加载项已注册 LXBZ_ 函数。"


@xw.script
async def rebind_and_recalculate(book: xw.Book) -> None:
    """重新输入所有含 LXBZ_ 的公式并重新计算(公式显示 #NAME? 时运行;先撤消工作表保护)。"""
    print(done_message(await rebind_book_async(book)))


def rebind_caller() -> int:
    """Classic xlwings, from VBA: RunPython "import udfs.rebind; udfs.rebind.rebind_caller()"."""
    import xlwings as xw

    book = xw.Book.caller()
    n = rebind_book(book)
    book.app.status_bar = done_message(n)
    return n


WHAT_TO_DO = (
    "请在装有 Excel 的电脑上重新绑定:\n"
    "  · xlwings Lite:打开工作簿 → 审阅 → 撤消工作表保护 → xlwings Lite 面板 → 脚本 rebind_and_recalculate → 运行;\n"
    "  · 经典 xlwings:导入 lxbz excel config 生成的 lxbz_rebind.bas,运行宏 LXBZ_Rebind"
    '(即 RunPython "import udfs.rebind; udfs.rebind.rebind_caller()"),'
    "或在该电脑上执行 lxbz excel rebind 文件;\n"
    "  · 不用 Python:改用同名的 …_原生公式.xlsx 模板(只用内置函数,无需绑定)。"
)


def excel_unavailable() -> str | None:
    """Why xlwings cannot drive a desktop Excel here, or None when it can."""
    try:
        import xlwings
    except ImportError:
        return '未安装 xlwings(pip install "lxbz-xl[excel]")'
    if not hasattr(xlwings, "engines") or "excel" not in [e.name for e in xlwings.engines]:
        return "本机没有可由 xlwings 控制的桌面版 Excel(仅 Windows 或 macOS 上的 Excel)"
    return None


def rebind_file(path: Any, app: Any = None) -> int:
    """Open `path` in Excel through xlwings (a hidden instance unless `app` is given), re-bind, save, close."""
    import xlwings

    own = app is None
    if own:
        app = xlwings.App(visible=False, add_book=False)
    try:
        book = app.books.open(str(path))
        try:
            n = rebind_book(book)
            book.save()
        finally:
            book.close()
    finally:
        if own:
            app.quit()
    return n
