"""Caches that keep a recalculation cheap: rubric look-ups and recent unit evaluations.

`load_rubric` already parses each file once, but it stats the file (and resolves a Chinese name by scanning
every built-in rubric) on every call; a sheet makes thousands of calls per recalculation, so the resolved
definition is kept per argument text and re-checked at most every `RECHECK_SECONDS` (an edited YAML file
is still picked up). Evaluations are pure functions of (definition, arguments), so LXBZ_TIER, LXBZ_VALUE
and LXBZ_MEMBER calls on the same unit share one `evaluate`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from lxbz_xl import load_rubric
from lxbz_xl.definition.loader import DefinitionError
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.inputs import InputProblem
from udfs.convert import text

RECHECK_SECONDS = 2.0
MEMO_SIZE = 4096

T = TypeVar("T")

_rubrics: dict[str, tuple[RubricDefinition, float]] = {}
_memo: OrderedDict[tuple[Any, ...], tuple[RubricDefinition | None, Any]] = OrderedDict()


def rubric(ref: Any) -> RubricDefinition:
    """The definition named by a cell: an id (learning_team), a Chinese name, or a YAML path."""
    key = text(ref)
    if not key:
        raise InputProblem("缺少考评细则(如 learning_team 或 学习型领导班子)")
    now = time.monotonic()
    hit = _rubrics.get(key)
    if hit is not None and now - hit[1] < RECHECK_SECONDS:
        return hit[0]
    try:
        defn = load_rubric(key)
    except DefinitionError as exc:
        # An unknown name carries the name itself as "file"; a broken file keeps its file name.
        raise InputProblem("; ".join(exc.problems) if exc.file == key else str(exc)) from None
    _rubrics[key] = (defn, now)
    return defn


_SEQUENCES = (list, tuple)


def freeze(value: Any) -> Any:
    """A hashable copy of an argument list (arguments of rows of cells, as xlwings hands them)."""
    if type(value) in _SEQUENCES:
        return tuple([freeze(v) if type(v) in _SEQUENCES else v for v in value])
    return value


def memo(defn: RubricDefinition | None, key: Any, compute: Callable[[], T]) -> T:
    """`compute()` once per (definition, key); least recently used entries are dropped."""
    full = (id(defn), key)
    try:
        hit = _memo.get(full)
    except TypeError:  # a cell value that can't be hashed: just don't remember it
        return compute()
    if hit is not None and hit[0] is defn:
        _memo.move_to_end(full)
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    _memo[full] = (defn, value)
    if len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything (tests and benchmarks measure cold calls with this)."""
    _rubrics.clear()
    _memo.clear()
