"""CompiledRubric: everything derived from a rubric definition, built once when it is first used.

A definition is data; evaluating it straight from the pydantic tree (lxbz_xl/engine/reference.py) walks
the same nodes, renders the same texts and resolves the same parameters for every case. The compiled
rubric does that once: input specs by path, rendered rule texts, and each item and condition turned into
a Python closure with its numbers resolved. `lxbz_xl.evaluate` uses the closures; tests/test_compiled.py
proves them equal to the reference interpreter, explanations included, on generated cases.

Nothing here knows a rubric by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import Item, PerUnitClause, RubricDefinition
from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import dec, resolve_num
from lxbz_xl.result import ClauseResult, ItemResult

_SLOT = re.compile(r"\{(\w+)\}")

ClauseFn = Callable[[dict[str, Any]], tuple[Any, str | None]]
ItemFn = Callable[[dict[str, Any]], ItemResult]


class CompiledRubric:
    """What is derived from one definition. Get it with `compiled(defn)`; never build one per case."""

    def __init__(self, defn: RubricDefinition) -> None:
        from lxbz_xl.definition.loader import all_inputs

        self.defn = defn
        self.spec_list: list[FieldSpec] = all_inputs(defn)
        self.specs: dict[str, FieldSpec] = {s.path: s for s in self.spec_list}
        # Inputs that are not item clause inputs (a worksheet that holds item scores reads only these).
        self.unit_specs: list[FieldSpec] = [s for s in self.spec_list if not s.path.startswith("items.")]
        self.member_specs: dict[str, FieldSpec] = (
            {s.path: s for s in defn.members.inputs} if defn.members is not None else {}
        )
        self.labels: dict[str, str] = {s.path: s.label for s in self.spec_list}
        # items.N.name → (N, name): where a parsed clause input goes.
        self.item_keys: dict[str, tuple[str, str]] = {
            path: (path.split(".", 2)[1], path.split(".", 2)[2])
            for path in self.specs
            if path.startswith("items.")
        }
        self.read_all = Reader(defn, self.spec_list)
        self.read_unit = Reader(defn, self.unit_specs)
        self.read_member = Reader(defn, defn.members.inputs) if defn.members is not None else None
        self._texts: dict[str, str] = {}
        self.items: list[ItemFn] = [self._item(item) for item in defn.items]
        self._by_item = {item.id: (item, fn) for item, fn in zip(defn.items, self.items, strict=True)}

    def item(self, item: Item) -> ItemFn:
        """The compiled scorer of one of this definition's items (an item of a copy: compiled anew)."""
        entry = self._by_item.get(item.id)
        return entry[1] if entry is not None and entry[0] is item else self._item(item)

    # ------------------------------------------------------------ texts

    def text(self, text: str) -> str:
        """Fill {parameter} slots so texts follow an edited definition (110学时 stays in one place)."""
        if "{" not in text:
            return text
        out = self._texts.get(text)
        if out is None:
            out = self._texts[text] = _render(text, self.defn)
        return out

    # ------------------------------------------------------------ items

    def _clause(self, item: Item, clause: Any) -> ClauseFn:
        from lxbz_xl.engine.items import clause_points

        defn = self.defn
        per = resolve_num(defn, clause.per_unit) if isinstance(clause, PerUnitClause) else None
        if per is None:  # shortfall, proportional (rare): the reference primitive, unchanged
            return lambda values: clause_points(defn, item, clause, values)
        path = clause.input.path
        head = f"{self.text(clause.rule_text)}:"
        tail = f"{clause.input.unit},{'扣' if item.mode == 'deduct' else '得'}"

        seen: dict[Any, tuple[Any, str | None]] = {}  # count → (points, text): both immutable

        def per_unit(values: dict[str, Any]) -> tuple[Any, str | None]:
            n = values.get(path, 0)
            if not n:
                return 0, None
            hit = seen.get(n) if type(n) is int else None
            if hit is not None:
                return hit
            raw = n * per
            out = raw, f"{head}{n}{tail}{fmt(raw)}分"
            if type(n) is int and len(seen) < 256:
                seen[n] = out
            return out

        return per_unit

    def _item(self, item: Item) -> ItemFn:
        points = dec(item.points)
        mode = item.mode
        word = "扣" if mode == "deduct" else "得"
        plan = [
            (
                clause.id,
                self.text(clause.label),
                self._clause(item, clause),
                dec(clause.cap) if clause.cap is not None else None,
            )
            for clause in item.clauses
        ]
        item_id, name = item.id, item.name

        def score(values: dict[str, Any]) -> ItemResult:
            clauses: list[ClauseResult] = []
            explanations: list[str] = []
            total: Fraction | int = 0
            for clause_id, label, points_of, cap in plan:
                raw, text = points_of(values)
                value = raw
                if raw and cap is not None and raw > cap:
                    value = cap
                    text = f"{text}(本条最多{word}{fmt(value)}分)"
                total += value
                clauses.append(ClauseResult(clause_id, label, value, text))
                if text:
                    explanations.append(text)
            if mode == "deduct":
                deduction = min(points, total)
                if total > points:
                    explanations.append(f"合计扣{fmt(total)}分,本项最多扣{fmt(points)}分(扣分封顶)")
                score = points - deduction
            else:
                score = min(points, total)
                if mode == "award" and total > points:
                    explanations.append(f"合计得{fmt(total)}分,本项最多{fmt(points)}分")
                deduction = points - score
                if deduction and mode == "award":
                    explanations.append(f"本项{fmt(points)}分,得{fmt(score)}分,未得{fmt(deduction)}分")
            return ItemResult(item_id, name, points, score, deduction, clauses, explanations)

        return score


