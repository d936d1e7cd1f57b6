"""Test areas as pytest markers, one per module (registered in pyproject.toml):

* core        — definitions, engine, CLI, worksheet functions as Python (with `not slow`: the everyday subset)
                (`.venv/bin/python -m pytest -m "core and not slow"`, see README);
* workbook    — templates, filling, pycel proofs, validation, summary, demo (openpyxl-heavy, slower);
* libreoffice — recalculation and previews in LibreOffice headless (also set on single tests elsewhere);
* lite        — xlwings Lite helpers under CPython (the Pyodide run itself is scripts/test-lite.sh).

Besides its area, a module in SLOW_MODULES is marked `slow` (hypothesis properties with hundreds of
examples): the everyday subset is `pytest -m "core and not slow"` (under 30 s on the 2-core machine).

A module may set its own `pytestmark`; otherwise MODULE_AREAS decides. A module listed nowhere counts as
`workbook`, so it stays out of the fast subset until someone places it here.
"""

from __future__ import annotations

import pytest

AREAS = ("core", "workbook", "libreoffice", "lite")

MODULE_AREAS = {
    "core": (
        "test_cli",
        "test_cli_start",
        "test_custom_rubric",
        "test_language_reference",
        "test_loader",
        "test_properties",
        "test_rubrics_show",
        "test_spec_cases",
        "test_udfs",
        "test_udfs_errors",
        "test_udfs_support",
        "test_udfs_xlwings",
    ),
    "workbook": (
        "test_authoring_example",
        "test_demo_population",
        "test_guard",
        "test_rubrics_release",
        "test_summary_cli",
        "test_summary_compute",
        "test_summary_workbook",
        "test_templates_build",
        "test_udfs_deploy",
        "test_validate",
        "test_validate_cli",
        "test_validate_support",
        "test_workbook_fill",
        "test_workbook_layout",
        "test_workbook_proof",
        "test_workbook_roster",
    ),
    "libreoffice": ("test_libreoffice",),
    "lite": ("test_lite",),
}
SLOW_MODULES = ("test_properties",)
_AREA_OF = {module: area for area, modules in MODULE_AREAS.items() for module in modules}


def area_of(module_name: str) -> str:
    return _AREA_OF.get(module_name.rsplit(".", 1)[-1], "workbook")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__ if item.module is not None else ""
        if module.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        if any(item.get_closest_marker(a) for a in AREAS if a != "libreoffice"):
            continue  # the module placed itself
        item.add_marker(getattr(pytest.mark, area_of(module)))
