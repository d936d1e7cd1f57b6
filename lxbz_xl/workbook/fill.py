"""Fill cases into copies of a template: inputs plus the cached values the core computes.

The template file is only read. The copy is written by rewriting the template package (no openpyxl
round trip), so validations, names, protection and styles stay exactly as built.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxbz_xl.case import Case
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.build import DEFAULT_DIR, cached_for, template_name
from lxbz_xl.workbook.cached_values import rewrite_package
from lxbz_xl.workbook.cases import FillError, cells_from_case
from lxbz_xl.workbook.layout import formulas_for

__all__ = ["FillError", "case_mapping", "fill_case", "output_name"]


def case_mapping(case: Case | dict[str, Any], defn: RubricDefinition) -> dict[str, Any]:
    if isinstance(case, dict):
        return case
    raw: dict[str, Any] = {"rubric": case.rubric, **case.data}
    if case.unit:
        raw["unit"] = case.unit
    if case.year is not None:
        raw["year"] = case.year
    if case.members is not None and defn.members is not None:
        raw[defn.members.key] = case.members
    return raw


def output_name(case: dict[str, Any], index: int, variant: str) -> str:
    unit = re.sub(r'[\\/:*?"<>|\s]+', "_", str(case.get("unit") or "")).strip("_") or f"case{index}"
    year = case.get("year") or ""
    suffix = "_原生公式" if variant == "native" else ""
    return f"{case['rubric']}_{unit}{'_' + str(year) if year else ''}{suffix}.xlsx"


def fill_case(
    defn: RubricDefinition,
    case: Case | dict[str, Any],
    dst: Path,
    variant: str = "udf",
    template: Path | None = None,
) -> Path:
    """Write `case` into a copy of the template at `dst` (cached values included). Raises FillError."""
    raw = case_mapping(case, defn)
    template = template or DEFAULT_DIR / template_name(defn.id, variant)
    if not template.is_file():
        raise FillError(f"模板不存在:{template}(先运行 lxbz templates build)")
    cells = cells_from_case(defn, raw)
    cached = cached_for(defn, variant, lambda s, r: cells.get((s, r)))
    formulas = formulas_for(defn, None, variant)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.resolve() == template.resolve():
        raise FillError("输出文件不能覆盖模板")
    rewrite_package(template, dst, {k: v for k, v in cached.items() if k in formulas}, cells)
    return dst
