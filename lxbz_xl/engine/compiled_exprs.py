"""Expressions and conditions compiled to closures, once per node: the same values (and labels) as the
reference interpreters engine/exprs.evaluate_expr_reference and engine/conditions.check_reference.

Each closure takes an Env and returns a Fraction (or int), or None when an input it needs is absent. The
numbers a definition fixes ($parameters, literals) are resolved here, once, instead of on every case.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from lxbz_xl.definition import logic as L
from lxbz_xl.definition.base import ByField
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine import exprs as X
from lxbz_xl.engine.conditions import (
    Verdict,
    check_reference,
    compare_verdict,
    group_verdict,
    share_verdict,
    value_label,
)
from lxbz_xl.engine.env import MISSING, Env, number
from lxbz_xl.inputs import INVALID_BALLOTS, dec, resolve_num

ExprFn = Callable[[Env], Any]


F = TypeVar("F")


def _once(done: dict[int, tuple[Any, F]], node: Any, make: Callable[[Any], F]) -> F:
    """The closure of a definition node, compiled on first use. Keyed by the node's id; the entry holds
    the node, so its id is not reused while cached."""
    hit = done.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    fn = done[id(node)] = (node, make(node))
    return fn[1]


class ExprCompiler:
    def __init__(self, defn: RubricDefinition) -> None:
        self.defn = defn
        # node id → (node, closure): the entry holds the node, so its id is not reused while cached.
        self._done: dict[int, tuple[Any, ExprFn]] = {}

    def __call__(self, expr: Any) -> ExprFn:
        return _once(self._done, expr, self._compile)

    # ------------------------------------------------------------ numbers of the definition

    def num(self, value: Any) -> ExprFn:
        """A NumLike as resolve_num(defn, value, env.lookup) reads it."""
        if isinstance(value, Decimal):
            fixed = dec(value)
            return lambda env: fixed
        if isinstance(value, ByField):
            by = value.by
            choices = {k: self.num(v) for k, v in value.values.items()}

            def by_field(env: Env) -> Any:
                key = env.lookup(by)
                return choices[key](env) if key in choices else None

            return by_field
        if value.startswith("@"):
            name = value[1:]

            def bound(env: Env) -> Any:
                found = env.lookup(name)
                return found if isinstance(found, int | Fraction) and not isinstance(found, bool) else None

            return bound
        literal = resolve_num(self.defn, value)
        return lambda env: literal

    def literal(self, value: Any) -> Any:
        """A number the definition fixes (a literal or a $parameter), resolved once."""
        return dec(value) if isinstance(value, Decimal) else resolve_num(self.defn, value)

    # ------------------------------------------------------------ expressions

    def _compile(self, expr: Any) -> ExprFn:
        if isinstance(expr, Decimal):
            fixed = dec(expr)
            return lambda env: fixed
        if isinstance(expr, str):
            if expr.startswith("$"):
                return self.num(expr)
            name = expr

            def named(env: Env) -> Any:
                value = env.get(name)
                kind = type(value)
                return value if kind is Fraction or kind is int else number(value)

            return named
        if isinstance(expr, L.WeightedExpr):
            constant = dec(expr.constant)
            if all(_static(t.weight) for t in expr.weighted):
                return _weighted([(self.literal(t.weight), self(t.of)) for t in expr.weighted], constant)
            terms = [(self.num(t.weight), self(t.of)) for t in expr.weighted]

            def weighted(env: Env) -> Any:
                total = constant
                for weight, operand in terms:
                    w, v = weight(env), operand(env)
                    if w is None or v is None:
                        return None
                    total += w * v
                return total

            return weighted
        if isinstance(expr, L.ShareExpr):
            votes_path, tiers = expr.share.votes, expr.share.tiers

            if len(tiers) == 1:
                (tier,) = tiers

                def one_share(env: Env) -> Any:
                    votes = env.get(votes_path)
                    return None if votes is MISSING else Fraction(votes.get(tier, 0), _valid(votes))

                return one_share

            def share(env: Env) -> Any:
                votes = env.get(votes_path)
                if votes is MISSING:
                    return None
                return Fraction(sum([votes.get(t, 0) for t in tiers]), _valid(votes))  # exprs.share

            return share
        if isinstance(expr, L.MeanExpr):
            operands = self._operands(expr.mean)

            def mean(env: Env) -> Any:
                values = operands(env)
                if not values:  # None (an operand is missing) or no values
                    return None
                return _sum(values, len(values))

            return mean
        if isinstance(expr, L.SumExpr | L.ProductExpr | L.MinExpr | L.MaxExpr):
            return self._fold(expr)
        if isinstance(expr, L.ClampExpr):
            return self._clamp(expr)
        if isinstance(expr, L.CoalesceExpr):
            options = [self(o) for o in expr.coalesce]

            def coalesce(env: Env) -> Any:
                for option in options:
                    value = option(env)
                    if value is not None:
                        return value
                return None

            return coalesce
        if isinstance(expr, L.ListSumExpr):
            of, key = expr.list_sum.of, expr.list_sum.key

            def list_sum(env: Env) -> Any:
                rows = env.get(of)
                if rows is MISSING or not rows:
                    return ZERO
                return _sum([v if type(v) is Fraction else Fraction(v) for v in (r[key] for r in rows)])

            return list_sum
        if isinstance(expr, L.VotePointsExpr):
            votes_path = expr.vote_points.votes
            points = {t: self.num(p) for t, p in expr.vote_points.points.items()}

            def vote_points(env: Env) -> Any:
                votes = env.get(votes_path)
                if votes is MISSING:
                    return None
                worth = {t: p(env) or Fraction(0) for t, p in points.items()}
                total = sum((worth.get(t, Fraction(0)) * n for t, n in votes.items()), Fraction(0))
                return total / X.valid_ballots(votes)

            return vote_points
        if isinstance(expr, ByField):
            return self.num(expr)
        if isinstance(expr, L.BallotPointsExpr):
            return self._ballot_points(expr.ballot_points)
        # Invalid-ballot counts (once per unit): the reference primitive.
        return lambda env: X.evaluate_expr_reference(expr, env)

    def _ballot_points(self, spec: L.BallotPoints) -> ExprFn:
        """exprs._ballot_points: the mean of the points of the marks a member got on the valid ballots.
        Which ballots are valid depends only on the unit (its ballots, its member count): found once per
        unit, not once per member, and kept while the next member reads the same ballots."""
        path, tier = spec.ballots, spec.tier
        share_of = self.num(spec.max_share) if tier is not None and spec.max_share is not None else None
        points = [(t, self.num(p)) for t, p in spec.points.items()]
        kept: list[Any] = [(None, None, None)]  # (the ballots list, its limit, the valid ballots)

        def ballot_points(env: Env) -> Any:
            ballots = env.get(path)
            me = env.get("name")
            if ballots is MISSING or me is MISSING:
                return None
            if share_of is not None:  # exprs.invalid_ballots: more than floor(share × evaluated) of `tier`
                evaluated = env.lookup("member_count") or 0
                limit = math.floor((share_of(env) or Fraction(0)) * evaluated)
                last = kept[0]  # read and replaced whole: a consistent triple even across threads
                if last[0] is ballots and last[1] == limit:
                    ballots = last[2]
                else:
                    valid = [b for b in ballots if sum(1 for t in b.values() if t == tier) <= limit]
                    kept[0] = (ballots, limit, valid)
                    ballots = valid
            marks = [b[me] for b in ballots if me in b]
            if not marks:
                return None
            worth = {t: p(env) or Fraction(0) for t, p in points}
            return _sum([worth[m] for m in marks], len(marks))

        return ballot_points

    def _operands(self, body: Any) -> Callable[[Env], list[Any] | None]:
        if isinstance(body, str):  # the path of a numbers input

            def listed(env: Env) -> list[Any] | None:
                values = env.get(body)
                return None if values is MISSING else list(values)

            return listed
        parts = [self(o) for o in body]

        def each(env: Env) -> list[Any] | None:
            out = []
            for part in parts:
                value = part(env)
                if value is None:
                    return None
                out.append(value)
            return out

        return each

    def _fold(self, expr: Any) -> ExprFn:
        operands = self._operands(X._body(expr))
        if isinstance(expr, L.SumExpr):

            def fold(env: Env) -> Any:
                values = operands(env)
                if values is None:
                    return None
                return _sum(values) if values else ZERO

        elif isinstance(expr, L.ProductExpr):

            def fold(env: Env) -> Any:
                values = operands(env)
                if values is None:
                    return None
                if not values:
                    return ONE
                num = den = 1  # Π values as an integer pair, reduced once; a Fraction, as Fraction(1)·…
                for v in values:
                    if type(v) is int:
                        num *= v
                    else:
                        num *= v.numerator
                        den *= v.denominator
                return Fraction(num) if den == 1 else Fraction(num, den)

        else:
            pick = min if isinstance(expr, L.MinExpr) else max

            def fold(env: Env) -> Any:
                values = operands(env)
                return None if values is None else pick(values)

        return fold

    def _clamp(self, expr: L.ClampExpr) -> ExprFn:
        of = self(expr.clamp.of)
        lo = self.num(expr.clamp.min) if expr.clamp.min is not None else None
        hi = self.num(expr.clamp.max) if expr.clamp.max is not None else None
        if all(b is None or _static(b) for b in (expr.clamp.min, expr.clamp.max)):
            low = self.literal(expr.clamp.min) if expr.clamp.min is not None else None
            high = self.literal(expr.clamp.max) if expr.clamp.max is not None else None

            def fixed(env: Env) -> Any:  # max(low, value), then min(high, value), as written below
                value = of(env)
                if value is None:
                    return None
                if low is not None and not value > low:
                    value = low
                if high is not None and not value < high:
                    value = high
                return value

            return fixed

        def clamp(env: Env) -> Any:
            value = of(env)
            if value is None:
                return None
            low = lo(env) if lo is not None else None
            high = hi(env) if hi is not None else None
            if low is not None:
                value = max(low, value)
            if high is not None:
                value = min(high, value)
            return value

        return clamp


ZERO, ONE = Fraction(0), Fraction(1)  # immutable: returned as they are
_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def _static(value: Any) -> bool:
    return isinstance(value, Decimal) or (isinstance(value, str) and value.startswith("$"))


def _sum(values: list[Any], scale: int = 1) -> Any:
    """Σ values / scale, exactly: the Fractions added as integer pairs and reduced once (each Fraction
    operation reduces its result). A Fraction, as the reference's sum(values, Fraction(0)) is."""
    num, den = 0, 1
    for v in values:
        if type(v) is int:
            num += v * den
        else:
            b = v.denominator
            num = num * b + v.numerator * den
            den *= b
    den *= scale
    return Fraction(num) if den == 1 else Fraction(num, den)


