"""Conditions and expressions: the small language tier ladders, titles and composites are written in.

YAML writes each node as a one-key mapping (`{all: [...]}`, `{share: {...}}`) so domain experts can read
it; pydantic dispatches on that key. An unknown key is an unknown rule kind and fails at load.
"""

from __future__ import annotations

from typing import Annotated, Any

from lxbz_xl.definition.base import ByField, Dec, FieldRef, FlagRef, NumLike, Ref, Strict
from lxbz_xl.definition.pydantic_api import Discriminator, Field, Tag
from lxbz_xl.exact import Op

# ---------------------------------------------------------------- expressions


class Share(Strict):
    """Exact share of valid ballots cast for `tiers` in the vote table `votes` (RUBRICS.md §0)."""

    votes: Annotated[str, Ref("votes")]
    tiers: list[str]


class ShareExpr(Strict):
    share: Share


class Clamp(Strict):
    of: Expr
    min: NumLike | None = None
    max: NumLike | None = None


class ClampExpr(Strict):
    clamp: Clamp


class ListSum(Strict):
    of: Annotated[str, Ref("records")]
    key: str  # a field of the records (checked against the records input)


class ListSumExpr(Strict):
    list_sum: ListSum


class VotePoints(Strict):
    """Mean points per valid ballot: Σ count×points / Σ count (e.g. 优秀100/称职80/基本称职60/不称职0)."""

    votes: Annotated[str, Ref("votes")]
    points: dict[str, NumLike]


class VotePointsExpr(Strict):
    vote_points: VotePoints


class BallotPoints(Strict):
    """Mean points this member got on the valid ballots of the unit's `ballots` input.

    A ballot giving `tier` to more than floor(max_share × members evaluated) people is invalid.
    """

    ballots: Annotated[str, Ref("ballots")]
    points: dict[str, NumLike]
    tier: str | None = None
    max_share: NumLike | None = None


class InvalidBallots(Strict):
    ballots: Annotated[str, Ref("ballots")]
    tier: str
    max_share: NumLike


class InvalidBallotsExpr(Strict):
    invalid_ballots: InvalidBallots


class BallotPointsExpr(Strict):
    ballot_points: BallotPoints


class SumExpr(Strict):
    sum: list[Expr]


class ProductExpr(Strict):
    product: list[Expr]


class MeanExpr(Strict):
    # A list of expressions, or the path of a `numbers` input (e.g. the attendees' marks).
    mean: list[Expr] | Annotated[str, Ref("numbers")]


class MinExpr(Strict):
    min: list[Expr]


class MaxExpr(Strict):
    max: list[Expr]


class CoalesceExpr(Strict):
    """The first operand whose inputs are present (e.g. quantitative, else the mean of its three parts)."""

    coalesce: list[Expr]


class WeightedTerm(Strict):
    weight: NumLike
    of: Expr
    label: str | None = None


class WeightedExpr(Strict):
    """Σ weight × operand + constant; a negative weight subtracts."""

    weighted: list[WeightedTerm]
    constant: Dec = Field(default=0)  # type: ignore[assignment]


_EXPR_TAGS = (
    "by",
    "invalid_ballots",
    "share",
    "clamp",
    "list_sum",
    "vote_points",
    "ballot_points",
    "sum",
    "product",
    "mean",
    "min",
    "max",
    "coalesce",
    "weighted",
)


def _expr_tag(value: Any) -> str:
    if isinstance(value, dict):
        for tag in _EXPR_TAGS:
            if tag in value:
                return tag
        return "unknown:" + ",".join(map(str, value))
    if isinstance(value, Strict):
        return _MODEL_TAGS.get(type(value).__name__, "unknown")
    return "atom"


