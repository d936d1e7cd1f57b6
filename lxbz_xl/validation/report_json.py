"""--json FILE: one record per workbook, stable keys (see WorkbookReport.to_json and model.CODES).

Written record by record as the reports are read (from the runner's spool), so the report is never
held whole; the text is exactly ``json.dumps(to_json(reports), ensure_ascii=False, indent=1)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lxbz_xl.validation.model import WorkbookReport

SCHEMA = "lxbz-validate/1"


def summary(reports: Iterable[WorkbookReport]) -> dict[str, int]:
    """Counts over the reports, in one pass (each report is read once and dropped)."""
    workbooks = invalid = findings = 0
    for r in reports:
        workbooks += 1
        invalid += r.status == "invalid"
        findings += len(r.findings)
    return {"workbooks": workbooks, "valid": workbooks - invalid, "invalid": invalid, "findings": findings}


def to_json(reports: Sequence[WorkbookReport]) -> dict[str, Any]:
    return {"schema": SCHEMA, "summary": summary(reports), "workbooks": [r.to_json() for r in reports]}


def _dumps(value: Any, level: int) -> str:
    """``value`` as json.dumps(indent=1) writes it nested ``level`` deep (its first line not indented)."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * level)


def write_json(reports: Sequence[WorkbookReport], path: Path, totals: dict[str, int] | None = None) -> None:
    """``totals``: :func:`summary` of the same reports when the caller already counted them."""
    head = _dumps({"schema": SCHEMA, "summary": totals or summary(reports)}, 0)
    # Control characters are escaped by json itself; lone surrogates (an undecodable file name) are not
    # encodable as UTF-8 and are written as visible escapes instead of ending the run.
    with path.open("w", encoding="utf-8", errors="backslashreplace") as out:
        out.write(head[:-2] + ',\n "workbooks": [')
        first = True
        for r in reports:
            out.write(("\n  " if first else ",\n  ") + _dumps(r.to_json(), 2))
            first = False
        out.write("]\n}\n" if first else "\n ]\n}\n")