def _valid(votes: dict[str, int]) -> int:
    """exprs.valid_ballots: every count but the invalid ballots'."""
    total = sum(votes.values())
    return total - votes[INVALID_BALLOTS] if INVALID_BALLOTS in votes else total


def _weighted(terms: list[tuple[Any, ExprFn]], constant: Any) -> ExprFn:
    """constant + Σ weight × operand with weights the definition fixes, exactly: accumulated as an
    integer pair and reduced once (as _sum). An int while every number is one, else a Fraction, as the
    reference's int and Fraction arithmetic gives."""
    plan = [(w.numerator, w.denominator, operand) for w, operand in terms]
    start = (constant.numerator, constant.denominator)
    ints = type(constant) is int and all(type(w) is int for w, _ in terms)

    def weighted(env: Env) -> Any:
        num, den = start
        whole = ints
        for p, q, operand in plan:
            v = operand(env)
            if v is None:
                return None
            if type(v) is int:
                a, b = v, q
            else:
                whole = False
                a, b = v.numerator, v.denominator * q
            if b == 1:  # + p·a
                num += p * a * den
            else:  # num/den + p·a/b
                num = num * b + p * a * den
                den *= b
        if whole:
            return num
        return Fraction(num) if den == 1 else Fraction(num, den)

    return weighted


