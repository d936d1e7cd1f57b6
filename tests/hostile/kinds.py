"""The shape every hostile-file generator module exposes (``KINDS: list[HostileKind]``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostileKind:
    name: str
    make: Callable[[Path], Path]  # writes the hostile file into the folder and returns its path
    finding: str  # the finding code it must produce
