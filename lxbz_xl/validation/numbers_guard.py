"""Bounded conversions of text from a submitted file: nothing unbounded reaches float()/int()/Decimal().

``Decimal("1e30000000")`` is cheap, but turning it into a Fraction or an int writes out thirty million
digits; ``int()`` of a long digit string is quadratic. Everything a hostile file controls goes through
these checks first. (lxbz_xl.inputs gets its own bounded grammar, ``parse_number``; this module guards
the validator until both are reconciled.)

The limits, documented in docs/validation.md:

* ``MAX_NUMBER_CHARS``: a number's text is at most 40 characters, its exponent at most ±30 digits of
  magnitude (``MAX_EXPONENT``) before any conversion.
* ``INPUT_LIMIT``: an input cell's number must be below 10^15 in magnitude (Excel keeps 15 significant
  digits; no rubric counts or scores anywhere near that).
* ``MAX_TEXT_CHARS``: a text input (e.g. the unit name) is at most 200 characters.
"""

from __future__ import annotations

import math

MAX_NUMBER_CHARS = 40
MAX_EXPONENT = 30
INPUT_LIMIT = 10**15
INPUT_LIMIT_TEXT = "10^15"
MAX_TEXT_CHARS = 200
_NUMBER_CHARS = frozenset("0123456789+-.eE")
_DIGITS = frozenset("0123456789")


def looks_numeric(text: str) -> bool:
    """Only digits, signs, a point and an exponent mark, with at least one digit (no inf/nan words)."""
    return bool(text) and set(text) <= _NUMBER_CHARS and not set(text).isdisjoint(_DIGITS)


def bounded_number_text(text: str) -> bool:
    """True when ``text`` is short enough, with a small enough exponent, to be converted safely."""
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        return False
    exponent = text.lower().partition("e")[2]
    if exponent:
        digits = exponent.lstrip("+-").lstrip("0")
        if len(digits) > 2 or (digits and int(digits) > MAX_EXPONENT):
            return False
    return True


def bounded_float(text: str) -> float | None:
    """A float for a number written in at most 40 characters; None for anything else (no inf/nan words)."""
    if len(text) > MAX_NUMBER_CHARS:
        return None
    text = text.strip()
    if not looks_numeric(text):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def small_int(text: str) -> int | None:
    """A non-negative integer of at most 9 digits (row numbers, style and string indices); else None."""
    if 0 < len(text) <= 9 and text.isascii() and text.isdigit():
        return int(text)
    return None


def out_of_range(value: object) -> bool:
    """An input value that must not reach the core: a non-finite or too large number, or number text that
    cannot be converted safely (``1e30000000``)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) >= INPUT_LIMIT
    if isinstance(value, float):
        return not math.isfinite(value) or abs(value) >= INPUT_LIMIT
    if isinstance(value, str):
        text = value.strip()
        if not looks_numeric(text):
            return False
        if not bounded_number_text(text):
            return True
        number = bounded_float(text)
        return number is not None and (not math.isfinite(number) or abs(number) >= INPUT_LIMIT)
    return False
