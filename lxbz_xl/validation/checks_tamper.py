"""Tampering: formulas overwritten or edited, data validations removed, input rows/columns/cells hidden."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lxbz_xl.validation.checks_structure import cap
from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.formula_text import book_prefix, normalise
from lxbz_xl.validation.model import Finding, finding
from lxbz_xl.validation.numbers_guard import bounded_float
from lxbz_xl.validation.read_fast import FastBook, Sheet, Validation
from lxbz_xl.validation.sheet_scan import area_box

MAX_FORMULA_CHARS = 8192  # Excel's limit; longer text is a finding without being normalised
# Functions that reach outside the workbook: a clerk's input never needs them.
_REACHING = ("HYPERLINK(", "WEBSERVICE(", "FILTERXML(", "RTD(", "CALL(", "REGISTER", "EXEC(", "IMPORTDATA(")


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:30] + "…"


def _key(book: FastBook, rubric: RubricContext, name: str, attr: str) -> tuple[Any, ...] | None:
    """The digests of what a check reads, or None when a sheet was read by the slow path (no digest)."""
    digests = []
    for sheet_name in rubric.layout.sheets:
        sheet = book.sheet(sheet_name, rubric.max_rows.get(sheet_name))
        digest = None if sheet is None else getattr(sheet, attr)
        if digest is None:
            return None
        digests.append(digest)
    return (name, *digests)


def _cached(
    check: Callable[[], list[Finding]], key: tuple[Any, ...] | None, rubric: RubricContext
) -> list[Finding]:
    if key is not None and key in rubric.clean:
        return []
    found = check()
    if not found and key is not None:
        rubric.clean.add(key)
    return found


def check_formulas(
    book: FastBook, rubric: RubricContext, variant: str, rubric_ref: str | None = None
) -> list[Finding]:
    return _cached(
        lambda: _check_formulas(book, rubric, variant, rubric_ref),
        _key(book, rubric, f"formulas:{variant}:{rubric_ref}", "formula_digest"),
        rubric,
    )


def _check_formulas(
    book: FastBook, rubric: RubricContext, variant: str, rubric_ref: str | None
) -> list[Finding]:
    replaced: list[Finding] = []
    changed: list[Finding] = []
    prefixed: list[Finding] = []
    sheets = {name: book.sheet(name, rubric.max_rows.get(name)) for name in rubric.layout.sheets}
    for (sheet_name, ref), expected in rubric.normalised(variant, rubric_ref).items():
        sheet = sheets.get(sheet_name)
        if sheet is None:
            continue  # reported by the structure check
        cell = sheet.cells.get(ref)
        text = None if cell is None else cell.formula
        if text and len(text) <= MAX_FORMULA_CHARS and normalise(text) == expected:
            continue  # the common case
        if cell is None or not text:
            value = None if cell is None else cell.value
            if value in (None, ""):
                message = f"{sheet_name}!{ref}的公式被删除(该格应由公式计算)。请恢复模板公式"
            else:
                message = (
                    f"{sheet_name}!{ref}的公式被改为直接填写的值“{_shown(value)}”(该格应由公式计算)。"
                    "请恢复模板公式"
                )
            replaced.append(finding("formula_replaced", message, sheet_name, ref))
            continue
        prefix = book_prefix(text) if len(text) <= MAX_FORMULA_CHARS else None
        if prefix is not None:
            prefixed.append(
                finding(
                    "addin_reference",
                    f"{sheet_name}!{ref}的公式通过外部工作簿或加载项 {prefix[:80]} 调用函数"
                    f"(公式:={_shown(text)})。模板公式不引用任何外部文件,请恢复模板公式",
                    sheet_name,
                    ref,
                )
            )
            continue
        template = rubric.formulas(variant, rubric_ref)[(sheet_name, ref)].lstrip("=")
        want, got = _difference(template, text[:MAX_FORMULA_CHARS])
        message = f"{sheet_name}!{ref}的公式与模板不一致:应为 {want},实为 {got}"
        changed.append(finding("formula_changed", message, sheet_name, ref))
    return (
        cap(replaced, "formula_replaced", "处公式被改为数值或删除")
        + cap(changed, "formula_changed", "处公式被修改")
        + cap(prefixed, "addin_reference", "处公式引用外部文件")
    )


def check_input_formulas(
    book: FastBook, rubric: RubricContext, variant: str, rubric_ref: str | None = None
) -> list[Finding]:
    """Inputs are values: a formula in an input cell, or anywhere the template has none, is a finding."""
    expected = rubric.formula_refs(variant, rubric_ref)
    inputs: list[Finding] = []
    added: list[Finding] = []
    input_refs = rubric.input_key_set
    for sheet_name in rubric.layout.sheets:
        sheet = book.sheet(sheet_name, rubric.max_rows.get(sheet_name))
        if sheet is None:
            continue
        here = expected.get(sheet_name, frozenset())
        found = [(ref, cell.formula) for ref, cell in sheet.cells.items() if cell.formula and ref not in here]
        for ref, text in found:
            danger = _danger(text)
            shown = f"={_shown(text)}"
            if (sheet_name, ref) in input_refs:
                inputs.append(
                    finding(
                        "input_formula",
                        f"{sheet_name}!{ref}是填写格,却含有公式 {shown}{danger}。填写格只能填写数值或文字,"
                        "请删除公式后直接填写",
                        sheet_name,
                        ref,
                    )
                )
            else:
                added.append(
                    finding(
                        "formula_added",
                        f"{sheet_name}!{ref}含有模板中没有的公式 {shown}{danger}。请使用原模板,不要添加公式",
                        sheet_name,
                        ref,
                    )
                )
    return cap(inputs, "input_formula", "个填写格含有公式") + cap(added, "formula_added", "处增加了公式")


def _danger(formula: str) -> str:
    text = formula[:MAX_FORMULA_CHARS].upper().replace(" ", "")
    if "|" in text:
        return "(DDE 外部程序调用,可能执行命令)"
    hit = next((name.rstrip("(") for name in _REACHING if name in text), None)
    if hit is not None:
        return f"(函数 {hit} 会访问外部网络或程序)"
    if book_prefix(formula[:MAX_FORMULA_CHARS]) is not None:
        return "(引用外部工作簿或加载项)"
    return ""


def _difference(expected: str, actual: str, width: int = 36) -> tuple[str, str]:
    """Both formulas from a little before the first difference, so a long formula's change is visible."""
    a, b = expected.upper(), actual.upper()
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(0, i - 8)

    def cut(text: str) -> str:
        part = text[start : start + width]
        return ("…" if start else "=") + part + ("…" if start + width < len(text) else "")

    return cut(expected), cut(actual)


