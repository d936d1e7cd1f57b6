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


# ---------------------------------------------------------------- docs/authoring.md's examples

GUIDE = DOC.parent / "authoring.md"
DATED = "按年份变化的参数"  # the dated `values:` subsection documents the time branch's syntax


def _guide_blocks() -> list[tuple[int, str, str]]:
    """(line, section heading, text) of every ```yaml block of the guide, dedented."""
    import textwrap

    out, heading, block, start = [], "", None, 0
    for i, line in enumerate(GUIDE.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if block is None and line.startswith("#"):
            heading = line.lstrip("# ")
        if block is None and stripped == "```yaml":
            block, start = [], i
        elif block is not None and stripped == "```":
            out.append((start, heading, textwrap.dedent("\n".join(block))))
            block = None
        elif block is not None:
            block.append(line)
    return out


BLOCKS = _guide_blocks()


@pytest.mark.parametrize(("line", "heading", "text"), BLOCKS, ids=[f"line{b[0]}" for b in BLOCKS])
def test_every_yaml_example_of_the_guide_is_valid(line: int, heading: str, text: str) -> None:
    """Each example parses, and each top-level rubric key in it validates against its model (a key
    swallowed by an ASCII comma in a flow mapping, or a misspelt key, fails here)."""
    import yaml
    from pydantic import TypeAdapter

    from lxbz_xl.definition.derived import fill_derived
    from lxbz_xl.definition.rubric import RubricDefinition

    data = yaml.safe_load(text)
    if isinstance(data, list):  # a spec case: it is one of the example's cases, verbatim
        cases = yaml.safe_load(
            (Path(__file__).parent / "rubrics" / "branch_standard_cases.yaml").read_text("utf-8")
        )
        assert all(case in cases for case in data), (
            f"docs/authoring.md:{line}: not in branch_standard_cases.yaml"
        )
        return
    assert isinstance(data, dict), f"docs/authoring.md:{line}"
    fields = RubricDefinition.model_fields
    for key, value in data.items():
        assert key in fields, f"docs/authoring.md:{line}: `{key}` is not a top-level rubric key"
        if key == "parameters":
            value = fill_derived({"parameters": value})["parameters"]
        TypeAdapter(fields[key].annotation).validate_python(value)
