"""The `lxbz score` report as plain text, without importing rich, when the output is not a terminal.

rich prints no colours to a pipe or a file, so there its output is plain text laid out at 160 columns:
markup tags dropped, long lines folded, the item table padded to its columns. `PlainReport` produces
exactly those bytes for the text it is sure about, and refuses (`Unsupported`) everything else, so the
caller prints that report with rich as before. It accepts only characters whose width rich measures as
this module does (printable ASCII but `[ ] \\`, CJK ideographs, CJK and full-width punctuation and a few
narrow symbols; tests/test_cli_start.py compares every one with rich), no candidate for rich's emoji codes
(`:smile:`), only the markup tags report_table.py writes, and tables that fit in the width. Output is
identical to rich's (tests compare both on the examples and on generated text), only cheaper to start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

WIDTH = 160  # cli._console(): Console(width=160)
TAGS = re.compile(r"\[/?(?:bold|dim|red)\]")  # the markup report_table.py writes around text
_EMOJI_CANDIDATE = re.compile(r":[!-~]*:")  # rich replaces :name: (ASCII names) by an emoji
_ASCII_SPECIAL = frozenset("[]\\")
_NARROW = frozenset("·×÷–—‘’“”…←→≤≥≠")
_WIDE_RANGES = (
    (0x3001, 0x3029),  # CJK punctuation (、。《》【】…), not the ideographic space or the tone marks
    (0x3030, 0x303E),
    (0x3400, 0x4DBF),  # CJK ideographs, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xFF01, 0xFF60),  # full-width forms ((),:;…)
    (0xFFE0, 0xFFE6),
)
# Environment that makes rich write escapes or measure widths differently even to a pipe.
RICH_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "UNICODE_VERSION")


class Unsupported(ValueError):
    """Text this module cannot lay out exactly as rich does."""


def applies(stream: object) -> bool:
    """True when rich would print plain text to `stream` (not a terminal, no colour forced)."""
    isatty = getattr(stream, "isatty", None)
    try:
        terminal = bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream: let rich report it
        return False
    return not terminal and not any(name in os.environ for name in RICH_ENV)


def width(ch: str) -> int:
    """Terminal cells of one accepted character (as rich.cells measures it); Unsupported otherwise."""
    code = ord(ch)
    if 0x20 <= code <= 0x7E:
        if ch in _ASCII_SPECIAL:
            raise Unsupported(ch)
        return 1
    if ch in _NARROW:
        return 1
    if any(lo <= code <= hi for lo, hi in _WIDE_RANGES):
        return 2
    raise Unsupported(ch)


def cells(text: str) -> int:
    """Terminal cells of accepted text; Unsupported for any other character."""
    if text.isascii() and text.isprintable() and not _ASCII_SPECIAL.intersection(text):
        return len(text)
    return sum(width(c) for c in text)


def checked(text: object) -> str:
    """`text` when it prints as itself through rich (no markup, emoji code or special character)."""
    s = str(text)
    cells(s)  # raises on any character outside the accepted set (controls, brackets, backslash…)
    if _EMOJI_CANDIDATE.search(s):
        raise Unsupported(s)
    return s


def _fold(text: str, size: int) -> list[str]:
    """rich's Text.wrap for one line without tabs: words (a space-separated run with its trailing spaces)
    stay whole when they fit, a word longer than the line is folded by cells (rich._wrap.divide_line)."""
    if cells(text) <= size:
        return [text]
    lines: list[str] = []
    line, used = "", 0
    for word in re.findall(r" *[^ ]+ *", text) or [text]:
        bare = cells(word.rstrip(" "))
        if size - used >= bare:
            line, used = line + word, used + cells(word)
        elif bare > size:
            chunks, chunk, n = [], "", 0
            for ch in word:
                w = width(ch)
                if n + w > size:
                    chunks.append(chunk)
                    chunk, n = "", 0
                chunk, n = chunk + ch, n + w
            chunks.append(chunk)
            for chunk in chunks[:-1]:
                if line:
                    lines.append(line)
                line = chunk
            if line:
                lines.append(line)
            line, used = chunks[-1], cells(chunks[-1])
        elif used:
            lines.append(line)
            line, used = word, cells(word)
        else:
            line, used = line + word, used + cells(word)
    lines.append(line)
    return [_crop(one, size) for one in lines]


def _crop(line: str, size: int) -> str:
    """rich's rstrip_end (by characters) and truncate (by cells): only trailing spaces ever go."""
    if len(line) > size:
        spaces = len(line) - len(line.rstrip(" "))
        line = line[: len(line) - min(spaces, len(line) - size)]
    while cells(line) > size and line.endswith(" "):
        line = line[:-1]
    if cells(line) > size:
        raise Unsupported(line)
    return line


def _collapse(widths: list[int], size: int) -> list[int]:
    """rich's Table._collapse_widths (every column may wrap), then its last resort (reduce evenly)."""
    excess = sum(widths) - size
    while excess > 0:
        widest = max(widths)
        second = max((w for w in widths if w != widest), default=0)
        if widest == second:
            break
        ratios = [1 if w == widest else 0 for w in widths]
        widths = _ratio_reduce(excess, ratios, [min(excess, widest - second)] * len(widths), widths)
        excess = sum(widths) - size
    if excess > 0:
        widths = _ratio_reduce(excess, [1] * len(widths), widths, widths)
    return widths


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich._ratio.ratio_reduce: take `total` from `values` in proportion to `ratios`, each at most its
    maximum (Python's round, as rich rounds)."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums, strict=True)]
    left, weight = total, sum(ratios)
    out = []
    for ratio, most, value in zip(ratios, maximums, values, strict=True):
        if ratio and weight > 0:
            taken = min(most, round(ratio * left / weight))
            out.append(value - taken)
            left -= taken
            weight -= ratio
        else:
            out.append(value)
    return out


class PlainReport:
    """The report_table.py output interface, writing what rich would write to a pipe."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def esc(self, text: object) -> str:
        return checked(text)

    def line(self, markup: str) -> None:
        text = checked(TAGS.sub("", markup))
        self.parts.extend(one + "\n" for one in _fold(text, WIDTH))

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """rich.table.Table(box=None, pad_edge=False, show_header=True), columns left-justified and folding:
        each column as wide as its widest cell plus one space of padding between columns; a table wider
        than the console shrinks its widest columns first (rich's Table._collapse_widths) and their cells
        fold onto more lines."""
        body = [[checked(c) for c in row] for row in [list(columns), *rows]]
        last = len(columns) - 1
        pads = [(0 if i == 0 else 1, 0 if i == last else 1) for i in range(len(columns))]
        # rich measures a column as its widest cell plus padding, at most the console width, at least 1
        widest = [max(cells(row[i]) for row in body) + sum(pads[i]) for i in range(len(columns))]
        widths = [min(w, WIDTH) or 1 for w in widest]
        if sum(widths) > WIDTH:
            widths = _collapse(widths, WIDTH)
        for row in body:
            blocks = []
            for cell, total, (left, right) in zip(row, widths, pads, strict=True):
                inner = total - left - right
                if inner < 2:  # a wide character cannot fold into one cell: rich's own cropping applies
                    raise Unsupported("column too narrow")
                blocks.append(
                    [" " * left + one + " " * (inner - cells(one) + right) for one in _fold(cell, inner)]
                )
            height = max(len(block) for block in blocks)
            for i in range(height):
                line = "".join(
                    block[i] if i < len(block) else " " * total
                    for block, total in zip(blocks, widths, strict=True)
                )
                self.parts.append(line + "\n")

    def text(self) -> str:
        return "".join(self.parts)
