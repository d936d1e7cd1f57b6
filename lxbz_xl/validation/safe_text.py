"""Text from a submission (file names, unit names, sheet names, cell text) on its way into a report.

Such text is data, never markup or a formula: every report writer passes it through one of these.

- `console`: control and bidirectional-override characters shown as visible escapes, then rich markup
  escaped (`[red]` in a file name is printed, not interpreted).
- `xml`: characters XML 1.0 cannot hold (C0 controls, lone surrogates from undecodable file names,
  U+FFFE/U+FFFF) shown as visible escapes, so JUnit and JSON stay valid and encodable.
- `put_text`: an xlsx cell that holds text as a string, never a formula: text starting with = + - @ tab
  or CR is stored as a string cell with the quote prefix (Excel shows it as typed and does not turn it
  into a formula when the cell is edited); illegal characters are escaped as for XML.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # embeddings, overrides, isolates


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _xml_bad(ch: str) -> bool:
    code = ord(ch)
    return (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)


def xml(text: object) -> str:
    """Text XML 1.0 (and UTF-8) can hold; what it cannot is shown as a visible escape (\\x01)."""
    s = str(text)
    if s.isprintable() and not any(_xml_bad(c) for c in s):
        return s
    return "".join(_escape(c) if _xml_bad(c) else c for c in s)


def plain(text: object) -> str:
    """One-line text for a terminal: controls (also newlines) and bidi overrides as visible escapes."""
    s = str(text)
    return "".join(
        _escape(c)
        if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in _BIDI or 0xD800 <= ord(c) <= 0xDFFF
        else c
        for c in s
    )


def console(text: object) -> str:
    """Text for rich's console: visible escapes, markup escaped."""
    from rich.markup import escape

    return escape(plain(text))


class Formula(str):
    """A formula the report itself computes (e.g. the summary's =COUNTIF): the one text `put_text` writes
    as a formula. Text from a submission is never wrapped in it."""


def put_text(cell: Any, value: object) -> Any:
    """Set an openpyxl cell to ``value``; text is always a string cell, never a formula (but `Formula`)."""
    if not isinstance(value, str) or isinstance(value, Formula):
        cell.value = str(value) if isinstance(value, Formula) else value
        return cell
    text = xml(value)
    cell.value = text
    if cell.data_type == "f" or text.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