@lru_cache(maxsize=4096)
def _same_rule_cached(expected: tuple[tuple[str, str], ...], found: Validation) -> bool:
    return _same_rule(dict(expected), found)


def _same_rule(expected: dict[str, Any], found: Validation) -> bool:
    if expected.get("type", "none") != found.type:
        return False
    if expected.get("type") == "list":
        return _list_items(expected.get("formula1", "")) == _list_items(found.formula1)
    operator = expected.get("operator", "between")
    if found.operator != operator:
        return False
    # Only (not)between has a second bound; LibreOffice writes <formula2>0</formula2> for the others.
    keys = ("formula1", "formula2") if operator in ("between", "notBetween") else ("formula1",)
    return all(_num(expected.get(k, "")) == _num(getattr(found, k)) for k in keys)


def _list_items(text: str) -> list[str]:
    return [part.strip() for part in text.strip().strip('"').split(",")]


def _num(text: str) -> str:
    number = bounded_float(text)  # never float() on unbounded text from the file
    if number is not None:
        return repr(number)
    return normalise(text[:MAX_FORMULA_CHARS])


def check_validations(book: FastBook, rubric: RubricContext) -> list[Finding]:
    return _cached(
        lambda: _check_validations(book, rubric), _key(book, rubric, "validations", "tail_digest"), rubric
    )


def _check_validations(book: FastBook, rubric: RubricContext) -> list[Finding]:
    removed: list[Finding] = []
    changed: list[Finding] = []
    keys = rubric.validation_keys
    for (sheet_name, ref), expected in rubric.validations.items():
        sheet = book.sheet(sheet_name, rubric.max_rows.get(sheet_name))
        if sheet is None:
            continue
        found = sheet.validation_at(ref)
        if found is None or found.type == "none":
            removed.append(
                finding(
                    "validation_removed",
                    f"{sheet_name}!{ref}的数据验证(下拉列表/取值范围)被删除。"
                    "请使用原模板填写,不要复制粘贴覆盖填写格",
                    sheet_name,
                    ref,
                )
            )
        elif not _same_rule_cached(keys[(sheet_name, ref)], found):
            changed.append(
                finding(
                    "validation_changed",
                    f"{sheet_name}!{ref}的数据验证规则与模板不一致"
                    f"(模板:{expected.get('type')} {expected.get('formula1', '')} {expected.get('formula2', '')},"
                    f"文件:{found.type} {found.formula1} {found.formula2})",
                    sheet_name,
                    ref,
                )
            )
    return cap(removed, "validation_removed", "个填写格的数据验证被删除") + cap(
        changed, "validation_changed", "个填写格的数据验证被修改"
    )


