"""Snapshots of released template versions, so an old template can be told apart and its changes named.

``lxbz_xl/validation/releases/<rubric>@<version>.json`` is written by :func:`record` when a template
version ships (``python -m lxbz_xl.validation.releases``). When a rubric file bumps its version, the old
snapshot stays, and a workbook built from it is reported as ``outdated_template`` with the differences.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from lxbz_xl.exact import fmt, pct
from lxbz_xl.inputs import dec


def snapshot(rctx: Any) -> dict[str, Any]:
    """What a clerk would notice changing between two template versions."""
    defn = rctx.defn
    out: dict[str, Any] = {
        "rubric": defn.id,
        "version": defn.version,
        "name": defn.name,
        "parameters": {
            k: {"label": p.label, "value": fmt(dec(p.value)), "unit": p.unit}
            for k, p in defn.parameters.items()
        },
        "items": {str(i.id): {"name": i.name, "points": fmt(dec(i.points))} for i in defn.items},
        "cells": {c.name: f"{c.sheet}!{c.ref}" for c in rctx.layout.cells},
        "sheets": list(rctx.layout.sheets),
        "labels": {
            s.path: {v: s.label_of(v) for v in s.values}
            for s in defn.inputs
            if s.type == "enum" and s.value_labels
        },
        "consequences": {
            tier: [c.action for c in rules]
            for tier, rules in (defn.tiers.consequences if defn.tiers else {}).items()
        },
    }
    try:
        out["fingerprints"] = {v: rctx.fingerprint(v) for v in ("udf", "native")}
    except Exception:  # formulas not available for this rubric: the rest still identifies the version
        out["fingerprints"] = {}
    return out


def changes(old: dict[str, Any], new: dict[str, Any], limit: int = 8) -> list[str]:
    """Chinese, one line per change, most telling first (parameters, item points, sheets, cells)."""
    out: list[str] = []
    for key, param in new.get("parameters", {}).items():
        before = old.get("parameters", {}).get(key)
        if before is None:
            out.append(f"新增参数{param['label']}={_shown(param)}")
        elif before["value"] != param["value"]:
            out.append(f"{param['label']}由{_shown(before)}改为{_shown(param)}")
    for path, labels in new.get("labels", {}).items():
        before = old.get("labels", {}).get(path)
        if before is not None and before != labels:
            out.append(f"{path}的选项改为{'/'.join(labels.values())}")
    if new.get("consequences") and new.get("consequences") != old.get("consequences", {}):
        out.append("考核结果运用(表彰奖励、诫勉、限期改进等)有更新")
    for key, item in new.get("items", {}).items():
        before = old.get("items", {}).get(key)
        if before is None:
            out.append(f"新增第{key}项{item['name']}")
        elif before["points"] != item["points"]:
            out.append(f"第{key}项{item['name']}分值由{before['points']}改为{item['points']}")
    for key in old.get("items", {}):
        if key not in new.get("items", {}):
            out.append(f"删除第{key}项{old['items'][key]['name']}")
    added = [s for s in new.get("sheets", []) if s not in old.get("sheets", [])]
    if added:
        out.append(f"新增工作表{'、'.join(added)}")
    moved = [k for k, v in new.get("cells", {}).items() if old.get("cells", {}).get(k, v) != v]
    fresh = [k for k in new.get("cells", {}) if k not in old.get("cells", {})]
    if moved or fresh:
        out.append(f"填写位置调整{len(moved) + len(fresh)}处")
    if not out and old.get("fingerprints") != new.get("fingerprints"):
        out.append("计算公式有更新")
    if len(out) > limit:
        out = [*out[:limit], f"等共{len(out)}处"]
    return out


def _shown(param: dict[str, Any]) -> str:
    """A parameter as a clerk reads it: rates as percentages (0.5 → 50%, RUBRICS.md §0)."""
    if param.get("unit") == "%":
        return pct(Fraction(param["value"]))
    return f"{param['value']}{param.get('unit', '')}"


def record(rctx: Any, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    data = snapshot(rctx)
    path = directory / f"{data['rubric']}@{data['version']}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # record the current version of every built-in rubric
    from lxbz_xl.definition.loader import builtin_ids
    from lxbz_xl.validation.context import RELEASES_DIR, Context

    context = Context()
    for rid in builtin_ids():
        rubric = context.rubric(rid)
        if rubric is not None:
            print(record(rubric, RELEASES_DIR))
