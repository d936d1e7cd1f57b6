"""A read-only list whose items are made when asked for (records on disk, reports read back, other lists).

Used by the summary's spooled records and by validation's streamed reports, so neither keeps a whole batch
in memory."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar, overload

T = TypeVar("T")


class Listed(Sequence[T], Generic[T]):
    """A read-only list made of something else (records on disk, other lists): subclasses give `__len__`
    and `_item` (a position already checked); slices, negative positions and comparing equal to a list
    with the same items come from here."""

    @abstractmethod
    def _item(self, i: int) -> T:
        """The item at position `i` (0 <= i < len(self)), made now."""

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self._item(k) for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._item(i)

    def __iter__(self) -> Iterator[T]:
        return (self._item(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
