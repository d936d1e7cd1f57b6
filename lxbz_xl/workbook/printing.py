"""Page setup of the generated forms: A4 as the paper form is printed, readable type, the sign-off on
the page of the results.

* Orientation: portrait unless the rubric's `form.orientation` says landscape.
* A sheet whose columns fit the paper's width at a readable size (smallest type ≥ MIN_PT after scaling)
  is fitted to one page wide and as many pages tall as it needs (never squeezed to one page). A wider
  sheet (the ballot matrix, a member table) is printed at a readable scale and split across pages, its
  key columns (`print_cols`) and header rows (`print_rows`) repeated on every page.
* Row breaks: rows of one group (an item, a vote table) stay on one page, and everything from
  `keep_from` on (the last item, the total, results, sign-off) stays together; the breaks are balanced
  so the last page is not a lonely tail (learning_team's item 10, total and sign-off on their own).
* Margins leave room for the page-number footer inside the printable area (LibreOffice's PDF too).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from openpyxl.utils import column_index_from_string
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from lxbz_xl.workbook.model import SheetPlan

A4 = (595.3, 841.9)  # points, portrait
MARGIN_LR, MARGIN_TOP, MARGIN_BOTTOM = 0.4, 0.6, 0.75  # inches
HEADER, FOOTER = 0.25, 0.3  # inches from the edge: inside the top and bottom margins
MIN_PT = 8.0  # smallest effective type size on paper (member, ballot and roster sheets)
# Pixels per character of column width: Excel's default font (Calibri 11) has 7; LibreOffice without
# Carlito measures about 9.1 (measured on its PDF: learning_team prints at 70 % where Excel uses 90 %).
# Page breaks are placed for the larger print (Excel's), so they hold in both; the readable-size test
# uses the smaller one (LibreOffice's), so the type is readable in both.
EXCEL_PX, LIBREOFFICE_PX = 7.0, 9.1
SMALLEST_FONT = 9.0  # the smallest type the forms use (styles.py: text, subtitle)
DEFAULT_ROW = 15.0
SLACK = 0.96  # LibreOffice and Excel lay rows out a little taller than their nominal height


@dataclass(frozen=True)
class PageFit:
    fit_to_width: bool
    scale: int  # percent (the scale the fit gives, or the readable one for a sheet split across pages)
    breaks: tuple[int, ...]  # a page break after each of these rows


def column_points(width: float, px: float = EXCEL_PX) -> float:
    """A column `width` (characters of the default font, `px` pixels each) in points."""
    return (math.floor(width * px + 5)) * 0.75


def content_width(sp: SheetPlan, px: float = EXCEL_PX) -> float:
    hidden = set(sp.hidden_cols)
    last = max([sp.last_col, *(column_index_from_string(c) for c in sp.widths)])
    total = 0.0
    for i in range(1, last + 1):
        letter = get_column_letter(i)
        if letter not in hidden:
            total += column_points(sp.widths.get(letter, 8.43), px)
    return total


def page_size(sp: SheetPlan) -> tuple[float, float]:
    """Printable width and height in points."""
    w, h = (A4[1], A4[0]) if sp.landscape else A4
    return w - 2 * MARGIN_LR * 72, h - (MARGIN_TOP + MARGIN_BOTTOM) * 72


def fit(sp: SheetPlan) -> PageFit:
    """Fit to the paper's width when the sheet is a form (the main sheet: like the paper form) or when
    the type stays readable; otherwise a fixed readable scale, split across pages."""
    width, height = page_size(sp)
    scale = min(100, math.floor(100 * width / content_width(sp)))
    smallest = min(100, math.floor(100 * width / content_width(sp, LIBREOFFICE_PX)))
    fits = sp.print_cols is None or smallest * SMALLEST_FONT / 100 >= MIN_PT
    if not fits:
        scale = math.ceil(100 * MIN_PT / SMALLEST_FONT)
    cap = height * SLACK * 100 / scale
    return PageFit(fits, scale, tuple(row_breaks(sp, cap)))


def first_page_columns(sp: SheetPlan, page: PageFit) -> int:
    """How many columns (from A) print on the first page across, at the page's scale (Excel's measure,
    the wider one); all of them when the sheet is fitted to the width."""
    if page.fit_to_width:
        return sp.last_col
    room = page_size(sp)[0] * 100 / page.scale
    used, n = 0.0, 0
    hidden = set(sp.hidden_cols)
    for i in range(1, sp.last_col + 1):
        letter = get_column_letter(i)
        if letter in hidden:
            continue
        used += column_points(sp.widths.get(letter, 8.43))
        if used > room:
            break
        n = i
    return max(n, 1)


def _rows(spec: str | None) -> tuple[int, int] | None:
    if not spec:
        return None
    a, b = spec.split(":")
    return int(a), int(b)


def row_breaks(sp: SheetPlan, cap: float) -> list[int]:
    """Rows after which a page ends, for pages `cap` points tall (at 100 %), or [] when it fits or when
    the sheet has nothing to keep together."""
    if sp.keep_from is None and not sp.groups:
        return []
    heights = {r: sp.heights.get(r, DEFAULT_ROW) for r in range(1, sp.last_row + 1)}
    titles = _rows(sp.print_rows)
    title_h = sum(heights[r] for r in range(titles[0], titles[1] + 1)) if titles else 0.0
    first_body = titles[1] + 1 if titles else 1
    inside = {r for a, b in sp.groups for r in range(a + 1, b + 1)}
    end = sp.keep_from or sp.last_row + 1
    starts = [r for r in range(first_body + 1, sp.last_row + 1) if r not in inside and r <= end]
    # Segments: [1, s1), [s1, s2), …; the first also holds the rows above the repeated heading.
    bounds = [1, *starts, sp.last_row + 1]
    segments = [(a, b - 1, sum(heights[r] for r in range(a, b))) for a, b in itertools.pairwise(bounds)]
    if sum(h for *_, h in segments) <= cap:
        return []

    def pack(limit: float) -> list[int] | None:
        """Greedy: a break before each segment that no longer fits; None if one segment can't fit."""
        breaks: list[int] = []
        used = 0.0
        for a, _b, h in segments:
            if used > 0 and used + h > limit:
                breaks.append(a - 1)
                used = title_h  # the repeated heading rows
            used += h
            if used > limit:
                return None
        return breaks

    greedy = pack(cap)
    if greedy is None:
        return []  # leave it to the program's own breaks
    lo, hi = max(h for *_, h in segments), cap
    for _ in range(40):  # the smallest page height that needs no more pages: every page about as full
        mid = (lo + hi) / 2
        trial = pack(mid)
        if trial is not None and len(trial) <= len(greedy):
            hi = mid
        else:
            lo = mid
    return pack(hi) or greedy


def apply(ws: Worksheet, sp: SheetPlan) -> PageFit:
    page = fit(sp)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sp.landscape else "portrait"
    if page.fit_to_width:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    else:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
        ws.page_setup.scale = page.scale
    if sp.print_rows:
        ws.print_title_rows = sp.print_rows
    if sp.print_cols and not page.fit_to_width:
        ws.print_title_cols = sp.print_cols
    if page.breaks:
        ws.row_breaks = RowBreak(brk=[Break(id=r) for r in page.breaks])
    ws.print_options.horizontalCentered = True
    m = ws.page_margins
    m.left = m.right = MARGIN_LR
    m.top, m.bottom, m.header, m.footer = MARGIN_TOP, MARGIN_BOTTOM, HEADER, FOOTER
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    ws.oddFooter.center.size = 9
    return page
