"""Hypothesis strategies that generate valid cases for any rubric, straight from its definition."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import builtin_ids, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition

# Every built-in rubric, found on disk (adding a rubric file is the whole change), and those scored by items.
ALL_RUBRICS = builtin_ids()
ITEM_RUBRICS = [rid for rid in ALL_RUBRICS if load_rubric(rid).items]


def _bound(defn: RubricDefinition, value: Any, default: int) -> int:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, str) and value.startswith("$"):
        return int(defn.parameters[value[1:]].value)
    return default


def value_for(
    defn: RubricDefinition, spec: FieldSpec, names: list[str] | None = None
) -> st.SearchStrategy[Any]:
    if spec.type == "count":
        return st.integers(0, _bound(defn, spec.max, 12))
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "number":
        lo, hi = _bound(defn, spec.min, 0), _bound(defn, spec.max, 100)
        if spec.unit == "%":
            return st.integers(0, 100).map(lambda v: f"{v}%")
        return st.integers(lo * 4, hi * 4).map(lambda v: v / 4)
    if spec.type == "votes":
        return (
            st.lists(st.integers(0, 12), min_size=len(spec.values), max_size=len(spec.values))
            .filter(lambda xs: sum(xs) > 0)
            .map(lambda xs: dict(zip(spec.values, xs, strict=True)))
        )
    if spec.type == "numbers":
        return st.lists(st.integers(0, 100), min_size=1, max_size=4)
    if spec.type == "records":
        return st.lists(
            st.fixed_dictionaries({"points": st.integers(-10, 10), "reason": st.just("调整")}), max_size=2
        )
    if spec.type == "ballots":
        assert names is not None
        # The first ballot gives nobody the top tier, so at least one ballot is valid whatever the cap on
        # 好 (a case without a valid ballot is an input error, RUBRICS.md §6).
        first = st.fixed_dictionaries({n: st.sampled_from(spec.values[1:]) for n in names})
        rest = st.lists(
            st.fixed_dictionaries({n: st.sampled_from(spec.values) for n in names}), min_size=0, max_size=4
        )
        return st.tuples(first, rest).map(lambda fr: [fr[0], *fr[1]])
    if spec.type == "text":
        return st.sampled_from(["甲", "乙", "丙"])
    raise AssertionError(spec.type)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


@st.composite
def cases(draw: st.DrawFn, rubric: str) -> dict[str, Any]:
    defn = load_rubric(rubric)
    case: dict[str, Any] = {
        "rubric": rubric,
        "unit": draw(st.sampled_from(["某县委", "某局", "某镇"])),
        "year": 2025,
    }
    names: list[str] = []
    if defn.members is not None:
        count = draw(st.integers(1, 4))
        names = [f"干部{i}" for i in range(1, count + 1)]
        rows = []
        for name in names:
            row: dict[str, Any] = {}
            for spec in defn.members.inputs:
                if spec.path == defn.members.name_field:
                    row[spec.path] = name
                elif spec.required is not False or draw(st.booleans()):
                    row[spec.path] = draw(value_for(defn, spec))
            rows.append(row)
        case[defn.members.key] = rows
    for item in defn.items:
        for spec in item.inputs():
            if item.mode == "proportional" or draw(st.booleans()):
                value = draw(value_for(defn, spec))
                if spec.path.endswith("target"):
                    value = max(value, 1)
                case.setdefault("items", {}).setdefault(item.id, {})[spec.path] = value
    groups = {p for g in defn.one_of for p in g}
    for spec in defn.inputs:
        if spec.path in groups:
            continue
        if spec.required is False and not draw(st.booleans()):
            continue
        _set(case, spec.path, draw(value_for(defn, spec, names)))
    for group in defn.one_of:
        chosen = draw(st.sampled_from(group))
        spec = next(s for s in defn.inputs if s.path == chosen)
        _set(case, chosen, draw(value_for(defn, spec)))
    # learning_team: members_lectured etc. are bounded by item 7's members when given.
    seven = case.get("items", {}).get(7)
    if rubric == "learning_team" and seven and "members" in seven:
        bound = seven["members"]
        for clause in case["items"].values():
            for key in list(clause):
                if (
                    key != "members"
                    and key.startswith(("members_", "principals", "others"))
                    and clause is not None
                ):
                    clause[key] = min(clause[key], bound)
    return case
