"""Render templates to PDF and PNG through LibreOffice (CJK fonts from scripts/install-system-deps.sh).

The native-formula variant is rendered (LibreOffice cannot run the LXBZ_* functions), filled with the
rubric's worked example from examples/cases/ (else a generated sample case) so the pictures show real
numbers; the layout is the same in both variants. Saved pages: the first page (`<rubric>.png`); when the
form runs over several pages, the page with the total and the sign-off (`<rubric>-signoff.png`); for
rubrics with a member table, its first page (`<rubric>-<members key>.png`); for a ballot matrix, its first
page (`<rubric>-ballots.png`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from lxbz_xl.case import read_case_file
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.office import pdf_to_png, to_pdf
from lxbz_xl.workbook.fill import case_mapping, fill_case
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.samples import valid_cases

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"


def sample_case(defn: RubricDefinition) -> dict[str, Any]:
    """The rubric's worked example (the first case of examples/cases/<id>_*.yaml), else a generated one."""
    for path in sorted(EXAMPLES.glob(f"{defn.id}_*.yaml")):
        cases = read_case_file(path)
        if cases:
            return case_mapping(cases[0], defn)
    # A case without roster: the page then shows the counts its scores come from.
    case = next(c for c in valid_cases(defn, 10, seed=3) if "roster" not in c)
    case.update({"unit": "示例单位", "year": 2025})
    return case


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext), or [] when pdftotext is missing."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return []
    out = subprocess.run([tool, "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60)
    return [p.replace(" ", "") for p in out.stdout.split("\f")]


def _first_page_with(texts: list[str], needle: str, start: int = 0) -> int | None:
    return next((i for i in range(start, len(texts)) if needle.replace(" ", "") in texts[i]), None)


def preview_all(
    templates: Path, out: Path, sample: bool = True, dpi: int = 80, pdf: bool = False
) -> list[Path]:
    """PNGs of the pages that show each form (see the module docstring) into `out` (+ the PDF if `pdf`)."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for path in sorted(templates.glob("*_原生公式.xlsx")):
        rid = path.name.removesuffix("_原生公式.xlsx")
        defn = load_rubric(rid)
        with tempfile.TemporaryDirectory(prefix="lxbz-preview-") as tmp:
            src = path
            if sample:
                src = fill_case(defn, sample_case(defn), Path(tmp) / f"{rid}.xlsx", "native", path)
            rendered = to_pdf(src, Path(tmp))
            pages = pdf_to_png(rendered, Path(tmp) / "png", dpi=dpi)
            if pdf:
                shutil.copyfile(rendered, out / f"{rid}.pdf")
            texts = page_texts(rendered)
            wanted = {f"{rid}.png": 0}
            sign = _first_page_with(texts, "签字")
            if sign:
                wanted[f"{rid}-signoff.png"] = sign
            plan = plan_for(defn)
            if defn.members is not None and plan.members is not None:
                at = _first_page_with(texts, f"{defn.short_name} · {defn.members.label}明细", 1)
                if at is None and len(pages) > 1 and not defn.items:
                    at = 1
                if at is not None:
                    wanted[f"{rid}-{defn.members.key}.png"] = at
            for block in plan.blocks:
                if block.spec.type == "ballots":
                    at = _first_page_with(texts, "选票号", 1)
                    if at is not None:
                        wanted[f"{rid}-ballots.png"] = at
            for name, index in wanted.items():
                dst = out / name
                shutil.copyfile(pages[index], dst)
                made.append(dst)
    return made
