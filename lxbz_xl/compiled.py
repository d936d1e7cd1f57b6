"""CompiledRubric: everything derived from a rubric definition, built once when it is first used.

A definition is data; evaluating it straight from the pydantic tree (lxbz_xl/engine/reference.py) walks
the same nodes, renders the same texts and resolves the same parameters for every case. The compiled
rubric does that once: input specs by path, reading plans (engine/reader.py), rendered rule texts, each
item scored by generated straight-line Python with its outcomes for seen counts kept, each expression,
condition and explanation turned into a closure with its numbers resolved (engine/compiled_exprs.py,
engine/compiled_describe.py), and each entity's steps in order (engine/plan.py). `lxbz_xl.evaluate` uses
them; tests/test_compiled.py proves them equal to the reference interpreter, explanations included, on
generated cases.

Nothing here knows a rubric by name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import Item, PerUnitClause, RubricDefinition, ShortfallClause
from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import dec, resolve_num
from lxbz_xl.result import ClauseResult, ItemResult

_SLOT = re.compile(r"\{(\w+)\}")

ClauseFn = Callable[[dict[str, Any]], tuple[Any, str | None]]
ItemFn = Callable[[dict[str, Any]], ItemResult]
ItemsFn = Callable[[dict[str, Any]], tuple[list[ItemResult], Any, int]]  # (items, total, below full)


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
        # Each item's inputs as all_inputs has them (items.N.x, with absent-value defaults).
        self.item_specs: dict[int, list[FieldSpec]] = {
            item.id: [s for s in self.spec_list if s.path.startswith(f"items.{item.id}.")]
            for item in defn.items
        }
        self.item_ids: list[tuple[int, str]] = [(item.id, str(item.id)) for item in defn.items]
        self.vote_paths: list[str] = [s.path for s in self.spec_list if s.type == "votes"]
        self.total_points: Fraction | None = (
            Fraction(defn.total_points) if defn.total_points is not None else None
        )
        from lxbz_xl.engine.reader import Reader

        self.read_all = Reader(defn, self.spec_list)
        self.read_unit = Reader(defn, self.unit_specs)
        self.read_member = Reader(defn, defn.members.inputs) if defn.members is not None else None
        self._texts: dict[str, str] = {}
        self._plans: dict[int, Any] = {}  # entity id → engine/plan.EntityPlan, built on first use
        # Derived facts of field lists read by lxbz_xl/inputs.py (bounds, key shapes), by kind and list.
        self.memo: dict[Any, Any] = {}
        from lxbz_xl.engine.compiled_exprs import CondCompiler, ExprCompiler

        self.expr = ExprCompiler(defn)  # expression node → closure over an Env
        self.cond = CondCompiler(self.expr)  # condition node → closure returning its Verdict
        from lxbz_xl.engine.compiled_describe import Describer

        self.describe = Describer(self.expr)  # expression node → closure giving its explanation
        # Scorers reading the parsed case values (items.N.name), and scorers of one item's own inputs.
        self.items: list[ItemFn] = [self._item(item, f"items.{item.id}.") for item in defn.items]
        self._by_item = {item.id: (item, self._item(item)) for item in defn.items}
        self.score_items: ItemsFn = _items_source(self.items, defn.id)

    def plan(self, entity: Any) -> Any:
        """The compiled steps (engine/plan.EntityPlan) of this definition's unit or member entity."""
        hit = self._plans.get(id(entity))
        if hit is None or hit.entity is not entity:  # the plan holds its entity: the id is not reused
            from lxbz_xl.engine.plan import EntityPlan

            hit = self._plans[id(entity)] = EntityPlan(self, entity)
        return hit

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

    def _clause(self, item: Item, clause: Any, prefix: str) -> ClauseFn:
        from lxbz_xl.engine.items import clause_points

        defn = self.defn
        verb = "扣" if item.mode == "deduct" else "得"
        per = resolve_num(defn, clause.per_unit) if hasattr(clause, "per_unit") else None
        if isinstance(clause, ShortfallClause) and per is not None:
            return self._shortfall(clause, prefix, per, verb)
        if not isinstance(clause, PerUnitClause) or per is None:  # proportional: the reference primitive
            if not prefix:
                return lambda values: clause_points(defn, item, clause, values)
            names = [(prefix + s.path, s.path) for s in item.inputs()]
            return lambda values: clause_points(
                defn, item, clause, {name: values[path] for path, name in names if path in values}
            )
        path = prefix + clause.input.path
        head = f"{self.text(clause.rule_text)}:"
        tail = f"{clause.input.unit},{verb}"

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

    def _shortfall(self, clause: ShortfallClause, prefix: str, per: Any, verb: str) -> ClauseFn:
        """required = ceil(ratio × base); per missing unit (as engine/items.clause_points)."""
        base_path, done_path = prefix + clause.base.path, prefix + clause.achieved.path
        ratio = resolve_num(self.defn, clause.ratio) or Fraction(0)
        head = f"{self.text(clause.rule_text)}:{clause.base.label}"
        unit, base_unit = clause.achieved.unit, clause.base.unit
        shown_ratio = pct(ratio)
        seen: dict[tuple[Any, Any], tuple[Any, str | None]] = {}

        def shortfall(values: dict[str, Any]) -> tuple[Any, str | None]:
            base = values.get(base_path, 0)
            achieved = values.get(done_path, 0)
            key = (base, achieved)
            hit = seen.get(key) if type(base) is int and type(achieved) is int else None
            if hit is not None:
                return hit
            required = math.ceil(ratio * base)
            short = max(0, required - achieved)
            if not short:
                out: tuple[Any, str | None] = (0, None)
            else:
                raw = short * per
                out = (
                    raw,
                    (
                        f"{head}{base}{base_unit}×{shown_ratio}应为{required}{unit},"
                        f"实为{achieved}{unit},少{short}{unit},{verb}{fmt(raw)}分"
                    ),
                )
            if type(base) is int and type(achieved) is int and len(seen) < 1024:
                seen[key] = out
            return out

        return shortfall

    def _final(self, item: Item, clause: Any, prefix: str) -> Callable[[dict[str, Any]], ClauseResult]:
        """A clause's result after its own cap. ClauseResults are immutable, so the result for counts
        seen before is the same object (a count is a small integer that repeats across units)."""
        raw_of = self._clause(item, clause, prefix)
        word = "扣" if item.mode == "deduct" else "得"
        cap = dec(clause.cap) if clause.cap is not None else None
        clause_id, label = clause.id, self.text(clause.label)

        def make(values: dict[str, Any]) -> ClauseResult:
            raw, text = raw_of(values)
            value = raw
            if raw and cap is not None and raw > cap:
                value = cap
                text = f"{text}(本条最多{word}{fmt(value)}分)"
            return ClauseResult(clause_id, label, value, text)

        paths = [prefix + s.path for s in _clause_inputs(clause)]
        seen: dict[Any, ClauseResult] = {}
        if len(paths) == 1:
            (only,) = paths

            def one(values: dict[str, Any]) -> ClauseResult:
                key = values.get(only)
                hit = seen.get(key)
                if hit is None:
                    hit = make(values)
                    if (key is None or type(key) is int) and len(seen) < 1024:
                        seen[key] = hit
                return hit

            one.seen = seen  # type: ignore[attr-defined]  # looked up inline by the item's scorer
            return one

        def several(values: dict[str, Any]) -> ClauseResult:
            key = tuple([values.get(p) for p in paths])
            hit = seen.get(key)
            if hit is None:
                hit = make(values)
                if len(seen) < 1024 and all(v is None or type(v) is int for v in key):
                    seen[key] = hit
            return hit

        several.seen = seen  # type: ignore[attr-defined]
        return several

    def _item(self, item: Item, prefix: str = "") -> ItemFn:
        from lxbz_xl.engine.items import item_outcome

        points = dec(item.points)
        finals = [self._final(item, clause, prefix) for clause in item.clauses]
        item_id, name = item.id, item.name
        # Counts are small integers that repeat across units: an item's outcome for the same counts is
        # kept (its immutable parts) and each Result still gets its own ItemResult and lists.
        paths = [prefix + spec.path for spec in item.inputs()]
        seen: dict[Any, tuple[Any, ...]] = {}  # keyed by the one count, or by the tuple of counts
        miss = _miss_source(item, finals, paths, seen, points, item_outcome)

        if len(paths) == 1:
            (only,) = paths

            def key_of(values: dict[str, Any]) -> Any:
                return values.get(only)

        else:

            def key_of(values: dict[str, Any]) -> Any:
                return tuple([values.get(p) for p in paths])

        def score(values: dict[str, Any]) -> ItemResult:
            key = key_of(values)
            hit = seen.get(key)
            if hit is None:
                return miss(values, key)
            clauses, explanations, score_, deduction, _ = hit
            return ItemResult(item_id, name, points, score_, deduction, list(clauses), list(explanations))

        score.memo = (paths, seen, (item_id, name, points), miss)  # type: ignore[attr-defined]
        return score


