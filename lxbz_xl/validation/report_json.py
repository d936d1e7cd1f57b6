"""--json FILE: one record per workbook, stable keys (see WorkbookReport.to_json and model.CODES)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxbz_xl.validation.model import WorkbookReport

SCHEMA = "lxbz-validate/1"


def summary(reports: Sequence[WorkbookReport]) -> dict[str, int]:
    invalid = sum(r.status == "invalid" for r in reports)
    return {
        "workbooks": len(reports),
        "valid": len(reports) - invalid,
        "invalid": invalid,
        "findings": sum(len(r.findings) for r in reports),
    }


def to_json(reports: Sequence[WorkbookReport]) -> dict[str, Any]:
    return {"schema": SCHEMA, "summary": summary(reports), "workbooks": [r.to_json() for r in reports]}


def write_json(reports: Sequence[WorkbookReport], path: Path) -> None:
    # Control characters are escaped by json itself; lone surrogates (an undecodable file name) are not
    # encodable as UTF-8 and are written as visible escapes instead of ending the run.
    text = json.dumps(to_json(reports), ensure_ascii=False, indent=1) + "\n"
    path.write_text(text, encoding="utf-8", errors="backslashreplace")
