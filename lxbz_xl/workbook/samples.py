"""Random valid cases that fit a rubric's form, with boundary values favoured (for the equality proofs).

Generated from the definition and the form plan only: list lengths fit the form's rows, vote tables are
often split so shares land exactly on thresholds (9 of 10, 6 of 10), counts hit 0 and their maximum.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import all_inputs
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.workbook.cases import case_from_cells, cells_from_case
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.plan_members import MEMBER_LIST_CELLS, MEMBER_RECORD_PAIRS
from lxbz_xl.workbook.roster import bound

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴昊", "徐丽", "孙强"]


def _bound(defn: RubricDefinition, value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str) and value.startswith("$"):
        return defn.parameters[value[1:]].value
    return None


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


class Sampler:
    def __init__(self, defn: RubricDefinition, seed: int):
        self.defn = defn
        self.rng = random.Random(seed)
        self.plan = plan_for(defn)

    def count(self, spec: FieldSpec, cap: int | None = None) -> int:
        hi = _bound(self.defn, spec.max)
        top = int(hi) if hi is not None and hi <= 50 else 12
        if cap is not None:
            top = min(top, cap)
        r = self.rng.random()
        if r < 0.3:
            return 0
        if r < 0.45:
            return top
        return self.rng.randint(0, max(0, top))

    def number(self, spec: FieldSpec) -> Any:
        lo = _bound(self.defn, spec.min)
        hi = _bound(self.defn, spec.max)
        lo_i = int(lo) if lo is not None else 0
        hi_i = int(hi) if hi is not None else 100
        if spec.unit == "%":
            return self.rng.choice([0, 1, 0.8, 0.79, 0.81, round(self.rng.random(), 2)])
        r = self.rng.random()
        if r < 0.15:
            return lo_i
        if r < 0.3:
            return hi_i
        if r < 0.6:
            return self.rng.randint(lo_i, hi_i)
        return self.rng.randint(lo_i * 4, hi_i * 4) / 4

    def _near_bounds(self, roster: Any, column: Any) -> list[Any]:
        """Values on and around the thresholds a roster column is compared with (within its bounds)."""
        out: list[Any] = []
        for d in roster.derived:
            for t in d.tests:
                if t[0] == "below" and t[1] == column.key:
                    b = bound(self.defn, t[2])
                    picks = [b - 1, b, b + 1, b / 2] + (
                        [b - Fraction(1, 2)] if column.type == "number" else []
                    )
                    out += [p for p in picks if p not in out]
        lo = _bound(self.defn, column.spec.min) if column.spec is not None else None
        hi = _bound(self.defn, column.spec.max) if column.spec is not None else None
        low = Fraction(lo) if lo is not None else Fraction(0)
        keep = [p for p in out if p >= low and (hi is None or p <= Fraction(hi))]
        if column.type == "count":
            keep = [p for p in keep if p.denominator == 1]
        return [int(p) if p.denominator == 1 else float(p) for p in keep]

    def votes(self, spec: FieldSpec) -> dict[str, int]:
        n = len(spec.values)
        total = self.rng.choice([10, 10, 20, 5, 7, self.rng.randint(1, 40)])
        cuts = sorted(self.rng.randint(0, total) for _ in range(n - 1))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        if self.rng.random() < 0.3:  # concentrated at the top: hits the 优秀 thresholds
            top = self.rng.choice([total, total - 1, int(total * 0.9), int(total * 0.6)])
            rest = total - top
            parts = [top] + [0] * (n - 1)
            for _ in range(rest):
                parts[self.rng.randint(1, n - 1)] += 1
        return dict(zip(spec.values, parts, strict=True))

    def value(self, spec: FieldSpec, names: list[str]) -> Any:
        t = spec.type
        if t == "count":
            return self.count(spec)
        if t == "bool":
            return self.rng.random() < 0.5
        if t == "enum":
            return self.rng.choice(spec.values)
        if t == "number":
            return self.number(spec)
        if t == "votes":
            return self.votes(spec)
        if t == "text":
            return self.rng.choice(["甲", "乙", "丙"])
        if t == "numbers":
            one = spec.model_copy(update={"type": "number"})
            block = next((b for b in self.plan.blocks if b.spec.path == spec.path), None)
            n = len(block.slots) if block else MEMBER_LIST_CELLS
            return [self.number(one) for _ in range(self.rng.randint(1, min(n, 8)))]
        if t == "records":
            k = self.rng.randint(0, MEMBER_RECORD_PAIRS)
            return [{"points": self.rng.randint(-10, 10), "reason": "调整"} for _ in range(k)]
        if t == "ballots":
            nb = self.rng.randint(1, min(self.defn.form.ballots, 12))
            heavy = self.rng.random() < 0.4
            weights = [3, 1, 1] if heavy else [1, 1, 1]
            return [
                {
                    n: self.rng.choices(spec.values, weights[: len(spec.values)])[0]
                    for n in names
                    if self.rng.random() < 0.9
                }
                or {names[0]: spec.values[-1]}
                for _ in range(nb)
            ]
        raise AssertionError(t)

    def case(self) -> dict[str, Any]:
        defn = self.defn
        case: dict[str, Any] = {
            "rubric": defn.id,
            "unit": self.rng.choice(["甲县", "乙局", "丙镇"]),
            "year": 2025,
        }
        names: list[str] = []
        if defn.members is not None:
            k = self.rng.randint(1, 6)
            names = self.rng.sample(NAMES, k)
            members = []
            for name in names:
                rec: dict[str, Any] = {}
                for spec in defn.members.inputs:
                    if spec.path == defn.members.name_field:
                        rec[spec.path] = name
                        continue
                    if spec.required is False and self.rng.random() < 0.3:
                        continue
                    rec[spec.path] = self.value(spec, names)
                members.append(rec)
            case[defn.members.key] = members
        items_blank = self.rng.random() < 0.05
        pending = []
        for spec in all_inputs(defn):
            path = spec.path
            if path.startswith("items."):
                if items_blank and path.startswith("items.1."):
                    continue
                if spec.required is False and self.rng.random() < 0.1:
                    continue  # absent: the core's default applies
                if isinstance(spec.max, str) and spec.max.startswith("@"):
                    pending.append(spec)
                    continue
            elif not spec.required and self.rng.random() < 0.3:
                continue
            _set(case, path, self.value(spec, names))
        for spec in pending:
            ref = spec.max[1:]  # type: ignore[index]
            node: Any = case
            for part in ref.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            cap = node if isinstance(node, int) else 0
            _set(case, spec.path, self.count(spec, cap))
        for group in defn.one_of:
            present = [p for p in group if _has(case, p)]
            keep = self.rng.choice(group)
            for p in group:
                if p != keep:
                    _drop(case, p)
            if keep not in present:
                spec = next(s for s in all_inputs(defn) if s.path == keep)
                _set(case, keep, self.value(spec, names))
        roster = self.plan.roster
        if roster is not None and self.rng.random() < 0.35:
            rows = []
            for i in range(self.rng.randint(1, 8)):
                row: dict[str, Any] = {roster.name: NAMES[i]}
                for c in roster.columns:
                    if c.key == roster.name or self.rng.random() < 0.15:
                        continue
                    if c.type == "bool":
                        row[c.key] = self.rng.random() < 0.7
                    elif c.type in ("number", "count"):
                        near = self._near_bounds(roster, c)
                        row[c.key] = self.rng.choice(near) if near else self.rng.randint(0, 2)
                    else:
                        row[c.key] = f"备注{i}"
                rows.append(row)
            case["roster"] = rows
        return case


def _has(case: dict[str, Any], path: str) -> bool:
    node: Any = case
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _drop(case: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    node: Any = case
    for part in parts[:-1]:
        node = node.get(part, {})
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def valid_cases(defn: RubricDefinition, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` cases the core accepts (roster cases are checked through their derived counts)."""
    sampler = Sampler(defn, seed)
    layout = plan_for(defn).layout
    out: list[dict[str, Any]] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > n * 50:
            raise RuntimeError(f"{defn.id}: could not generate {n} valid cases")
        case = sampler.case()
        try:
            cells = cells_from_case(defn, case)
        except ValueError:
            continue
        read = case_from_cells(defn, layout, lambda s, r, c=cells: c.get((s, r)))  # type: ignore[misc]
        if evaluate(defn, read).errors:
            continue
        out.append(case)
    return out