# An atom is a number, "$parameter", or the name of a variable or input path.
Expr = Annotated[
    Annotated[Dec | Annotated[str, Ref("value")], Tag("atom")]
    | Annotated[ByField, Tag("by")]
    | Annotated[InvalidBallotsExpr, Tag("invalid_ballots")]
    | Annotated[ShareExpr, Tag("share")]
    | Annotated[ClampExpr, Tag("clamp")]
    | Annotated[ListSumExpr, Tag("list_sum")]
    | Annotated[VotePointsExpr, Tag("vote_points")]
    | Annotated[BallotPointsExpr, Tag("ballot_points")]
    | Annotated[SumExpr, Tag("sum")]
    | Annotated[ProductExpr, Tag("product")]
    | Annotated[MeanExpr, Tag("mean")]
    | Annotated[MinExpr, Tag("min")]
    | Annotated[MaxExpr, Tag("max")]
    | Annotated[CoalesceExpr, Tag("coalesce")]
    | Annotated[WeightedExpr, Tag("weighted")],
    Discriminator(_expr_tag),
]

# ---------------------------------------------------------------- conditions


class FlagCond(Strict):
    """A boolean input is true. Unknown (absent, no default) makes the condition unknown, not false."""

    flag: FlagRef
    label: str | None = None


class EqualsBody(Strict):
    field: FieldRef
    value: Any


class EqualsCond(Strict):
    equals: EqualsBody
    label: str | None = None


class NotCond(Strict):
    not_: Condition = Field(alias="not")
    label: str | None = None


class AllCond(Strict):
    all: list[Condition]
    label: str | None = None


class AnyCond(Strict):
    any: list[Condition]
    label: str | None = None


class AtLeastCond(Strict):
    """A majority rule: at least `at_least` of the listed conditions hold (经考核多数项目符合)."""

    at_least: int
    of: list[Condition]
    label: str | None = None


class ShareBody(Strict):
    votes: Annotated[str, Ref("votes")]
    tiers: list[str]
    op: Op
    value: NumLike


class ShareCond(Strict):
    share: ShareBody
    label: str | None = None


class CompareBody(Strict):
    left: Expr
    op: Op
    right: Expr


class CompareCond(Strict):
    compare: CompareBody
    label: str | None = None


_COND_TAGS = ("flag", "equals", "not", "all", "any", "at_least", "share", "compare")


def _cond_tag(value: Any) -> str:
    if isinstance(value, dict):
        for tag in _COND_TAGS:
            if tag in value:
                return tag
        return "unknown:" + ",".join(map(str, value))
    return _MODEL_TAGS.get(type(value).__name__, "unknown")


Condition = Annotated[
    Annotated[FlagCond, Tag("flag")]
    | Annotated[EqualsCond, Tag("equals")]
    | Annotated[NotCond, Tag("not")]
    | Annotated[AllCond, Tag("all")]
    | Annotated[AnyCond, Tag("any")]
    | Annotated[AtLeastCond, Tag("at_least")]
    | Annotated[ShareCond, Tag("share")]
    | Annotated[CompareCond, Tag("compare")],
    Discriminator(_cond_tag),
]

_MODEL_TAGS = {
    "ByField": "by",
    "InvalidBallotsExpr": "invalid_ballots",
    "ShareExpr": "share",
    "ClampExpr": "clamp",
    "ListSumExpr": "list_sum",
    "VotePointsExpr": "vote_points",
    "BallotPointsExpr": "ballot_points",
    "SumExpr": "sum",
    "ProductExpr": "product",
    "MeanExpr": "mean",
    "MinExpr": "min",
    "MaxExpr": "max",
    "CoalesceExpr": "coalesce",
    "WeightedExpr": "weighted",
    "FlagCond": "flag",
    "EqualsCond": "equals",
    "NotCond": "not",
    "AllCond": "all",
    "AnyCond": "any",
    "AtLeastCond": "at_least",
    "ShareCond": "share",
    "CompareCond": "compare",
}

# The recursive models' forward references resolve when a schema is first built: with `defer_build`
# (definition/base.py) that happens at the first validation, not at import, so a command that only reads
# cached definitions (definition/cache.py) never builds a schema. Nothing to rebuild here.