def _miss_source(
    item: Item, finals: list[Any], paths: list[str], seen: dict[Any, Any], points: Any, outcome: Any
) -> Callable[[dict[str, Any], Any], ItemResult]:
    """The scorer of an item whose counts were not seen before, in straight-line Python: each clause's
    result looked up by its own counts (a part of the item's key `k`), else computed; summed, capped
    (engine/items.item_outcome), and kept under `k` while the memo has room and `k` is whole counts."""
    env: dict[str, Any] = {"IR": ItemResult, "outcome": outcome, "S": seen, "P": points}
    env |= {"I": item.id, "N": item.name, "MODE": item.mode}
    lines = ["def miss(values, k):"]
    position = 0
    for j, (clause, final) in enumerate(zip(item.clauses, finals, strict=True)):
        env |= {f"F{j}": final, f"T{j}": final.seen}
        width = len(_clause_inputs(clause))
        if len(paths) == 1:
            key = "k"
        elif width == 1:
            key = f"k[{position}]"
        else:
            key = "(" + "".join(f"k[{position + w}], " for w in range(width)) + ")"
        position += width
        lines += [f"    c{j} = T{j}.get({key})", f"    if c{j} is None:", f"        c{j} = F{j}(values)"]
    n = range(len(finals))
    parts = ", ".join(f"c{j}" for j in n)
    lines += [
        f"    explanations = [e for e in ({''.join(f'c{j}.explanation, ' for j in n)}) if e]",
        f"    total = 0{''.join(f' + c{j}.value' for j in n)}",
        "    score, deduction = outcome(MODE, P, total, explanations)",
        f"    result = IR(I, N, P, score, deduction, [{parts}], explanations)",
    ]
    whole = (
        "(k is None or type(k) is int)" if len(paths) == 1 else "all(v is None or type(v) is int for v in k)"
    )
    lines += [
        f"    if len(S) < 4096 and {whole}:",
        f"        S[k] = (({parts}{',' if len(finals) == 1 else ''}), tuple(explanations), score, deduction, score < P)",
        "    return result",
    ]
    exec(compile("\n".join(lines), f"<item {item.id}>", "exec"), env)
    return env["miss"]  # type: ignore[no-any-return]


