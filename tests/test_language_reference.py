"""docs/language.md cannot drift from the definition models: each key table names its models in a
`<!-- model: A, B [partial] -->` comment; every key of the table must be a field (or alias) of one of
them, its 必填 column must say what the models say, and a table not marked `partial` lists every field."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import lxbz_xl.definition.base as base
import lxbz_xl.definition.fields as fields
import lxbz_xl.definition.logic as logic
import lxbz_xl.definition.rubric as rubric

DOC = Path(__file__).resolve().parents[1] / "docs" / "language.md"
MARKER = re.compile(r"<!-- model: ([\w ,]+?)( partial)? -->")
ROW = re.compile(r"^\| `([^`]+)` \|(.*)\|\s*$")


def _models() -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for module in (base, fields, logic, rubric):
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__:
                out[name] = cls
    return out


def _keys(cls: type[BaseModel]) -> dict[str, bool]:
    """YAML key → required, for every field of the model."""
    return {(f.alias or name): f.is_required() for name, f in cls.model_fields.items()}


def _tables() -> list[tuple[int, list[str], bool, list[tuple[str, str]]]]:
    """(line, model names, partial, [(key, 必填 cell)]) for every marked table."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    out = []
    for i, line in enumerate(lines):
        m = MARKER.search(line)
        if not m:
            continue
        rows = []
        for row in lines[i + 1 :]:
            if not row.startswith("|"):
                if rows or row.strip():
                    break
                continue
            r = ROW.match(row)
            if r:
                cells = [c.strip() for c in r.group(2).split(" | ")]
                rows.append((r.group(1), cells[2]))
        out.append((i + 1, [n.strip() for n in m.group(1).split(",")], bool(m.group(2)), rows))
    return out


TABLES = _tables()


def test_the_reference_has_key_tables_for_every_part_of_a_rubric() -> None:
    named = {n for _, names, _, _ in TABLES for n in names}
    models = _models()
    # Every model a rubric file can contain is documented (the abstract Strict and Entity are not written).
    assert set(models) - named <= {"Strict", "Entity"}
    assert len(TABLES) >= 40


@pytest.mark.parametrize(("line", "names", "partial", "rows"), TABLES, ids=[f"line{t[0]}" for t in TABLES])
def test_key_table_matches_its_models(
    line: int, names: list[str], partial: bool, rows: list[tuple[str, str]]
) -> None:
    models = _models()
    unknown = [n for n in names if n not in models]
    assert not unknown, f"docs/language.md:{line}: no such model {unknown}"
    keys = [_keys(models[n]) for n in names]
    assert rows, f"docs/language.md:{line}: no key rows under the marker"
    for key, need in rows:
        having = [k[key] for k in keys if key in k]
        assert having, f"docs/language.md:{line}: `{key}` is not a field of {names}"
        assert need in ("是", "否"), f"docs/language.md:{line}: `{key}` 必填 must be 是 or 否, not {need!r}"
        assert all(h == (need == "是") for h in having), f"docs/language.md:{line}: `{key}` 必填 says {need}"
    if not partial:
        missing = set().union(*keys) - {k for k, _ in rows}
        assert not missing, f"docs/language.md:{line}: keys of {names} not documented: {sorted(missing)}"
