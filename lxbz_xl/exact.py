"""Exact numbers: parsing, the 以上/超过 comparison convention, and display rounding.

Everything is a Fraction inside the core; rounding (ROUND_HALF_UP, 2 places) happens only for display,
never before a comparison (RUBRICS.md §0).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

Op = Literal[">=", ">", "<=", "<"]

# The Chinese word that expresses each operator in 考评细则 text (RUBRICS.md §0).
OP_WORDS: dict[str, str] = {">=": "以上", ">": "超过", "<=": "以下", "<": "低于"}


def exact(value: object) -> Fraction:
    """Convert a YAML/JSON/cell number to an exact Fraction.

    Floats go through their shortest repr, so 0.3 typed in YAML is exactly 3/10, not the binary float.
    """
    if isinstance(value, bool):
        raise TypeError("boolean is not a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.endswith("%"):
            return Fraction(Decimal(text[:-1])) / 100
        if "/" in text:
            return Fraction(text)
        return Fraction(Decimal(text))
    raise TypeError(f"not a number: {value!r}")


def compare(left: Fraction, op: str, right: Fraction) -> bool:
    if op == ">=":
        return left >= right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    if op == "<":
        return left < right
    raise ValueError(f"unknown operator {op!r}")


def to_decimal(value: Fraction | int, places: int = 2) -> Decimal:
    """Round for display only (ROUND_HALF_UP)."""
    q = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(q, rounding=ROUND_HALF_UP)


def fmt(value: Fraction | int, places: int = 2) -> str:
    """Display a number: integers without decimals, others to at most `places` decimals."""
    if value.denominator == 1:
        return str(value.numerator)
    text = format(to_decimal(value, places), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def pct(value: Fraction, places: int = 2) -> str:
    return fmt(value * 100, places) + "%"


def show(value: Fraction, display: str = "number") -> str:
    """A computed value as text: rates (display `percent`, from the rubric data) as 82.5%, others as 8.5."""
    return pct(value) if display == "percent" else fmt(value)


def as_json_number(value: Fraction, places: int = 2) -> int | float:
    """A JSON number rounded for display: int when integral, else a float of the rounded decimal."""
    if value.denominator == 1:
        return value.numerator
    return float(to_decimal(value, places))
