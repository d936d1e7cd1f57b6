"""lxbz-xl: 考评细则 as data, scored exactly.

Data flows one way: definition → case → evaluation → result → (cell | report | workbook).

The public names are loaded on first use (PEP 562), so `import lxbz_xl` (and so the `lxbz` command's
start) costs nothing until a definition or the engine is actually needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxbz_xl.definition.loader import load_definition, load_rubric
    from lxbz_xl.engine.evaluate import evaluate
    from lxbz_xl.result import Result

__all__ = ["Result", "evaluate", "load_definition", "load_rubric"]
__version__ = "0.1.0"

_LAZY = {
    "Result": "lxbz_xl.result",
    "evaluate": "lxbz_xl.engine.evaluate",
    "load_definition": "lxbz_xl.definition.loader",
    "load_rubric": "lxbz_xl.definition.loader",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lxbz_xl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