def check_hidden(book: FastBook, rubric: RubricContext) -> list[Finding]:
    """Hidden or zero-height rows, hidden or zero-width columns, merged input cells and number formats
    that show nothing hide entries from a reviewer."""
    out: list[Finding] = []
    cells: list[Finding] = []
    merged: list[Finding] = []
    hiding = book.hiding_styles
    for sheet_name, positions in rubric.input_positions.items():
        sheet: Sheet | None = book.sheet(sheet_name, rubric.max_rows.get(sheet_name))
        if sheet is None:
            continue
        rows_done: set[int] = set()
        cols_done: set[int] = set()
        if (sheet.hidden_rows or sheet.hidden_cols or sheet.zero_height) and _hides_input(
            sheet, rubric.input_lines[sheet_name]
        ):
            for row, col, spec in positions:
                if row not in rows_done and sheet.row_hidden(row):
                    rows_done.add(row)
                    out.append(
                        finding(
                            "hidden_row",
                            f"填写区第{row}行被隐藏或行高为0(含{sheet_name}!{spec.ref})。请取消隐藏,"
                            "所有填写内容须可见",
                            sheet_name,
                            spec.ref,
                        )
                    )
                if col not in cols_done and sheet.col_hidden(col):
                    cols_done.add(col)
                    letter = "".join(ch for ch in spec.ref if ch.isalpha())
                    out.append(
                        finding(
                            "hidden_column",
                            f"填写区第{letter}列被隐藏或列宽为0(含{sheet_name}!{spec.ref})。请取消隐藏",
                            sheet_name,
                            spec.ref,
                        )
                    )
        if hiding:
            for _row, _col, spec in positions:
                cell = sheet.cells.get(spec.ref)
                if cell is not None and cell.style in hiding:
                    cells.append(
                        finding(
                            "hidden_cell",
                            f"{sheet_name}!{spec.ref}设置了不显示内容的数字格式(如 ;;; 或各段均为空字符串),"
                            "填写的值不显示。请恢复模板格式",
                            sheet_name,
                            spec.ref,
                        )
                    )
        if sheet.merged:
            # The merges are part of the sheet's tail digest: a set found clean once is not searched again.
            key = ("merged", sheet_name, sheet.tail_digest)
            if sheet.tail_digest is None or key not in rubric.clean:
                found = _merged_inputs(sheet, sheet_name, positions)
                if not found and sheet.tail_digest is not None:
                    rubric.clean.add(key)
                merged += found
    return (
        cap(out, "hidden_row", "处行列被隐藏")
        + cap(cells, "hidden_cell", "个填写格内容被隐藏")
        + cap(merged, "merged_input", "个填写格被合并")
    )


def _hides_input(sheet: Sheet, lines: tuple[frozenset[int], frozenset[int]]) -> bool:
    """Whether any row or column holding an input of the sheet is hidden (``lines``: those rows, columns)."""
    rows, cols = lines
    return any(sheet.row_hidden(row) for row in rows) or any(sheet.col_hidden(col) for col in cols)


def _merged_inputs(sheet: Sheet, sheet_name: str, positions: list[tuple[int, int, Any]]) -> list[Finding]:
    """An input inside a merged range but not its top-left cell is not shown; nor is the second of two
    inputs merged together. (Templates merge an input with the blank cells to its right: allowed.)"""
    inputs = {(row, col) for row, col, _spec in positions}
    by_row: dict[int, list[int]] = {}
    for row, col in inputs:
        by_row.setdefault(row, []).append(col)
    owner: dict[tuple[int, int], tuple[str, tuple[int, int, int, int]]] = {}
    for area in sheet.merged[:10_000]:
        box = area_box(area)
        if box is None:
            continue
        r1, c1, r2, c2 = box
        rows = range(r1, r2 + 1) if r2 - r1 < len(by_row) else [r for r in by_row if r1 <= r <= r2]
        for row in rows:
            for col in by_row.get(row, ()):
                if c1 <= col <= c2:
                    owner.setdefault((row, col), (area, box))
    out = []
    for row, col, spec in positions:
        hit = owner.get((row, col))
        if hit is None:
            continue
        area, (r1, c1, r2, c2) = hit
        covered = sum(1 for r, c in inputs if r1 <= r <= r2 and c1 <= c <= c2)
        if (row, col) != (r1, c1) or covered > 1:
            out.append(
                finding(
                    "merged_input",
                    f"{sheet_name}!{spec.ref}所在的填写格被合并({area}),合并后该格的内容不显示。"
                    "请取消合并,使用原模板格式",
                    sheet_name,
                    spec.ref,
                )
            )
    return out
