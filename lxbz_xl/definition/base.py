"""Shared building blocks of rubric definitions: numbers, parameter references, seed references."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _decimal(value: Any) -> Any:
    # YAML gives floats; their shortest repr is the literal the author typed (0.3 → "0.3").
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Dec = Annotated[Decimal, BeforeValidator(_decimal)]


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

    by: str
    values: dict[str, Dec | str]


# A number in a definition: a literal, "$parameter", or a value chosen by an enum field.
NumLike = Dec | str | ByField


class Parameter(Strict):
    """OpenFisca-style parameter node: a value with its description, unit, label and reference."""

    value: Dec
    label: str
    unit: str = ""
    description: str | None = None
    reference: Reference | None = None
    # Seeds that leave a value open ship a default marked 待本地确定 (to be set locally).
    pending_local: bool = False
    # A value that follows other parameters, e.g. "100 - $review_points" (+ − × ÷ and brackets only). The
    # loader computes `value` from it, so a local edit of review_points moves every bound that uses it.
    derived: str | None = None
