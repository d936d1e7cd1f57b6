"""Reading a case file's text into plain data, bounded: a case file is input from outside.

Limits: the file's size (from `stat`, before any read; only regular files), the number of YAML aliases,
the nesting depth, and the number of values the document stands for once aliases are expanded (an
anchor bomb is refused before anything walks it). Duplicate keys are errors; integers longer than the
number grammar allows are refused before Python converts them. Every message is Chinese, with line and
column, and never quotes parser text or a whole value.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 100
MAX_DEPTH = 40
MAX_VALUES = 100_000  # scalars, lists and mappings, counted with aliases expanded
MAX_NUMBER_CHARS = 40  # a YAML/JSON integer literal; the number grammar then allows 30 digits


class CaseReadError(ValueError):
    """A Chinese message naming the file (and line/column when known)."""


def _at(mark: Any) -> str:
    return f"(第{mark.line + 1}行第{mark.column + 1}列)" if mark is not None else ""


class _Limit(yaml.YAMLError):
    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Limit(f"别名(*)超过{MAX_ALIASES}个", self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Limit(f"嵌套超过{MAX_DEPTH}层", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    raise _Limit("键应为文字或数字", key_node.start_mark) from None
                if duplicate:
                    raise _Limit(f"键{_short(key)}重复", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> Any:
        if len(str(node.value)) > MAX_NUMBER_CHARS:
            raise _Limit(f"数字过长(超过{MAX_NUMBER_CHARS}个字符)", node.start_mark)
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _short(value: Any, limit: int = 30) -> str:
    text = (
        value
        if isinstance(value, str)
        else type(value).__name__
        if isinstance(value, list | dict)
        else str(value)
    )
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expanded(root: Any) -> None:
    """Refuse a document that stands for more than MAX_VALUES values (aliases expanded) or refers to itself.

    Iterative, memoised per node: a billion-laughs document costs as much as its (small) node graph.
    """
    weight: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            weight[key] = 1 + sum(weight[id(c)] for c in _children(node))
            if weight[key] > MAX_VALUES:
                raise _Limit(f"展开别名后超过{MAX_VALUES:,}个值(疑似别名炸弹)", node.start_mark)
            continue
        if key in weight:
            continue
        if key in open_nodes:
            raise _Limit("别名引用了自身(循环引用)", node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in weight)


# PyYAML problem texts, in Chinese; anything else gets the generic message with its position.
_PROBLEMS = (
    ("mapping values are not allowed", "此处不能出现“键: 值”(检查冒号和缩进)"),
    ("could not find expected ':'", "缺少冒号“:”"),
    ("found character '\\t'", "含制表符(YAML 只能用空格缩进)"),
    ("found undefined alias", "引用了未定义的锚点(*)"),
    ("could not determine a constructor", "含不支持的标签(!)"),
    ("expected <block end>", "缩进不一致"),
    ("found unexpected end of stream", "文件意外结束(引号或括号未闭合)"),
    ("while scanning a quoted scalar", "引号未闭合"),
    ("found unhashable key", "键应为文字或数字"),
    ("special characters are not allowed", "含不允许的控制字符"),
    ("unacceptable character", "含不允许的控制字符"),
)


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, _Limit):
        return exc.message + _at(exc.mark)
    text = f"{getattr(exc, 'context', '') or ''} {getattr(exc, 'problem', '') or ''}"
    what = next((zh for en, zh in _PROBLEMS if en in text), "格式错误")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"YAML {what}{_at(mark)}"


def _load_yaml(text: str) -> list[Any]:
    loader = _Loader(text)
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            _check_expanded(node)
            docs.append(loader.construct_document(node))
        return docs
    finally:
        loader.dispose()


class _JsonLimit(ValueError):
    pass


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonLimit(f"键{_short(key)}重复")
        out[key] = value
    return out


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _JsonLimit(f"数字过长(超过{MAX_NUMBER_CHARS}个字符)")
    return int(text)


def _json_constant(text: str) -> Any:
    raise _JsonLimit(f"不允许{text}(应为有限数值)")


def _load_json(text: str) -> list[Any]:
    try:
        value = json.loads(
            text, object_pairs_hook=_json_pairs, parse_int=_json_int, parse_constant=_json_constant
        )
    except json.JSONDecodeError as exc:
        raise CaseReadError(f"JSON 格式错误(第{exc.lineno}行第{exc.colno}列)") from None
    except _JsonLimit as exc:
        raise CaseReadError(f"JSON {exc}") from None
    except RecursionError:
        raise CaseReadError(f"JSON 嵌套过深(超过{MAX_DEPTH}层)") from None
    if _depth(value) > MAX_DEPTH:
        raise CaseReadError(f"JSON 嵌套过深(超过{MAX_DEPTH}层)")
    return [value]


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def read_text(path: Path) -> str:
    """The file's text: a regular file within MAX_BYTES, UTF-8 (a BOM is allowed)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CaseReadError("文件不存在") from None
    except OSError as exc:
        raise CaseReadError(f"无法读取({exc.strerror or '读取失败'})") from None
    if stat.S_ISDIR(info.st_mode):
        raise CaseReadError("是文件夹,不是案例文件")
    if not stat.S_ISREG(info.st_mode):
        raise CaseReadError("不是普通文件,未读取")
    if info.st_size > MAX_BYTES:
        raise CaseReadError(f"文件过大({info.st_size:,} 字节,上限 {MAX_BYTES:,} 字节)")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CaseReadError(f"无法读取({exc.strerror or '读取失败'})") from None
    if len(data) > MAX_BYTES:
        raise CaseReadError(f"文件过大(上限 {MAX_BYTES:,} 字节)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseReadError(f"不是 UTF-8 编码的文本(第{exc.start + 1}个字节),请另存为 UTF-8") from None


def read_documents(path: Path) -> list[Any]:
    """The documents of a YAML or JSON case file (None documents dropped). Raises CaseReadError."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return _load_json(text)
    try:
        docs = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise CaseReadError(_yaml_message(exc)) from None
    except RecursionError:
        raise CaseReadError(f"YAML 嵌套过深(超过{MAX_DEPTH}层)") from None
    except (ValueError, TypeError, OverflowError):  # e.g. a date that does not exist (2025-02-30)
        raise CaseReadError("YAML 含无法识别的值(如不存在的日期)") from None
    return [d for d in docs if d is not None]
