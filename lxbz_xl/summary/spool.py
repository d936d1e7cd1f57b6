"""Records on disk, read back by position: what keeps the summary's memory flat whatever the batch.

A province's 10,000 submissions give tens of thousands of results, rows and consequences. None of them
is held in memory: each is pickled to an unnamed temporary file as it is made, and read back when a
sheet or the JSON reaches it. The parent keeps an offset per record (8 bytes) and a few recent records.
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from lxbz_xl.lazy_list import Listed

__all__ = ["Chained", "Listed", "OnDisk", "Spool", "give_back"]

T = TypeVar("T")
RECENT = 32  # records kept unpickled: a sheet reads the same few again (a unit's rubrics, a cadre's team)


def give_back() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Reading a rubric-year group back and dropping it frees its memory, but the C heap keeps the pages
    among the long-lived objects made meanwhile: without this, the batch's peak is the sum of its groups'
    leftovers rather than the largest group."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM: Any = None


class Spool:
    """Pickled records in an unnamed temporary file (gone when closed or collected), each by its number.

    `put` may replace a record (the new bytes are appended; the old become unreachable). `get` unpickles
    a record, keeping the last `recent`: two reads of one record in a row give the same object, so a
    caller that changes a record must `put` it back (with ``recent=0`` every read is a fresh object)."""

    __slots__ = ("_at", "_end", "_file", "_keep", "_recent", "_size")

    def __init__(self, recent: int = RECENT) -> None:
        self._file: Any = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the spool)
        self._keep = recent
        self._at = array("q")  # offset of each record; -1: not written yet
        self._size = array("l")
        self._end = 0
        self._recent: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self._at)

    def append(self, value: Any) -> int:
        self._at.append(-1)
        self._size.append(0)
        self.put(len(self._at) - 1, value)
        return len(self._at) - 1

    def reserve(self, n: int) -> None:
        """Make room for records 0 … n-1, to be `put` in any order."""
        self._at.extend([-1] * (n - len(self._at)))
        self._size.extend([0] * (n - len(self._size)))

    def put(self, i: int, value: Any) -> None:
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        self._file.seek(self._end)
        self._file.write(data)
        self._at[i], self._size[i] = self._end, len(data)
        self._end += len(data)
        self._recent.pop(i, None)

    def get(self, i: int) -> Any:
        value = self._recent.get(i)
        if value is None:
            if self._at[i] < 0:
                raise IndexError(i)
            self._file.seek(self._at[i])
            value = pickle.loads(self._file.read(self._size[i]))  # our own bytes
            if self._keep:
                if len(self._recent) >= self._keep:
                    del self._recent[next(iter(self._recent))]
                self._recent[i] = value
        return value

    def close(self) -> None:
        self._file.close()
        self._recent.clear()


class OnDisk(Listed[T]):
    """A list whose items live in a `Spool`: appended once, then read in order or by position.

    `load` turns a stored record back into the item (e.g. re-attaching what is not stored with it, such
    as a rubric definition). Compares equal to a list with the same items."""

    def __init__(
        self,
        items: Iterable[Any] = (),
        load: Callable[[Any], T] | None = None,
        dump: Callable[[T], Any] | None = None,
    ) -> None:
        self._spool = Spool()
        self._load = load
        self._dump = dump
        for item in items:
            self.append(item)

    def append(self, item: T) -> None:
        self._spool.append(item if self._dump is None else self._dump(item))

    def __len__(self) -> int:
        return len(self._spool)

    def _item(self, i: int) -> T:
        record = self._spool.get(i)
        return record if self._load is None else self._load(record)

    def __repr__(self) -> str:
        return f"<{len(self)} on disk>"


class Chained(Listed[T]):
    """Two sequences read as one (e.g. the consequences of teams, then those of cadres)."""

    def __init__(self, *parts: Sequence[T]) -> None:
        self._parts = parts

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def _item(self, i: int) -> T:
        for part in self._parts:
            if i < len(part):
                return part[i]
            i -= len(part)
        raise IndexError(i)

    def __iter__(self) -> Iterator[T]:
        for part in self._parts:
            yield from part
