"""The CLI starts lazily (issue 14) and loaded rubrics are cached on disk by content (definition/cache.py).

The speed itself is measured by bench/cli_start.py (a ratio against `python -c pass`); these tests pin
what makes it fast: which modules a command imports, and a cache that is never wrong.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lxbz_xl import plain_text, report_table
from lxbz_xl.definition import cache
from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, load_definition
from tests.test_dated_parameters import _file as dated_rubric_file

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pydantic", "openpyxl", "rich", "numpy", "yaml", "xlwings", "pycel", "python_calamine")
CASE = ROOT / "examples" / "cases" / "learning_team_红星县委.yaml"


def _imported_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    probe = f"import sys\n{code}\nimport json; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_package_and_the_cli_loads_nothing_heavy() -> None:
    loaded = _imported_after("import lxbz_xl, lxbz_xl.cli")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_public_names_still_resolve_lazily() -> None:
    import lxbz_xl

    assert lxbz_xl.load_rubric("learning_team").id == "learning_team"
    assert callable(lxbz_xl.evaluate) and lxbz_xl.Result.__name__ == "Result"
    assert {"evaluate", "load_rubric"} <= set(dir(lxbz_xl))
    with pytest.raises(AttributeError):
        _ = lxbz_xl.no_such_name


SCORE_NEVER_IMPORTS = ("openpyxl", "rich", "numpy", "xlwings", "pycel", "python_calamine")
SCORE_NEVER_IMPORTS_OURS = (
    "lxbz_xl.summary",
    "lxbz_xl.validation",
    "lxbz_xl.workbook",
    "lxbz_xl.definition.check",  # a cache hit is not checked again
)


def _score_probe(case: Path) -> str:
    """Run `lxbz score CASE` in-process with stdout to a pipe; print the modules and the built schemas."""
    return (
        "import io, contextlib, json, sys\nfrom lxbz_xl.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['score', {str(case)!r}]) == 0\n"
        "import pydantic\n"
        "built = sorted(c.__qualname__ for m in list(sys.modules.values())\n"
        "    if getattr(m, '__name__', '').startswith('lxbz_xl.definition.')\n"
        "    for c in vars(m).values()\n"
        "    if isinstance(c, type) and issubclass(c, pydantic.BaseModel) and c.__pydantic_complete__)\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'built': built}))"
    )


def test_score_imports_no_report_or_workbook_module_and_builds_no_schema(tmp_path: Path) -> None:
    """Issue 14: `lxbz score` to a pipe, on a cache hit, imports none of the heavy or unrelated modules,
    and no pydantic validation schema is built (a definition read from the cache needs none)."""
    env = {**os.environ, "LXBZ_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("LXBZ_NO_CACHE", *plain_text.RICH_ENV):
        env.pop(name, None)
    run = [sys.executable, "-c", _score_probe(CASE)]
    subprocess.run(run, cwd=ROOT, capture_output=True, check=True, env=env)  # fills the cache
    found = json.loads(
        subprocess.run(run, cwd=ROOT, capture_output=True, text=True, check=True, env=env)
        .stdout.strip()
        .splitlines()[-1]
    )
    modules = set(found["modules"])
    assert "lxbz_xl.cohort" in modules and "pydantic" in modules  # the probe did score
    assert not {m.split(".")[0] for m in modules} & set(SCORE_NEVER_IMPORTS)
    assert not [m for m in modules if m.startswith(SCORE_NEVER_IMPORTS_OURS)]
    assert found["built"] == []


def test_the_process_pauses_the_collector_and_callers_are_left_alone(tmp_path: Path) -> None:
    """The `lxbz` process freezes its start-up objects (cli.settled); main() called with arguments (a
    test, a library caller) changes nothing about the caller's garbage collector."""
    code = (
        "import gc, io, contextlib, sys\nfrom lxbz_xl.cli import main\n"
        f"sys.argv = ['lxbz', 'score', {str(CASE)!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    assert main() == 0\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
    import gc

    from lxbz_xl.cli import main

    frozen = gc.get_freeze_count()
    assert main(["score", str(CASE), "--format", "json"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_help_still_lists_every_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    from lxbz_xl.cli import PLUGINS, main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("score", "rubrics", "test", *PLUGINS):
        assert command in out


def test_a_plugin_command_loads_only_its_module() -> None:
    from lxbz_xl.cli import _plugin_modules

    assert _plugin_modules(["score", "x.yaml"]) == []
    assert _plugin_modules(["fill", "x.yaml", "--out", "d"]) == ["lxbz_xl.cli_templates"]
    assert _plugin_modules(["nonsense"]) == _plugin_modules(None)
    assert "lxbz_xl.cli_validate" in _plugin_modules(["--help"])


# ---------------------------------------------------------------- the rubric cache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("LXBZ_CACHE_DIR", str(where))
    monkeypatch.delenv("LXBZ_NO_CACHE", raising=False)
    return where


def _copy(tmp_path: Path, name: str = "learning_team.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes((RUBRIC_DIR / "learning_team.yaml").read_bytes())
    return path


def test_cache_hit_equals_a_fresh_load_and_skips_loading(tmp_path: Path, cache_dir: Path) -> None:
    path = _copy(tmp_path)
    calls: list[Path] = []

    def load(p: Path):  # type: ignore[no-untyped-def]
        calls.append(p)
        return load_definition(p)

    first = cache.cached(path, load)
    second = cache.cached(path, load)
    assert calls == [path]
    assert second == first == load_definition(path)
    assert len(list(cache_dir.glob("*.pickle"))) == 1


def test_an_edited_file_is_never_served_from_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    path = _copy(tmp_path)
    before = cache.cached(path, load_definition)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'version: "{before.version}"', 'version: "9999.1"', 1), encoding="utf-8")
    after = cache.cached(path, load_definition)
    assert before.version != "9999.1" and after.version == "9999.1"
    assert len(list(cache_dir.glob("*.pickle"))) == 2


def test_a_broken_file_is_not_cached_and_errors_every_time(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nnonsense: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DefinitionError):
            cache.cached(path, load_definition)
    assert not list(cache_dir.glob("*.pickle"))


def test_a_corrupt_entry_is_ignored_and_replaced(tmp_path: Path, cache_dir: Path) -> None:
    path = _copy(tmp_path)
    good = cache.cached(path, load_definition)
    (entry,) = cache_dir.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert cache.cached(path, load_definition) == good
    assert pickle.loads(entry.read_bytes()) == good


def test_the_key_covers_the_code_and_the_cache_can_be_turned_off(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"same bytes"
    key = cache.entry_key(data)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    assert cache.entry_key(data) != key
    monkeypatch.setenv("LXBZ_NO_CACHE", "1")
    assert cache.cache_dir() is None
    cache.cached(_copy(tmp_path), load_definition)
    assert not cache_dir.exists()


def test_an_unwritable_cache_dir_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("LXBZ_CACHE_DIR", str(blocker / "sub"))
    assert cache.cached(_copy(tmp_path), load_definition).id == "learning_team"


# ---------------------------------------------------------------- the plain-text report (no rich)


def _rich_and_plain() -> tuple[Any, Any, Any]:
    """A rich report into a string, as `lxbz score` makes it (cli._console) but writing to a pipe."""
    from rich.console import Console

    from lxbz_xl.report_table import RichReport

    sink = io.StringIO()
    console = Console(highlight=False, width=160, file=sink, _environ={})
    return RichReport(console), plain_text.PlainReport(), sink


def _accepted() -> list[str]:
    chars = [chr(c) for c in range(0x20, 0x7F) if chr(c) not in "[]\\"]
    chars += sorted(plain_text._NARROW)
    chars += [chr(c) for lo, hi in plain_text._WIDE_RANGES for c in range(lo, hi + 1)]
    return chars


def test_every_accepted_character_is_measured_as_rich_measures_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.cells import cell_len

    monkeypatch.delenv("UNICODE_VERSION", raising=False)
    for ch in _accepted():
        assert plain_text.width(ch) == cell_len(ch), hex(ord(ch))
        assert ch == " " or not re.match(r"\s", ch), hex(ord(ch))  # only the space separates words
    for ch in "\t\n\x1b[]\\\u3000\u302a\u200d\ufe0f\u202e😄é":
        with pytest.raises(plain_text.Unsupported):
            plain_text.checked(f"a{ch}b")


_SAMPLE = "".join(_accepted()[:95]) + "·×→…“”、,:;()《》" + "考评细则学习型领导班子扣分说明得优秀较好" * 2
_CLEAN = st.text(alphabet=st.sampled_from(_SAMPLE + "   "), max_size=60)
_TEXT = st.one_of(
    _CLEAN, _CLEAN, _CLEAN, st.text(alphabet=st.sampled_from(_SAMPLE + " :[]\\\t😄"), max_size=60)
)
_LONG = st.lists(
    st.one_of(_TEXT, st.text(alphabet=st.sampled_from("扣分 ab1"), min_size=100, max_size=400)), max_size=4
).map(" ".join)


def _compare(lines: list[tuple[str, str]], rows: list[list[str]]) -> None:
    rich_report, plain, sink = _rich_and_plain()
    try:
        for tag, text in lines:
            plain.line(f"  {tag}{plain.esc(text)}{tag.replace('[', '[/')}")
        if rows:
            plain.table(report_table.COLUMNS, [[plain.esc(c) for c in row] for row in rows])
    except plain_text.Unsupported:
        event("declined")
        return
    wide = sum(max((plain_text.cells(r[i]) for r in rows), default=0) for i in range(5)) > 150
    event(f"compared, folded: {any(plain_text.cells(t) > 150 for _, t in lines) or wide}")
    for tag, text in lines:
        rich_report.line(f"  {tag}{rich_report.esc(text)}{tag.replace('[', '[/')}")
    if rows:
        rich_report.table(report_table.COLUMNS, [[rich_report.esc(c) for c in row] for row in rows])
    assert plain.text() == sink.getvalue()


_TAG = st.sampled_from(["", "[bold]", "[dim]", "[red]"])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TAG, st.one_of(_TEXT, _LONG)), min_size=1, max_size=3))
def test_plain_lines_are_byte_identical_to_rich_or_declined(lines: list[tuple[str, str]]) -> None:
    """Markup dropped, long lines folded at 160 cells (words kept whole when they fit) as rich does."""
    _compare(lines, [])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(_CLEAN.map(lambda t: t[:30]), _TEXT), min_size=5, max_size=5), max_size=5))
