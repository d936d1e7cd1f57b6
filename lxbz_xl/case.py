"""A case: one unit-year of inputs, from YAML or JSON (field names exactly as in RUBRICS.md).

A case file names its rubric by id (`learning_team`, optionally `learning_team@2025.1`) or Chinese name,
never by path: a path there is an error naming the field. A locally edited rubric file is passed on the
command line (`--rubric my.yaml`), the user's own choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxbz_xl.case_reader import CaseReadError, read_documents

RESERVED = ("rubric", "unit", "year")
MAX_UNIT = 200  # characters of a unit name
YEAR_RULE = "应为四位整数年份,如2025"


class CaseFileError(ValueError):
    """A case file that can't be read at all (not YAML/JSON, not a mapping, no rubric)."""


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_PATH_CHARS = re.compile(r"[/\\:\x00-\x1f]")  # separators, drive colons, control characters


def _path_like(ref: str) -> bool:
    return (
        _PATH_CHARS.search(ref) is not None
        or ref.startswith(("~", "."))
        or ref.lower().endswith((".yaml", ".yml", ".json"))
    )


def rubric_ref(raw: Any, where: str) -> tuple[str, str | None]:
    """(id or Chinese name, version or None) from a case's `rubric:`; CaseFileError for anything else."""
    if not isinstance(raw, str) or not raw.strip():
        raise CaseFileError(f"{where}:rubric(考评细则标识)应为文字标识,如 learning_team")
    ref = raw.strip()
    name, at, version = ref.partition("@")
    if len(ref) > 100 or _path_like(ref) or (at and not (name and version)):
        raise CaseFileError(
            f"{where}:rubric(考评细则标识)应为标识或“标识@版本”(如 learning_team@2025.1),"
            f"不能是文件路径,实为“{_cut(ref)}”;本地修改的细则文件请用 --rubric 指定"
        )
    return name.strip(), (version.strip() if at else None)


def parse_year(raw: Any) -> tuple[int | None, str | None]:
    """(year, None) for a four-digit year (int or ASCII digits), (None, Chinese problem) otherwise."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, bool):
        return None, f"年度(year){YEAR_RULE},实为布尔值"
    if isinstance(raw, float) and raw.is_integer() and 1000 <= raw <= 9999:
        return int(raw), None
    if isinstance(raw, int) and 1000 <= raw <= 9999:
        return raw, None
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) == 4 and all(c in "0123456789" for c in text) and text[0] != "0":
            return int(text), None
        shown = f"“{_cut(text, 20)}”"
    elif isinstance(raw, int):
        shown = f"{len(str(abs(raw))) if raw.bit_length() < 10_000 else '很多'}位整数"
    else:
        shown = _cut(str(raw), 20) if isinstance(raw, float) else type(raw).__name__
    return None, f"年度(year){YEAR_RULE},实为{shown}"


@dataclass(slots=True)
class Case:
    rubric: str
    unit: str
    year: int | None
    data: dict[str, Any] = field(default_factory=dict)  # everything but the reserved keys and members
    members: list[Any] | None = None
    source: str | None = None
    rubric_version: str | None = None  # from `rubric: id@version`: the version the case was written for
    year_problem: str | None = None  # a year that was given but is not a year (reported, never dropped)

    @classmethod
    def from_mapping(
        cls, raw: dict[str, Any], source: str | None = None, members_key: str = "members"
    ) -> Case:
        where = source or "案例"
        if not isinstance(raw, dict):
            raise CaseFileError(f"{where}:应为键值映射")
        if "rubric" not in raw:
            raise CaseFileError(f"{where}:缺少rubric(考评细则标识)")
        rubric, version = rubric_ref(raw["rubric"], where)
        unit = raw.get("unit", "")
        if unit is None:
            unit = ""
        if isinstance(unit, bool) or not isinstance(unit, str | int):
            raise CaseFileError(f"{where}:unit(单位名称)应为文字")
        unit = str(unit)
        if len(unit) > MAX_UNIT:
            raise CaseFileError(f"{where}:unit(单位名称)过长({len(unit)}个字符,上限{MAX_UNIT})")
        year, problem = parse_year(raw.get("year"))
        data = {k: v for k, v in raw.items() if k not in RESERVED and k != members_key}
        return cls(
            rubric=rubric,
            unit=unit,
            year=year,
            data=data,
            members=raw.get(members_key),
            source=source,
            rubric_version=version,
            year_problem=problem,
        )


def read_case_file(path: str | Path) -> list[Case]:
    """One file may hold one case or a list of cases (a YAML list or multiple documents)."""
    path = Path(path)
    try:
        docs = read_documents(path)
    except CaseReadError as exc:
        raise CaseFileError(f"{path}:{exc}") from None
    cases: list[Case] = []
    for doc in docs:
        for i, raw in enumerate(doc if isinstance(doc, list) else [doc], 1):
            source = f"{path}" if not isinstance(doc, list) else f"{path}#{i}"
            cases.append(Case.from_mapping(raw, source))
    if not cases:
        raise CaseFileError(f"{path}:文件为空")
    return cases
