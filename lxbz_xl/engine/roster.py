"""Derive clause counts from a per-person roster (班子成员明细) using the rubric's own thresholds."""

from __future__ import annotations

from typing import Any

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.conditions import check
from lxbz_xl.engine.env import Env
from lxbz_xl.inputs import InputError, read_fields


def derive_counts(defn: RubricDefinition, rows: Any) -> tuple[dict[str, int], list[InputError]]:
    """Counts by clause input path (items.N.name). A row with an unknown value is not counted as failing."""
    roster = defn.roster
    assert roster is not None
    if not isinstance(rows, list):
        return {}, [InputError(roster.key, f"{roster.label}应为列表(每人一行)")]
    parsed: list[dict[str, Any]] = []
    errors: list[InputError] = []
    specs = {c.path: c for c in roster.columns}
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            errors.append(InputError(f"{roster.key}.{i}", f"{roster.label}第{i}行应为键值记录"))
            continue
        values, row_errors = read_fields(defn, roster.columns, row, prefix=f"{roster.key}.{i}.")
        errors += [InputError(e.field, f"{roster.label}第{i}行:{e.message}") for e in row_errors]
        parsed.append(values)
    counts = dict.fromkeys(roster.derive, 0)
    for values in parsed:
        env = Env(defn, values, specs)
        for path, cond in roster.derive.items():
            if cond is None or check(cond, env).value:
                counts[path] += 1
    return counts, errors


def apply_roster(
    defn: RubricDefinition, data: dict[str, Any]
) -> tuple[dict[str, Any], list[InputError], str | None]:
    """Replace the roster in `data` by the counts it implies. A typed count must agree with the roster."""
    roster = defn.roster
    if roster is None or roster.key not in data:
        return data, [], None
    counts, errors = derive_counts(defn, data[roster.key])
    out = {k: v for k, v in data.items() if k != roster.key}
    items = {str(k): dict(v) if isinstance(v, dict) else v for k, v in (out.get("items") or {}).items()}
    for path, count in counts.items():
        _, item_id, name = path.split(".", 2)
        clause = items.setdefault(item_id, {})
        if not isinstance(clause, dict):
            continue
        typed = clause.get(name)
        if typed is not None and typed != count:
            errors.append(
                InputError(path, f"第{item_id}项{name}填写为{typed},与{roster.label}统计的{count}不一致")
            )
        clause[name] = count
    out["items"] = items
    return (
        out,
        errors,
        f"第{'、'.join(sorted({p.split('.')[1] for p in counts}, key=int))}项人数由{roster.label}({len(data[roster.key]) if isinstance(data[roster.key], list) else 0}人)统计",
    )