def test_the_plain_table_is_byte_identical_to_rich_or_declined(rows: list[list[str]]) -> None:
    """The item table: columns as wide as their widest cell, padded, one space between."""
    _compare([], rows)


_CLEAN_LONG = st.text(alphabet=st.sampled_from(_SAMPLE + "    "), min_size=40, max_size=250)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.lists(_CLEAN.map(lambda t: t[:12]), min_size=4, max_size=4), st.one_of(_CLEAN_LONG, _LONG)
        ),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_a_table_wider_than_the_console_shrinks_and_folds_as_rich_does(
    rows: list[tuple[list[str], str]], several: bool
) -> None:
    """Long explanations: rich narrows the widest columns first and folds their cells onto more lines."""
    table = [[*short[:3], long if several else short[3], long] for short, long in rows]
    _compare([], table)


def test_plain_output_of_every_example_is_rich_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lxbz_xl.cli import main

    for name in plain_text.RICH_ENV:
        monkeypatch.delenv(name, raising=False)
    files = sorted(str(p) for p in (ROOT / "examples" / "cases").glob("*.yaml"))
    used: list[str] = []
    monkeypatch.setattr(
        plain_text.PlainReport, "text", lambda self: used.append("plain") or "".join(self.parts)
    )
    for batch in [[f] for f in files] + [files]:
        assert main(["score", *batch]) == 0
        plain = capsys.readouterr().out
        with monkeypatch.context() as m:
            m.setattr(plain_text, "applies", lambda stream: False)
            assert main(["score", *batch]) == 0
        assert plain == capsys.readouterr().out
    assert len(used) == len(files) + 1  # every example took the plain path


