"""Light stand-ins for the pydantic names the definition models use, for a process that only reads checked
definitions from the on-disk cache (`lxbz score CASE…`, issue 14): importing pydantic and building ~70
model classes costs more than the rest of such a command together.

`lxbz_xl.cli` sets `ACTIVE` before any definition module is imported; `definition/pydantic_api.py` then
gives the model modules these names instead of pydantic's. The classes keep every method and property of
their class bodies; an instance can only come from the cache (unpickled with pydantic's own state layout)
or from `model_copy` and `model_construct` (validated values). Validation is impossible here: anything that would need it — a definition missing
from the cache, constructing a model — raises `Miss`, and the command runs again in a fresh process with
pydantic (`LXBZ_LITE=0`), which also fills the cache. The output is the same either way (tests compare).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

ACTIVE = False


class Miss(BaseException):
    """Something this light process cannot do; cli.main runs the command again with pydantic.

    A BaseException, so no `except Exception` on the way swallows it."""


class _Private:
    """A PrivateAttr: read and written in the instance's `__pydantic_private__` dict, as pydantic does."""

    def __init__(self, default: Any = None) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        private = _slot(obj, "__pydantic_private__")
        return private.get(self.name, self.default) if private else self.default

    def __set__(self, obj: Any, value: Any) -> None:
        private = _slot(obj, "__pydantic_private__")
        if private is None:
            private = {}
            object.__setattr__(obj, "__pydantic_private__", private)
        private[self.name] = value


def _slot(obj: Any, name: str) -> Any:
    try:
        return object.__getattribute__(obj, name)
    except AttributeError:
        return None


def PrivateAttr(default: Any = None) -> Any:
    return _Private(default)


def Field(default: Any = None, **_: Any) -> Any:
    return default  # instances come from the cache with every field set: defaults are never read


def model_validator(**_: Any) -> Any:
    return lambda function: function  # validators run when pydantic loads the YAML, never here


class _Marker:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


class BeforeValidator(_Marker):
    pass


class Discriminator(_Marker):
    pass


class Tag(_Marker):
    pass


def ConfigDict(**kwargs: Any) -> dict[str, Any]:
    return dict(kwargs)


def _pydantic_only(name: str) -> bool:
    return name.startswith(("model_", "__pydantic", "__get_pydantic"))


class _Meta(type):
    def __getattr__(cls, name: str) -> Any:
        if _pydantic_only(name):  # e.g. model_fields: only pydantic has it, so run with pydantic
            raise Miss(f"{cls.__name__}.{name}")
        raise AttributeError(name)


class BaseModel(metaclass=_Meta):
    """The part of pydantic.BaseModel a checked, frozen definition is used through. Any other part of
    pydantic's API (`model_dump`, `model_fields`, …) raises Miss: the command then runs with pydantic."""

    __slots__ = ("__dict__", "__pydantic_extra__", "__pydantic_fields_set__", "__pydantic_private__")
    model_config: ClassVar[dict[str, Any]] = {}

    def __init__(self, **_: Any) -> None:
        raise Miss("a model constructed (needs validation)")

    @classmethod
    def model_construct(cls, **values: Any) -> Any:
        """pydantic's model_construct (validated values, no validation) when every field is given."""
        fields = {
            name
            for klass in cls.__mro__
            for name in getattr(klass, "__annotations__", {})
            if not name.startswith("_") and name != "model_config"
        }
        if set(values) != fields:
            raise Miss(f"{cls.__name__}.model_construct without every field")
        new = object.__new__(cls)
        new.__setstate__({"__dict__": dict(values), "__pydantic_fields_set__": set(values)})
        return new

    def __setstate__(self, state: dict[str, Any]) -> None:  # pydantic's layout (BaseModel.__getstate__)
        object.__setattr__(self, "__pydantic_fields_set__", state.get("__pydantic_fields_set__", set()))
        object.__setattr__(self, "__pydantic_extra__", state.get("__pydantic_extra__"))
        object.__setattr__(self, "__pydantic_private__", state.get("__pydantic_private__"))
        object.__setattr__(self, "__dict__", state.get("__dict__", {}))

    def __getstate__(self) -> dict[str, Any]:
        return {
            "__dict__": self.__dict__,
            "__pydantic_extra__": _slot(self, "__pydantic_extra__"),
            "__pydantic_fields_set__": _slot(self, "__pydantic_fields_set__"),
            "__pydantic_private__": _slot(self, "__pydantic_private__"),
        }

    def __getattr__(self, name: str) -> Any:  # only for names not found on the instance or its class
        if _pydantic_only(name):
            raise Miss(f"{type(self).__name__}.{name}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(getattr(type(self), name, None), _Private):
            object.__setattr__(self, name, value)
            return
        raise TypeError(f"{type(self).__name__} is frozen: cannot set {name}")

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """pydantic's model_copy: a shallow copy of fields and private attributes, `update` unvalidated."""
        if deep:
            raise Miss("a deep model_copy")
        new = object.__new__(type(self))
        fields = {**self.__dict__, **(update or {})}
        object.__setattr__(new, "__dict__", fields)
        object.__setattr__(new, "__pydantic_extra__", copy.copy(_slot(self, "__pydantic_extra__")))
        fields_set = set(_slot(self, "__pydantic_fields_set__") or ())
        object.__setattr__(new, "__pydantic_fields_set__", fields_set | set(update or ()))
        private = _slot(self, "__pydantic_private__")
        object.__setattr__(new, "__pydantic_private__", dict(private) if private is not None else None)
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseModel):
            return NotImplemented
        return (
            type(self) is type(other)
            and _slot(self, "__pydantic_private__") == _slot(other, "__pydantic_private__")
            and _slot(self, "__pydantic_extra__") == _slot(other, "__pydantic_extra__")
            and self.__dict__ == other.__dict__
        )

    def __hash__(self) -> int:  # frozen models hash by their field values
        return hash(tuple(self.__dict__.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def __str__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
