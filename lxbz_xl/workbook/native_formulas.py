"""The native back end of the formula compiler (formulas.py): each node of a rubric definition compiled
to built-in spreadsheet formulas (the 原生公式 variant).

Generic over the definition's node types: clause kinds, conditions, expressions, tier rules and
ladders, vetoes, caps and titles. Nothing here names a rubric. Semantics follow lxbz_xl.engine:

* Conditions are three-valued (absent input → unknown); each compiles to a pair (definitely true,
  definitely false) of formulas, so `not`, `all`, `any`, `at_least` keep the core's unknown handling.
* Vote shares never divide: `share(tiers) >= p/q` becomes `q*SUM(selected) >= p*SUM(all)` on integer
  counts, so 9 of 10 votes passes a 90% test exactly.
* Computed values are compared after ROUND(…,9), which removes binary-float noise (0.6*a+0.4*b) without
  moving any value the forms can produce across a bound.
* A cell shows "" when the core would have nothing (a required input missing) or reports an error no
  formula can name; where no vote or ballot is valid it shows the core's own message ("#LXBZ! …", as the
  UDF variant does: lxbz_xl/workbook/shown_errors.py decides which cells show which error).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from lxbz_xl.definition import logic as L
from lxbz_xl.definition.base import ByField
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import all_inputs
from lxbz_xl.definition.rubric import (
    Cap,
    Entity,
    PerUnitClause,
    ProportionalClause,
    ShortfallClause,
    Tiers,
    Variable,
    Veto,
)
from lxbz_xl.engine.exprs import _children as operands  # the order missing_reason blames operands in
from lxbz_xl.engine.items import render
from lxbz_xl.exact import fmt, pct
from lxbz_xl.workbook.formulas import Cell, Scope, compile_formulas
from lxbz_xl.workbook.model import (
    MAIN_SHEET,
    NO,
    YES,
    ItemSlots,
    Plan,
    Slot,
    col,
    enum_label,
    quote,
    xl_string,
)
from lxbz_xl.workbook.plan_ballots import ballot_rule
from lxbz_xl.workbook.shown_consequences import by_tier
from lxbz_xl.workbook.shown_errors import (
    ERROR_PREFIX,
    MAX_MESSAGE,
    MEMBER_TOTAL_LABEL,
    NO_VALID_BALLOT,
    NO_VALID_BALLOT_FOR,
    NO_VALID_VOTES,
    SHARE_LABEL,
)

TRUE, FALSE = "TRUE", "FALSE"
PENDING = "待定"
SEP = "；"  # joins explanations, as LXBZ_EXPLAIN does


_s = xl_string


def _lit(value: Fraction | Decimal | int) -> str:
    f = Fraction(value)
    if f.denominator == 1:
        return str(f.numerator)
    d = Decimal(f.numerator) / Decimal(f.denominator)
    return format(d.normalize(), "f") if len(str(d)) < 20 else f"({f.numerator}/{f.denominator})"


def _flat(name: str, parts: tuple[str, ...]) -> list[str]:
    """Nested AND(AND(a,b),c) → [a, b, c]; duplicates dropped (keeps generated formulas short)."""
    out: list[str] = []
    for p in parts:
        inner = (
            _args(p[len(name) + 1 : -1]) if p.startswith(name + "(") and _closes_at_end(p, len(name)) else [p]
        )
        for q in inner:
            if q not in out:
                out.append(q)
    return out


def _scan(text: str) -> Iterator[tuple[int, str, int, bool]]:
    """(index, character, parenthesis depth after it, inside a string literal) of each character."""
    depth, in_str = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            in_str = not in_str
        elif not in_str and ch == "(":
            depth += 1
        elif not in_str and ch == ")":
            depth -= 1
        yield i, ch, depth, in_str


def _closes_at_end(text: str, start: int) -> bool:
    """The parenthesis opened at `start` closes at the end of `text`."""
    for i, ch, depth, in_str in _scan(text[start:]):
        if ch == ")" and not in_str and depth == 0:
            return start + i == len(text) - 1
    return False


def _args(text: str) -> list[str]:
    """The comma-separated arguments of a call's argument text, split at the top level only."""
    out: list[str] = []
    cur: list[str] = []
    for _i, ch, depth, in_str in _scan(text):
        if ch == "," and depth == 0 and not in_str:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def AND(*parts: str) -> str:
    ps = [p for p in _flat("AND", parts) if p != TRUE]
    if FALSE in ps:
        return FALSE
    return TRUE if not ps else ps[0] if len(ps) == 1 else f"AND({','.join(ps)})"


def OR(*parts: str) -> str:
    ps = [p for p in _flat("OR", parts) if p != FALSE]
    if TRUE in ps:
        return TRUE
    return FALSE if not ps else ps[0] if len(ps) == 1 else f"OR({','.join(ps)})"


def NOT(part: str) -> str:
    return FALSE if part == TRUE else TRUE if part == FALSE else f"NOT({part})"


def IF(cond: str, yes: str, no: str) -> str:
    return yes if cond == TRUE else no if cond == FALSE else f"IF({cond},{yes},{no})"


@dataclass
class Val:
    text: str
    known: str = TRUE  # formula that is TRUE when the core would have a value
    exact: bool = True  # an input or constant (no float noise to round away)


@dataclass
class Cond:
    true: str
    false: str


