"""Reading case inputs against a definition's fields: types, ranges, required and unknown keys.

The CLI, the Excel functions and the workbook validator all go through `check_value`, so a bad value gets
the same Chinese message everywhere. Nothing is clamped: an out-of-range value is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from lxbz_xl.definition.base import ByField, NumLike
from lxbz_xl.definition.fields import TYPE_WORDS, FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.exact import fmt

TRUE_WORDS = frozenset({"是", "有", "✓", "✔", "√", "true", "yes", "y", "1", "对", "已", "已完成"})
FALSE_WORDS = frozenset({"否", "无", "✗", "✘", "×", "false", "no", "n", "0", "没有", "未", "未完成"})


@dataclass(frozen=True, slots=True)
class InputError:
    field: str  # dotted path in the case, e.g. items.1.missing_elements
    message: str  # Chinese, names the field and what is allowed

    def __str__(self) -> str:
        return self.message


class InputProblem(ValueError):
    """One bad value; `message` is what a user sees."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# ---------------------------------------------------------------------------------------------- numbers
# The one bounded grammar for text that becomes a number (case files, cells, worksheet functions):
#   [+|-] digits [. digits] [e|E [+|-] digits] [%]   or   a/b of two such integers
# at most MAX_SIGNIFICANT significant digits and an exponent within ±MAX_EXPONENT, ASCII digits (full-width
# digits are read as such); a thousands separator "," is ignored. Scanned character by character, no
# regular expression, so its cost is linear in the (capped) length. Anything else is an InputProblem.

MAX_SIGNIFICANT = 30
MAX_EXPONENT = 30
MAX_NUMBER_TEXT = 80  # characters; a longer text is not a number a clerk typed
NUMBER_RULE = f"数值(不超过{MAX_SIGNIFICANT}位有效数字,指数在±{MAX_EXPONENT}以内)"
_DIGITS = "0123456789"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋％，／ｅＥ", "0123456789.-+%,/eE")
_LIMIT = 10**MAX_SIGNIFICANT


