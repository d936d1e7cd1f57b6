"""Load rubric YAML into pydantic models; every failure names the file and the field."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition

# libyaml's C loader is ~10× faster; every validation worker loads all rubrics at start.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RUBRIC_DIR = Path(__file__).resolve().parent.parent / "rubrics"


class DefinitionError(ValueError):
    """A rubric file that contradicts itself. The message names the file and the field."""

    def __init__(self, file: str, problems: list[str]):
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(problems))


def _loc(loc: tuple[Any, ...]) -> str:
    # Drop pydantic's internal union-tag segments so the path reads like the YAML.
    parts = [str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    return ".".join(parts) or "(root)"


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}.{i}")
    else:
        yield path, node


def _cross_check(defn: RubricDefinition) -> list[str]:
    """References a schema can't see: $parameters must exist; @field bounds must name an input."""
    problems = []
    paths = {f.path for f in all_inputs(defn)}
    if defn.members:
        paths |= {f"{defn.members.key}.{f.path}" for f in defn.members.inputs}
    for where, value in _walk(defn):
        if not isinstance(value, str):
            continue
        if value.startswith("$") and value[1:] not in defn.parameters and not where.endswith(".derived"):
            problems.append(f"{where}: unknown parameter {value!r}")
        if value.startswith("@") and where.endswith(".max") and value[1:] not in paths:
            problems.append(f"{where}: bound refers to unknown field {value!r}")
    if defn.roster is not None:
        # A rule naming a column the roster lacks would silently never count: refuse it.
        columns = {c.path for c in defn.roster.columns}
        clause_inputs = {f.path for f in all_inputs(defn) if f.path.startswith("items.")}
        for key, cond in defn.roster.derive.items():
            if key not in clause_inputs:
                problems.append(f"roster.derive.{key}: not a clause input (items.N.field)")
            for where, value in _walk(cond, f"roster.derive.{key}"):
                if (
                    where.endswith((".flag", ".left"))
                    and isinstance(value, str)
                    and not value.startswith("$")
                    and value not in columns
                ):
                    problems.append(f"{where}: {value!r} is not a roster column")
    return problems


def all_inputs(defn: RubricDefinition) -> list[FieldSpec]:
    """Unit-level inputs in form order: item clause inputs (as items.N.name), then the rest."""
    out: list[FieldSpec] = []
    for item in defn.items:
        for spec in item.inputs():
            update: dict[str, object] = {"path": f"items.{item.id}.{spec.path}"}
            if spec.required is None:
                # An absent count means the inspection found nothing: no deduction, or the award in full.
                full = item.mode == "award" and isinstance(spec.max, Decimal)
                if item.mode == "proportional":
                    update["required"] = True  # done/target have no neutral value
                else:
                    update |= {"required": False, "default": int(spec.max) if full else 0}  # type: ignore[arg-type]
            out.append(spec.model_copy(update=update))
    return out + [
        s if s.required is not None else s.model_copy(update={"required": True}) for s in defn.inputs
    ]


def load_definition(path: str | Path) -> RubricDefinition:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(path.name, [f"cannot read: {exc}"]) from exc
    return definition_from_text(text, path.name)


def definition_from_text(text: str, name: str) -> RubricDefinition:
    """A definition from YAML text (a file's, or the copy a workbook embeds), with the same checks;
    `name` is what messages call it."""
    try:
        raw = yaml.load(text, Loader=_LOADER)  # _LOADER is a safe loader
    except yaml.YAMLError as exc:
        raise DefinitionError(name, [f"cannot read: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise DefinitionError(name, ["the file must hold a mapping"])
    try:
        defn = RubricDefinition.model_validate(raw)
    except ValidationError as exc:
        raise DefinitionError(
            name, [f"{_loc(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        ) from None
    problems = _cross_check(defn)
    if problems:
        raise DefinitionError(name, problems)
    return defn


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in RUBRIC_DIR.glob("*.yaml"))


@functools.lru_cache(maxsize=64)
def _load_cached(path: str, mtime: float) -> RubricDefinition:
    # In memory per file and mtime; on disk per file content (sha256), see definition/cache.py.
    from lxbz_xl.definition.cache import cached

    return cached(Path(path), load_definition)


def load_rubric(ref: str | Path) -> RubricDefinition:
    """A built-in id (`learning_team`), a Chinese name (学习型领导班子…), or a path to a YAML file.

    Definitions are cached per file and modification time, so cells and batches parse each file once.
    """
    text = str(ref).strip()
    candidate = Path(text)
    if text.endswith((".yaml", ".yml")) or candidate.is_file():
        if not candidate.is_file():
            raise DefinitionError(candidate.name, ["file not found"])
        return _load_cached(str(candidate.resolve()), candidate.stat().st_mtime)
    path = RUBRIC_DIR / f"{text}.yaml"
    if path.is_file():
        return _load_cached(str(path), path.stat().st_mtime)
    for rid in builtin_ids():
        defn = load_rubric(rid)
        if text in (defn.name, defn.short_name):
            return defn
    raise DefinitionError(text, [f"未知的考评细则:{text};可用:{', '.join(builtin_ids())}"])
