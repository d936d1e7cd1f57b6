"""Tampering: formulas overwritten or edited, data validations removed, input rows/columns/cells hidden."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lxbz_xl.validation.checks_structure import cap
from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.formula_text import normalise
from lxbz_xl.validation.model import Finding, finding
from lxbz_xl.validation.read_fast import FastBook, Sheet, Validation, unescape


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
    sheets = {name: book.sheet(name, rubric.max_rows.get(name)) for name in rubric.layout.sheets}
    for (sheet_name, ref), expected in rubric.normalised(variant, rubric_ref).items():
        sheet = sheets.get(sheet_name) or book.sheet(sheet_name, rubric.max_rows.get(sheet_name))
        if sheet is None:
            continue  # reported by the structure check
        raw = sheet.cells.raw_formula(ref)
        if raw is not None and normalise_raw(raw) == expected:
            continue  # the common case, decided on the raw bytes without building the cell
        cell = sheet.cells.get(ref)
        if cell is None or not cell.formula:
            value = None if cell is None else cell.value
            if value in (None, ""):
                message = f"{sheet_name}!{ref}的公式被删除(该格应由公式计算)。请恢复模板公式"
            else:
                message = (
                    f"{sheet_name}!{ref}的公式被改为直接填写的值“{_shown(value)}”(该格应由公式计算)。"
                    "请恢复模板公式"
                )
            replaced.append(finding("formula_replaced", message, sheet_name, ref))
        elif normalise(cell.formula) != expected:
            template = rubric.formulas(variant, rubric_ref)[(sheet_name, ref)].lstrip("=")
            want, got = _difference(template, cell.formula)
            message = f"{sheet_name}!{ref}的公式与模板不一致:应为 {want},实为 {got}"
            changed.append(finding("formula_changed", message, sheet_name, ref))
    return cap(replaced, "formula_replaced", "处公式被改为数值或删除") + cap(
        changed, "formula_changed", "处公式被修改"
    )


def _difference(expected: str, actual: str, width: int = 36) -> tuple[str, str]:
    """Both formulas from a little before the first difference, so a long formula's change is visible."""
    a, b = expected.upper(), actual.upper()
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(0, i - 8)

    def cut(text: str) -> str:
        part = text[start : start + width]
        return ("…" if start else "=") + part + ("…" if start + width < len(text) else "")

    return cut(expected), cut(actual)


@lru_cache(maxsize=65536)
def normalise_raw(raw: bytes) -> str:
    """Raw <f> text (XML-escaped) → normalised; repeated across submissions, so cached per worker."""
    return normalise(unescape(raw))


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
    try:
        return repr(float(text))
    except ValueError:
        return normalise(text)


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
    """Hidden rows, columns or a ;;; number format in the input area hide entries from a reviewer."""
    out: list[Finding] = []
    cells: list[Finding] = []
    hiding = book.hiding_styles
    for sheet_name, positions in rubric.input_positions.items():
        sheet: Sheet | None = book.sheet(sheet_name, rubric.max_rows.get(sheet_name))
        if sheet is None:
            continue
        rows_done: set[int] = set()
        cols_done: set[int] = set()
        if sheet.hidden_rows or sheet.hidden_cols:
            for row, col, spec in positions:
                if row in sheet.hidden_rows and row not in rows_done:
                    rows_done.add(row)
                    out.append(
                        finding(
                            "hidden_row",
                            f"填写区第{row}行被隐藏(含{sheet_name}!{spec.ref})。请取消隐藏,"
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
                            f"填写区第{letter}列被隐藏(含{sheet_name}!{spec.ref})。请取消隐藏",
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
                            f"{sheet_name}!{spec.ref}设置了隐藏内容的数字格式(;;;),"
                            "填写的值不显示。请恢复模板格式",
                            sheet_name,
                            spec.ref,
                        )
                    )
    return cap(out, "hidden_row", "处行列被隐藏") + cap(cells, "hidden_cell", "个填写格内容被隐藏")
