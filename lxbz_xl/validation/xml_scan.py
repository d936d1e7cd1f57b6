"""Small helpers for what the streaming reader hands over: cell references, entity text, digests."""

from __future__ import annotations

import hashlib
import re


class ReadError(ValueError):
    """The package is not a workbook we can read (Chinese message)."""


_ENTITY = re.compile(r"&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unescape(text: str | bytes) -> str:
    """The five predefined entities and character references (never an entity from a DTD)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if "&" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("#"):
            code = int(key[2:], 16) if key.startswith("#x") else int(key[1:])
            return chr(code) if code <= 0x10FFFF else "\ufffd"
        return _NAMED[key]

    return _ENTITY.sub(one, text)


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def split_ref(ref: str) -> tuple[int, int]:
    """'C12' → (12, 3)."""
    match = _REF.match(ref)
    if match is None:
        raise ValueError(f"not a cell reference: {ref[:20]!r}")
    col = 0
    for ch in match.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)), col


def col_letter(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def digest(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()
