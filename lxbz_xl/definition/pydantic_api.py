"""The pydantic names the definition models are built from: pydantic's own, or — in a process that only
reads checked definitions from the cache (`lxbz score CASE…`, see definition/lite.py) — light stand-ins,
so that such a process never imports pydantic. Model modules import these names from here, not from
pydantic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxbz_xl.definition import lite

if TYPE_CHECKING or not lite.ACTIVE:
    import pydantic as source
else:
    source = lite

BaseModel = source.BaseModel
BeforeValidator = source.BeforeValidator
ConfigDict = source.ConfigDict
Discriminator = source.Discriminator
Field = source.Field
PrivateAttr = source.PrivateAttr
Tag = source.Tag
model_validator = source.model_validator

__all__ = [
    "BaseModel",
    "BeforeValidator",
    "ConfigDict",
    "Discriminator",
    "Field",
    "PrivateAttr",
    "Tag",
    "model_validator",
]
