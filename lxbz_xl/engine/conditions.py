"""Conditions with three values: True, False, or None when an input they need is absent.

Every condition explains itself in the words of the rubric, e.g. 班子民主测评优秀、较好得票率之和90%以上(实为92%).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from lxbz_xl.compiled import compiled
from lxbz_xl.definition import logic as L
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.engine.env import MISSING, Env
from lxbz_xl.engine.exprs import describe, evaluate_expr, is_percent, num, share
from lxbz_xl.exact import OP_WORDS, compare, fmt, pct


class Verdict:
    """A condition's value, and its label in the rubric's words. The label is built only when read: a
    worksheet cell wants the tier, not the sentences of every rule tried on the way (about half the cost
    of a tier decision)."""

    __slots__ = ("_label", "_make", "value")

    def __init__(self, value: bool | None, make: Callable[[], str]) -> None:
        self.value = value
        self._make = make
        self._label: str | None = None

    @property
    def label(self) -> str:
        if self._label is None:
            self._label = self._make()
        return self._label


def value_label(value: object, spec: FieldSpec | None = None) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return spec.label_of(str(value)) if spec is not None else str(value)


def check(cond: L.Condition, env: Env) -> Verdict:
    """A condition's verdict: its compiled closure (lxbz_xl/compiled.py), or the reference interpreter
    below when the environment belongs to a reference evaluation (tests/test_compiled.py)."""
    if env.fast:
        return compiled(env.defn).cond(cond)(env)  # type: ignore[no-any-return]
    return check_reference(cond, env)


def check_reference(cond: L.Condition, env: Env) -> Verdict:
    label: str | None = getattr(cond, "label", None)
    if isinstance(cond, L.FlagCond):
        raw = env.get(cond.flag)
        value = None if raw is MISSING or raw is None else bool(raw)
        return Verdict(value, lambda: label or env.label(cond.flag))
    if isinstance(cond, L.EqualsCond):
        raw = env.get(cond.equals.field)
        body = cond.equals
        return Verdict(
            None if raw is MISSING else raw == body.value,
            lambda: label or f"{env.label(body.field)}为{value_label(body.value, env.spec(body.field))}",
        )
    if isinstance(cond, L.NotCond):
        inner = check(cond.not_, env)
        return Verdict(None if inner.value is None else not inner.value, lambda: label or f"非:{inner.label}")
    if isinstance(cond, L.ShareCond):
        return _share(cond, env)
    if isinstance(cond, L.CompareCond):
        body_c = cond.compare
        return compare_verdict(cond, evaluate_expr(body_c.left, env), evaluate_expr(body_c.right, env), env)
    if isinstance(cond, L.AllCond | L.AnyCond | L.AtLeastCond):
        return _group(cond, env)
    raise TypeError(f"unknown condition {cond!r}")


def compare_verdict(cond: L.CompareCond, left: Fraction | None, right: Fraction | None, env: Env) -> Verdict:
    """`left op right`, unknown when either side is; labelled e.g. 考评总分(88)90以上."""
    body = cond.compare

    def text() -> str:
        rate = isinstance(body.right, str) and is_percent(body.right, env)
        shown = "?" if right is None else pct(right) if rate else fmt(right)
        return cond.label or f"{describe(body.left, env)}{shown}{OP_WORDS[body.op]}"

    if left is None or right is None:
        return Verdict(None, text)
    return Verdict(compare(left, body.op, right), text)


def _share(cond: L.ShareCond, env: Env) -> Verdict:
    return share_verdict(cond, env.get(cond.share.votes), num(env, cond.share.value), env)


def share_verdict(cond: L.ShareCond, votes: Any, threshold: Fraction | None, env: Env) -> Verdict:
    """A vote share against a threshold, e.g. 优秀、较好得票率之和90%以上(实为92%)."""
    body = cond.share

    def text() -> str:
        joined = "、".join(body.tiers) + ("得票率之和" if len(body.tiers) > 1 else "得票率")
        bound = pct(threshold) if threshold is not None else "?"
        return cond.label or f"{env.label(body.votes)}{joined}{bound}{OP_WORDS[body.op]}"

    if votes is MISSING or threshold is None:
        return Verdict(None, text)
    actual = share(votes, body.tiers)
    return Verdict(compare(actual, body.op, threshold), lambda: f"{text()}(实为{pct(actual)})")


def _group(cond: L.AllCond | L.AnyCond | L.AtLeastCond, env: Env) -> Verdict:
    parts = cond.all if isinstance(cond, L.AllCond) else cond.any if isinstance(cond, L.AnyCond) else cond.of
    return group_verdict(cond, [check(c, env) for c in parts])


def group_verdict(cond: L.AllCond | L.AnyCond | L.AtLeastCond, verdicts: list[Verdict]) -> Verdict:
    """all / any / at_least over the verdicts of its parts, three-valued, with its label."""
    held = [v for v in verdicts if v.value]
    unknown = [v for v in verdicts if v.value is None]
    if isinstance(cond, L.AllCond):
        need = len(verdicts)
        joiner = "且"
    elif isinstance(cond, L.AnyCond):
        need = 1
        joiner = "或"
    else:
        need = cond.at_least
        joiner = "、"
    if len(held) >= need:
        value: bool | None = True
    elif len(held) + len(unknown) >= need:
        value = None
    else:
        value = False

    def text() -> str:
        if cond.label:
            return cond.label
        if isinstance(cond, L.AtLeastCond):
            return f"以下{len(verdicts)}项中至少{need}项成立(成立{len(held)}项):" + joiner.join(
                v.label for v in verdicts
            )
        shown = held if (value and isinstance(cond, L.AnyCond)) else verdicts
        return joiner.join(v.label for v in shown)

    return Verdict(value, text)


def held_parts(cond: L.Condition, env: Env) -> list[str]:
    """For explanations: which sub-conditions held (any) or failed (all)."""
    if isinstance(cond, L.AnyCond):
        return [v.label for v in (check(c, env) for c in cond.any) if v.value]
    if isinstance(cond, L.AllCond):
        return [v.label for v in (check(c, env) for c in cond.all) if v.value is False]
    return [check(cond, env).label]
