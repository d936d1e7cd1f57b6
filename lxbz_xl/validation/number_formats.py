"""Which number formats show nothing for a number: ``;;;`` and formats whose sections are all empty.

A format code has up to four sections separated by ``;`` (positive, negative, zero, text); conditions
such as ``[>=0]`` only change which section a number uses. A number is invisible when every numeric
section (the first three, or as many as there are) renders nothing: only bracketed codes (colours,
conditions, locales), empty string literals ``""``, padding ``_x`` and blanks. One linear scan, no
regular expression.
"""

from __future__ import annotations

from functools import lru_cache

MAX_FORMAT_CHARS = 1024  # longer codes are not inspected (Excel limits a format code to 255 characters)
_CLOSING = {'"': '"', "[": "]"}


def sections(code: str) -> list[str]:
    """Split at ``;`` outside quotes, brackets and backslash escapes."""
    out: list[str] = []
    current: list[str] = []
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch in _CLOSING:  # a quoted literal or a bracketed code: copied whole, ";" inside is no separator
            end = code.find(_CLOSING[ch], i + 1)
            end = n - 1 if end < 0 else end
            current.append(code[i : end + 1])
            i = end + 1
            continue
        if ch == "\\" and i + 1 < n:
            current.append(code[i : i + 2])
            i += 2
            continue
        if ch == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    out.append("".join(current))
    return out


def renders_nothing(section: str) -> bool:
    i, n = 0, len(section)
    while i < n:
        ch = section[i]
        if ch == "[":
            end = section.find("]", i + 1)
            i = n if end < 0 else end + 1
        elif ch == '"':
            end = section.find('"', i + 1)
            end = n if end < 0 else end
            if section[i + 1 : end].strip():
                return False
            i = end + 1
        elif ch == "_":
            i += 2  # padding the width of the next character: shows nothing
        elif ch == "*":
            if i + 1 < n and not section[i + 1].isspace():
                return False
            i += 2
        elif ch.isspace():
            i += 1
        else:
            return False
    return True


@lru_cache(maxsize=4096)
def hides_numbers(code: str) -> bool:
    if not code or len(code) > MAX_FORMAT_CHARS:
        return False
    parts = sections(code)
    numeric = parts[:3]
    if len(parts) == 1 and not parts[0]:
        return False
    return all(renders_nothing(part) for part in numeric)
