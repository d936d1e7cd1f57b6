"""Name resolution during evaluation: variables, then inputs, then the parent (unit) scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition

MISSING = object()


@dataclass(slots=True)
class Env:
    defn: RubricDefinition
    values: dict[str, Any]  # parsed inputs by path
    specs: dict[str, FieldSpec]  # input specs by path, for labels
    labels: dict[str, str] = field(default_factory=dict)  # variable labels
    computed: dict[str, Any] = field(default_factory=dict)  # variables and `total`
    parent: Env | None = None
    fast: bool = True  # compiled expressions (False: the reference interpreter, for the equality proof)

    def get(self, name: str) -> Any:
        """The value of a variable or input, or MISSING. Inputs that are absent are MISSING."""
        if name in self.computed:
            return self.computed[name]
        if name in self.values:
            return self.values[name]
        if name in self.specs:  # declared here but absent: never borrow the parent's value of that name
            return MISSING
        if self.parent is not None:
            return self.parent.get(name)
        return MISSING

    def lookup(self, name: str) -> Any:
        value = self.get(name)
        return None if value is MISSING else value

    def label(self, name: str) -> str:
        if name in self.labels:
            return self.labels[name]
        if name in self.specs:
            return self.specs[name].label
        if self.parent is not None:
            return self.parent.label(name)
        return name

    def spec(self, name: str) -> FieldSpec | None:
        if name in self.specs:
            return self.specs[name]
        return self.parent.spec(name) if self.parent else None


def number(value: Any) -> Fraction | None:
    if value is MISSING or value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Fraction):
        return value  # type: ignore[return-value]  # ints are exact too, and much cheaper
    return None