def shown(value: Any, limit: int = 40) -> str:
    """A value in a message, never longer than ``limit`` characters (a huge value is cut, not printed)."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        return repr(text)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int) and not -_LIMIT < value < _LIMIT:
        return f"{value.bit_length() * 3 // 10}位以上的整数"
    if isinstance(value, float | int | Fraction | Decimal):
        text = str(value)
    else:
        import reprlib

        brief = reprlib.Repr()
        brief.maxlevel, brief.maxstring, brief.maxother, brief.maxlist, brief.maxdict = 2, 20, 20, 4, 4
        try:
            text = brief.repr(value)
        except (ValueError, RecursionError):
            text = type(value).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def _not_number(text: str) -> InputProblem:
    return InputProblem(f"应为数值,实为{shown(text)}")


def _scan_decimal(text: str, whole: str) -> Fraction:
    """One decimal number (no '/', no '%'); ``whole`` is the full text for the message."""
    i, n = 0, len(text)
    negative = False
    if i < n and text[i] in "+-":
        negative = text[i] == "-"
        i += 1
    digits: list[str] = []
    fraction_digits = 0
    seen_point = False
    while i < n and (text[i] in _DIGITS or (text[i] == "." and not seen_point)):
        if text[i] == ".":
            seen_point = True
        else:
            digits.append(text[i])
            fraction_digits += seen_point
        i += 1
    if not digits:
        raise _not_number(whole)
    exponent = 0
    if i < n and text[i] in "eE":
        i += 1
        sign = 1
        if i < n and text[i] in "+-":
            sign = -1 if text[i] == "-" else 1
            i += 1
        start = i
        while i < n and text[i] in _DIGITS:
            i += 1
        if start == i:
            raise _not_number(whole)
        if i - start > 3:
            raise InputProblem(f"应为{NUMBER_RULE},实为{shown(whole)}")
        exponent = sign * int(text[start:i])
    if i != n:
        raise _not_number(whole)
    significant = "".join(digits).lstrip("0")
    if len(significant) > MAX_SIGNIFICANT or abs(exponent) > MAX_EXPONENT:
        raise InputProblem(f"应为{NUMBER_RULE},实为{shown(whole)}")
    number = Fraction(int(significant or "0")) * Fraction(10) ** (exponent - fraction_digits)
    return -number if negative else number


def parse_number(text: str) -> Fraction:
    """Text as a clerk types a number, exactly; raises InputProblem (Chinese, says what is allowed)."""
    if len(text) > MAX_NUMBER_TEXT:
        raise InputProblem(f"应为{NUMBER_RULE},实为{shown(text)}")
    clean = text.strip().translate(_FULL_WIDTH).replace(",", "")
    percent = clean.endswith("%")
    if percent:
        clean = clean[:-1].rstrip()
    if "/" in clean and not percent:
        top, _, bottom = clean.partition("/")
        denominator = _scan_decimal(bottom.strip(), text)
        if denominator == 0 or denominator.denominator != 1:
            raise _not_number(text)
        numerator = _scan_decimal(top.strip(), text)
        if numerator.denominator != 1:
            raise _not_number(text)
        return numerator / denominator
    number = _scan_decimal(clean, text)
    return number / 100 if percent else number


def number_of(value: Any) -> Fraction:
    """Any value that should be a number (int, float, Decimal, Fraction, text), through the same bounds.

    Booleans are not numbers; an int beyond 30 digits, an infinite or out-of-range float are errors.
    """
    if isinstance(value, bool):
        raise InputProblem(f"应为数值,实为布尔值“{'true' if value else 'false'}”")
    if isinstance(value, int):
        if not -_LIMIT < value < _LIMIT:
            raise InputProblem(f"应为{NUMBER_RULE},实为{shown(value)}")
        return Fraction(value)
    if isinstance(value, float):
        return parse_number(repr(value))  # shortest repr: 0.3 is exactly 3/10; inf/nan are refused
    if isinstance(value, Decimal):
        return parse_number(str(value))
    if isinstance(value, Fraction):
        if not (-_LIMIT < value.numerator < _LIMIT and value.denominator < _LIMIT):
            raise InputProblem(f"应为{NUMBER_RULE},实为{shown(value)}")
        return value
    if isinstance(value, str):
        return parse_number(value)
    raise InputProblem(f"应为{NUMBER_RULE},实为{shown(value)}")


@lru_cache(maxsize=4096)
def dec(value: Decimal) -> Fraction:
    # Integral values come back as int: exact, and int arithmetic is ~10× cheaper than Fraction's.
    number = Fraction(value)
    return number.numerator if number.denominator == 1 else number  # type: ignore[return-value]


def where(spec: FieldSpec, path: str | None = None) -> str:
    """'第1项缺项数' for item inputs, the label otherwise."""
    path = path or spec.path
    if path.startswith("items."):
        return f"第{path.split('.')[1]}项{spec.label}"
    return spec.label


def resolve_num(defn: RubricDefinition, value: NumLike, lookup: Any = None) -> Fraction | None:
    """A definition number: literal, $parameter, @field (via lookup) or by-field choice."""
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, ByField):
        key = lookup(value.by) if lookup else None
        return resolve_num(defn, value.values[key], lookup) if key in value.values else None
    if value.startswith("$"):
        return dec(defn.parameters[value[1:]].value)
    if value[:1].isdigit() or value[:1] in "-+.":
        return Fraction(Decimal(value))
    if value.startswith("@"):
        found = lookup(value[1:]) if lookup else None
        return Fraction(found) if isinstance(found, int | Fraction) and not isinstance(found, bool) else None
    raise ValueError(f"not a number reference: {value!r}")


def parse_bool(value: Any) -> bool | None:
    """Booleans as clerks type them (是/否, 有/无, ✓); None for empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InputProblem(f"应为是/否,实为{shown(value)}")


def parse_count(value: Any) -> int:
    if isinstance(value, bool):
        word = "true" if value else "false"
        raise InputProblem(f"应为非负整数,实为布尔值“{word}”(人数、次数等请填数字)")
    if isinstance(value, int) and -_LIMIT < value < _LIMIT:
        return value
    try:
        number = number_of(value)
    except InputProblem:
        digits = sum(c.isdigit() for c in value) if isinstance(value, str) else 0
        limit = (
            f"(不超过{MAX_SIGNIFICANT}位)"
            if isinstance(value, int | float) or digits > MAX_SIGNIFICANT
            else ""
        )
        raise InputProblem(f"应为非负整数{limit},实为{shown(value)}") from None
    if number.denominator != 1:
        raise InputProblem(f"应为整数,实为{fmt(number)}")
    return number.numerator


