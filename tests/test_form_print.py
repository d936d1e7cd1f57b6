"""Printing: A4 as the paper form (orientation from the rubric's `form:` hints), fit to the width but
never squeezed to one page, readable ballot and member sheets split across pages, header rows repeated,
the sign-off with the results, and capacity (members, ballots) from the hints with a clear error."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lxbz_xl import load_rubric
from lxbz_xl.definition.loader import RUBRIC_DIR, builtin_ids
from lxbz_xl.workbook import printing
from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
from lxbz_xl.workbook.cases import FillError, cells_from_case
from lxbz_xl.workbook.form import MAIN_SHEET, plan_for
from lxbz_xl.workbook.samples import valid_cases
from tests.strategies import ITEM_RUBRICS

RUBRICS = builtin_ids()


@pytest.mark.parametrize("rid", RUBRICS)
def test_every_sheet_is_a4_fit_to_width_or_readable_and_never_one_page_tall(rid: str) -> None:
    defn = load_rubric(rid)
    wb = openpyxl.load_workbook(DEFAULT_DIR / template_name(rid, "native"))
    plans = {sp.title: sp for sp in plan_for(defn).sheets}
    for title, sp in plans.items():
        ws = wb[title]
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        want = "landscape" if sp.landscape else "portrait"
        assert ws.page_setup.orientation == want, title
        m = ws.page_margins
        assert m.footer < m.bottom and m.header < m.top  # header/footer inside the printable area
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0), title
        else:  # split across pages at a readable size, key columns repeated
            assert int(ws.page_setup.scale) * printing.SMALLEST_FONT / 100 >= printing.MIN_PT, title
            assert ws.print_title_cols, title
        if sp.print_rows:
            assert ws.print_title_rows, title
    main = wb[MAIN_SHEET]
    assert main.page_setup.orientation == defn.form.orientation


def test_orientation_comes_from_the_rubric_hints() -> None:
    assert load_rubric("learning_team").form.orientation == "landscape"
    assert load_rubric("annual_team").form.orientation == "portrait"
    assert plan_for(load_rubric("annual_team")).sheets[0].landscape is False


def test_ballot_matrix_is_split_at_a_readable_size() -> None:
    wb = openpyxl.load_workbook(DEFAULT_DIR / template_name("layered", "native"))
    defn = load_rubric("layered")
    ballots = next(b for b in plan_for(defn).blocks if b.spec.type == "ballots")
    ws = wb[ballots.sheet]
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.scale) >= 89 and ws.print_title_cols and ws.print_title_rows


def _last_page_items(rid: str) -> tuple[list[int], int]:
    sp = plan_for(load_rubric(rid)).sheets[0]
    breaks = printing.fit(sp).breaks
    firsts = [a for a, _ in sp.groups]
    items = plan_for(load_rubric(rid)).items
    item_rows = [a for a in firsts if any(f"{a}" == its.inputs[0].spec.ref[1:] for its in items)]
    return list(breaks), sum(1 for a in item_rows if not breaks or a > breaks[-1])


@pytest.mark.parametrize("rid", ITEM_RUBRICS)  # the long item-table forms
def test_sign_off_is_not_alone_with_the_last_item(rid: str) -> None:
    """The last page holds the total, results and sign-off with at least two items (learning_team's
    item 10, total and sign-off used to print alone on page 2)."""
    breaks, on_last = _last_page_items(rid)
    sp = plan_for(load_rubric(rid)).sheets[0]
    assert sp.keep_from is not None and all(b < sp.keep_from for b in breaks)
    if breaks:
        heights = [sp.heights.get(r, printing.DEFAULT_ROW) for r in range(1, sp.last_row + 1)]
        edges = [0, *breaks, sp.last_row]
        pages = [sum(heights[a:b]) for a, b in itertools.pairwise(edges)]
        # Two items at least, unless results and sign-off fill most of a page themselves.
        assert on_last >= 2 or pages[-1] >= 0.7 * max(pages), (rid, breaks, pages)


def test_breaks_balance_the_pages() -> None:
    sp = plan_for(load_rubric("learning_team")).sheets[0]
    page = printing.fit(sp)
    heights = [sp.heights.get(r, printing.DEFAULT_ROW) for r in range(1, sp.last_row + 1)]
    edges = [0, *page.breaks, sp.last_row]
    pages = [sum(heights[a:b]) for a, b in itertools.pairwise(edges)]
    cap = printing.page_size(sp)[1] * printing.SLACK * 100 / page.scale
    assert all(p <= cap for p in pages), pages
    assert min(pages) >= 0.5 * max(pages), pages  # no nearly empty last page


def _with_form(tmp: Path, rid: str, form: dict) -> Path:
    data = yaml.safe_load((RUBRIC_DIR / f"{rid}.yaml").read_text(encoding="utf-8"))
    data["form"] = form
    path = tmp / f"{rid}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_capacity_comes_from_the_hints_and_overflow_is_a_clear_error(tmp_path: Path) -> None:
    defn = load_rubric(_with_form(tmp_path, "layered", {"members": 6, "ballots": 8}))
    plan = plan_for(defn)
    assert plan.members is not None and plan.members.rows == 6
    ballots = next(b for b in plan.blocks if b.spec.type == "ballots")
    assert len(ballots.slots) == 8 * 6
    case = valid_cases(load_rubric("layered"), 1, seed=2)[0]
    members = [{**case["members"][0], "name": f"干部{k}"} for k in range(7)]
    with pytest.raises(FillError, match=r"有7人,超出表格容量6人.*form\.members"):
        cells_from_case(defn, {**case, "members": members})
    few = members[:2]
    votes = [{"干部0": "好"}] * 9
    with pytest.raises(FillError, match=r"有9张选票,超出表格容量8张.*form\.ballots"):
        cells_from_case(defn, {**case, "members": few, "ballots": votes})


def test_bad_hints_fail_at_load(tmp_path: Path) -> None:
    from lxbz_xl.definition.loader import DefinitionError

    with pytest.raises(DefinitionError, match="form"):
        load_rubric(_with_form(tmp_path, "layered", {"members": 0}))
    with pytest.raises(DefinitionError, match="form"):
        load_rubric(_with_form(tmp_path, "layered", {"orientation": "sideways"}))


@pytest.mark.libreoffice
def test_libreoffice_pdf_keeps_the_sign_off_with_items_and_shows_page_numbers(tmp_path: Path) -> None:
    from lxbz_xl.office import find_soffice, to_pdf

    if find_soffice() is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or pdftotext not installed")
    pdf = to_pdf(DEFAULT_DIR / template_name("learning_team", "native"), tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = text.split("\f")
    last_main = next(p for p in pages if "考评总分" in p)
    assert "签字" in last_main  # the sign-off prints with the total
    assert sum(f"{k}. " in last_main for k in range(1, 11)) >= 2  # with at least two items
    numbered = [p for p in pages if p.strip()]
    assert all("页/共" in p.replace(" ", "") for p in numbered)  # the footer prints on every page


@given(
    heights=st.lists(st.floats(min_value=12, max_value=160), min_size=3, max_size=60),
    group_len=st.integers(min_value=1, max_value=6),
    tail=st.integers(min_value=1, max_value=15),
)
@settings(max_examples=150, deadline=None)
def test_row_breaks_never_split_a_group_or_the_tail_and_fit_the_page(
    heights: list[float], group_len: int, tail: int
) -> None:
    from lxbz_xl.workbook.form import SheetPlan

    n = len(heights) + 2
    sp = SheetPlan("s", {"A": 10}, print_rows="2:2")
    sp.heights = {1: 30.0, 2: 20.0, **{r + 3: h for r, h in enumerate(heights)}}
    sp.last_row = n
    sp.groups = [(a, min(a + group_len - 1, n)) for a in range(3, n + 1, group_len)]
    sp.keep_from = max(3, n - tail + 1)
    cap = 400.0
    breaks = printing.row_breaks(sp, cap)
    assert breaks == sorted(set(breaks)) and all(2 <= b < n for b in breaks)
    for b in breaks:
        assert b < sp.keep_from  # nothing breaks inside the tail
        assert not any(a <= b < z for a, z in sp.groups)  # nor inside a group
    edges = [0, *breaks, n]
    title = sp.heights[2]
    for k, (a, z) in enumerate(itertools.pairwise(edges)):
        used = sum(sp.heights[r] for r in range(a + 1, z + 1)) + (title if k else 0.0)
        assert used <= cap + 1e-6 or not breaks  # every page fits (or the program breaks it itself)
