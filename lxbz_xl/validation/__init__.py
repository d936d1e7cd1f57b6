"""Validation of submitted workbooks (`lxbz validate`, docs/validation.md).

guard (container checks) → read_fast (one bounded expat pass per part, xml_stream: the guard's limits and
the reading of the needed cells together) → checks_identity, checks_structure, checks_package,
checks_inputs (bounded values, then the core's messages), checks_tamper, checks_recompute → reports.
runner runs check_file over many files in worker processes; every failure becomes a finding.

Kept light: importing the guard alone must not pull in the scoring core.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Finding", "WorkbookReport", "check_file", "discover", "run"]


def __getattr__(name: str) -> Any:
    if name in ("Finding", "WorkbookReport"):
        from lxbz_xl.validation import model

        return getattr(model, name)
    if name == "check_file":
        from lxbz_xl.validation.check_file import check_file

        return check_file
    if name == "discover":
        from lxbz_xl.validation.discover import discover

        return discover
    if name == "run":
        from lxbz_xl.validation.runner import run

        return run
    raise AttributeError(name)