def _clause_inputs(clause: Any) -> list[FieldSpec]:
    """The inputs one clause reads (as Item.inputs lists them, clause by clause)."""
    if isinstance(clause, PerUnitClause):
        return [clause.input]
    if isinstance(clause, ShortfallClause):
        return [clause.base, clause.achieved]
    return [clause.done, clause.target]


def _items_source(items: list[ItemFn], rubric: str) -> ItemsFn:
    """Every item scored in one straight-line function, with the items total and how many items are
    below full marks: an item whose counts were seen before is rebuilt from its kept parts inline; any
    other item runs its scorer (which keeps its parts). The total is summed in ints while the scores
    are (item points are whole numbers), where a Fraction sum would build one per item."""
    env: dict[str, Any] = {"IR": ItemResult, "Fraction": Fraction}
    lines = ["def score_items(values):", "    g = values.get"]
    for i, score in enumerate(items):
        paths, seen, (item_id, name, points), miss = score.memo  # type: ignore[attr-defined]
        env |= {f"M{i}": miss, f"S{i}": seen, f"N{i}": name, f"P{i}": points, f"I{i}": item_id}
        key = f"g({paths[0]!r})" if len(paths) == 1 else "(" + "".join(f"g({p!r}), " for p in paths) + ")"
        lines += [
            f"    k = {key}",
            f"    h = S{i}.get(k)",
            "    if h is None:",
            f"        r{i} = M{i}(values, k)",
            f"        s{i} = r{i}.score",
            f"        b{i} = s{i} < P{i}",
            "    else:",
            f"        r{i} = IR(I{i}, N{i}, P{i}, h[2], h[3], list(h[0]), list(h[1]))",
            f"        s{i} = h[2]",
            f"        b{i} = h[4]",
        ]
    n = range(len(items))
    total = " + ".join(f"s{i}" for i in n) or "0"
    below = " + ".join(f"b{i}" for i in n) or "0"
    lines.append(
        f"    t = {total}"
    )  # a Fraction, as the reference's Fraction(0) + … (a shown total keeps its type)
    lines.append(
        f"    return [{', '.join(f'r{i}' for i in n)}], Fraction(t) if type(t) is int else t, int({below})"
    )
    exec(compile("\n".join(lines), f"<items of {rubric}>", "exec"), env)
    return env["score_items"]  # type: ignore[no-any-return]


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