def range_text(lo: Fraction | None, hi: Fraction | None, percent: bool = False) -> str:
    show = (lambda v: fmt(v * 100) + "%") if percent else fmt
    if lo is not None and hi is not None:
        return f"{show(lo)}–{show(hi)}"
    if lo is not None:
        return f"不小于{show(lo)}"
    if hi is not None:
        return f"不大于{show(hi)}"
    return "任意数值"


def check_value(
    defn: RubricDefinition, spec: FieldSpec, value: Any, lookup: Any = None, path: str | None = None
) -> Any:
    """Parse and range-check one value. Raises InputProblem with a message naming the field."""
    try:
        return _check(defn, spec, value, lookup)
    except InputProblem as exc:
        raise InputProblem(f"{where(spec, path)}{exc.message}") from None


def _is_static(value: NumLike | None) -> bool:
    return value is None or isinstance(value, Decimal) or (isinstance(value, str) and value.startswith("$"))


def _memo(defn: RubricDefinition) -> dict[Any, Any]:
    """What is derived from one definition's field lists, kept by its compiled rubric (lxbz_xl/compiled.py)."""
    from lxbz_xl.compiled import compiled  # compiled.py reads its numbers with this module

    return compiled(defn).memo


def _bounds(defn: RubricDefinition, spec: FieldSpec, lookup: Any) -> tuple[Fraction | None, Fraction | None]:
    memo = _memo(defn)
    key = ("bounds", id(spec))  # the entry holds the spec, so its id is not reused while cached
    hit = memo.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1], hit[2]
    lo = resolve_num(defn, spec.min, lookup) if spec.min is not None else None
    hi = resolve_num(defn, spec.max, lookup) if spec.max is not None else None
    if _is_static(spec.min) and _is_static(spec.max):  # bounds from literals/parameters never change
        memo[key] = (spec, lo, hi)
    return lo, hi


def _check(defn: RubricDefinition, spec: FieldSpec, value: Any, lookup: Any) -> Any:
    kind = spec.type
    if kind == "count" and type(value) is int and value >= 0 and spec.max is None:
        return value  # the common case, checked without building bounds
    if kind == "count":
        if isinstance(value, str | bool) and parse_bool_or_none(value) is not None and spec.max == Decimal(1):
            value = int(parse_bool_or_none(value) or 0)  # a 0–1 count is a yes/no question: 是/否 answer it
        count = parse_count(value)
        lo, hi = _bounds(defn, spec, lookup)
        lo = Fraction(0) if lo is None else lo
        if count < lo or (hi is not None and count > hi):
            raise InputProblem(f"应为{range_text(lo, hi)},实为{count}")
        return count
    if kind == "bool":
        flag = parse_bool(value)
        if flag is None:
            raise InputProblem("应为是/否,实为空")
        return flag
    if kind == "number":
        number = number_of(value)
        lo, hi = _bounds(defn, spec, lookup)
        percent = spec.unit == "%"
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            got = fmt(number * 100) + "%" if percent else fmt(number)
            raise InputProblem(f"应为{range_text(lo, hi, percent)},实为{got}")
        return number
    if kind == "enum":
        code = spec.value_of(str(value))
        if code is not None:
            return code
        allowed = "/".join(
            f"{v}({spec.value_labels[v]})" if v in spec.value_labels else v for v in spec.values
        )
        raise InputProblem(f"应为{allowed}之一,实为{shown(value)}")
    if kind == "votes":
        return _votes(spec, value)
    if kind == "numbers":
        if not isinstance(value, list) or not value:
            raise InputProblem("应为非空的数值列表")
        item_spec = spec.model_copy(update={"type": "number"})
        out = []
        for i, v in enumerate(value, 1):
            try:
                out.append(_check(defn, item_spec, v, lookup))
            except InputProblem as exc:
                raise InputProblem(f"第{i}个{exc.message}") from None
        return out
    if kind == "records":
        return _records(defn, spec, value)
    if kind == "ballots":
        return _ballots(spec, value)
    if kind == "text":
        return str(value)
    raise InputProblem(f"未知的字段类型{kind}")


