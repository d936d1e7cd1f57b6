"""Parameters derived from other parameters ("100 - $review_points"), computed exactly at load."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

_REF = re.compile(r"\$(\w+)")
_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b}


def _number(value: Any) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"不是数值:{value!r}")
    return Fraction(Decimal(repr(value) if isinstance(value, float) else str(value)))


def _latest(node: dict[str, Any]) -> Any:
    """The latest dated value of a raw `values:` node (its keys sort as dates or ISO strings alike)."""
    dated = node["values"]
    if not isinstance(dated, dict) or not dated:
        raise ValueError(f"values 应为非空的“起始日期: 数值”映射,实为 {dated!r}")
    last = dated[max(dated, key=str)]
    return last.get("value") if isinstance(last, dict) else last


def fill_derived(raw: Any) -> Any:
    """Fill `value` of every parameter that has `derived`, in a raw rubric mapping (before validation)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("parameters"), dict):
        return raw
    params: dict[str, Any] = raw["parameters"]
    if not any(isinstance(p, dict) and "derived" in p for p in params.values()):
        return raw
    done: dict[str, Fraction] = {}

    def value(name: str, stack: tuple[str, ...]) -> Fraction:
        if name in done:
            return done[name]
        node = params.get(name)
        if not isinstance(node, dict):
            raise ValueError(f"parameters.{stack[-1]}.derived:未知参数 ${name};可用参数:{'、'.join(params)}")
        if name in stack:
            raise ValueError(f"parameters.{name}.derived:循环引用({' → '.join((*stack, name))})")
        if "derived" not in node:
            done[name] = _number(node["value"] if "value" in node or "values" not in node else _latest(node))
            return done[name]
        text = str(node["derived"])
        try:
            tree = ast.parse(_REF.sub(r"\1", text), mode="eval").body
        except SyntaxError:
            raise ValueError(f"parameters.{name}.derived:无法识别 {text!r}") from None
        done[name] = _eval(tree, name, text, lambda n: value(n, (*stack, name)))
        return done[name]

    out = dict(raw)
    out["parameters"] = dict(params)
    for name, node in params.items():
        if isinstance(node, dict) and "derived" in node:
            computed = value(name, ())
            given = node.get("value")
            if given is not None and _number(given) != computed:
                raise ValueError(
                    f"parameters.{name}:value {given} 与 derived {node['derived']!r} 的计算结果不符(disagrees)"
                )
            exact = Decimal(computed.numerator) / Decimal(computed.denominator)
            if Fraction(exact) != computed:
                raise ValueError(f"parameters.{name}.derived:{node['derived']!r} 不是有限小数")
            out["parameters"][name] = {**node, "value": exact}
    return out


def _eval(node: ast.AST, name: str, text: str, ref: Any) -> Fraction:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return _number(node.value)
    if isinstance(node, ast.Name):
        return ref(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, name, text, ref)
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, name, text, ref), _eval(node.right, name, text, ref)
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise ValueError(f"parameters.{name}.derived:{text!r} 中除以零")
            return left / right
        op = _OPS.get(type(node.op))
        if op is not None:
            return op(left, right)
    raise ValueError(f"parameters.{name}.derived:只允许数字、$参数、+ − × ÷ 和括号({text!r})")
