"""Expressions: weighted sums, means, shares, clamps… evaluated exactly and explained in Chinese."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from lxbz_xl.compiled import compiled
from lxbz_xl.definition import logic as L
from lxbz_xl.definition.base import ByField
from lxbz_xl.engine.env import MISSING, Env, number
from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import INVALID_BALLOTS, dec, resolve_num


def num(env: Env, value: Any) -> Fraction | None:
    return resolve_num(env.defn, value, env.lookup)


def share(votes: dict[str, int], tiers: list[str]) -> Fraction:
    """Exact share over valid ballots (the sum of counts cast); input checking guarantees a non-zero sum."""
    return Fraction(sum(votes.get(t, 0) for t in tiers), valid_ballots(votes))


def valid_ballots(votes: dict[str, int]) -> int:
    return sum(n for t, n in votes.items() if t != INVALID_BALLOTS)


def evaluate_expr(expr: Any, env: Env) -> Fraction | None:
    """Value of an expression; None when an input it needs is absent.

    Runs the expression's compiled closure (engine/compiled_exprs.py), or the reference interpreter
    below when the environment belongs to a reference evaluation (tests/test_compiled.py)."""
    if env.fast:
        return compiled(env.defn).expr(expr)(env)  # type: ignore[no-any-return]
    return evaluate_expr_reference(expr, env)


def evaluate_expr_reference(expr: Any, env: Env) -> Fraction | None:
    """The straightforward interpreter of an expression node."""
    if isinstance(expr, Decimal):
        return dec(expr)
    if isinstance(expr, str):
        if expr.startswith("$"):
            return num(env, expr)
        return number(env.get(expr))
    if isinstance(expr, L.WeightedExpr):
        total = dec(expr.constant)
        for term in expr.weighted:
            w, v = num(env, term.weight), evaluate_expr(term.of, env)
            if w is None or v is None:
                return None
            total += w * v
        return total
    if isinstance(expr, L.ShareExpr):
        votes = env.get(expr.share.votes)
        return None if votes is MISSING else share(votes, expr.share.tiers)
    if isinstance(expr, L.MeanExpr):
        values = _operands(expr.mean, env)
        return None if values is None or not values else sum(values, Fraction(0)) / len(values)
    if isinstance(expr, L.SumExpr | L.ProductExpr | L.MinExpr | L.MaxExpr):
        values = _operands(_body(expr), env)
        if values is None:
            return None
        if isinstance(expr, L.SumExpr):
            return sum(values, Fraction(0))
        if isinstance(expr, L.ProductExpr):
            out = Fraction(1)
            for v in values:
                out *= v
            return out
        return min(values) if isinstance(expr, L.MinExpr) else max(values)
    if isinstance(expr, L.ClampExpr):
        value = evaluate_expr(expr.clamp.of, env)
        if value is None:
            return None
        lo = num(env, expr.clamp.min) if expr.clamp.min is not None else None
        hi = num(env, expr.clamp.max) if expr.clamp.max is not None else None
        if lo is not None:
            value = max(lo, value)
        if hi is not None:
            value = min(hi, value)
        return value
    if isinstance(expr, L.CoalesceExpr):
        for option in expr.coalesce:
            value = evaluate_expr(option, env)
            if value is not None:
                return value
        return None
    if isinstance(expr, L.ListSumExpr):
        rows = env.get(expr.list_sum.of)
        if rows is MISSING:
            return Fraction(0)
        return sum((Fraction(r[expr.list_sum.key]) for r in rows), Fraction(0))
    if isinstance(expr, L.VotePointsExpr):
        votes = env.get(expr.vote_points.votes)
        if votes is MISSING:
            return None
        points = {t: num(env, p) or Fraction(0) for t, p in expr.vote_points.points.items()}
        return sum((points.get(t, Fraction(0)) * n for t, n in votes.items()), Fraction(0)) / valid_ballots(
            votes
        )
    if isinstance(expr, L.BallotPointsExpr):
        return _ballot_points(expr.ballot_points, env)
    if isinstance(expr, ByField):
        return num(env, expr)
    if isinstance(expr, L.InvalidBallotsExpr):
        spec = expr.invalid_ballots
        bad = invalid_ballots(env, spec.ballots, spec.tier, spec.max_share)
        return None if bad is None else Fraction(len(bad))
    raise TypeError(f"unknown expression {expr!r}")


def _body(expr: Any) -> Any:
    for attr in ("sum", "product", "min", "max"):
        if hasattr(expr, attr):
            return getattr(expr, attr)
    raise TypeError(expr)


def _operands(body: Any, env: Env) -> list[Fraction] | None:
    if isinstance(body, str):  # the path of a numbers input
        values = env.get(body)
        return None if values is MISSING else list(values)
    out = []
    for operand in body:
        value = evaluate_expr(operand, env)
        if value is None:
            return None
        out.append(value)
    return out


def invalid_ballots(env: Env, path: str, tier: str, max_share: Any) -> list[int] | None:
    """1-based numbers of ballots that give `tier` to more than floor(max_share × evaluated) people."""
    ballots = env.get(path)
    if ballots is MISSING:
        return None
    evaluated = env.lookup("member_count") or 0
    limit = math.floor((num(env, max_share) or Fraction(0)) * evaluated)
    return [i for i, b in enumerate(ballots, 1) if sum(1 for t in b.values() if t == tier) > limit]


def _ballot_points(spec: L.BallotPoints, env: Env) -> Fraction | None:
    ballots = env.get(spec.ballots)
    me = env.get("name")
    if ballots is MISSING or me is MISSING:
        return None
    if spec.tier is not None and spec.max_share is not None:
        bad = set(invalid_ballots(env, spec.ballots, spec.tier, spec.max_share) or [])
        ballots = [b for i, b in enumerate(ballots, 1) if i not in bad]
    marks = [b[me] for b in ballots if me in b]
    if not marks:
        return None
    points = {t: num(env, p) or Fraction(0) for t, p in spec.points.items()}
    return sum((points[m] for m in marks), Fraction(0)) / len(marks)


def missing_reason(expr: Any, env: Env) -> tuple[str, str] | None:
    """Why `expr` has no value: (the input path to blame, Chinese reason); None when it has a value.

    RUBRICS.md §0: nothing computable is left blank without a reason. The first operand that is missing
    is named; a ballot mean with no valid ballot names the ballots and why they are invalid.
    """
    if evaluate_expr(expr, env) is not None:
        return None
    if isinstance(expr, str) and not expr.startswith("$"):
        var = _variable(env, expr)
        if var is not None:  # a computed value: find what it lacks
            return missing_reason(var.expr, env) or (expr, f"无法计算{var.label}")
        return expr, f"缺少{env.label(expr)}"
    if isinstance(expr, L.BallotPointsExpr):
        return _ballot_reason(expr.ballot_points, env)
    for operand in _children(expr):
        found = missing_reason(operand, env)
        if found is not None:
            return found
    return None


def _variable(env: Env, name: str) -> Any:
    entities = [env.defn] + ([env.defn.members] if env.defn.members is not None else [])
    return next((v for e in entities for v in e.variables if v.name == name), None)


def _children(expr: Any) -> list[Any]:
    if isinstance(expr, L.WeightedExpr):
        return [t.of for t in expr.weighted]
    if isinstance(expr, L.ClampExpr):
        return [expr.clamp.of]
    if isinstance(expr, L.MeanExpr):
        return [expr.mean] if isinstance(expr.mean, str) else list(expr.mean)
    if isinstance(expr, L.SumExpr | L.ProductExpr | L.MinExpr | L.MaxExpr):
        return list(_body(expr))
    if isinstance(expr, L.CoalesceExpr):
        return list(expr.coalesce[:1])
    if isinstance(expr, L.ShareExpr):
        return [expr.share.votes]
    if isinstance(expr, L.VotePointsExpr):
        return [expr.vote_points.votes]
    return []


def _ballot_reason(spec: L.BallotPoints, env: Env) -> tuple[str, str]:
    ballots = env.get(spec.ballots)
    me = env.get("name")
    label = env.label(spec.ballots)
    if ballots is MISSING:
        return spec.ballots, f"缺少{label}"
    bad: list[int] = []
    if spec.tier is not None and spec.max_share is not None:
        bad = invalid_ballots(env, spec.ballots, spec.tier, spec.max_share) or []
    if ballots and len(bad) == len(ballots):
        evaluated = env.lookup("member_count") or 0
        cap = num(env, spec.max_share) or Fraction(0)
        limit = math.floor(cap * evaluated)
        numbers = "、".join(map(str, bad))
        return spec.ballots, (
            f"{label}没有有效选票,无法计算群众评价:第{numbers}张选票评“{spec.tier}”的人数均超过"
            f"被评价总人数{evaluated}人的{pct(cap)}(每张至多{limit}人),全部无效"
        )
    return "name", f"{label}的有效选票中没有对{me}的评价,无法计算群众评价"


def is_percent(name: str, env: Env) -> bool:
    """Whether a named value is a rate, as the rubric data says: a variable's `display: percent` (or unit %),
    an input's or a parameter's unit %. RUBRICS.md §0: rates are shown as percentages."""
    if name.startswith("$"):
        param = env.defn.parameters.get(name[1:])
        return param is not None and param.unit == "%"
    var = _variable(env, name)
    if var is not None:
        return var.display == "percent" or var.unit == "%"
    spec = env.spec(name)
    return spec is not None and spec.unit == "%"


def describe(expr: Any, env: Env, percent: bool = False) -> str:
    """A formula with its numbers filled in, e.g. 60%×定量评价(80) + 40%×定性评价(90).

    `percent`: the formula computes a rate, so a constant term reads as a percentage (1 − … → 100% − …).
    """
    if isinstance(expr, Decimal):
        return fmt(dec(expr))
    if isinstance(expr, str):
        value = evaluate_expr(expr, env)
        if expr.startswith("$"):
            return _show(value, env.defn.parameters[expr[1:]].unit == "%")
        return f"{env.label(expr)}({_show(value, is_percent(expr, env))})"
    if isinstance(expr, L.WeightedExpr):
        constant = dec(expr.constant)
        parts = [] if expr.constant == 0 else [_show(constant, percent) if percent else fmt(constant)]
        for term in expr.weighted:
            w = num(env, term.weight) or Fraction(0)
            sign = "−" if w < 0 else "+"
            inner = describe(term.of, env)
            if isinstance(term.of, L.WeightedExpr):  # a bracketed group: 100% − (50%×甲 + 100%×乙)
                inner = f"({inner})"
            text = f"{pct(abs(w))}×{inner}"
            parts.append(text if not parts and w >= 0 else f"{sign} {text}")
        return " ".join(parts)
    if isinstance(expr, L.ShareExpr):
        value = evaluate_expr(expr, env)
        return f"{env.label(expr.share.votes)}{'、'.join(expr.share.tiers)}得票率({_show(value, True)})"
    if isinstance(expr, L.MeanExpr):
        if isinstance(expr.mean, str):
            return f"{env.label(expr.mean)}的平均值({_show(evaluate_expr(expr, env), is_percent(expr.mean, env))})"
        return "平均(" + ", ".join(describe(e, env) for e in expr.mean) + ")"
    if isinstance(expr, L.ClampExpr):
        return f"{describe(expr.clamp.of, env)}(限定在{_bound(expr.clamp.min, env)}–{_bound(expr.clamp.max, env)})"
    if isinstance(expr, L.CoalesceExpr):
        for option in expr.coalesce:
            if evaluate_expr(option, env) is not None:
                return describe(option, env)
        return "(缺少数据)"
    if isinstance(expr, ByField):
        return f"按{env.label(expr.by)}({env.lookup(expr.by)})取{_show(evaluate_expr(expr, env))}"
    if isinstance(expr, L.InvalidBallotsExpr):
        spec = expr.invalid_ballots
        bad = invalid_ballots(env, spec.ballots, spec.tier, spec.max_share) or []
        if not bad:
            return "无无效选票"
        numbers = "、".join(map(str, bad))
        return f"第{numbers}张选票评“{spec.tier}”人数超过被评价人数的{pct(num(env, spec.max_share) or Fraction(0))},作废"
    value = evaluate_expr(expr, env)
    kind = type(expr).__name__.removesuffix("Expr")
    words = {
        "Sum": "合计",
        "Product": "乘积",
        "Min": "最小值",
        "Max": "最大值",
        "ListSum": "调整分合计",
        "VotePoints": "测评折算分",
        "BallotPoints": "群众评价折算分",
    }
    return f"{words.get(kind, kind)}({_show(value)})"


def _bound(value: Any, env: Env) -> str:
    return "" if value is None else _show(num(env, value))


def _show(value: Fraction | None, percent: bool = False) -> str:
    if value is None:
        return "缺"
    return pct(value) if percent else fmt(value)
