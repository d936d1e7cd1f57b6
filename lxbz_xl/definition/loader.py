"""Load rubric YAML into pydantic models; every failure names the file and the field."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition

# libyaml's C loader is ~10× faster; every validation worker loads all rubrics at start.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RUBRIC_DIR = Path(__file__).resolve().parent.parent / "rubrics"


class DefinitionError(ValueError):
    """A rubric file that is unsound. Each problem names the file, the YAML path and what is allowed:
    `文件 my.yaml:tiers.rules.2.when.all.0.flag:未知字段 findings.targets_goood;可用字段:…`."""

    def __init__(self, file: str, problems: list[str], *, is_file: bool = True):
        self.file = file
        self.problems = problems
        # Text that is not a file (a workbook's embedded copy) is named as it is, without 文件.
        name = f"文件 {file}" if is_file else file
        super().__init__("\n".join(f"{name}:{p}" for p in problems))


# Pydantic's own complaints, in the words of a rubric author.
_PYDANTIC_WORDS = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键(拼写错误?此处不允许该键)",
    "decimal_parsing": "应为数值",
    "decimal_type": "应为数值",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数值",
    "string_type": "应为文本",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "literal_error":
        return f"应为 {ctx.get('expected', '')} 之一,实为 {error.get('input')!r}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("tag", "")
        return f"未知的规则类型 {tag};可用:{ctx.get('expected_tags', '')}".replace("unknown:", "")
    if kind in _PYDANTIC_WORDS:
        return (
            f"{_PYDANTIC_WORDS[kind]},实为 {error.get('input')!r}"
            if kind != "missing"
            else _PYDANTIC_WORDS[kind]
        )
    return str(error["msg"])


def _loc(loc: tuple[Any, ...]) -> str:
    # Drop pydantic's internal union-tag segments so the path reads like the YAML.
    parts = [str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    return ".".join(parts) or "(根)"


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
        raise DefinitionError(path.name, [f"无法读取:{exc}"]) from exc
    return definition_from_text(text, path.name)


def definition_from_text(text: str, name: str, *, is_file: bool = True) -> RubricDefinition:
    """A definition from YAML text (a file's, or the copy a workbook embeds: `is_file=False`), with the
    same checks; `name` is what messages call it."""
    try:
        raw = yaml.load(text, Loader=_LOADER)  # _LOADER is a safe loader
    except yaml.YAMLError as exc:
        raise DefinitionError(name, [f"无法读取:{exc}"], is_file=is_file) from exc
    if not isinstance(raw, dict):
        raise DefinitionError(name, ["内容应为键值映射(YAML mapping)"], is_file=is_file)
    return definition_from_mapping(raw, name, is_file=is_file)


def definition_from_mapping(raw: dict[str, Any], file: str, *, is_file: bool = True) -> RubricDefinition:
    """Validate a raw rubric mapping and resolve every name in it; DefinitionError lists every problem."""
    from pydantic import ValidationError  # not imported by a process that reads definitions from the cache

    try:
        defn = RubricDefinition.model_validate(raw)
    except ValidationError as exc:
        raise DefinitionError(
            file,
            [f"{_loc(e['loc'])}:{_message(e)}" if e["loc"] else _message(e) for e in exc.errors()],
            is_file=is_file,
        ) from None
    except ValueError as exc:  # a derived parameter that cannot be computed
        raise DefinitionError(file, [str(exc)], is_file=is_file) from None
    from lxbz_xl.definition.check import check_definition  # only a load from YAML checks (not a cache hit)

    problems = check_definition(defn)
    if problems:
        raise DefinitionError(file, [f"{where}:{message}" for where, message in problems], is_file=is_file)
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
            raise DefinitionError(candidate.name, ["文件不存在"])
        return _load_cached(str(candidate.resolve()), candidate.stat().st_mtime)
    path = RUBRIC_DIR / f"{text}.yaml"
    if path.is_file():
        return _load_cached(str(path), path.stat().st_mtime)
    for rid in builtin_ids():
        defn = load_rubric(rid)
        if text in (defn.name, defn.short_name):
            return defn
    raise DefinitionError(text, [f"未知的考评细则:{text};可用:{', '.join(builtin_ids())}"])
