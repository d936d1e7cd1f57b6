"""Pictures of the summary workbook for the docs: the first printed page of each sheet, via LibreOffice.

LibreOffice prints every visible sheet into one PDF with no marker of where a sheet starts, so each
sheet is rendered from its own copy of the package in which the other sheets are hidden (a rewrite of
xl/workbook.xml only: charts, links and cached values stay as written). The copies render in parallel;
each soffice run has its own profile.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lxbz_xl.office import pdf_to_png, to_pdf
from lxbz_xl.workbook.cached_values import sheet_parts

# Sheet → ASCII file-name part (docs/img/summary_<slug>.png).
SLUGS: dict[str, str] = {
    "说明": "readme",
    "单位汇总": "units",
    "干部汇总": "cadres",
    "排名": "ranking",
    "好中差": "bands",
    "名额评选": "quotas",
    "年度指标": "indicators",
    "图表": "charts",
    "明细与来源": "entries",
    "问题清单": "problems",
    "校验记录": "validation",
    "处理意见": "consequences",
}
_SHEET_TAG = re.compile(r"<sheet\b[^>]*/>")
_NAME = re.compile(r'\bname="([^"]*)"')


def only_sheet(src: Path, dst: Path, keep: str) -> Path:
    """Copy of `src` with every sheet but `keep` hidden (and `keep` the active one)."""
    with zipfile.ZipFile(src) as zin:
        names = list(sheet_parts(zin))
        if keep not in names:
            raise KeyError(keep)
        index = names.index(keep)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "xl/workbook.xml":
                    data = _hide_others(data.decode("utf-8"), keep, index).encode("utf-8")
                zout.writestr(info, data)
    return dst


def _hide_others(xml: str, keep: str, index: int) -> str:
    from xml.sax.saxutils import unescape

    def one(m: re.Match[str]) -> str:
        tag = re.sub(r'\s+state="[^"]*"', "", m.group(0))
        name = _NAME.search(tag)
        if name is not None and unescape(name.group(1), {"&quot;": '"'}) != keep:
            tag = tag[:-2].rstrip() + ' state="hidden"/>'
        return tag

    xml = _SHEET_TAG.sub(one, xml)
    xml = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", xml)
    return re.sub(r"<workbookView\b", f'<workbookView activeTab="{index}" firstSheet="{index}"', xml, count=1)


def preview_summary(
    xlsx: Path, out_dir: Path, sheets: list[str] | None = None, dpi: int = 80, jobs: int = 4
) -> list[Path]:
    """`out_dir/summary_<slug>.png`: the first page of each sheet (all sheets unless `sheets`)."""
    xlsx, out_dir = Path(xlsx), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(xlsx) as z:
        present = list(sheet_parts(z))
    wanted = [s for s in (sheets or present) if s in present]
    with tempfile.TemporaryDirectory(prefix="lxbz-summary-preview-") as tmp:
        work = Path(tmp)

        def render(i_name: tuple[int, str]) -> Path:
            i, name = i_name
            slug = SLUGS.get(name, f"sheet{i + 1}")
            folder = work / slug
            folder.mkdir()
            single = only_sheet(xlsx, folder / f"summary_{slug}.xlsx", name)
            pdf = to_pdf(single, folder / "pdf")
            first = pdf_to_png(pdf, folder / "png", dpi=dpi)[0]
            dst = out_dir / f"summary_{slug}.png"
            shutil.copyfile(first, dst)
            return dst

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(render, enumerate(wanted)))
