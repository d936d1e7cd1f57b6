"""A case: one unit-year of inputs, from YAML or JSON (field names exactly as in RUBRICS.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

RESERVED = ("rubric", "unit", "year")


class CaseFileError(ValueError):
    """A case file that can't be read at all (not YAML/JSON, not a mapping, no rubric)."""


@dataclass(slots=True)
class Case:
    rubric: str
    unit: str
    year: int | None
    data: dict[str, Any] = field(default_factory=dict)  # everything but the reserved keys and members
    members: list[Any] | None = None
    source: str | None = None

    @classmethod
    def from_mapping(
        cls, raw: dict[str, Any], source: str | None = None, members_key: str = "members"
    ) -> Case:
        if not isinstance(raw, dict):
            raise CaseFileError(f"{source or '案例'}:应为键值映射")
        if "rubric" not in raw:
            raise CaseFileError(f"{source or '案例'}:缺少rubric(考评细则标识)")
        data = {k: v for k, v in raw.items() if k not in RESERVED and k != members_key}
        year = raw.get("year")
        return cls(
            rubric=str(raw["rubric"]),
            unit=str(raw.get("unit", "")),
            year=int(year) if isinstance(year, int | str) and str(year).isdigit() else None,
            data=data,
            members=raw.get(members_key),
            source=source,
        )


def read_case_file(path: str | Path) -> list[Case]:
    """One file may hold one case or a list of cases (a YAML list or multiple documents)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            docs: list[Any] = [json.loads(text)]
        else:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise CaseFileError(f"{path}:无法读取({exc.__class__.__name__}: {exc})") from None
    cases: list[Case] = []
    for doc in docs:
        for i, raw in enumerate(doc if isinstance(doc, list) else [doc], 1):
            source = f"{path}" if not isinstance(doc, list) else f"{path}#{i}"
            cases.append(Case.from_mapping(raw, source))
    if not cases:
        raise CaseFileError(f"{path}:文件为空")
    return cases
