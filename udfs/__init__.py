"""LXBZ_* worksheet functions: Excel custom functions backed by the lxbz_xl scoring core.

`udfs` is what classic xlwings imports (setting ``UDF Modules = udfs``) and what the xlwings Lite
``main.py`` re-exports; both see the same decorated functions from `udfs.functions`.
"""

from udfs.functions import (
    FUNCTIONS,
    LXBZ_ARGS,
    LXBZ_BASE_TIER,
    LXBZ_DEDUCTION,
    LXBZ_EXPLAIN,
    LXBZ_FLAGS,
    LXBZ_ITEM_SCORE,
    LXBZ_MEMBER,
    LXBZ_RUBRIC_VERSION,
    LXBZ_TIER,
    LXBZ_TITLE,
    LXBZ_TOTAL,
    LXBZ_VALUE,
    LXBZ_VETO,
    LXBZ_VOTE_SHARE,
)

__all__ = [
    "FUNCTIONS",
    "LXBZ_ARGS",
    "LXBZ_BASE_TIER",
    "LXBZ_DEDUCTION",
    "LXBZ_EXPLAIN",
    "LXBZ_FLAGS",
    "LXBZ_ITEM_SCORE",
    "LXBZ_MEMBER",
    "LXBZ_RUBRIC_VERSION",
    "LXBZ_TIER",
    "LXBZ_TITLE",
    "LXBZ_TOTAL",
    "LXBZ_VALUE",
    "LXBZ_VETO",
    "LXBZ_VOTE_SHARE",
]
