"""What a hostile kind is: a name, a builder and the finding code `lxbz validate` must report for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostileKind:
    name: str
    make: Callable[[Path], Path]  # writes the hostile input into the folder given and returns its path
    finding: str  # the finding code expected for it (case-file kinds: a Chinese phrase of the message)