_LEAF = object()
_ABSENT = object()


class Reader:
    """A field list's reading plan: each path split once, literal count bounds resolved once, the known
    key tree built once. `read` returns the parsed values of a sound input, or None when anything is off
    (a missing, bad or unknown value): the caller then runs inputs.read_fields for the exact errors, so
    a sound input reads the same either way (tests/test_compiled.py)."""

    def __init__(self, defn: RubricDefinition, specs: list[FieldSpec]) -> None:
        from lxbz_xl.inputs import _is_static, resolve_num

        self.defn = defn
        self.plan: list[tuple[str, tuple[tuple[str, int | None], ...], Any, FieldSpec]] = []
        self.tree: dict[str, Any] = {}
        for spec in specs:
            bounds = None
            if spec.type == "count" and _is_static(spec.min) and _is_static(spec.max):
                lo = resolve_num(defn, spec.min) if spec.min is not None else None
                hi = resolve_num(defn, spec.max) if spec.max is not None else None
                if (lo is None or int(lo) == lo) and (hi is None or int(hi) == hi):
                    bounds = (0 if lo is None else max(0, int(lo)), None if hi is None else int(hi))
            parts = tuple((p, int(p) if p.isdigit() else None) for p in spec.path.split("."))
            self.plan.append((spec.path, parts, bounds, spec))
            node = self.tree
            for part, _ in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {} if child is None else child
                node = child if isinstance(child, dict) else {}
            node[parts[-1][0]] = _LEAF

    def read(self, data: dict[str, Any]) -> dict[str, Any] | None:
        from lxbz_xl.inputs import InputProblem, check_value

        defn = self.defn
        values: dict[str, Any] = {}
        given: dict[str, Any] = {}
        pending: list[FieldSpec] = []
        for path, parts, bounds, spec in self.plan:
            node: Any = data
            for part, number in parts:
                if type(node) is not dict:
                    node = _ABSENT
                    break
                if part in node:
                    node = node[part]
                elif number is not None and number in node:
                    node = node[number]
                else:
                    node = _ABSENT
                    break
            if (
                bounds is not None
                and type(node) is int
                and bounds[0] <= node
                and (bounds[1] is None or node <= bounds[1])
            ):
                values[path] = given[path] = node
                continue
            if node is _ABSENT or node is None:
                if spec.required or spec.required is None:
                    return None
                if spec.default is not None:
                    values[path] = spec.default
                continue
            if isinstance(spec.max, str) and spec.max.startswith("@"):
                pending.append(spec)
                values[path] = node
                continue
            if spec.type == "bool" and type(node) is bool:
                values[path] = given[path] = node
                continue
            try:
                values[path] = given[path] = check_value(defn, spec, node, values.get)
            except InputProblem:
                return None
        for spec in pending:
            raw, bound = values[spec.path], given.get(str(spec.max)[1:])
            if (
                spec.type == "count"
                and spec.min is None
                and type(raw) is int
                and raw >= 0
                and (bound is None or (type(bound) is int and raw <= bound))
            ):
                continue
            try:
                values[spec.path] = check_value(defn, spec, raw, given.get)
            except InputProblem:
                return None
        return values if _only_known(data, self.tree) else None


def _only_known(node: dict[str, Any], tree: dict[str, Any]) -> bool:
    for key, value in node.items():
        child = tree.get(key if type(key) is str else str(key), _ABSENT)
        if child is _LEAF:
            continue
        if child is _ABSENT or not isinstance(value, dict) or not _only_known(value, child):
            return False
    return True


def _render(text: str, defn: RubricDefinition) -> str:
    def one(match: re.Match[str]) -> str:
        param = defn.parameters.get(match.group(1))
        if param is None:
            return match.group(0)
        value = dec(param.value)
        return pct(value) if param.unit == "%" else fmt(value)

    return _SLOT.sub(one, text)


def compiled(defn: RubricDefinition) -> CompiledRubric:
    """The compiled form of `defn`, built on first use and kept on the definition itself."""
    private = defn.__pydantic_private__  # a plain dict: cheaper than pydantic's attribute lookup
    found: CompiledRubric | None = private.get("_compiled") if private else None
    if found is None or found.defn is not defn:
        found = CompiledRubric(defn)
        defn._compiled = found
    return found
