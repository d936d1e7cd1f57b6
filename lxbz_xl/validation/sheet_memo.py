"""Worksheets this worker has already read clean, by the digest of their bytes.

A sheet's reading (cells, hidden rows and columns, merges, validations, protection, formula digests) is a
function of the part's bytes, the rows kept, the limits and the shared-strings table, which together are
the key. A submission's sheets that nobody fills in (the criteria, the scoring notes) repeat those of
every other submission of the template, so they are read once per worker. A hit hands out copies of the
containers; the cells themselves are shared, as the row memo already shares them (no check mutates a
cell after reading). The memo is bounded by the source bytes it stands for.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from lxbz_xl.validation.sheet_scan import Cells, Sheet
from lxbz_xl.validation.xml_stream import Budget

_MEMO_BYTES = 4 * 1024 * 1024  # source bytes the kept readings stand for, per worker
_MEMO: OrderedDict[tuple[Any, ...], tuple[Sheet, int, int]] = OrderedDict()
_held = 0


def _copy_into(source: Sheet, target: Sheet) -> None:
    target.cells = Cells(source.cells)
    target.hidden_rows = set(source.hidden_rows)
    target.tall_rows = set(source.tall_rows)
    target.zero_height = source.zero_height
    target.hidden_cols = list(source.hidden_cols)
    target.merged = list(source.merged)
    target.validations = list(source.validations)
    target.protected = source.protected
    target.formula_digest = source.formula_digest
    target.tail_digest = source.tail_digest


def restore(key: tuple[Any, ...] | None, sheet: Sheet, budget: Budget) -> bool:
    """Fill ``sheet`` from a reading kept under ``key``; False when there is none, or when counting its
    elements would breach the file's limit (the part is then read, and the limit reported as ever)."""
    if key is None:
        return False
    kept = _MEMO.get(key)
    if kept is None:
        return False
    snapshot, elements, size = kept
    if budget.elements + elements > budget.limits.max_elements:
        return False
    _MEMO.move_to_end(key)
    budget.elements += elements
    _copy_into(snapshot, sheet)
    budget.check_time(sheet.part, size)
    return True


def keep(key: tuple[Any, ...] | None, sheet: Sheet, elements: int, size: int) -> None:
    """Remember a clean reading of ``size`` source bytes that counted ``elements`` elements."""
    global _held
    if key is None or size > _MEMO_BYTES // 8 or key in _MEMO:
        return
    snapshot = Sheet(sheet.name, sheet.part, sheet.state)
    _copy_into(sheet, snapshot)
    _MEMO[key] = (snapshot, elements, size)
    _held += size
    while _held > _MEMO_BYTES:
        _old, (_s, _e, dropped) = _MEMO.popitem(last=False)
        _held -= dropped


def clear() -> None:
    """Forget every reading (tests)."""
    global _held
    _MEMO.clear()
    _held = 0
