"""The LXBZ_* worksheet functions, declared for xlwings (classic on Windows, and xlwings Lite).

Each function converts its cells (udfs.args / udfs.convert), calls the core and converts the result back;
no scoring happens here. The Python name is the Excel name: classic xlwings names the VBA wrapper after
the function, xlwings Lite upper-cases it. Every argument that may be a range is declared `ndim=2` (a
single cell or a row arrives as a list of rows, so orientation is never guessed) and `err_to_str=True`
(an error cell arrives as "#N/A" and is reported, instead of silently reading as empty).

Docstrings and argument docs are what Excel shows in its function help, so they are in Chinese.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from lxbz_xl.inputs import InputProblem
from udfs import args as layout
from udfs import results
from udfs.cache import memo
from udfs.cache import rubric as rubric_of
from udfs.convert import EMPTY, error_cell, flatten_all, text, to_cell

try:
    import xlwings as xw
except ImportError:  # core-only install: the functions still work as plain Python
    from udfs import _noxl as xw  # type: ignore[no-redef]

log = logging.getLogger(__name__)

RUBRIC_DOC = "考评细则:标识(如 learning_team)或中文名称(如 学习型领导班子)"
UNIT_DOC = "各项得分合计(有评分项目时),再依次为单位各输入,最后为成员表(有成员时);见 LXBZ_ARGS"


def cell_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every failure into a short '#LXBZ! …' text: a traceback never reaches a cell."""

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        try:
            return f(*args)
        except InputProblem as exc:
            return error_cell(exc.message)
        except Exception as exc:  # a bug must still show as a cell message, not kill the recalculation
            log.exception("%s failed", f.__name__)
            return error_cell(f"内部错误({type(exc).__name__}):{str(exc)[:80]}")

    return wrapper


def _item(ref: Any, item: Any, inputs: tuple[Any, ...]) -> Any:
    cells = flatten_all(inputs)
    defn = rubric_of(ref)
    found = layout.find_item(defn, item)
    if all(c is None for c in cells) and any(s.default is None for s in layout.item_specs(defn, found)):
        return None  # inputs without a neutral value (done/target): nothing to say yet
    # RUBRICS.md §0: blank inputs are absent, i.e. nothing found (each input's default, as in a case file).
    return memo(defn, ("item", found.id, tuple(cells)), lambda: layout.score(defn, found, cells))


# ---------------------------------------------------------------- items


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("item", err_to_str=True, doc="项目序号(如 7)或项目名称")
@xw.arg("inputs", ndim=2, err_to_str=True, doc="该项各输入,按评分标准顺序;可为一行单元格")
@cell_errors
def LXBZ_ITEM_SCORE(rubric: Any, item: Any, *inputs: Any) -> Any:
    """该项得分(扣分封顶、加分封顶后)。输入全空按未发现问题计(扣分项不扣分,加分项计满分)。"""
    result = _item(rubric, item, inputs)
    return EMPTY if result is None else to_cell(result.score)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("item", err_to_str=True, doc="项目序号(如 7)或项目名称")
@xw.arg("inputs", ndim=2, err_to_str=True, doc="该项各输入,按评分标准顺序;可为一行单元格")
@cell_errors
def LXBZ_DEDUCTION(rubric: Any, item: Any, *inputs: Any) -> Any:
    """该项扣分(封顶后;加分项为未得分数)。输入全空按未发现问题计。"""
    result = _item(rubric, item, inputs)
    return EMPTY if result is None else to_cell(result.deduction)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("item", err_to_str=True, doc="项目序号(如 7)或项目名称")
@xw.arg("inputs", ndim=2, err_to_str=True, doc="该项各输入,按评分标准顺序;可为一行单元格")
@cell_errors
def LXBZ_EXPLAIN(rubric: Any, item: Any, *inputs: Any) -> Any:
    """该项扣分说明;未扣分时为空。"""
    result = _item(rubric, item, inputs)
    return EMPTY if result is None else "；".join(result.explanations)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("item_scores", ndim=2, err_to_str=True, doc="各项得分,每项一个单元格")
@cell_errors
def LXBZ_TOTAL(rubric: Any, item_scores: Any) -> Any:
    """各项得分合计;检查每项恰有一个得分且不超过该项分值。"""
    return results.items_total(rubric, item_scores)


# ---------------------------------------------------------------- a unit


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("args", ndim=2, err_to_str=True, doc=UNIT_DOC)
@cell_errors
def LXBZ_TIER(rubric: Any, *args: Any) -> Any:
    """最终档次(一票否决、封顶之后);只有称号的细则返回称号名称或“未达标”。"""
    done = results.unit(rubric, args)
    if done is None:
        return EMPTY
    defn, result = done
    return results.tier(defn, result, defn.short_name)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("args", ndim=2, err_to_str=True, doc=UNIT_DOC)
