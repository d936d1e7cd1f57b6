"""--junit FILE: each workbook is a test case, so CI systems list failing submissions by file name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def _totals(reports: Iterable[WorkbookReport]) -> dict[str, str]:
    tests = failures = errors = 0
    seconds = 0.0
    for r in reports:
        crash = any(f.code in CRASHES for f in r.findings)
        tests += 1
        errors += crash
        failures += r.status == "invalid" and not crash
        seconds += r.seconds
    return {
        "tests": str(tests),
        "failures": str(failures),
        "errors": str(errors),
        "time": f"{seconds:.3f}",
    }


def _case(report: WorkbookReport) -> ET.Element:
    case = ET.Element(
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
    return case


def _shell(totals: dict[str, str]) -> tuple[ET.Element, ET.Element]:
    t = totals
    root = ET.Element(
        "testsuites",
        name="lxbz validate",
        tests=t["tests"],
        failures=t["failures"],
        errors=t["errors"],
        time=t["time"],
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name="lxbz validate",
        tests=t["tests"],
        failures=t["failures"],
        errors=t["errors"],
        skipped="0",
        time=t["time"],
    )
    return root, suite


def to_junit(reports: Sequence[WorkbookReport]) -> ET.Element:
    root, suite = _shell(_totals(reports))
    suite.extend(_case(r) for r in reports)
    return root


_MARK = "\ue000cases\ue000"  # a private-use character: xml() escapes nothing of it, no report holds it


def write_junit(reports: Sequence[WorkbookReport], path: Path) -> None:
    """The same bytes as ``ET.indent`` + ``write`` of :func:`to_junit`, written one test case at a time
    (the totals come from a first pass over the reports), so the report is never held whole."""
    root, suite = _shell(_totals(reports))
    if not reports:
        tree = ET.ElementTree(root)
        ET.indent(tree)
        tree.write(path, encoding="utf-8", xml_declaration=True)
        return
    root.text, suite.text, suite.tail = "\n  ", _MARK, "\n"
    head, tail = ET.tostring(root, encoding="unicode").split(_MARK)
    with path.open("w", encoding="utf-8", errors="xmlcharrefreplace") as out:
        out.write("<?xml version='1.0' encoding='utf-8'?>\n" + head)
        for r in reports:
            case = _case(r)
            ET.indent(case, level=2)
            out.write("\n    " + ET.tostring(case, encoding="unicode"))
        out.write("\n  " + tail)
