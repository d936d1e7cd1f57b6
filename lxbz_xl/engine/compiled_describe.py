"""Explanations of computed values compiled once per expression node: the same text as
engine/exprs.describe (e.g. 60%×定量评价(80) + 40%×定性评价(90)), built from the compiled expression
closures, with what the definition fixes (weights, bounds, parameters) rendered once.

engine/exprs.describe walks the node and re-dispatches every operand on each call; for a rubric whose
explanations name many computed values (performance, layered, water_saving) that was most of the cost
of a case. tests/test_compiled.py proves the texts equal the reference interpreter's.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lxbz_xl.definition import logic as L
from lxbz_xl.engine.compiled_exprs import ExprCompiler, _static
from lxbz_xl.engine.env import Env
from lxbz_xl.engine.exprs import describe, is_percent
from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import dec

DescribeFn = Callable[[Env], str]


def _show(value: Any, percent: bool = False) -> str:
    if value is None:
        return "缺"
    return pct(value) if percent else fmt(value)


class Describer:
    """Expression node (and `percent`) → closure giving engine/exprs.describe's text."""

    def __init__(self, exprs: ExprCompiler) -> None:
        self.exprs = exprs
        self.defn = exprs.defn
        self._done: dict[tuple[int, bool], tuple[Any, DescribeFn]] = {}

    def __call__(self, expr: Any, percent: bool = False) -> DescribeFn:
        key = (id(expr), percent)
        hit = self._done.get(key)
        if hit is not None and hit[0] is expr:
            return hit[1]
        fn = self._compile(expr, percent)
        self._done[key] = (expr, fn)
        return fn

    def _compile(self, expr: Any, percent: bool) -> DescribeFn:
        if isinstance(expr, Decimal):
            text = fmt(dec(expr))
            return lambda env: text
        if isinstance(expr, str):
            return self._name(expr)
        if isinstance(expr, L.WeightedExpr):
            return self._weighted(expr, percent)
        value_of = self.exprs(expr)
        if isinstance(expr, L.ShareExpr):
            votes, tiers = expr.share.votes, "、".join(expr.share.tiers)
            return lambda env: f"{env.label(votes)}{tiers}得票率({_show(value_of(env), True)})"
        if isinstance(expr, L.MeanExpr):
            if isinstance(expr.mean, str):
                name, rate = expr.mean, _Percent(expr.mean)
                return lambda env: f"{env.label(name)}的平均值({_show(value_of(env), rate(env))})"
            parts = [self(e) for e in expr.mean]
            return lambda env: "平均(" + ", ".join(part(env) for part in parts) + ")"
        if isinstance(expr, L.ClampExpr):
            bounds = (expr.clamp.min, expr.clamp.max)
            if not all(b is None or _static(b) for b in bounds):
                return lambda env: describe(expr, env)
            low, high = ("" if b is None else _show(self.exprs.literal(b)) for b in bounds)
            inner = self(expr.clamp.of)
            return lambda env: f"{inner(env)}(限定在{low}–{high})"
        if isinstance(expr, L.CoalesceExpr):
            options = [(self.exprs(o), self(o)) for o in expr.coalesce]

            def coalesce(env: Env) -> str:
                for option, text in options:
                    if option(env) is not None:
                        return text(env)
                return "(缺少数据)"

            return coalesce
        if isinstance(expr, L.SumExpr | L.ProductExpr | L.MinExpr | L.MaxExpr | L.ListSumExpr):
            word = {
                L.SumExpr: "合计",
                L.ProductExpr: "乘积",
                L.MinExpr: "最小值",
                L.MaxExpr: "最大值",
                L.ListSumExpr: "调整分合计",
            }[type(expr)]
            return lambda env: f"{word}({_show(value_of(env))})"
        # By-field choices, vote points, ballot means and invalid ballots: the reference text.
        return lambda env: describe(expr, env)

    def _name(self, name: str) -> DescribeFn:
        value_of = self.exprs(name)
        if name.startswith("$"):
            text = _show(value_of(None), self.defn.parameters[name[1:]].unit == "%")  # type: ignore[arg-type]
            return lambda env: text
        rate = _Percent(name)
        return lambda env: f"{env.label(name)}({_show(value_of(env), rate(env))})"

    def _weighted(self, expr: L.WeightedExpr, percent: bool) -> DescribeFn:
        if not all(_static(t.weight) for t in expr.weighted):
            return lambda env: describe(expr, env, percent)
        constant = dec(expr.constant)
        head = [] if expr.constant == 0 else [_show(constant, percent) if percent else fmt(constant)]
        terms = []
        for i, term in enumerate(expr.weighted):
            w = self.exprs.literal(term.weight) or 0
            first = not head and i == 0 and w >= 0  # the reference omits the sign of a leading term
            inner = self(term.of)
            bracket = isinstance(term.of, L.WeightedExpr)  # a group: 100% − (50%×甲 + 100%×乙)
            prefix = f"{pct(abs(w))}×" if first else f"{'−' if w < 0 else '+'} {pct(abs(w))}×"
            terms.append((prefix, inner, bracket))

        def weighted(env: Env) -> str:
            parts = list(head)
            for prefix, inner, bracket in terms:
                text = inner(env)
                parts.append(f"{prefix}({text})" if bracket else prefix + text)
            return " ".join(parts)

        return weighted


class _Percent:
    """exprs.is_percent(name, env): fixed by the rubric data and the scopes of the environment, so found
    once per scope (the input specs of the entity the environment belongs to)."""

    __slots__ = ("name", "seen")

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[int, tuple[Any, bool]] = {}

    def __call__(self, env: Env) -> bool:
        hit = self.seen.get(id(env.specs))
        if hit is not None and hit[0] is env.specs:
            return hit[1]
        found = is_percent(self.name, env)
        self.seen[id(env.specs)] = (env.specs, found)
        return found
