"""main.py for xlwings Lite: the LXBZ_* worksheet functions from the lxbz-xl wheel, and one script.

`lxbz excel lite` copies this file as main.py; paste it into the main.py tab of the xlwings Lite editor and
put the generated requirements.txt in its requirements.txt tab. xlwings Lite registers every function in
main.py that carries xlwings' custom-function metadata, imported ones included, so the functions are
defined once, in udfs.functions, and only re-exported here.

`rebind_and_recalculate` (an xlwings Lite script, from udfs.rebind) re-enters every formula that calls an
LXBZ_ function and recalculates: a workbook saved without the add-in may keep `#NAME?` until its formulas are entered again.
"""

from udfs import (  # noqa: F401
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
from udfs.rebind import rebind_and_recalculate  # noqa: F401
