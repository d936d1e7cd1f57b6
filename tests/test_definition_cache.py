"""The on-disk rubric cache is read only when it is private: unpickling a planted entry would run code."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from lxbz_xl.definition import cache

pytestmark = pytest.mark.core


def _plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("LXBZ_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("LXBZ_NO_CACHE", raising=False)
    src = tmp_path / "r.yaml"
    src.write_text("id: x\n", encoding="utf-8")
    folder = tmp_path / "c"
    folder.mkdir(mode=0o700)
    entry = folder / f"{cache.entry_key(src.read_bytes())}.pickle"
    entry.write_bytes(pickle.dumps("planted"))
    entry.chmod(0o600)
    return src, entry


def test_private_entry_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, _ = _plant(tmp_path, monkeypatch)
    assert cache.cached(src, lambda p: "loaded") == "planted"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_writable_by_others_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, entry = _plant(tmp_path, monkeypatch)
    entry.chmod(0o666)
    assert cache.cached(src, lambda p: "loaded") == "loaded"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_symlinked_entry_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, entry = _plant(tmp_path, monkeypatch)
    elsewhere = tmp_path / "elsewhere.pickle"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert cache.cached(src, lambda p: "loaded") == "loaded"


def test_cached_definition_compiles_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled rubric (generated closures) is not pickled; a definition read back compiles on use."""
    from lxbz_xl import evaluate
    from lxbz_xl.compiled import compiled
    from lxbz_xl.definition.loader import RUBRIC_DIR, load_definition

    defn = load_definition(RUBRIC_DIR / "learning_party_org.yaml")
    first = compiled(defn)
    again = pickle.loads(pickle.dumps(defn))
    assert defn._compiled is first and again._compiled is None
    assert compiled(again) is not first and compiled(again).defn is again
    case = {"rubric": "learning_party_org", "unit": "甲", "year": 2025}
    assert evaluate(again, case).to_json() == evaluate(defn, case).to_json()


def test_key_follows_the_builtin_rubrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check reads other built-in rubrics (`rubric:` ids, a link's `when:`): editing one is a new key."""
    from lxbz_xl.definition import loader

    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "a.yaml").write_text("id: a\n", encoding="utf-8")
    monkeypatch.setattr(loader, "RUBRIC_DIR", folder)
    before = cache.entry_key(b"id: x\n")
    (folder / "a.yaml").write_text("id: a\nversion: '2'\n", encoding="utf-8")
    edited = cache.entry_key(b"id: x\n")
    (folder / "b.yaml").write_text("id: b\n", encoding="utf-8")
    assert len({before, edited, cache.entry_key(b"id: x\n")}) == 3
