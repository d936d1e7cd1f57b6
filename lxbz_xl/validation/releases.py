"""Snapshots of released template versions, so an old template can be told apart and its changes named.

``lxbz_xl/validation/releases/<rubric>@<version>.json`` is written by :func:`release` when a template
version ships (``lxbz rubrics release``; ``python -m lxbz_xl.validation.releases`` still works). When a
rubric file bumps its version, the old snapshot stays, and a workbook built from it is reported as
``outdated_template`` with the differences. A snapshot is never overwritten by a different one of the same
version: a changed template under an unchanged version is refused (:class:`ReleaseConflict`).
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
    if moved:
        out.append(f"单元格位置调整{len(moved)}处")
    if fresh:
        out.append(f"新增单元格{len(fresh)}处")
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


class ReleaseConflict(Exception):
    """A different snapshot of the same rubric version is already recorded (the message is Chinese)."""


def release(rctx: Any, directory: Path) -> tuple[Path, bool]:
    """Record the snapshot of `rctx` in `directory`: (path, True) when written, (path, False) when the same
    snapshot is already there. A different snapshot under the same version raises ReleaseConflict."""
    data = snapshot(rctx)
    path = directory / f"{data['rubric']}@{data['version']}.json"
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReleaseConflict(f"{path}:已有同名快照但无法读取({exc}),未覆盖") from exc
        if old == data:
            return path, False
        what = "、".join(changes(old, data)) or "模板内容有变化"
        raise ReleaseConflict(
            f"{path.name}:考评细则 {data['rubric']} 的版本 {data['version']} 已发布过不同的模板"
            f"({what})。模板改动后须先提高 version(版本号)再发布;已发布的快照不会被覆盖。"
        )
    return record(rctx, directory), True


def record(rctx: Any, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    data = snapshot(rctx)
    path = directory / f"{data['rubric']}@{data['version']}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # the documented command is `lxbz rubrics release` (same behaviour)
    import sys

    from lxbz_xl.cli import main

    sys.exit(main(["rubrics", "release", *sys.argv[1:]]))
