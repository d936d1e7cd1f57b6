"""On-disk cache of loaded rubric definitions, keyed by the file's sha256, so a short command starts fast.

Loading a rubric validates the YAML against the pydantic models (which first builds their validation
schemas, see definition/base.py) and cross-checks it; that costs far more than the scoring a one-case
command does. The checked definition is pickled once per distinct file content and reused:

* key = sha256 of the rubric file's bytes + a fingerprint of everything that shapes the result: the
  source of the definition package (models, loader, the name checker of check.py), the Python and
  pydantic versions, and the built-in rubric files (names and bytes): the checker resolves `rubric:`
  references against the built-in ids and reads a linked rubric's names for a cohort link's `when:`,
  so editing party_secretary.yaml must re-check annual_team.yaml. Editing the rubric, a built-in rubric
  or the code yields a new key; a stale entry is simply never read again.
* the definition's compiled form (lxbz_xl/compiled.py, a private attribute of generated closures) is
  never stored (RubricDefinition.__getstate__): a definition read from here compiles on first use.
* only definitions that loaded without error are stored; a file that fails to load is re-read (and its
  error reported) every time.
* entries are written atomically (temporary file + rename) into a private directory; an entry that
  cannot be read for any reason is ignored and the file is loaded from YAML.

Directory: `$LXBZ_CACHE_DIR`, else `$XDG_CACHE_HOME/lxbz-xl/rubrics`, else `~/.cache/lxbz-xl/rubrics`.
`LXBZ_NO_CACHE=1` turns the cache off.

A light process (definition/lite.py: `lxbz score`, without pydantic) only reads entries; a file with no
entry raises `lite.Miss`, and the command runs again with pydantic, which loads and stores it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import pickle
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lxbz_xl.definition import lite

T = TypeVar("T")
PACKAGE_DIR = Path(__file__).resolve().parent
FORMAT = "1"


def cache_dir() -> Path | None:
    if os.environ.get("LXBZ_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("LXBZ_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lxbz-xl" / "rubrics"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Everything besides the rubric file that decides what a loaded definition looks like. pydantic's
    version is read from its version.py without importing pydantic (a light process never imports it)."""
    digest = hashlib.sha256(f"{FORMAT}|{sys.version}|".encode())
    spec = importlib.util.find_spec("pydantic")
    try:
        if spec is None or not spec.origin:
            raise OSError("pydantic not found as files")
        digest.update(Path(spec.origin).with_name("version.py").read_bytes())
    except OSError:  # not an ordinary folder (a zip): ask pydantic itself
        if lite.ACTIVE:
            raise lite.Miss("pydantic's version") from None
        import pydantic

        digest.update(f"pydantic {pydantic.VERSION}".encode())
    for source in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def rubrics_fingerprint() -> str:
    """The built-in rubric files a check may read besides the one loaded (names and bytes). Not memoised:
    a long-running process (the Excel UDF server) sees an edited built-in rubric."""
    from lxbz_xl.definition.loader import RUBRIC_DIR

    digest = hashlib.sha256()
    for source in sorted(RUBRIC_DIR.glob("*.yaml")):
        digest.update(source.name.encode() + b"\0")
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"\1unreadable")
    return digest.hexdigest()


def entry_key(data: bytes) -> str:
    fingerprint = f"{code_fingerprint()}|{rubrics_fingerprint()}"
    return hashlib.sha256(fingerprint.encode() + b"\0" + data).hexdigest()


def cached(path: Path, load: Callable[[Path], T]) -> T:
    """`load(path)`, or the stored result for a file with these exact bytes."""
    where = cache_dir()
    if where is None:
        if lite.ACTIVE:
            raise lite.Miss(str(path))
        return load(path)
    try:
        data = path.read_bytes()
    except OSError:
        return load(path)  # load() reports the unreadable file in its own words
    entry = where / f"{entry_key(data)}.pickle"
    try:
        if _private(entry):
            with entry.open("rb") as fh:
                return pickle.load(fh)  # our own private cache directory (checked just above)
    except Exception:
        pass  # absent, truncated, or written by an incompatible build: load from YAML
    if lite.ACTIVE:  # no pydantic in this process to load the YAML with: run the command with it
        raise lite.Miss(str(path))
    value = load(path)
    _store(entry, value)
    return value


def _private(entry: Path) -> bool:
    """Unpickling runs code, so an entry is read only if it and its folder belong to this user and no one
    else can write them (a shared LXBZ_CACHE_DIR is ignored, never trusted)."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the per-user profile folder is the boundary
    uid = os.getuid()
    folder, file = os.stat(entry.parent), os.lstat(entry)
    if not stat.S_ISREG(file.st_mode):  # lstat: a symlink is not a regular file
        return False
    return all(st.st_uid == uid and not st.st_mode & 0o022 for st in (folder, file))


def _store(entry: Path, value: Any) -> None:
    import tempfile  # only when an entry is written (a cache miss)

    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception:
        return  # a read-only home, a full disk: the cache is an optimisation only
