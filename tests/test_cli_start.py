"""The CLI starts lazily (issue 14) and loaded rubrics are cached on disk by content (definition/cache.py).

The speed itself is measured by bench/cli_start.py (a ratio against `python -c pass`); these tests pin
what makes it fast: which modules a command imports, and a cache that is never wrong.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from lxbz_xl.definition import cache
from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, load_definition

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


def test_score_imports_neither_workbooks_nor_excel_modules(tmp_path: Path) -> None:
    code = (
        "import io, contextlib\nfrom lxbz_xl.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['score', {str(CASE)!r}]) == 0"
    )
    loaded = _imported_after(code)
    assert not loaded & {"openpyxl", "numpy", "xlwings", "pycel", "python_calamine"}
    assert "lxbz_xl" in loaded


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
