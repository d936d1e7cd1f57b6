"""Caches that keep a recalculation cheap: rubric look-ups and recent unit evaluations.

`load_rubric` already parses each file once, but it stats the file (and resolves a Chinese name by scanning
every built-in rubric) on every call; a sheet makes thousands of calls per recalculation, so the resolved
definition is kept per argument text and re-checked at most every `RECHECK_SECONDS` (an edited YAML file
is still picked up). Evaluations are pure functions of (definition, arguments), so LXBZ_TIER, LXBZ_VALUE
and LXBZ_MEMBER calls on the same unit share one `evaluate`.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from lxbz_xl import load_rubric
from lxbz_xl.compiled import compiled
from lxbz_xl.definition import loader
from lxbz_xl.definition.loader import DefinitionError, definition_from_text
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.definition.years import marked_year
from lxbz_xl.inputs import InputProblem
from udfs.convert import text

RECHECK_SECONDS = 2.0
MEMO_SIZE = 4096

T = TypeVar("T")
_MISSING = object()

_rubrics: dict[str, tuple[RubricDefinition, float]] = {}
# Evaluations without a definition; those of a definition live on its compiled rubric (`_memo_of`).
_memo: OrderedDict[Any, Any] = OrderedDict()
_generation = 0  # bumped by clear(): a compiled rubric's memo of an older generation is dropped


def rubric(ref: Any) -> RubricDefinition:
    """The definition named by a cell: an id, `id@version`, a Chinese name, a YAML path,
    or the YAML text itself (the `_lxbz` cells of a template built from a department's own rubric: one
    cell or a range of chunks)."""
    if type(ref) is str:  # the usual cell: a name looked up as it is (a padded one is cleaned below)
        hit = _rubrics.get(ref)
        if hit is not None and time.monotonic() - hit[1] < RECHECK_SECONDS:
            return hit[0]
    linked_files_stamp()  # a linked rubric edited: every definition is checked again
    if isinstance(ref, list | tuple):
        key = "".join(_raw_cells(ref))  # chunks of YAML text: kept exactly (no strip), blanks dropped
    elif isinstance(ref, str) and "\n" in ref:
        key = ref
    else:
        key = text(ref)
    if not key:
        raise InputProblem("缺少考评细则(如 learning_team 或 学习型领导班子)")
    if "\n" in key:
        return _embedded(key)
    now = time.monotonic()
    hit = _rubrics.get(key)
    if hit is not None and now - hit[1] < RECHECK_SECONDS:
        return hit[0]
    if _VERSIONED.fullmatch(key):
        defn = _versioned(key)
        _rubrics[key] = (defn, now)
        return defn
    try:
        defn = load_rubric(key)
    except DefinitionError as exc:
        # An unknown name carries the name itself as "file"; a broken file keeps its file name.
        raise InputProblem("; ".join(exc.problems) if exc.file == key else str(exc)) from None
    _rubrics[key] = (defn, now)
    return defn


# [the built-in rubric files' stamp, when it was taken, how many times it has changed]
_stamp: list[Any] = [None, -RECHECK_SECONDS, 0]


def linked_files_stamp() -> int:
    """A number that changes when a built-in rubric file does (name, mtime, size; looked at most every
    RECHECK_SECONDS).

    A rubric's check reads the rubrics it links (cohort `links:` resolve a `when:` against the linked
    rubric's names, `rubric:` references against the built-in ids; definition/check.py), and LXBZ_VETO /
    LXBZ_VOTE_SHARE read the tier and vote orders of every built-in rubric. The loader keeps a definition
    per its own file's mtime only, so a long-running add-in would go on using a definition checked
    against a linked file since edited. When the files change, every definition and result held here and
    by the loader is dropped and loaded (checked) again, as a new `lxbz` process would do (its on-disk
    cache is keyed by all built-in files, definition/cache.py)."""
    now = time.monotonic()
    if now - _stamp[1] < RECHECK_SECONDS:
        return int(_stamp[2])
    found = []
    for path in sorted(loader.RUBRIC_DIR.glob("*.yaml")):
        try:
            info = path.stat()
        except OSError:
            continue
        found.append((path.name, info.st_mtime_ns, info.st_size))
    stamp = tuple(found)
    if _stamp[0] is not None and stamp != _stamp[0]:
        _rubrics.clear()
        _embedded_cache.clear()
        _by_digest.clear()
        _memo.clear()
        loader._load_cached.cache_clear()
        _stamp[2] += 1
    _stamp[0], _stamp[1] = stamp, now
    return int(_stamp[2])


_embedded_cache: dict[str, RubricDefinition] = {}
_VERSIONED = re.compile(r"[A-Za-z0-9_]+@[^@\s/\\]+")


def _raw_cells(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [piece for v in value for piece in _raw_cells(v)]
    return [value] if isinstance(value, str) and value else []


_by_digest: dict[str, RubricDefinition] = {}


def _embedded(source: str) -> RubricDefinition:
    """A rubric's YAML text as a template carries it: parsed (safe YAML, the loader's checks) once per
    text, cached by its sha256. A sheet's every call passes the same text: the dict on the text itself
    answers those (half the cost of hashing it again)."""
    hit = _embedded_cache.get(source)
    if hit is not None:
        return hit
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    defn = _by_digest.get(digest)
    if defn is None:
        try:
            defn = definition_from_text(source, "模板内嵌的考评细则(_lxbz)", is_file=False)
        except DefinitionError as exc:
            raise InputProblem(str(exc)) from None
        year = marked_year(source)  # a form built for one year of dated parameters
        if year is not None:
            try:
                defn = defn.fixed(year)
            except ValueError as exc:
                raise InputProblem(str(exc)) from None
        _by_digest[digest] = defn
    if len(_embedded_cache) >= 16:  # a few templates open at once
        _embedded_cache.clear()
    _embedded_cache[source] = defn
    return defn


def _versioned(key: str) -> RubricDefinition:
    """`id@version`: the built-in rubric, which must be that version (the form was built from it).
    `id@version:2024`: a form built for one year of a rubric with dated parameters: that year's rules."""
    rid, _, version = key.rpartition("@")
    version, _, year = version.partition(":")
    defn = rubric(rid)
    if year:
        if not (len(year) == 4 and year.isascii() and year.isdigit()):
            raise InputProblem(f"模板的考评细则标识“{key}”中的年度无效(应为四位年份)")
        try:
            defn = defn.fixed(int(year))
        except ValueError as exc:
            raise InputProblem(str(exc)) from None
    if defn.version != version.strip():
        raise InputProblem(
            f"模板按“{defn.short_name}”版本{version}生成,已加载的函数为版本{defn.version}:"
            "请使用与模板同一版本的 lxbz 加载项,或下载当前版本的模板"
        )
    return defn


