"""Formula text as different spreadsheet programs save it, reduced to one comparable form.

Unknown functions are saved as ``_xludf.NAME``, newer functions carry ``_xlfn.``; LibreOffice lower-cases
names it does not know, writes ``TRUE()`` and may drop the quotes around a sheet name. None of these
changes what the formula computes, so none counts as tampering.

A workbook or add-in reference in front of a function (``[1]!LXBZ_TIER(…)``,
``'\\\\host\\x.xlam'!LXBZ_TOTAL(…)``) is *not* normalised away: it makes the call run code from another
file, so the comparison keeps it and :func:`book_prefix` names it for its own finding.
"""

from __future__ import annotations

import re
from functools import lru_cache

_STRING = re.compile(r'"(?:[^"]|"")*"')
# A workbook/add-in reference directly in front of a function call (a sheet reference is followed by a
# cell, never by "NAME(").
_BOOK_PREFIX = re.compile(
    r"""(?:'(?:[^']|'')*'|\[\d+\][^\s(),;'"!]*|[^\s(),;'"!=<>&+\-*/^:]+)!(?=[A-Za-z_][\w.]*\()"""
)
_FUNC_PREFIX = re.compile(r"_(?:XLUDF|XLFN|XLWS|XLL|XLPM)\.", re.I)
_QUOTED_SHEET = re.compile(r"'((?:[^']|'')+)'!")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def normalise(text: str | None) -> str:
    """Comparable form: no '=', upper case and no spaces outside string literals (book prefixes kept)."""
    if not text:
        return ""
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    out: list[str] = []
    pos = 0
    for match in _STRING.finditer(text):
        out.append(_outside(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_outside(text[pos:]))
    return "".join(out)


def _outside(part: str) -> str:
    part = _FUNC_PREFIX.sub("", part)
    part = _QUOTED_SHEET.sub(lambda m: m.group(1).replace("''", "'") + "!", part)
    part = _SPACE.sub("", part).upper()
    return part.replace("TRUE()", "TRUE").replace("FALSE()", "FALSE")


def same_formula(expected: str | None, actual: str | None) -> bool:
    return normalise(expected) == normalise(actual)


def book_prefix(text: str | None) -> str | None:
    """The first workbook/add-in reference in front of a function call outside string literals, if any."""
    if not text or "!" not in text:
        return None
    pos = 0
    for match in [*_STRING.finditer(text), None]:
        end = match.start() if match is not None else len(text)
        found = _BOOK_PREFIX.search(text, pos, end)
        if found is not None:
            return found.group(0)
        if match is None:
            break
        pos = match.end()
    return None