@cell_errors
def LXBZ_BASE_TIER(rubric: Any, *args: Any) -> Any:
    """调整前档次(一票否决、封顶之前)。"""
    done = results.unit(rubric, args)
    if done is None:
        return EMPTY
    defn, result = done
    return results.base_tier(defn, result, defn.short_name)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("args", ndim=2, err_to_str=True, doc=UNIT_DOC)
@cell_errors
def LXBZ_TITLE(rubric: Any, *args: Any) -> Any:
    """是否达到称号:是/否;尚缺资格条件时为“待定”。"""
    done = results.unit(rubric, args)
    if done is None:
        return EMPTY
    defn, result = done
    return results.title(defn, result, defn.short_name)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("name", err_to_str=True, doc="total(总分)、consequences(结果运用)、promotion(选拔任用)或变量名")
@xw.arg("args", ndim=2, err_to_str=True, doc=UNIT_DOC)
@cell_errors
def LXBZ_VALUE(rubric: Any, name: Any, *args: Any) -> Any:
    """单位的总分(total)、某个计算变量的值,或最终档次的结果运用(consequences)/选拔任用(promotion)。"""
    done = results.unit(rubric, args)
    if done is None:
        return EMPTY
    defn, result = done
    return results.output(defn, result, name, defn.short_name, defn.total_label)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("args", ndim=2, err_to_str=True, doc=UNIT_DOC)
@cell_errors
def LXBZ_FLAGS(rubric: Any, *args: Any) -> Any:
    """单位的提示事项(如 限期整改);没有时为空。"""
    done = results.unit(rubric, args)
    return EMPTY if done is None else "；".join(done[1].flags)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg(
    "output",
    err_to_str=True,
    doc="total、tier、base_tier、title、flags、consequences、promotion 或成员变量名",
)
@xw.arg("member_row", ndim=2, err_to_str=True, doc="该成员所在行(按成员输入顺序)")
@xw.arg("args", ndim=2, err_to_str=True, doc=UNIT_DOC)
@cell_errors
def LXBZ_MEMBER(rubric: Any, output: Any, member_row: Any, *args: Any) -> Any:
    """某一成员的总分、档次、称号或变量;与单位一起按整张成员表计算。"""
    done = results.member(rubric, member_row, args)
    if done is None:
        return EMPTY
    defn, result = done
    assert defn.members is not None
    return results.output(defn.members, result, output, defn.members.label)


# ---------------------------------------------------------------- helpers without a unit


@xw.func
@xw.arg("tier", err_to_str=True, doc="档次,如 优秀")
@xw.arg("veto_flags", ndim=2, err_to_str=True, doc="一票否决事项:是/否")
@cell_errors
def LXBZ_VETO(tier: Any, *veto_flags: Any) -> Any:
    """一票否决后的档次:有任一否决事项即降一档(多项不累加,按领导班子年度考核细则)。"""
    return results.veto(tier, veto_flags)


@xw.func
@xw.arg("counts", ndim=2, err_to_str=True, doc="票数;可带一行(或一列)档次名称")
@xw.arg("tiers", ndim=2, err_to_str=True, doc="要合计得票率的档次名称")
@cell_errors
def LXBZ_VOTE_SHARE(counts: Any, *tiers: Any) -> Any:
    """所列档次的得票率之和(以有效票为分母);单元格请设为百分比格式。档次判定中的比较在核心中精确进行。"""
    return results.vote_share(counts, tiers)


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@cell_errors
def LXBZ_RUBRIC_VERSION(rubric: Any) -> Any:
    """考评细则的版本号。"""
    return rubric_of(rubric).version


@xw.func
@xw.arg("rubric", err_to_str=True, doc=RUBRIC_DOC)
@xw.arg("part", err_to_str=True, doc="空=单位参数;项目序号=该项输入;member=成员行")
@cell_errors
def LXBZ_ARGS(rubric: Any, part: Any = None) -> Any:
    """列出应依次填写的参数(单位、某一项目或成员行)。"""
    defn = rubric_of(rubric)
    which = text(part)
    if not which:
        return "、".join(layout.unit_labels(defn))
    if which.lower() in ("member", "members", "成员"):
        if defn.members is None:
            raise InputProblem(f"{defn.short_name}没有成员明细")
        return "、".join(layout.member_layout(defn.members))
    item = layout.find_item(defn, part)
    return "、".join(s.label for s in layout.item_specs(defn, item))


FUNCTIONS = (
    LXBZ_ITEM_SCORE,
    LXBZ_DEDUCTION,
    LXBZ_EXPLAIN,
    LXBZ_TOTAL,
    LXBZ_TIER,
    LXBZ_BASE_TIER,
    LXBZ_TITLE,
    LXBZ_VALUE,
    LXBZ_FLAGS,
    LXBZ_MEMBER,
    LXBZ_VETO,
    LXBZ_VOTE_SHARE,
    LXBZ_RUBRIC_VERSION,
    LXBZ_ARGS,
)

__all__ = [f.__name__ for f in FUNCTIONS]
