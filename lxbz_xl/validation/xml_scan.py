"""Byte-level helpers for reading OOXML parts: entity decoding, attributes, cell references, part reads.

Regex scanning never expands entities: only the five predefined ones and character references are
decoded, and a part holding a DTD is refused (guard.inspect() has already rejected those files).
"""

from __future__ import annotations

import hashlib
import re
import zipfile

MAX_PART_BYTES = 100 * 1024 * 1024  # same as the guard's member limit


class ReadError(ValueError):
    """The package is not a workbook we can read (Chinese message)."""


_ENTITY = re.compile(rb"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);")
_NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}


def unescape(raw: bytes) -> str:
    if b"&" not in raw:
        return raw.decode("utf-8", "replace")

    def one(match: re.Match[bytes]) -> bytes:
        key = match.group(1)
        try:
            if key.startswith(b"#x"):
                return chr(int(key[2:], 16)).encode("utf-8", "replace")
            if key.startswith(b"#"):
                return chr(int(key[1:])).encode("utf-8", "replace")
        except (ValueError, OverflowError):  # a reference past U+10FFFF
            return "\ufffd".encode()
        return _NAMED[key].encode()

    return _ENTITY.sub(one, raw).decode("utf-8", "replace")


ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def parse_attrs(raw: bytes) -> dict[bytes, bytes]:
    return {k.split(b":")[-1]: v1 or v2 for k, v1, v2 in ATTR.findall(raw)}


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def split_ref(ref: str) -> tuple[int, int]:
    """'C12' → (12, 3)."""
    match = _REF.match(ref)
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
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


def to_utf8(data: bytes) -> bytes:
    """OOXML parts may be UTF-16; everything below scans UTF-8 bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8")
    if data.startswith(b"<\x00"):
        return data.decode("utf-16-le").encode("utf-8")
    if data.startswith(b"\x00<"):
        return data.decode("utf-16-be").encode("utf-8")
    return data


def read_part(archive: zipfile.ZipFile, part: str) -> bytes:
    with archive.open(part) as member:
        data = member.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise ReadError(f"内部文件 {part} 过大")
    data = to_utf8(data)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # defence in depth: the guard rejects these first
        raise ReadError(f"内部文件 {part} 含有 DTD/实体声明")
    return data


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()
