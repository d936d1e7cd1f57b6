"""Formula text as different spreadsheet programs save it, reduced to one comparable form.

Excel saves a call to an add-in function with a workbook reference (``[1]!LXBZ_TIER(…)`` or
``'C:\\…\\lxbz.xlam'!LXBZ_TIER(…)``) and unknown functions as ``_xludf.NAME``; newer functions carry
``_xlfn.``; LibreOffice lower-cases names it does not know, writes ``TRUE()`` and may drop the quotes
around a sheet name. None of these changes what the formula computes, so none counts as tampering.
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
    """Comparable form: no '=', no book/add-in prefixes, upper case and no spaces outside string literals."""
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
    part = _BOOK_PREFIX.sub("", part)
    part = _FUNC_PREFIX.sub("", part)
    part = _QUOTED_SHEET.sub(lambda m: m.group(1).replace("''", "'") + "!", part)
    part = _SPACE.sub("", part).upper()
    return part.replace("TRUE()", "TRUE").replace("FALSE()", "FALSE")


def same_formula(expected: str | None, actual: str | None) -> bool:
    return normalise(expected) == normalise(actual)
