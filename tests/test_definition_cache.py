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
