"""Rules over time: which value of a dated parameter applies to a year, and how a year is given on the
command line. The per-year views themselves are RubricDefinition.for_year."""

from __future__ import annotations

import argparse
from decimal import Decimal
from fractions import Fraction

from lxbz_xl.case import parse_year
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.exact import fmt, pct


def param_value(defn: RubricDefinition, name: str, year: int | None) -> Decimal:
    """The value of parameter `name` in force on 1 January of `year` (None: the latest value), derived
    parameters included. Raises ValueError (Chinese) for a year before the parameter's first start date."""
    return defn.for_year(year).parameters[name].value


def year_arg(text: str) -> int:
    """argparse type of `--year`: a four-digit year, refused in Chinese otherwise."""
    year, problem = parse_year(text)
    if year is None:
        raise argparse.ArgumentTypeError(problem or f"年度 {text!r} 无效")
    return year


def shown(value: Decimal, unit: str) -> str:
    return pct(Fraction(value)) if unit == "%" else fmt(Fraction(value))


def dated_lines(defn: RubricDefinition) -> list[str]:
    """One Chinese line per dated parameter: every start date with its value."""
    lines = []
    for name, param in defn.parameters.items():
        if param.values:
            steps = ";".join(
                f"自{start.isoformat()}起 {shown(v.value, param.unit)}" for start, v in param.values.items()
            )
            lines.append(f"{param.label}({name}):{steps}")
    return lines


def year_label(year: int | None) -> str:
    """How a form or listing names the rules it uses: the year, or 最新 (the latest values)."""
    return "最新" if year is None else str(year)


# The last line of the YAML text a form built for one year of a rubric with dated parameters embeds: a
# YAML comment (every reader parses the rubric as written); the add-in applies that year's rules.
YEAR_MARK = "# lxbz-year: "


def mark_year(source: str, year: int) -> str:
    return f"{source.rstrip(chr(10))}\n{YEAR_MARK}{year}\n"


def marked_year(source: str) -> int | None:
    """The year `mark_year` wrote at the end of an embedded rubric text, else None."""
    last = source.rstrip("\n").rpartition("\n")[2]
    digits = last.removeprefix(YEAR_MARK)
    return (
        int(digits)
        if last.startswith(YEAR_MARK) and len(digits) == 4 and digits.isascii() and digits.isdigit()
        else None
    )
