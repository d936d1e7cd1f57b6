"""Package contents a template never has: external links or relationships, and hidden form sheets."""

from __future__ import annotations

from lxbz_xl.validation.checks_structure import cap
from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.formula_text import book_prefix
from lxbz_xl.validation.model import Finding, finding
from lxbz_xl.validation.read_fast import FastBook

_STATES = {"hidden": "隐藏", "veryHidden": "深度隐藏(veryHidden,在 Excel 中无法直接取消隐藏)"}


def check_package(book: FastBook, rubric: RubricContext) -> list[Finding]:
    out: list[Finding] = []
    for name in rubric.layout.sheets:
        state = book.sheet_states.get(name, "visible")
        if state != "visible":
            shown = _STATES.get(state, state[:20])
            out.append(
                finding(
                    "sheet_hidden",
                    f"文件「{book.path.name}」的填写表“{name}”被设为{shown}。请取消隐藏,所有填写内容须可见",
                    name,
                )
            )
    links: list[Finding] = []
    for name, text in _linking_names(book):
        links.append(
            finding(
                "external_link",
                f"文件「{book.path.name}」的定义名称“{name[:60]}”引用外部工作簿或程序({text[:80]})。"
                "模板不含任何外部引用,请使用原模板填写",
            )
        )
    for part, target in dict.fromkeys(book.external):
        where = f"内部文件 {part}" + (f" 指向 {target[:120]}" if target else "")
        links.append(
            finding(
                "external_link",
                f"文件「{book.path.name}」含有外部链接或外部引用({where})。模板不含任何外部链接,"
                "请使用原模板填写,不要链接其他工作簿或网络位置",
            )
        )
    return out + cap(links, "external_link", "处外部链接")


# Defined names live in workbook.xml, which submissions of one template share byte for byte: the names
# that reach outside are found once per worker and workbook.xml digest (BLAKE2 of the part's bytes).
_LINKING: dict[bytes, list[tuple[str, str]]] = {}
_LINKING_SIZE = 256


def _linking_names(book: FastBook) -> list[tuple[str, str]]:
    found = _LINKING.get(book.workbook_digest)
    if found is None:
        found = [
            (name, text)
            for name, text in book.defined_names.items()
            if "|" in text or book_prefix(text + "(") is not None or text.lstrip("=").startswith("[")
        ]
        if len(_LINKING) >= _LINKING_SIZE:
            _LINKING.clear()
        _LINKING[book.workbook_digest] = found
    return found