class CondCompiler:
    """Conditions → closures returning the same Verdict as engine/conditions.check_reference."""

    def __init__(self, exprs: ExprCompiler) -> None:
        self.exprs = exprs
        self._done: dict[int, tuple[Any, Callable[[Env], Verdict]]] = {}
        self._values: dict[int, tuple[Any, Callable[[Env], bool | None]]] = {}

    def __call__(self, cond: Any) -> Callable[[Env], Verdict]:
        return _once(self._done, cond, self._compile)

    def value(self, cond: Any) -> Callable[[Env], bool | None]:
        """The condition's value alone (no Verdict, no label): for a caller that reads the label only
        in some outcomes, and then asks the full closure (`self(cond)`), on the same environment."""
        return _once(self._values, cond, self._value)

    def _value(self, cond: Any) -> Callable[[Env], bool | None]:
        if isinstance(cond, L.FlagCond):
            flag = cond.flag

            def flag_of(env: Env) -> bool | None:
                raw = env.get(flag)
                return None if raw is MISSING or raw is None else bool(raw)

            return flag_of
        if isinstance(cond, L.EqualsCond):
            field, wanted = cond.equals.field, cond.equals.value

            def equals(env: Env) -> bool | None:
                raw = env.get(field)
                return None if raw is MISSING else raw == wanted

            return equals
        if isinstance(cond, L.NotCond):
            inner = self.value(cond.not_)

            def negation(env: Env) -> bool | None:
                value = inner(env)
                return None if value is None else not value

            return negation
        if isinstance(cond, L.AllCond | L.AnyCond | L.AtLeastCond):
            if isinstance(cond, L.AllCond):
                body, need = cond.all, len(cond.all)
            elif isinstance(cond, L.AnyCond):
                body, need = cond.any, 1
            else:
                body, need = cond.of, cond.at_least
            parts = [self.value(c) for c in body]

            def group(env: Env) -> bool | None:  # every part is evaluated, as group_verdict's are
                held = unknown = 0
                for part in parts:
                    value = part(env)
                    if value:
                        held += 1
                    elif value is None:
                        unknown += 1
                if held >= need:
                    return True
                return None if held + unknown >= need else False

            return group
        if isinstance(cond, L.CompareCond):
            left, right = self.exprs(cond.compare.left), self.exprs(cond.compare.right)
            op = _OPS[cond.compare.op]  # exact.compare's operators

            def compared(env: Env) -> bool | None:
                a, b = left(env), right(env)
                return None if a is None or b is None else op(a, b)

            return compared
        if isinstance(cond, L.ShareCond):
            votes_path, tiers, op = cond.share.votes, tuple(cond.share.tiers), _OPS[cond.share.op]
            threshold = self.exprs.num(cond.share.value)

            def shared(env: Env) -> bool | None:  # conditions.share_verdict's value
                votes = env.get(votes_path)
                bound = threshold(env)
                if votes is MISSING or bound is None:
                    return None
                valid = _valid(votes)
                if not valid:  # not after input checking; exprs.share says what it says then
                    return op(X.share(votes, list(tiers)), bound)
                count = sum([votes.get(t, 0) for t in tiers])
                return op(count * bound.denominator, bound.numerator * valid)  # count/valid op bound

            return shared
        whole = self(cond)
        return lambda env: whole(env).value

    def _compile(self, cond: Any) -> Callable[[Env], Verdict]:
        label: str | None = getattr(cond, "label", None)
        if isinstance(cond, L.FlagCond):
            flag = cond.flag

            def flag_of(env: Env) -> Verdict:
                raw = env.get(flag)
                value = None if raw is MISSING or raw is None else bool(raw)
                return Verdict(value, lambda: label or env.label(flag))

            return flag_of
        if isinstance(cond, L.EqualsCond):
            field, wanted = cond.equals.field, cond.equals.value

            def equals(env: Env) -> Verdict:
                raw = env.get(field)
                return Verdict(
                    None if raw is MISSING else raw == wanted,
                    lambda: label or f"{env.label(field)}为{value_label(wanted, env.spec(field))}",
                )

            return equals
        if isinstance(cond, L.NotCond):
            inner_of = self(cond.not_)

            def negation(env: Env) -> Verdict:
                inner = inner_of(env)
                return Verdict(
                    None if inner.value is None else not inner.value, lambda: label or f"非:{inner.label}"
                )

            return negation
        if isinstance(cond, L.AllCond | L.AnyCond | L.AtLeastCond):
            body = (
                cond.all
                if isinstance(cond, L.AllCond)
                else cond.any
                if isinstance(cond, L.AnyCond)
                else cond.of
            )
            parts = [self(c) for c in body]
            return lambda env: group_verdict(cond, [part(env) for part in parts])
        if isinstance(cond, L.CompareCond):
            left, right = self.exprs(cond.compare.left), self.exprs(cond.compare.right)
            return lambda env: compare_verdict(cond, left(env), right(env), env)
        if isinstance(cond, L.ShareCond):
            votes_path, threshold = cond.share.votes, self.exprs.num(cond.share.value)
            return lambda env: share_verdict(cond, env.get(votes_path), threshold(env), env)
        return lambda env: check_reference(cond, env)  # an unknown kind fails as the reference does
