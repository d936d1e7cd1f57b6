"""Zip members this worker has already inflated and checked, recognised by their stored bytes.

Submissions of one template carry many members stored byte for byte alike: the theme, the styles,
workbook.xml and its rels, the sheets nobody fills in. Inflating a deflate stream is deterministic, and
everything zipfile looks at while reading a member is in the key: the local header (signature, name,
flags, lengths), the stored bytes, and the central directory's name, flags, method, sizes and CRC-32. So a
member whose key equals that of one read clean before inflates to the same bytes and passes the same
checks; its digest is known without inflating it again. The stored bytes are hashed with BLAKE2b, so a
forged CRC-32 cannot make two different members look alike. Only clean reads are remembered: a member
that failed anything is read again, and reports what it always reported.
"""

from __future__ import annotations

import struct
import zipfile
from collections import OrderedDict
from typing import Any

from lxbz_xl.validation.xml_scan import digest
from lxbz_xl.validation.xml_stream import Budget, read_member

_LOCAL = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_LOCAL_MAGIC = b"PK\x03\x04"
_ENCRYPTED = 0x1
_SIZE = 4096  # keys kept per worker (about 200 bytes each)
_MEMO: OrderedDict[tuple[Any, ...], tuple[bytes, int]] = OrderedDict()


def stored_key(source: bytes | None, info: zipfile.ZipInfo) -> tuple[Any, ...] | None:
    """What decides the member's reading, or None when the source bytes are not at hand or look odd
    (the member is then simply read)."""
    if source is None or info.flag_bits & _ENCRYPTED:
        return None
    start = info.header_offset
    head = source[start : start + _LOCAL.size]
    if len(head) != _LOCAL.size:
        return None
    fields = _LOCAL.unpack(head)
    if fields[0] != _LOCAL_MAGIC:
        return None
    end = start + _LOCAL.size + fields[10] + fields[11] + info.compress_size
    if end > len(source):
        return None
    stored = digest(memoryview(source)[start:end])
    return (
        info.orig_filename,
        info.flag_bits,
        info.compress_type,
        info.compress_size,
        info.file_size,
        info.CRC,
        stored,
    )


def member_digest(
    archive: zipfile.ZipFile, part: str, budget: Budget, source: bytes | None
) -> tuple[bytes, bytes | None]:
    """(digest of the inflated member, its bytes — or None when the digest came from the memo).

    A memo hit counts the member's inflated size against the file's budget as reading it would; one that
    would breach a limit is read instead, so the limit is reported exactly as before."""
    key = stored_key(source, archive.getinfo(part))
    if key is not None:
        known = _MEMO.get(key)
        if known is not None:
            limits = budget.limits
            size = known[1]
            if size <= limits.max_member_bytes and budget.inflated + size <= limits.max_uncompressed_bytes:
                _MEMO.move_to_end(key)
                budget.inflated += size
                return known[0], None
    data = read_member(archive, part, budget)
    value = digest(data)
    if key is not None:
        _MEMO[key] = (value, len(data))
        if len(_MEMO) > _SIZE:
            _MEMO.popitem(last=False)
    return value, data


def clear() -> None:
    """Forget every member (tests)."""
    _MEMO.clear()
