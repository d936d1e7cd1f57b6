"""--junit FILE: each workbook is a test case, so CI systems list failing submissions by file name."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

from lxbz_xl.validation.model import SEVERITY_WORDS, WorkbookReport
from lxbz_xl.validation.safe_text import xml

CRASHES = {"internal_error", "timeout"}  # <error>: the check itself failed, not the workbook


def _details(report: WorkbookReport) -> str:
    return xml(
        "\n".join(
            f"[{SEVERITY_WORDS[f.severity]}] {f.code} {f.where} {f.message}".replace("  ", " ")
            for f in report.findings
        )
    )


def to_junit(reports: Sequence[WorkbookReport]) -> ET.Element:
    failures = sum(r.status == "invalid" and not any(f.code in CRASHES for f in r.findings) for r in reports)
    errors = sum(any(f.code in CRASHES for f in r.findings) for r in reports)
    seconds = sum(r.seconds for r in reports)
    root = ET.Element(
        "testsuites",
        name="lxbz validate",
        tests=str(len(reports)),
        failures=str(failures),
        errors=str(errors),
        time=f"{seconds:.3f}",
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name="lxbz validate",
        tests=str(len(reports)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{seconds:.3f}",
    )
    for report in reports:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=xml(f"lxbz.validate.{report.rubric or 'unknown'}"),
            name=xml(report.path),
            time=f"{report.seconds:.3f}",
        )
        if report.status == "invalid":
            crash = next((f for f in report.findings if f.code in CRASHES), None)
            first = crash or next(f for f in report.findings if f.severity != "info")
            tag = "error" if crash else "failure"
            element = ET.SubElement(
                case,
                tag,
                type=first.code,
                message=xml(f"{len(report.findings)}个问题:{first.where} {first.message}".strip()),
            )
            element.text = _details(report)
        elif report.findings:
            ET.SubElement(case, "system-out").text = _details(report)
        props = ET.SubElement(case, "properties")
        for key in ("sha256", "rubric", "version", "variant", "unit", "year", "total", "tier", "title"):
            value = getattr(report, key)
            if value is not None:
                ET.SubElement(props, "property", name=key, value=xml(value))
    return root


def write_junit(reports: Sequence[WorkbookReport], path: Path) -> None:
    tree = ET.ElementTree(to_junit(reports))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
