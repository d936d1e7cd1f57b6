"""Structure: the template's sheets exist and its defined names point where the template says."""

from __future__ import annotations

from functools import lru_cache

from lxbz_xl.validation.context import RubricContext
from lxbz_xl.validation.model import Finding, finding
from lxbz_xl.validation.read_fast import FastBook

LIST_LIMIT = 10  # past this many findings of one kind, one summary finding says how many


@lru_cache(maxsize=65536)
def parse_target(text: str) -> tuple[str, str] | None:
    """ "'考评表'!$F$5" → ("考评表", "F5"); None for anything that is not a single cell."""
    text = text.strip().lstrip("=")
    sheet, bang, ref = text.rpartition("!")
    if not bang:
        return None
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    ref = ref.replace("$", "").upper()
    if ":" in ref:
        first, _, last = ref.partition(":")
        if first != last:
            return None
        ref = first
    return sheet, ref


def check_structure(book: FastBook, rubric: RubricContext) -> list[Finding]:
    key = ("structure", book.workbook_digest)  # sheets and names both live in workbook.xml
    if key in rubric.clean:
        return []
    found = _check_structure(book, rubric)
    if not found:
        rubric.clean.add(key)
    return found


def _check_structure(book: FastBook, rubric: RubricContext) -> list[Finding]:
    out = [
        finding(
            "sheet_missing", f"缺少工作表“{name}”(被删除或改名)。请使用原模板,不要删除或重命名工作表", name
        )
        for name in rubric.layout.sheets
        if name not in book.sheet_names
    ]
    missing: list[Finding] = []
    moved: list[Finding] = []
    names = {k.upper(): v for k, v in book.defined_names.items()}
    for spec in rubric.layout.cells:
        if spec.sheet not in book.sheet_names:
            continue  # already reported with the sheet
        target = names.get(spec.name.upper())
        if target is None:
            missing.append(
                finding(
                    "name_missing",
                    f"缺少定义名称{spec.name}(应指向{spec.sheet}!{spec.ref})",
                    spec.sheet,
                    spec.ref,
                )
            )
            continue
        where = parse_target(target)
        if where != (spec.sheet, spec.ref):
            shown = f"{where[0]}!{where[1]}" if where else target
            moved.append(
                finding(
                    "name_moved",
                    f"定义名称{spec.name}指向{shown},模板中应指向{spec.sheet}!{spec.ref}"
                    "(可能插入或删除了行列)",
                    spec.sheet,
                    spec.ref,
                )
            )
    return (
        out + cap(missing, "name_missing", "个定义名称缺失") + cap(moved, "name_moved", "个定义名称位置错误")
    )


def cap(findings: list[Finding], code: str, what: str, limit: int = LIST_LIMIT) -> list[Finding]:
    """Keep the first ``limit`` findings and summarise the rest in one."""
    if len(findings) <= limit:
        return findings
    return [
        *findings[:limit],
        finding(code, f"另有{len(findings) - limit}{what}(共{len(findings)}处,此处从略)"),
    ]