def test_plain_text_applies_only_to_a_pipe_without_forced_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for name in plain_text.RICH_ENV:
        monkeypatch.delenv(name, raising=False)
    assert plain_text.applies(io.StringIO()) and not plain_text.applies(Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not plain_text.applies(io.StringIO())


def test_an_emoji_code_or_markup_in_a_unit_name_is_left_to_rich(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lxbz_xl.cli import main

    case = tmp_path / "c.yaml"
    case.write_text(
        CASE.read_text(encoding="utf-8").replace("unit: 红星县委", "unit: '[red]x :smile: a\\b'"),
        encoding="utf-8",
    )
    assert main(["score", str(case)]) == 0
    out = capsys.readouterr().out
    assert "[red]x 😄 a\\b" in out  # what rich has always printed (an emoji code is replaced)


# ---------------------------------------------------------------- scoring without pydantic (definition/lite.py)


def _lxbz(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lxbz_xl.cli", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )


def _env(cache_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("LXBZ_NO_CACHE", "LXBZ_LITE", *plain_text.RICH_ENV)
    }
    return {**env, "LXBZ_CACHE_DIR": str(cache_dir), **extra}


_PROCESS_PROBE = (
    "import sys, io, contextlib, json\nfrom lxbz_xl import cli\nreran = []\n"
    "cli._again_with_pydantic = lambda argv: reran.append(argv) or 99\n"
    "sys.argv = ['lxbz', *sys.argv[1:]]\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n    code = cli.main()\n"
    "print(json.dumps({'code': code, 'reran': bool(reran), 'modules': sorted(sys.modules)}))"
)


def test_the_score_process_never_imports_pydantic_on_a_cache_hit(tmp_path: Path) -> None:
    """Issue 14: `lxbz score CASE` with its rubrics in the cache imports neither pydantic nor rich, and does
    not fall back to a run with pydantic."""
    env = _env(tmp_path / "cache")
    # no cache folder yet: this run loads with pydantic and fills the cache
    assert _lxbz(["score", str(CASE)], env).returncode == 0
    probe = subprocess.run(
        [sys.executable, "-c", _PROCESS_PROBE, "score", str(CASE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["code"] == 0 and not found["reran"]
    modules = set(found["modules"])
    assert "lxbz_xl.cohort" in modules
    assert not {m.split(".")[0] for m in modules} & {"pydantic", "pydantic_core", *SCORE_NEVER_IMPORTS}
    assert not [m for m in modules if m.startswith(SCORE_NEVER_IMPORTS_OURS)]


def test_light_and_pydantic_runs_print_the_same(tmp_path: Path) -> None:
    """Every example (table and JSON), a dated rubric file given with --rubric (cases of several years, one
    before its first date), a broken rubric file and a cold cache: the light process prints exactly what a
    run with pydantic prints, with the same exit code."""
    examples = sorted(str(p) for p in (ROOT / "examples" / "cases").glob("*.yaml"))
    cases = []
    for year in (2009, 2020, 2025):
        case = tmp_path / f"case_{year}.yaml"
        case.write_text(
            CASE.read_text(encoding="utf-8").replace("year: 2025", f"year: {year}"), encoding="utf-8"
        )
        cases.append(str(case))
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nnonsense: [\n", encoding="utf-8")
    commands = [
        ["score", *examples],
        ["score", *examples, "--format", "json", "--with-summary"],
        ["score", *cases, "--rubric", str(dated_rubric_file(tmp_path))],
        ["score", *cases, "--rubric", str(broken)],
    ]
    cold = tmp_path / "cold"
    cold.mkdir(mode=0o700)  # a cache folder without these entries yet
    for command in commands:
        heavy = _lxbz(command, _env(tmp_path / "full", LXBZ_LITE="0"))
        first = _lxbz(command, _env(cold))  # entries missing: the light process runs it again with pydantic
        light = _lxbz(command, _env(cold))  # now from the cache, without pydantic
        for run in (first, light):
            assert (run.returncode, run.stdout, run.stderr) == (heavy.returncode, heavy.stdout, heavy.stderr)
    assert heavy.returncode == 2 and "broken.yaml" in heavy.stdout


def test_lite_models_behave_as_frozen_pydantic_models() -> None:
    from lxbz_xl.definition import lite

    class Node(lite.BaseModel):
        a: int
        b: list[int]
        _cache: Any = lite.PrivateAttr(default=None)

    node = Node.model_construct(a=1, b=[2])
    with pytest.raises(AttributeError):
        _ = node.c
    assert (node.a, node.b, node._cache) == (1, [2], None)
    node._cache = "x"  # private attributes may be set, fields may not
    with pytest.raises(TypeError):
        node.a = 2
    other = node.model_copy(update={"a": 3})
    assert (other.a, other.b, other._cache, node.a) == (3, [2], "x", 1)
    other._cache = "y"
    assert node._cache == "x"  # the copy has its own private attributes
    restored = object.__new__(Node)
    restored.__setstate__(node.__getstate__())  # what unpickling does
    assert restored == node and restored._cache == "x" and node != other
    needs = (
        lambda: Node(a=1, b=[]),
        lambda: Node.model_construct(a=1),
        lambda: node.model_dump(),
        lambda: Node.model_fields,
    )
    for needs_pydantic in needs:
        with pytest.raises(lite.Miss):
            needs_pydantic()