def parse_bool_or_none(value: Any) -> bool | None:
    try:
        return parse_bool(value)
    except InputProblem:
        return None


INVALID_BALLOTS = "无效"  # optional key of a vote table: reported, never counted in a share


def _votes(spec: FieldSpec, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise InputProblem(f"应为按档次({'/'.join(spec.values)})填写的票数")
    unknown = [k for k in value if k not in spec.values and k != INVALID_BALLOTS]
    if unknown:
        raise InputProblem(f"含未知档次{shown(unknown)},档次应为{'/'.join(spec.values)}(另可填“无效”票数)")
    out = {}
    if value.get(INVALID_BALLOTS) not in (None, "", 0):
        invalid = parse_count(value[INVALID_BALLOTS])
        if invalid < 0:
            raise InputProblem(f"“无效”票数应为非负整数,实为{invalid}")
        out[INVALID_BALLOTS] = invalid
    for tier in spec.values:
        raw = value.get(tier, 0)
        count = parse_count(0 if raw is None or raw == "" else raw)
        if count < 0:
            raise InputProblem(f"“{tier}”票数应为非负整数,实为{count}")
        out[tier] = count
    if sum(n for t, n in out.items() if t != INVALID_BALLOTS) == 0:
        raise InputProblem("没有有效票(各档次票数之和为0)")
    return out


def _records(defn: RubricDefinition, spec: FieldSpec, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InputProblem("应为记录列表")
    out = []
    for i, record in enumerate(value, 1):
        if not isinstance(record, dict):
            raise InputProblem(f"第{i}条应为键值记录")
        parsed, errors = read_fields(defn, spec.fields, record, prefix="")
        if errors:
            raise InputProblem(f"第{i}条:{errors[0].message}")
        out.append(parsed)
    return out


def _ballots(spec: FieldSpec, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise InputProblem("应为非空的选票列表(每张选票:被评价人→档次)")
    out = []
    for i, ballot in enumerate(value, 1):
        if not isinstance(ballot, dict):
            raise InputProblem(f"第{i}张选票应为“被评价人: 档次”")
        for who, tier in ballot.items():
            if tier not in spec.values:
                raise InputProblem(
                    f"第{i}张选票对{shown(who)}的评价应为{'/'.join(spec.values)}之一,实为{shown(tier)}"
                )
        out.append({str(k): str(v) for k, v in ballot.items()})
    return out


@lru_cache(maxsize=8192)
def _parts(path: str) -> tuple[tuple[str, int | None], ...]:
    # Item keys may be ints in YAML (`1:`) or strings in JSON ("1"): try both.
    return tuple((p, int(p) if p.isdigit() else None) for p in path.split("."))


def _get(data: dict[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = data
    for part, number in _parts(path):
        if type(node) is not dict:
            return False, None
        if part in node:
            node = node[part]
        elif number is not None and number in node:
            node = node[number]
        else:
            return False, None
    return True, node


def within_named_bound(spec: FieldSpec, raw: Any, given: dict[str, Any]) -> bool:
    """A plain count within the bound set by the field it names (e.g. members_lectured <= members)."""
    bound = given.get(str(spec.max)[1:])
    return (
        spec.type == "count"
        and spec.min is None
        and type(raw) is int
        and raw >= 0
        and (bound is None or (type(bound) is int and raw <= bound))
    )


def read_fields(
    defn: RubricDefinition, specs: list[FieldSpec], data: dict[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], list[InputError]]:
    """Parse every declared field of `data`; report missing, bad and unknown keys (never drop them)."""
    values: dict[str, Any] = {}
    given: dict[str, Any] = {}  # explicitly supplied values: only these bound other fields
    errors: list[InputError] = []
    pending: list[FieldSpec] = []
    fast = _count_bounds(defn, specs)
    for spec in specs:
        found, raw = _get(data, spec.path)
        bounds = fast.get(spec.path)
        if (
            bounds is not None
            and type(raw) is int
            and bounds[0] <= raw
            and (bounds[1] is None or raw <= bounds[1])
        ):
            values[spec.path] = given[spec.path] = (
                raw  # a plain count within literal bounds: nothing to parse
            )
            continue
        if not found or raw is None:
            if spec.required or spec.required is None:
                errors.append(InputError(prefix + spec.path, f"缺少{where(spec)}({prefix + spec.path})"))
            elif spec.default is not None:
                values[spec.path] = spec.default
            continue
        if isinstance(spec.max, str) and spec.max.startswith("@"):
            pending.append(spec)  # bounded by another field: check once that one is read
            values[spec.path] = raw
            continue
        try:
            values[spec.path] = given[spec.path] = check_value(defn, spec, raw, values.get)
        except InputProblem as exc:
            errors.append(InputError(prefix + spec.path, exc.message))
    for spec in pending:
        if within_named_bound(spec, values[spec.path], given):
            continue
        try:
            values[spec.path] = check_value(defn, spec, values[spec.path], given.get)
        except InputProblem as exc:
            errors.append(InputError(prefix + spec.path, exc.message))
            del values[spec.path]
    errors += _unknown_keys(defn, specs, data, prefix)
    return values, errors


def _count_bounds(defn: RubricDefinition, specs: list[FieldSpec]) -> dict[str, tuple[int, int | None]]:
    """Integer bounds of the count fields whose bounds are literals or parameters, per field list."""
    memo = _memo(defn)
    key = ("count_bounds", id(specs))
    cached = memo.get(key)
    if cached is None or cached[0] is not specs:
        out: dict[str, tuple[int, int | None]] = {}
        for spec in specs:
            if spec.type == "count" and _is_static(spec.min) and _is_static(spec.max):
                lo, hi = _bounds(defn, spec, None)
                if (lo is None or int(lo) == lo) and (hi is None or int(hi) == hi):
                    out[spec.path] = (0 if lo is None else max(0, int(lo)), None if hi is None else int(hi))
        cached = memo[key] = (specs, out)
    return cached[1]


def _shape(defn: RubricDefinition, specs: list[FieldSpec]) -> tuple[frozenset[str], frozenset[str]]:
    """Known leaf paths and branch paths of a field list, computed once per list."""
    memo = _memo(defn)
    key = ("shape", id(specs))
    cached = memo.get(key)
    if cached is None or cached[0] is not specs:
        known = frozenset(spec.path for spec in specs)
        branches = frozenset(
            ".".join(spec.path.split(".")[:i]) for spec in specs for i in range(1, spec.path.count(".") + 1)
        )
        cached = memo[key] = (specs, known, branches)
    return cached[1], cached[2]


def _unknown_keys(
    defn: RubricDefinition, specs: list[FieldSpec], data: dict[str, Any], prefix: str
) -> list[InputError]:
    known, branches = _shape(defn, specs)
    errors = []

    def visit(node: dict[str, Any], path: str) -> None:
        for key, value in node.items():
            full = f"{path}.{key}" if path else str(key)
            if full in known:
                continue
            if full in branches and isinstance(value, dict):
                visit(value, full)
            else:
                allowed = sorted({p.split(".")[full.count(".")] for p in known if p.startswith(path)})
                where = prefix + full
                retired = _retired_hint(defn, where)
                message = (
                    f"字段{shown(where)[1:-1]}已停用(本细则版本{defn.version}):{retired}"
                    if retired
                    else f"未知字段{shown(where)[1:-1]};此处允许:{', '.join(allowed)}"
                )
                errors.append(InputError(where, message))

    visit(data, "")
    return errors


def _retired_hint(defn: RubricDefinition, path: str) -> str | None:
    """What replaced a retired input: by its path (`items.3.x`), or with row numbers left out
    (`members.3.review_score` → `members.review_score`, a field of every row)."""
    retired = defn.retired_inputs
    if not retired:
        return None
    return retired.get(path) or retired.get(".".join(p for p in path.split(".") if not p.isdigit()))


def type_word(spec: FieldSpec) -> str:
    return TYPE_WORDS[spec.type]