# n-ary expressions: node type → (its operands' field, the spreadsheet function; None for a product)
_AGGREGATES: dict[type, tuple[str, str | None]] = {
    L.SumExpr: ("sum", "SUM"),
    L.MinExpr: ("min", "MIN"),
    L.MaxExpr: ("max", "MAX"),
    L.ProductExpr: ("product", None),
}


class CompileError(ValueError):
    pass


class Compiler:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.defn = plan.defn
        self.unit_specs = {s.path: s for s in all_inputs(self.defn) if not s.path.startswith("items.")}
        self.blocks = {b.spec.path: b for b in plan.blocks}
        self.member_specs = {s.path: s for s in (self.defn.members.inputs if self.defn.members else [])}
        self.member_vars = {v.name for v in (self.defn.members.variables if self.defn.members else [])}
        self.unit_vars = {v.name for v in self.defn.variables}

    # ---------------------------------------------------------------- numbers

    def num(self, value: Any, scope: Scope) -> tuple[str, str]:
        """A definition number (literal/$param/by-field) → (formula, known)."""
        if isinstance(value, Decimal):
            return _lit(value), TRUE
        if isinstance(value, ByField):
            enum = self.scalar(value.by, scope)
            out = _s("")
            known = FALSE
            for key, v in reversed(list(value.values.items())):
                text, _ = self.num(v, scope)
                label = _s(self.enum_label(value.by, key, scope))
                out = f"IF({enum.text}={label},{text},{out})"
                known = OR(f"{enum.text}={label}", known)
            return out, known
        if isinstance(value, str) and value.startswith("$"):
            return _lit(self.defn.parameters[value[1:]].value), TRUE
        if isinstance(value, str | int):
            return _lit(Decimal(str(value))), TRUE
        raise CompileError(f"not a number: {value!r}")

    def frac(self, value: Any) -> Fraction | None:
        if isinstance(value, Decimal):
            return Fraction(value)
        if isinstance(value, str) and value.startswith("$"):
            return Fraction(self.defn.parameters[value[1:]].value)
        if isinstance(value, str | int):
            return Fraction(Decimal(str(value)))
        return None

    # ---------------------------------------------------------------- names

    def lookup_slot(self, name: str, scope: Scope) -> tuple[Slot | None, FieldSpec | None, str]:
        """(slot, spec, where) for a scalar name: member input/variable first, then unit."""
        if scope.row is not None:
            if name in self.member_specs and name in scope.row:
                return scope.row[name], self.member_specs[name], "input"
            if name in self.member_vars:
                return scope.row[f"values.{name}"], None, "var"
            if name in ("total", "tier", "title") and name in scope.row:
                return scope.row[name], None, "var"
        if name in self.unit_specs and name in self.blocks and len(self.blocks[name].slots) == 1:
            return self.blocks[name].slots[0], self.unit_specs[name], "input"
        if name in self.unit_vars:
            return self.plan.outputs[f"values.{name}"], None, "var"
        if name == "items_total":
            key = "items_total" if "items_total" in self.plan.outputs else "total"
            return self.plan.outputs[key], None, "var"
        if name in ("total", "tier", "title", "base_tier") and name in self.plan.outputs:
            return self.plan.outputs[name], None, "var"
        return None, None, ""

    def enum_label(self, name: str, value: str, scope: Scope) -> str:
        """What the dropdown of input `name` shows for `value` (the rubric's value_labels)."""
        return enum_label(self.lookup_slot(name, scope)[1], value)

    def scalar(self, name: str, scope: Scope) -> Val:
        """An input as the core reads it: blank → its default (or unknown when it has none)."""
        slot, spec, where = self.lookup_slot(name, scope)
        if slot is None:
            if name == "member_count":
                return Val(self.member_count(scope))
            raise CompileError(f"{self.defn.id}: cannot resolve {name!r}")
        ref = scope.ref(slot)
        if where == "var":
            return Val(ref, f'{ref}<>""', exact=False)
        assert spec is not None
        if spec.type == "bool":
            return Val(ref, f'{ref}<>""' if spec.default is None else TRUE)
        default = spec.default
        if default is not None and not isinstance(default, bool):
            text = str(default) if spec.type != "enum" else _s(enum_label(spec, str(default)))
            return Val(f'IF({ref}="",{text},{ref})')
        return Val(ref, TRUE if spec.required else f'{ref}<>""')

    def member_count(self, scope: Scope) -> str:
        m = self.plan.members
        assert m is not None
        return m.count_formula(scope.here)

    def vote_cells(self, path: str, scope: Scope) -> list[str]:
        spec = self.member_specs.get(path) if scope.row is not None else None
        if spec is not None and spec.type == "votes":
            assert scope.row is not None
            return [scope.ref(scope.row[f"{path}.{t}"]) for t in spec.values]
        block = self.blocks[path]
        return [scope.ref(s) for s in block.slots]

    def vote_values(self, path: str, scope: Scope) -> list[str]:
        spec = self.member_specs.get(path) if scope.row is not None else None
        return (spec or self.unit_specs[path]).values

    def votes(self, path: str, tiers: list[str], scope: Scope) -> tuple[str, str]:
        cells = self.vote_cells(path, scope)
        values = self.vote_values(path, scope)
        sel = [c for c, v in zip(cells, values, strict=True) if v in tiers]
        return (f"SUM({','.join(sel)})" if sel else "0"), f"SUM({','.join(cells)})"

    def list_range(self, path: str, scope: Scope) -> str:
        spec = self.member_specs.get(path) if scope.row is not None else None
        if spec is not None:
            assert scope.row is not None
            cells = [
                scope.row[k] for k in scope.row if k.startswith(f"{path}.") and "." not in k[len(path) + 1 :]
            ]
            return f"{scope.ref(cells[0])}:{cells[-1].spec.ref}"
        return self.plan.block_range(self.blocks[path], scope.here)

    def record_points(self, path: str, key: str, scope: Scope) -> list[str]:
        spec = self.member_specs.get(path) if scope.row is not None else None
        if spec is not None:
            assert scope.row is not None
            return [
                scope.ref(s)
                for k, s in scope.row.items()
                if k.startswith(f"{path}.") and k.endswith(f".{key}")
            ]
        block = self.blocks[path]
        return [scope.ref(s) for s in block.slots if s.spec.path and s.spec.path.endswith(f".{key}")]

    # ---------------------------------------------------------------- expressions

    def expr(self, e: Any, scope: Scope) -> Val:
        if isinstance(e, Decimal):
            return Val(_lit(e))
        if isinstance(e, str):
            if e.startswith("$"):
                return Val(self.num(e, scope)[0])
            return self.scalar(e, scope)
        if isinstance(e, ByField):
            text, known = self.num(e, scope)
            return Val(text, known)
        if isinstance(e, L.WeightedExpr):
            parts: list[str] = [_lit(e.constant)] if e.constant else []
            knowns = [TRUE]
            for term in e.weighted:
                w, kw = self.num(term.weight, scope)
                v = self.expr(term.of, scope)
                parts.append(f"({w})*({v.text})")
                knowns += [kw, v.known]
            return Val("+".join(parts) or "0", AND(*knowns), exact=False)
        if isinstance(e, L.ShareExpr):
            sel, tot = self.votes(e.share.votes, e.share.tiers, scope)
            return Val(f"{sel}/{tot}", f"{tot}>0", exact=False)
        if isinstance(e, L.MeanExpr):
            if isinstance(e.mean, str):
                rng = self.list_range(e.mean, scope)
                return Val(f"AVERAGE({rng})", f"COUNT({rng})>0", exact=False)
            vals = [self.expr(x, scope) for x in e.mean]
            return Val(
                f"({'+'.join(v.text for v in vals)})/{len(vals)}", AND(*[v.known for v in vals]), exact=False
            )
        if type(e) in _AGGREGATES:
            field, func = _AGGREGATES[type(e)]
            vals = [self.expr(x, scope) for x in getattr(e, field)]
            known = AND(*[v.known for v in vals])
            if func is None:  # a product
                return Val("*".join(f"({v.text})" for v in vals), known, exact=False)
            return Val(f"{func}({','.join(v.text for v in vals)})", known, all(v.exact for v in vals))
        if isinstance(e, L.ClampExpr):
            v = self.expr(e.clamp.of, scope)
            text = v.text
            if e.clamp.min is not None:
                text = f"MAX({self.num(e.clamp.min, scope)[0]},{text})"
            if e.clamp.max is not None:
                text = f"MIN({self.num(e.clamp.max, scope)[0]},{text})"
            return Val(text, v.known, v.exact)
        if isinstance(e, L.CoalesceExpr):
            vals = [self.expr(x, scope) for x in e.coalesce]
            text = _s("")
            for v in reversed(vals):
                text = IF(v.known, v.text, text)
            return Val(text, OR(*[v.known for v in vals]), exact=False)
        if isinstance(e, L.ListSumExpr):
            cells = self.record_points(e.list_sum.of, e.list_sum.key, scope)
            total = f"SUM({','.join(cells)})" if cells else "0"
            return Val(total)
        if isinstance(e, L.VotePointsExpr):
            cells = self.vote_cells(e.vote_points.votes, scope)
            values = self.vote_values(e.vote_points.votes, scope)
            terms = []
            for c, tier in zip(cells, values, strict=True):
                if tier in e.vote_points.points:
                    terms.append(f"{c}*{self.num(e.vote_points.points[tier], scope)[0]}")
            tot = f"SUM({','.join(cells)})"
            return Val(f"({'+'.join(terms) or '0'})/{tot}", f"{tot}>0", exact=False)
        if isinstance(e, L.BallotPointsExpr):
            return self.ballot_points(e.ballot_points, scope)
        if isinstance(e, L.InvalidBallotsExpr):
            flags = self.plan.ballot_flags
            if flags is None or e.invalid_ballots.ballots not in self.blocks:
                raise CompileError("invalid_ballots needs the ballot sheet")
            sheet, _v, i, first, last = flags
            return Val(f"SUM({quote(sheet)}!{i}{first}:{i}{last})")
        raise CompileError(f"{self.defn.id}: no native form for expression {type(e).__name__}")

    def ballot_points(self, spec: L.BallotPoints, scope: Scope) -> Val:
        flags = self.plan.ballot_flags
        if flags is None or scope.member_index is None:
            raise CompileError("ballot_points needs the ballot sheet and a member row")
        sheet, v, _i, first, last = flags
        block = self.blocks[spec.ballots]
        # Column of this member in the ballot matrix: member row k ↔ matrix column k.
        c = col(2 + scope.member_index)
        rng = f"{quote(sheet)}!{c}{first}:{c}{last}"
        valid = f"{quote(sheet)}!{v}{first}:{v}{last}"
        if spec.tier is None or spec.max_share is None:
            valid = f"--({quote(sheet)}!{v}{first}:{v}{last}>=0)"
        points = "+".join(f'({rng}="{t}")*{self.num(p, scope)[0]}' for t, p in spec.points.items())
        marked = "+".join(f'({rng}="{t}")' for t in block.spec.values)
        num = f"SUMPRODUCT({valid},{points})"
        den = f"SUMPRODUCT({valid},{marked})"
        return Val(f"{num}/{den}", f"{den}>0", exact=False)

    # ---------------------------------------------------------------- conditions

    def cond(self, c: Any, scope: Scope) -> Cond:
        if isinstance(c, L.FlagCond):
            v = self.scalar(c.flag, scope)
            yes = f'{v.text}="{YES}"'
            return Cond(yes, AND(v.known, f'{v.text}<>"{YES}"'))
        if isinstance(c, L.EqualsCond):
            v = self.scalar(c.equals.field, scope)
            value = c.equals.value
            shown = (
                (YES if value else NO)
                if isinstance(value, bool)
                else self.enum_label(c.equals.field, str(value), scope)
            )
            eq = f"{v.text}={_s(shown)}"
            known = AND(v.known, f'{v.text}<>""')
            return Cond(AND(known, eq), AND(known, f"{v.text}<>{_s(shown)}"))
        if isinstance(c, L.NotCond):
            inner = self.cond(c.not_, scope)
            return Cond(inner.false, inner.true)
        if isinstance(c, L.AllCond):
            parts = [self.cond(x, scope) for x in c.all]
            return Cond(AND(*[p.true for p in parts]), OR(*[p.false for p in parts]))
        if isinstance(c, L.AnyCond):
            parts = [self.cond(x, scope) for x in c.any]
            return Cond(OR(*[p.true for p in parts]), AND(*[p.false for p in parts]))
        if isinstance(c, L.AtLeastCond):
            parts = [self.cond(x, scope) for x in c.of]
            held = "+".join(f"IF({p.true},1,0)" for p in parts)
            failed = "+".join(f"IF({p.false},1,0)" for p in parts)
            return Cond(f"({held})>={c.at_least}", f"{len(parts)}-({failed})<{c.at_least}")
        if isinstance(c, L.ShareCond):
            return self.share_cond(c.share, scope)
        if isinstance(c, L.CompareCond):
            left, right = self.expr(c.compare.left, scope), self.expr(c.compare.right, scope)
            lt = left.text if left.exact else f"ROUND({left.text},9)"
            rt = right.text if right.exact else f"ROUND({right.text},9)"
            cmp = f"{lt}{c.compare.op}{rt}"
            known = AND(left.known, right.known)
            return Cond(AND(known, cmp), AND(known, NOT(cmp)))
        raise CompileError(f"{self.defn.id}: no native form for condition {type(c).__name__}")

    def share_cond(self, body: L.ShareBody, scope: Scope) -> Cond:
        sel, tot = self.votes(body.votes, body.tiers, scope)
        present = f"{tot}>0"

        def compare(value: Fraction) -> str:
            # share op p/q  ⇔  q*selected op p*total  (integers: exact, RUBRICS.md §0)
            return f"{value.denominator}*{sel}{body.op}{value.numerator}*{tot}"

        if isinstance(body.value, ByField):
            enum = self.scalar(body.value.by, scope)
            t_out, f_out = FALSE, FALSE
            for key, v in reversed(list(body.value.values.items())):
                frac = self.frac(v)
                assert frac is not None
                label = _s(self.enum_label(body.value.by, key, scope))
                t_out = f"IF({enum.text}={label},{compare(frac)},{t_out})"
                f_out = f"IF({enum.text}={label},NOT({compare(frac)}),{f_out})"
            return Cond(AND(present, t_out), AND(present, f_out))
        frac = self.frac(body.value)
        assert frac is not None
        cmp = compare(frac)
        return Cond(AND(present, cmp), AND(present, NOT(cmp)))

    # ---------------------------------------------------------------- tiers and titles

    def base_tier(self, tiers: Tiers, scope: Scope) -> str:
        if tiers.thresholds and tiers.score is not None:
            s = self.expr(tiers.score, scope)
            score = s.text if s.exact else f"ROUND({s.text},9)"
            ladder = _s(tiers.default)
            for step in reversed(tiers.thresholds):
                bound = self.num(step.min, scope)[0]
                ladder = IF(AND(s.known, f"{score}>={bound}"), _s(step.tier), ladder)
        else:
            ladder = _s(tiers.default)
        out = ladder
        for rule in reversed(tiers.rules):
            c = self.cond(rule.when, scope)
            out = IF(c.true, _s(rule.tier or rule.manual or ""), out)
        return out

    def adjusted(self, tiers: Tiers, base: str, scope: Scope) -> str:
        """Apply vetoes and caps to the tier in `base` (a cell or formula) by position in `order`."""
        if not tiers.adjustments:
            return base
        order = "{" + ",".join(_s(t) for t in tiers.order) + "}"
        idx = f"MATCH({base},{order},0)"
        n = len(tiers.order)
        for adj in tiers.adjustments:
            if isinstance(adj, Veto):
                hits = "+".join(f"IF({self.cond(L.FlagCond(flag=f), scope).true},1,0)" for f in adj.flags)
                steps = f"{adj.steps}*({hits})" if adj.stack else f"{adj.steps}*IF(({hits})>0,1,0)"
                idx = f"MIN({idx}+{steps},{n})"
            elif isinstance(adj, Cap):
                c = self.cond(adj.when, scope)
                cap = tiers.order.index(adj.max) + 1
                idx = IF(c.true, f"MAX({idx},{cap})", idx)
        return f"IF(ISNUMBER(MATCH({base},{order},0)),INDEX({order},{idx}),{base})"

    def flags(self, entity: Entity, scope: Scope) -> str:
        """The notices whose condition holds, joined with "；" (as LXBZ_FLAGS)."""
        parts = [IF(self.cond(r.when, scope).true, _s(SEP + r.label), '""') for r in entity.flags]
        return f"MID({'&'.join(parts)},2,1000)"

    def title(self, entity: Entity, scope: Scope) -> str:
        assert entity.title is not None
        conds = [self.cond(r.when, scope) for r in entity.title.requires]
        failed = OR(*[c.false for c in conds])
        # Not failed but some requirement unknown (an input left blank): the title is provisional (待定).
        return IF(failed, _s(NO), IF(AND(*[c.true for c in conds]), _s(YES), _s(PENDING)))

    # ---------------------------------------------------------------- readiness

    def unit_ready(self, scope: Scope) -> str:
        """TRUE when the case has what the core requires (else the core reports errors: cells show "")."""
        parts = [part for _path, part in self.unit_parts(scope)]
        for group in self.defn.one_of:
            present = []
            for path in group:
                block = self.blocks[path]
                if self.unit_specs[path].type in ("numbers",):
                    present.append(f"IF(COUNT({self.plan.block_range(block, scope.here)})>0,1,0)")
                else:
                    present.append(f'IF({scope.ref(block.slots[0])}<>"",1,0)')
            parts.append(f"({'+'.join(present)})=1")
        return AND(*parts)

    def unit_parts(self, scope: Scope) -> list[tuple[str, str]]:
        """(input path, TRUE when present) of the items total, then each required unit input in the order
        the core reads them (its errors come in that order)."""
        parts: list[tuple[str, str]] = []
        if self.defn.items:
            key = "items_total" if "items_total" in self.plan.outputs else "total"
            parts.append(("items_total", f'{scope.ref(self.plan.outputs[key])}<>""'))
        for path, spec in self.unit_specs.items():
            block = self.blocks.get(path)
            if block is None or not spec.required:
                continue
            if spec.type == "votes":
                parts.append((path, f"SUM({self.plan.block_range(block, scope.here)})>0"))
            elif spec.type in ("numbers", "records"):
                parts.append((path, f"COUNT({self.plan.block_range(block, scope.here)})>0"))
            elif spec.type == "ballots":
                sheet, v, i, first, last = self.ballot_sheet()
                parts.append(
                    (path, f"SUM({quote(sheet)}!{v}{first}:{v}{last},{quote(sheet)}!{i}{first}:{i}{last})>0")
                )
            else:
                parts.append((path, f'{scope.ref(block.slots[0])}<>""'))
        return parts

    def ballot_sheet(self) -> tuple[str, str, str, int, int]:
        flags = self.plan.ballot_flags
        assert flags is not None
        return flags

    def member_parts(self, scope: Scope) -> list[tuple[str, str]]:
        """(input path, TRUE when present) of each required input of the member row, in the core's order."""
        assert scope.row is not None and self.defn.members is not None
        parts = []
        for spec in self.defn.members.inputs:
            if spec.required is False:
                continue
            if spec.type == "votes":
                parts.append((spec.path, f"SUM({','.join(self.vote_cells(spec.path, scope))})>0"))
            elif spec.type == "numbers":
                parts.append((spec.path, f"COUNT({self.list_range(spec.path, scope)})>0"))
            elif spec.type == "records":
                continue
            else:
                parts.append((spec.path, f'{scope.ref(scope.row[spec.path])}<>""'))
        return parts

    def member_ready(self, scope: Scope) -> str:
        return AND(*[part for _path, part in self.member_parts(scope)])

    # ---------------------------------------------------------------- errors a formula can name

    def no_valid_votes(self, cells: list[str]) -> str:
        """TRUE when a vote table is filled in and every count is 0: every ballot blank or invalid."""
        refs = ",".join(cells)
        return f"AND(COUNT({refs})>0,COUNT({refs})=COUNTA({refs}),MIN({refs})>=0,SUM({refs})=0)"

    def read_errors(self, scope: Scope, member: bool) -> list[tuple[str, str]]:
        """(condition, message) of the input errors of the unit (or, with `member`, of the member row) that
        the core reports while reading the inputs and a formula can name: a vote table with no valid vote.
        A table's error is named only when the required inputs read before it are present (the core would
        report the missing one first, which the native variant leaves blank)."""
        out: list[tuple[str, str]] = []
        before: list[str] = []
        if member:
            assert scope.row is not None and self.defn.members is not None
            specs = {s.path: s for s in self.defn.members.inputs}
            parts = dict(self.member_parts(scope))
            order = [s.path for s in self.defn.members.inputs]
            label = self.defn.members.label
            number = self.member_number(scope)
        else:
            specs = self.unit_specs
            parts = dict(self.unit_parts(scope))
            order = ["items_total", *self.unit_specs] if self.defn.items else list(self.unit_specs)
        for path in order:
            spec = specs.get(path)
            if spec is not None and spec.type == "votes":
                cells = (
                    self.vote_cells(path, scope)
                    if member
                    else [self.plan.block_range(self.blocks[path], scope.here)]
                )
                text = spec.label + NO_VALID_VOTES
                message = (
                    f"{_s(ERROR_PREFIX + label + '第')}&{number}&{_s('条:' + text)}"
                    if member
                    else _s(ERROR_PREFIX + text)
                )
                out.append((AND(*before, self.no_valid_votes(cells)), message))
            if path in parts:
                before.append(parts[path])
        return out

    def member_number(self, scope: Scope) -> str:
        """The member's number in the core's messages (第k条): its position among the named rows."""
        m = self.plan.members
        assert m is not None and scope.member_index is not None
        sheet = "" if scope.here == m.sheet else f"{quote(m.sheet)}!"
        return f"SUM({sheet}${m.flag_col}${m.first_row}:${m.flag_col}{m.first_row + scope.member_index})"

    def ballot_errors(self, scope: Scope) -> list[tuple[str, str]]:
        """(condition, message) of the ballot errors the core reports once the inputs are read: no ballot
        valid at all (a unit error), or none of the valid ballots rating this member (its own error, on a
        member row). Each names what the core names, word for word (lxbz_xl.engine.exprs._ballot_reason)."""
        found = self.ballot_dependency()
        if found is None or self.plan.members is None:
            return []
        path, spec = found
        label = self.unit_specs[path].label
        sheet, v, i, first, last = self.ballot_sheet()
        valid = f"SUM({quote(sheet)}!{v}{first}:{v}{last})"
        out = []
        rule = ballot_rule(self.defn, path)
        if rule is not None:
            tier, cap = rule
            evaluated = self.member_count(scope)
            invalid = f"SUM({quote(sheet)}!{i}{first}:{i}{last})"
            limit = f"INT({cap.numerator}*{evaluated}/{cap.denominator})"
            message = _message(
                label + NO_VALID_BALLOT + ",无法计算群众评价:第",
                self.numbers_to(invalid),
                f"张选票评“{tier}”的人数均超过被评价总人数",
                (evaluated, f"LEN({evaluated})"),
                "人的" + pct(cap) + "(每张至多",
                (limit, f"LEN({limit})"),
                "人),全部无效",
            )
            ready = self.unit_ready(scope)
            if scope.row is not None:
                ready = AND(ready, self.member_ready(scope))
            out.append((AND(ready, f"{evaluated}>0", f"{valid}=0", f"{invalid}>0"), message))
        if scope.row is not None and self.defn.members is not None and self.defn.members.total is not None:
            members = self.defn.members
            name = scope.ref(scope.row[members.name_field])
            number = self.member_number(scope)
            message = _message(
                members.label + "第",
                (number, f"LEN({number})"),
                "条(",
                (name, f"LEN({name})"),
                f"):无法计算{MEMBER_TOTAL_LABEL}:{label}{NO_VALID_BALLOT_FOR}",
                (name, f"LEN({name})"),
                "的评价,无法计算群众评价",
            )
            den = self.ballot_points(spec, scope).known
            ready = AND(self.unit_ready(scope), self.member_ready(scope))
            out.append((AND(ready, f"{valid}>0", NOT(den)), message))
        return out

    def ballot_dependency(self) -> tuple[str, L.BallotPoints] | None:
        """(ballots input, mean over ballots) the member total needs first: what the core blames when the
        total cannot be computed (lxbz_xl.engine.exprs.missing_reason walks the operands in this order)."""
        members = self.defn.members
        if members is None or members.total is None:
            return None
        variables = {v.name: v for v in members.variables}

        def walk(expr: Any) -> L.BallotPoints | None:
            if isinstance(expr, str) and expr in variables:
                return walk(variables[expr].expr)
            if isinstance(expr, L.BallotPointsExpr):
                return expr.ballot_points
            for operand in operands(expr):
                hit = walk(operand)
                if hit is not None:
                    return hit
            return None

        hit = walk(members.total)
        return None if hit is None or hit.ballots not in self.blocks else (hit.ballots, hit)

    def numbers_to(self, count: str) -> tuple[str, str]:
        """(formula, its length) of the text 1、2、…、count: the core's list of ballot numbers, cut from one
        constant (its first MAX_MESSAGE characters are all a cell can show)."""
        n = self.defn.form.ballots
        text = "、".join(str(k) for k in range(1, n + 1))[:MAX_MESSAGE]
        # Each number of d digits adds d+1 characters (itself and a separator); one separator too many.
        terms, low, d = [], 1, 1
        while low <= n:
            upto = f"MAX(0,{count}-{low - 1})" if low > 1 else count
            terms.append(f"{upto}*{d + 1}")
            if low * 10 - 1 < n:
                terms.append(f"-MAX(0,{count}-{low * 10 - 1})*{d + 1}")
            low, d = low * 10, d + 1
        length = f"({''.join(t if t.startswith('-') or k == 0 else '+' + t for k, t in enumerate(terms))}-1)"
        return f"LEFT({_s(text)},{length})", length

    # ---------------------------------------------------------------- items

    def clause(
        self, item: Any, clause: Any, cells: dict[str, str], defaults: dict[str, Any]
    ) -> tuple[str, str]:
        """(points formula, explanation formula) of one clause; inputs via `cells` (path → arg text)."""

        def eff(path: str) -> str:
            d = defaults.get(path)
            return f'IF({cells[path]}="",{d if d is not None else 0},{cells[path]})'

        verb = "扣" if item.mode == "deduct" else "得"
        rule = render(clause.rule_text, self.defn)
        cap = Fraction(clause.cap) if clause.cap is not None else None
        if isinstance(clause, PerUnitClause):
            n = eff(clause.input.path)
            per = self.num(clause.per_unit, Scope(self.plan, MAIN_SHEET))[0]
            raw = f"{n}*{per}"
            text = f'{_s(rule + ":")}&{n}&{_s(clause.input.unit + "," + verb)}&{raw}&"分"'
            cond = f"{n}>0"
        elif isinstance(clause, ShortfallClause):
            ratio = self.frac(clause.ratio)
            assert ratio is not None
            base, got = eff(clause.base.path), eff(clause.achieved.path)
            required = f"INT(({ratio.numerator}*{base}+{ratio.denominator - 1})/{ratio.denominator})"
            short = f"MAX(0,{required}-{got})"
            per = self.num(clause.per_unit, Scope(self.plan, MAIN_SHEET))[0]
            raw = f"{short}*{per}"
            unit = clause.achieved.unit
            text = (
                f"{_s(rule + ':' + clause.base.label)}&{base}&{_s(clause.base.unit + '×' + _pct(ratio) + '应为')}"
                f'&{required}&{_s(unit + ",实为")}&{got}&{_s(unit + ",少")}&{short}&{_s(unit + "," + verb)}&{raw}&"分"'
            )
            cond = f"{short}>0"
        elif isinstance(clause, ProportionalClause):
            done, target = cells[clause.done.path], cells[clause.target.path]
            pts = _lit(clause.points)
            rate = f"IF({target}=0,1,MIN(1,{done}/{target}))"
            raw = f'IF(OR({done}="",{target}=""),0,{pts}*{rate})'
            text = f'{_s(rule + ":完成")}&{done}&"/"&{target}&"("&ROUND(100*{rate},2)&"%),得"&ROUND({raw},2)&"分"'
            cond = f'AND({done}<>"",{target}<>"",{rate}<1)'
        else:
            raise CompileError(f"no native form for clause {clause!r}")
        if cap is not None:
            capped = f"MIN({_lit(cap)},{raw})"
            text = f'{text}&IF({raw}>{_lit(cap)},{_s("(本条最多" + verb + fmt(cap) + "分)")},"")'
            raw = capped
        return raw, IF(cond, f'"{SEP}"&{text}', '""')

    def item_formulas(self, its: ItemSlots, args: list[str]) -> tuple[str, str, str]:
        """Score, deduction and explanation of an item; `args` per clause input (formulas.item_args)."""
        item = its.item
        cells = {spec.path: arg for spec, arg in zip(item.inputs(), args, strict=True)}
        prefix = f"items.{item.id}."
        defaults = {
            s.path[len(prefix) :]: s.default for s in all_inputs(self.defn) if s.path.startswith(prefix)
        }
        raws, texts = [], []
        for clause in item.clauses:
            raw, text = self.clause(item, clause, cells, defaults)
            raws.append(raw)
            texts.append(text)
        points = _lit(item.points)
        total = "+".join(f"({r})" for r in raws)
        if item.mode == "deduct":
            deduction = f"MIN({points},{total})"
            score = f"{points}-{deduction}"
            notes = [
                IF(
                    f"({total})>{points}",
                    f'"{SEP}合计扣"&({total})&"分,本项最多扣{fmt(Fraction(item.points))}分(扣分封顶)"',
                    '""',
                )
            ]
        else:
            score = f"MIN({points},{total})"
            deduction = f"{points}-{score}"
            notes = []
            if item.mode == "award":
                notes.append(
                    IF(
                        f"({total})>{points}",
                        f'"{SEP}合计得"&({total})&"分,本项最多{fmt(Fraction(item.points))}分"',
                        '""',
                    )
                )
                notes.append(
                    IF(
                        f"({deduction})>0",
                        f'"{SEP}本项{fmt(Fraction(item.points))}分,得"&({score})&"分,未得"&({deduction})&"分"',
                        '""',
                    )
                )
        text = f"MID({'&'.join(texts + notes)},2,2000)"
        if all(defaults.get(spec.path) is not None for spec in item.inputs()):
            # RUBRICS.md §0: a blank item is absent and scores as nothing found (every input's default).
            return score, deduction, text
        blank = AND(*[f'{a}=""' for a in args])  # inputs without a neutral value (done/target)
        return (IF(blank, '""', score), IF(blank, '""', deduction), IF(blank, '""', text))


