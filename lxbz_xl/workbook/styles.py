"""Cell styles for the generated forms: CJK-friendly fonts, thin borders, wrapped text.

Named by role so the form plan never mentions a colour; one place to restyle every template.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

# 宋体 is what the seeds are printed in; LibreOffice maps it to an installed CJK font (Noto/WenQuanYi).
FONT_NAME = "宋体"
HEADING_FONT = "黑体"

_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
NO_BORDER = Border()

INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")  # pale yellow: "type here"
OUTPUT_FILL = PatternFill("solid", fgColor="EAF2FB")  # pale blue: computed
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")


def style(cell, role: str) -> None:  # type: ignore[no-untyped-def]
    """Apply the style for `role` to an openpyxl cell."""
    if role == "title":
        cell.font = Font(name=HEADING_FONT, size=16, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        return
    if role == "subtitle":
        cell.font = Font(name=FONT_NAME, size=9, italic=True)
        cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        return
    if role == "hint":  # shown only when something is wrong (functions not loaded)
        cell.font = Font(name=FONT_NAME, size=9, bold=True, color="C00000")
        cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        return
    if role == "sign":
        cell.font = Font(name=FONT_NAME, size=11)
        cell.alignment = Alignment(horizontal="left", vertical="center")
        return
    cell.border = BORDER
    if role == "header":
        cell.font = Font(name=HEADING_FONT, size=11, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    elif role == "section":
        cell.font = Font(name=HEADING_FONT, size=11, bold=True)
        cell.fill = SECTION_FILL
        cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    elif role == "label":
        cell.font = Font(name=FONT_NAME, size=10)
        cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    elif role == "center":
        cell.font = Font(name=FONT_NAME, size=10)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    elif role == "text":  # long standards and contents
        cell.font = Font(name=FONT_NAME, size=9)
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    elif role == "input":
        cell.font = Font(name=FONT_NAME, size=10, color="1F3A93")
        cell.fill = INPUT_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.protection = Protection(locked=False)
    elif role == "input_text":
        cell.font = Font(name=FONT_NAME, size=10, color="1F3A93")
        cell.fill = INPUT_FILL
        cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        cell.protection = Protection(locked=False)
    elif role == "output":
        cell.font = Font(name=FONT_NAME, size=10, bold=True)
        cell.fill = OUTPUT_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    elif role == "output_text":
        cell.font = Font(name=FONT_NAME, size=9)
        cell.fill = OUTPUT_FILL
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    elif role == "helper":
        cell.font = Font(name=FONT_NAME, size=9, color="808080")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    else:
        raise ValueError(f"unknown style role {role!r}")
