"""The summary's sheets stream (issue 14): rows go to a spool and then to a write-only sheet, hyperlinks,
their relationships and the comments go to files of their own and are spliced into the package. What
comes out must be what the in-memory writer wrote."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl import Workbook

from lxbz_xl.summary.charts import Source
from lxbz_xl.summary.model import Ref
from lxbz_xl.summary.sheets import SPOOL_ROWS, Sheet, V
from lxbz_xl.summary.write_xlsx import save_workbook

N = SPOOL_ROWS * 2 + 37  # several spool flushes and a partial one


def _write(tmp_path: Path) -> tuple[Path, Source]:
    wb = Workbook(write_only=True)
    sh = Sheet(wb, "表", "标题", tmp_path)
    sh.track([2])
    sh.heading(3)
    sh.text("说明文字" * 40)
    sh.header_row = sh.header(["单位", "总分", "来源"])
    long = "很长的说明" * 30  # wraps: its row's height must fit it
    first, last = sh.rows(
        [
            f"=单位{i}",  # text from a submission that looks like a formula stays text
            V(
                i,
                ref=Ref(str(tmp_path / "sub" / f"{i}.xlsx"), "考评表", f"H{i}"),
                mark=f"原因{i}" if i % 7 == 0 else None,
            ),
            V(long if i % 5 == 0 else "短", goto="'表'!A1", wrap=True),
        ]
        for i in range(N)
    )
    source = Source.of(sh, first, last, {"": {"total": 2}})
    sh.finish(ncols=3, table=(1, last), max_width=20)
    out = save_workbook(wb, tmp_path / "out.xlsx")  # the package with the links and comments spliced in
    return out, source


def test_streamed_sheet_keeps_every_cell_link_comment_and_height(tmp_path: Path) -> None:
    out, source = _write(tmp_path)
    ws = openpyxl.load_workbook(out)["表"]
    head = 3
    assert ws.auto_filter.ref == f"A{head}:C{head + N}"
    assert ws.freeze_panes == f"A{head + 1}"
    for i in range(N):
        row = head + 1 + i
        unit, total, where = (ws.cell(row, c) for c in (1, 2, 3))
        assert unit.value == f"=单位{i}" and unit.data_type == "s" and unit.quotePrefix
        assert total.value == i
        assert total.hyperlink is not None
        assert total.hyperlink.target == f"sub/{i}.xlsx#'考评表'!H{i}"
        assert (total.comment.text if total.comment else None) == (f"原因{i}" if i % 7 == 0 else None)
        assert where.hyperlink is not None and where.hyperlink.location == "'表'!A1"
        height = ws.row_dimensions[row].height
        assert (height is not None and height > 30) == (i % 5 == 0), (i, height)
    # The used range is declared before the rows, as a normal sheet declares it.
    assert openpyxl.load_workbook(out, read_only=True)["表"].calculate_dimension() == f"A1:C{head + N}"
    # The charts' column survives the spool, headers included.
    assert source.values(2) == list(range(N))
    assert source.header(2) == "总分"


def test_link_relationships_are_unique_and_all_referenced(tmp_path: Path) -> None:
    out, _ = _write(tmp_path)
    with zipfile.ZipFile(out) as z:
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()

    ids = re.findall(r'Id="(rId\d+)"', rels)
    assert len(ids) == len(set(ids)) == N
    used = re.findall(r'<hyperlink [^>]*r:id="(rId\d+)"', sheet) or re.findall(r'id="(rId\d+)"', sheet)
    assert set(used) == set(ids)
