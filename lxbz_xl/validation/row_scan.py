"""A new worksheet row read without Python callbacks, for the rows sheet_fast has not met before.

expat with Python callbacks costs about a microsecond per element, and a filled form brings rows no other
submission had. A row is first parsed by expat *without* handlers, which checks at C speed everything
that makes XML well-formed (characters, UTF-8, duplicate attributes, ``]]>``, nesting). Only then is it
matched against the few shapes spreadsheet programs write: ``<row …>`` with cells ``<c r=… s=… t=…>``
holding an optional ``<f>`` and a ``<v>`` or a one-run inline string, attribute values without literal
tabs or newlines, no text between elements and no carriage return anywhere (so no newline needs
normalising; references are resolved as expat resolves them). The cells are built by the same functions the streaming reader uses
(:func:`make_cell`, :func:`note_formula`). Any other shape, and anything a reader would complain about
(a cell outside its row or given twice, a row number out of range, a cell without ``r``), returns None
and the row is read by the streaming reader on its own, as before: this path never decides a finding.
``tests/test_row_scan.py`` compares both readings on every row of the templates and on generated rows.
"""

from __future__ import annotations

import re
from typing import Any
from xml.parsers import expat

from lxbz_xl.validation.numbers_guard import small_int
from lxbz_xl.validation.sheet_scan import _TRUE, Cell, _is_zero, make_cell, note_formula

_WS = rb"[ \t\n]"
_ATTRS = rb"((?:" + _WS + rb'+[A-Za-z][A-Za-z0-9:]*="[^"<\t\n]*")*)' + _WS + rb"*"
_ROW = re.compile(_ATTRS + rb"(?:/>|>(.*)</row>)" + _WS + rb"*", re.DOTALL)
_CELL = re.compile(
    rb"<c"
    + _ATTRS
    + rb"(?:/>|>"
    + rb"(?:<f"
    + _ATTRS
    + rb"(?:/>|>([^<]*)</f>))?"
    + rb"(?:(<v/>)|<v>([^<]*)</v>|<is><t(?:"
    + _WS
    + rb'+xml:space="preserve")?'
    + _WS
    + rb"*(?:/>|>([^<]*)</t>)</is>)?"
    + rb"</c>)"
)
_ATTR = re.compile(rb'([A-Za-z][A-Za-z0-9:]*)="([^"]*)"')
_DEPTH = 4  # row > c > is > t
# expat has checked every reference: only the five predefined entities and character references remain
_REFERENCE = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _resolve(m: re.Match[str]) -> str:
    hexa, decimal, name = m.group(1, 2, 3)
    return chr(int(hexa, 16)) if hexa else chr(int(decimal)) if decimal else _NAMED[name]


def _text(raw: bytes) -> str:
    text = raw.decode()
    return _REFERENCE.sub(_resolve, text) if "&" in text else text


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode(): _text(v) for k, v in _ATTR.findall(raw)}


def scan_row(piece: bytes, limits: Any, make_row: Any) -> Any:
    """``make_row(number=…, count=…, cells=…, hidden=…, tall=…, keys=…, shared=…, followers=…, strings=…)``
    for the row ``<row`` + ``piece``, or None when it is not one of the plain shapes (the caller then reads
    it as before)."""
    if b"\r" in piece or limits.max_depth - 2 < _DEPTH or len(piece) >= limits.max_text_chars:
        return None
    try:
        expat.ParserCreate().Parse(b"<row" + piece, True)
    except (expat.ExpatError, ValueError):
        return None
    whole = _ROW.fullmatch(piece)
    if whole is None:
        return None
    row_attrs = _attrs(whole.group(1))
    number = small_int(row_attrs.get("r", ""))
    if number is None or not 0 < number <= limits.max_sheet_rows:
        return None
    row_text = str(number)
    size = len(row_text)
    hidden = row_attrs.get("hidden") in _TRUE
    tall = False
    ht = row_attrs.get("ht")
    if ht is not None:
        if _is_zero(ht):
            hidden = True
        else:
            tall = True
    cells: dict[str, Cell] = {}
    reader = _Notes()
    strings: dict[str, str] = {}
    count = 1
    content = whole.group(2) or b""
    at, end = 0, len(content)
    styles: dict[str, int] = {}
    while at < end:
        m = _CELL.match(content, at)
        if m is None:
            return None
        at = m.end()
        c_attrs = _attrs(m.group(1))
        ref = c_attrs.get("r")
        if (
            ref is None
            or ref in cells
            or not (len(ref) > size and ref.endswith(row_text) and ref[-size - 1].isalpha())
        ):
            return None  # numbered from the previous cell, misplaced or repeated: the reader's business
        kind = c_attrs.get("t", "n")
        s = c_attrs.get("s")
        style = 0 if s is None else styles.setdefault(s, small_int(s) or 0)
        f_attrs, f_text, v_empty, v_text, t_text = m.group(2, 3, 4, 5, 6)
        count += 1
        raw: str | None = None
        if v_empty is not None:
            raw, count = "", count + 1
        elif v_text is not None:
            raw, count = _text(v_text), count + 1
        inline: list[str] | None = None
        if b"<is>" in m.group(0):
            inline, count = [] if t_text is None else [_text(t_text)], count + 2
        cell = make_cell(kind, raw, inline, style, None)
        if kind == "s" and raw is not None:
            strings[ref] = raw
        if f_attrs is not None:
            count += 1
            note_formula(cell, ref, _attrs(f_attrs), "" if f_text is None else _text(f_text), reader)
        cells[ref] = cell
    return make_row(
        number=number,
        count=count,
        cells=cells,
        hidden=hidden,
        tall=tall,
        keys=reader.formula_keys,
        shared=reader.shared,
        followers=reader.followers,
        strings=strings,
    )


class _Notes:
    """Where note_formula records shared masters, followers and formula keys."""

    def __init__(self) -> None:
        self.shared: dict[str, tuple[str, str]] = {}
        self.followers: list[tuple[str, str]] = []
        self.formula_keys: list[str] = []
