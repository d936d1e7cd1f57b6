"""Render templates to PDF and PNG through LibreOffice (CJK fonts from scripts/install-system-deps.sh).

The native-formula variant is rendered (LibreOffice cannot run the LXBZ_* functions), filled with a
generated sample case so the pictures show numbers; the layout is the same in both variants.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.office import pdf_to_png, to_pdf
from lxbz_xl.workbook.fill import fill_case
from lxbz_xl.workbook.samples import valid_cases


def preview_all(
    templates: Path, out: Path, sample: bool = True, dpi: int = 80, pdf: bool = False
) -> list[Path]:
    """One PNG of the first page (the main form) per template into `out` (and the whole PDF if `pdf`)."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for path in sorted(templates.glob("*_原生公式.xlsx")):
        rid = path.name.removesuffix("_原生公式.xlsx")
        defn = load_rubric(rid)
        with tempfile.TemporaryDirectory(prefix="lxbz-preview-") as tmp:
            src = path
            if sample:
                # A case without roster: the page then shows the counts its scores come from.
                case = next(c for c in valid_cases(defn, 10, seed=3) if "roster" not in c)
                case.update({"unit": "示例单位", "year": 2025})
                src = fill_case(defn, case, Path(tmp) / f"{rid}.xlsx", "native", path)
            rendered = to_pdf(src, Path(tmp))
            pages = pdf_to_png(rendered, Path(tmp) / "png", dpi=dpi)
            if pdf:
                shutil.copyfile(rendered, out / f"{rid}.pdf")
            dst = out / f"{rid}.png"
            shutil.copyfile(pages[0], dst)
            made.append(dst)
            if defn.members is not None and len(pages) > 1 and not defn.items:
                extra = out / f"{rid}-{defn.members.key}.png"  # the member table: the form's other half
                shutil.copyfile(pages[1], extra)
                made.append(extra)
    return made