def _message(*pieces: str | tuple[str, str]) -> str:
    """A cell's error text from constant text and (formula, length formula) pieces: "#LXBZ! " and the
    message, cut as udfs show it (shown_errors.error_text: at most MAX_MESSAGE characters, "…" ending a cut)."""
    body = "&".join(_s(p) if isinstance(p, str) else p[0] for p in pieces)
    fixed = sum(len(p) for p in pieces if isinstance(p, str))
    length = "+".join([str(fixed), *(p[1] for p in pieces if not isinstance(p, str))])
    over = f"({length})>{MAX_MESSAGE}"
    return f'{_s(ERROR_PREFIX)}&LEFT({body},IF({over},{MAX_MESSAGE - 1},{MAX_MESSAGE}))&IF({over},"…","")'


def _pct(value: Fraction) -> str:
    return fmt(value * 100) + "%"


class NativeBackend:
    """Built-in formulas: each node compiled by `Compiler`; a result shows "" until the scope has what the
    core requires (the unit's inputs; on a member row, the member's too), and the core's message where it
    reports an error a formula can name (no valid vote or ballot: shown_errors)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.comp = Compiler(plan)
        self._ready: dict[tuple[str, int | None], str] = {}
        self._errors: dict[tuple[str, int | None], list[tuple[str, str]]] = {}

    def ready(self, scope: Scope) -> str:
        key = (scope.here, scope.member_index)
        if key not in self._ready:
            unit = self.comp.unit_ready(scope)
            self._ready[key] = unit if scope.row is None else AND(unit, self.comp.member_ready(scope))
        return self._ready[key]

    def errors(self, scope: Scope) -> list[tuple[str, str]]:
        """(condition, message) of the errors the scope's cells name, in the order the cells show them
        (shown_errors): the unit's reading errors (the core then stops), the member's own reading errors,
        then what the core finds computing (no valid ballot at all, none rating this member)."""
        key = (scope.here, scope.member_index)
        if key not in self._errors:
            found = self.comp.read_errors(scope, member=False)
            if scope.row is not None:
                found += self.comp.read_errors(scope, member=True)
            self._errors[key] = found + self.comp.ballot_errors(scope)
        return self._errors[key]

    def shown(self, text: str, scope: Scope) -> str:
        """`text`, unless one of the scope's errors holds: then that error's message."""
        for cond, message in reversed(self.errors(scope)):
            text = IF(cond, message, text)
        return text

    def guard(self, v: Val, scope: Scope) -> str:
        return self.shown(IF(AND(self.ready(scope), v.known), v.text, '""'), scope)

    def preamble(self) -> dict[Cell, str]:
        return {}

    def item(self, its: ItemSlots, args: list[str]) -> tuple[str, str, str]:
        return self.comp.item_formulas(its, args)

    def items_total(self, items: list[ItemSlots]) -> str:
        # As LXBZ_TOTAL: no total until every item is scored (only an item with required inputs stays blank).
        refs = [its.score.spec.ref for its in items]
        return IF(OR(*[f'{r}=""' for r in refs]), '""', f"SUM({','.join(refs)})")

    def value(self, entity: Entity, var: Variable, scope: Scope) -> str:
        return self.guard(self.comp.expr(var.expr, scope), scope)

    def total(self, entity: Entity, scope: Scope) -> str:
        return self.guard(self.comp.expr(entity.total, scope), scope)

    def share(self, votes: str, tiers: tuple[str, ...], scope: Scope) -> str:
        # Display only (a percentage); every comparison stays cross-multiplied in integers. A table whose
        # counts are all 0 says so, as LXBZ_VOTE_SHARE does (it knows the counts, not the table's name).
        sel, tot = self.comp.votes(votes, list(tiers), scope)
        block = self.comp.blocks[votes]
        empty = IF(
            self.comp.no_valid_votes([self.plan.block_range(block, scope.here)]),
            _s(ERROR_PREFIX + SHARE_LABEL + NO_VALID_VOTES),
            '""',
        )
        return IF(f"{tot}>0", f"{sel}/{tot}", empty)

    def base_tier(self, entity: Entity, scope: Scope) -> str:
        assert entity.tiers is not None
        return self.shown(IF(self.ready(scope), self.comp.base_tier(entity.tiers, scope), '""'), scope)

    def tier(self, entity: Entity, base: Slot | None, scope: Scope) -> str:
        tiers = entity.tiers
        assert tiers is not None
        if base is not None:  # vetoes and caps move the base tier shown in its own cell (an error passes)
            bref = scope.ref(base)
            return IF(f'{bref}=""', '""', self.comp.adjusted(tiers, bref, scope))
        text = self.comp.base_tier(tiers, scope)
        if scope.row is not None:
            text = f"({text})"  # member rows have always parenthesised it (kept: the templates stay the same)
        return self.shown(IF(self.ready(scope), text, '""'), scope)

    def title(self, entity: Entity, scope: Scope) -> str:
        return self.shown(IF(self.ready(scope), self.comp.title(entity, scope), '""'), scope)

    def flags(self, entity: Entity, scope: Scope) -> str:
        return self.shown(IF(self.ready(scope), self.comp.flags(entity, scope), '""'), scope)

    def consequence(self, entity: Entity, key: str, tier: Slot, scope: Scope) -> str:
        """The tier cell's text mapped to the core's text for that final tier (constants from the YAML,
        shown_consequences.by_tier); "" while the tier is blank, the tier cell's message where it shows one."""
        t = scope.ref(tier)
        groups: dict[str, list[str]] = {}
        for shown, text in by_tier(entity, key):
            if text:
                groups.setdefault(text, []).append(shown)
        out = '""'
        for text, names in reversed(groups.items()):
            out = IF(OR(*[f"{t}={_s(n)}" for n in names]), _s(text), out)
        return IF(f"LEFT({t},{len(ERROR_PREFIX)})={_s(ERROR_PREFIX)}", t, out)


def native_formulas(plan: Plan) -> dict[Cell, str]:
    """The native variant's formulas (formulas.compile_formulas with the native back end)."""
    return compile_formulas(plan, NativeBackend(plan))
