"""Stand-ins for xlwings' decorators when xlwings isn't installed (the core-only install).

xlwings itself does the same off Windows: its `func`/`arg`/`ret` only record metadata where Excel can
call Python (classic xlwings on Windows, xlwings Lite). Elsewhere the functions are plain Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def func(f: Any = None, **_: Any) -> Any:
    return f if f is not None else (lambda g: g)


def arg(*_: Any, **__: Any) -> Callable[[F], F]:
    return lambda g: g


def ret(*_: Any, **__: Any) -> Callable[[F], F]:
    return lambda g: g


def script(f: Any = None, **_: Any) -> Any:
    return f if f is not None else (lambda g: g)


class Book:
    """Stand-in for the `xw.Book` annotation of main.py's script (xlwings injects the real book)."""
