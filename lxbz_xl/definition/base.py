"""Shared building blocks of rubric definitions: numbers, parameter references, seed references."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict


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
    # A value read by a rule that is not a `$` reference: `every_item_points` is the 分值 of every item,
    # and the loader checks each item against it.
    consumer: Literal["every_item_points"] | None = None