_SEQUENCES = (list, tuple)
_SEQUENCE_TYPES = frozenset(_SEQUENCES)


def freeze(value: Any) -> Any:
    """A hashable copy of an argument list (arguments of rows of cells, as xlwings hands them)."""
    if type(value) not in _SEQUENCE_TYPES:
        return value
    # Written out for the usual nesting (arguments → rows → cells) so a recalculation's thousands of
    # look-ups stay cheap; deeper nesting goes through `freeze` again.
    out = []
    for arg in value:
        if type(arg) in _SEQUENCE_TYPES:
            rows = []
            for row in arg:
                if type(row) not in _SEQUENCE_TYPES:
                    rows.append(row)
                elif _SEQUENCE_TYPES.isdisjoint(map(type, row)):
                    rows.append(tuple(row))
                else:
                    rows.append(tuple([freeze(v) for v in row]))
            out.append(tuple(rows))
        else:
            out.append(arg)
    return tuple(out)


def cell_key(value: Any) -> Any:
    """A memo key for an argument list: equal keys only for the same cells (same values of the same
    types, in the same rows). The marshal bytes of the cells (version 2: no back-references, so the
    bytes depend on the values alone), about four times cheaper than `freeze` and hashed once; a value
    marshal does not know (a date, a subclass) falls back to `freeze`."""
    try:
        return marshal.dumps(value, 2)
    except ValueError:
        return freeze(value)


def _memo_of(defn: RubricDefinition | None) -> OrderedDict[Any, Any]:
    """The evaluations remembered for `defn`, kept on its compiled rubric (so they go with it)."""
    global _last
    if defn is None:
        return _memo
    last = _last  # read once: a consistent triple
    if last[0] is defn and last[1] == _generation:  # a sheet's calls mostly name one rubric in a row
        return last[2]
    slot = compiled(defn).memo
    held: tuple[int, OrderedDict[Any, Any]] | None = slot.get("udfs.memo")
    if held is None or held[0] != _generation:
        held = slot["udfs.memo"] = (_generation, OrderedDict())
    _last = (defn, _generation, held[1])
    return held[1]


_last: tuple[Any, int, OrderedDict[Any, Any]] = (None, -1, OrderedDict())  # the latest _memo_of answer


def memo(defn: RubricDefinition | None, key: Any, compute: Callable[[], T]) -> T:
    """`compute()` once per (definition, key); least recently used entries are dropped."""
    known = _memo_of(defn)
    try:
        hit = known.get(key, _MISSING)
    except TypeError:  # a cell value that can't be hashed: just don't remember it
        return compute()
    if hit is not _MISSING:
        known.move_to_end(key)
        return hit  # type: ignore[no-any-return]
    value = compute()
    known[key] = value
    if len(known) > MEMO_SIZE:
        known.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything (tests and benchmarks measure cold calls with this)."""
    _rubrics.clear()
    _embedded_cache.clear()
    _by_digest.clear()
    _memo.clear()
    _stamp[:] = [None, -RECHECK_SECONDS, _stamp[2] + 1]  # and what was derived from the files
    global _generation
    _generation += 1
