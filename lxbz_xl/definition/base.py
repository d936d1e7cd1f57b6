"""Shared building blocks of rubric definitions: numbers, parameter references, seed references."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from lxbz_xl.definition.pydantic_api import BaseModel, BeforeValidator, ConfigDict, model_validator


def _decimal(value: Any) -> Any:
    # YAML gives floats; their shortest repr is the literal the author typed (0.3 → "0.3").
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Dec = Annotated[Decimal, BeforeValidator(_decimal)]


@dataclass(frozen=True, slots=True)
class Ref:
    """Marks a string position that names something the checker resolves at load (definition/check.py).

    kinds: value (a number read by an expression: input, variable or reserved name), flag (yes/no),
    field (any input or reserved output, compared with `equals`), votes, ballots, numbers, records,
    enum (an input with `values`), input (an input declared in this scope), score (a number to rank on),
    num (a literal, `$parameter` or `@input`), rubric (a rubric id), pool (a quota pool's name),
    clause_input (items.N.name of a clause input), foreign (an input of another rubric, checked there),
    tier_name (a tier of the entity's tiers.order), list_input (a `numbers` input of the unit, for the form).
    """

    kind: str


FieldRef = Annotated[str, Ref("field")]
FlagRef = Annotated[str, Ref("flag")]
ValueRef = Annotated[str, Ref("value")]
InputRef = Annotated[str, Ref("input")]
ScoreRef = Annotated[str, Ref("score")]


class Strict(BaseModel):
    """Every definition node rejects unknown keys, so a typo in a rubric file fails at load.

    `defer_build`: the validation schema is built at the first validation, not when the class is created,
    so importing the definitions is cheap and a definition read from the cache never needs one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Reference(Strict):
    """Where a clause comes from: the seed document and the passage, quoted (Catala-style weaving)."""

    seed: str
    passage: str
    note: str | None = None


class ByField(Strict):
    """A number that depends on an enum input, e.g. a threshold by `scope` (县区 20%, 市直 30%)."""

    by: Annotated[str, Ref("enum")]
    values: dict[str, Dec | Annotated[str, Ref("num")]]


# A number in a definition: a literal, "$parameter", or a value chosen by an enum field.
NumLike = Dec | Annotated[str, Ref("num")] | ByField


class DatedValue(Strict):
    """One dated value of a parameter (`values: {2025-01-01: {value: 0.25, reference: …}}`)."""

    value: Dec
    reference: Reference | None = None


def _dated(raw: Any) -> Any:
    """`values:` keys as dates (YAML gives date objects, quoted keys are ISO strings), unique, sorted."""
    if not isinstance(raw, dict):
        raise ValueError(f"values 应为“起始日期: 数值”的映射,如 {{2010-01-01: 0.20}},实为 {raw!r}")
    if not raw:
        raise ValueError("values 不能为空:至少需要一个“起始日期: 数值”")
    out: dict[dt.date, Any] = {}
    for key, value in raw.items():
        if isinstance(key, dt.datetime) or not isinstance(key, dt.date | str):
            raise ValueError(f"values 的键 {key!r} 不是日期;应为 ISO 日期 YYYY-MM-DD,如 2025-01-01")
        try:
            day = key if isinstance(key, dt.date) else dt.date.fromisoformat(key.strip())
        except ValueError:
            raise ValueError(
                f"values 的键 {key!r} 不是有效日期;应为 ISO 日期 YYYY-MM-DD,如 2025-01-01"
            ) from None
        if day in out:
            raise ValueError(f"values 的起始日期 {day.isoformat()} 重复")
        out[day] = value if isinstance(value, dict) else {"value": value}
    return dict(sorted(out.items()))


class Parameter(Strict):
    """OpenFisca-style parameter node: a value with its description, unit, label and reference.

    `values` (instead of `value`) dates the value: start date → value, the value in force on 1 January of a
    case's year applies (RubricDefinition.for_year). `value` then holds the latest one (cases without a year,
    `lxbz rubrics show` without --year)."""

    value: Dec = Decimal(0)
    values: Annotated[dict[dt.date, DatedValue], BeforeValidator(_dated)] | None = None
    label: str
    unit: str = ""
    description: str | None = None
    reference: Reference | None = None
    # Seeds that leave a value open ship a default marked 待本地确定 (to be set locally).
    pending_local: bool = False
    # A value that follows other parameters, e.g. "100 - $review_points" (+ − × ÷ and brackets only). The
    # loader computes `value` from it, so a local edit of review_points moves every bound that uses it.
    derived: str | None = None
    # A value read by a rule that is not a `$` reference: `every_item_points` is the 分值 of every item,
    # and the loader checks each item against it.
    consumer: Literal["every_item_points"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_value(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        if ("value" in raw) == ("values" in raw) and "derived" not in raw:
            raise ValueError("须且只能给出 value(单一值)或 values(按起始日期的值)中的一项")
        if "values" in raw and raw.get("consumer"):
            raise ValueError(f"consumer={raw['consumer']} 的参数不能按年度取值(values);请用 value")
        if "values" in raw and "derived" in raw:
            raise ValueError("derived(由其他参数计算)的参数不能再给出 values;它随所依据参数的年度值变化")
        if "values" in raw and "value" not in raw:
            dated = _dated(raw["values"])
            raw = {**raw, "values": dated, "value": next(reversed(dated.values()))["value"]}
        return raw

    @property
    def start(self) -> dt.date | None:
        """The first start date of a dated parameter (None when the value is not dated)."""
        return next(iter(self.values)) if self.values else None

    def in_force(self, year: int) -> DatedValue | None:
        """The dated value in force on 1 January of `year`; None before the first start date.
        A parameter without `values` has one value for every year."""
        if not self.values:
            # model_construct: both values are this parameter's, validated already
            return DatedValue.model_construct(value=self.value, reference=self.reference)
        day, found = dt.date(year, 1, 1), None
        for start, dated in self.values.items():
            if start > day:
                break
            found = dated
        return found
