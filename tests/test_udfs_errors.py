"""Every error path of the worksheet functions shows its own short '#LXBZ! …' message; nothing else does.

Messages that come from the core are the core's (so a cell says what the CLI says); the others name the
argument that is wrong. Empty input gives an empty result, and arbitrary cell junk never produces an
internal error, let alone a traceback.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxbz_xl import load_rubric
from lxbz_xl.definition.loader import builtin_ids
from tests.test_udfs_support import cases, unit_args
from udfs import (
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
    results,
)

R, A, P, L, S = "learning_team", "annual_team", "performance", "layered", "study_credits"
VOTES = [[10, 0, 0, 0]]
STUDY_ROW = [["孙", "处级", 15, 16]]
PERF_ROW = [["张", 1, 0, 0, 1, 0, 0, 0, 80]]

ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    # rubric and item references
    (
        "rubric missing",
        lambda: LXBZ_ITEM_SCORE(None, 1, [[3]]),
        "缺少考评细则(如 learning_team 或 学习型领导班子)",
    ),
    (
        "rubric unknown",
        lambda: LXBZ_RUBRIC_VERSION("nope"),
        "未知的考评细则:nope;可用:" + ", ".join(builtin_ids()),
    ),
    ("rubric file", lambda: LXBZ_RUBRIC_VERSION("/nonexistent/mine.yaml"), "文件 mine.yaml:文件不存在"),
    ("no items", lambda: LXBZ_ITEM_SCORE(A, 1, [[3]]), "领导班子年度考核没有评分项目"),
    ("item unknown", lambda: LXBZ_ITEM_SCORE(R, 11.0, [[3]]), "未知的项目11;应为1–10或项目名称"),
    # item inputs
    (
        "item extra cells",
        lambda: LXBZ_ITEM_SCORE(R, 1, [[1, 2, 3]]),
        "第1项应依次填写2个值(缺项数、无个人计划人数),多出1个",
    ),
    (
        "item required",
        lambda: LXBZ_ITEM_SCORE("water_saving", 1, [[None, 5.0]]),
        "缺少第1项完成量(items.1.done)",
    ),
    ("item range", lambda: LXBZ_ITEM_SCORE(R, 1, [[4.0]]), "第1项缺项数应为0–3,实为4"),
    ("item bound", lambda: LXBZ_DEDUCTION(R, 7, [[3.0, 4.0]]), "第7项讲课人数应为0–3,实为4"),
    ("item text", lambda: LXBZ_EXPLAIN(R, 1, [["abc"]]), "第1项缺项数应为非负整数,实为'abc'"),
    ("item fraction", lambda: LXBZ_ITEM_SCORE(R, 1, [[1.5]]), "第1项缺项数应为整数,实为1.5"),
    ("item error cell", lambda: LXBZ_ITEM_SCORE(R, 1, [["#N/A"]]), "第1项缺项数应为非负整数,实为'#N/A'"),
    # unit arguments
    ("one cell", lambda: LXBZ_TIER(A, [["county", "city_dept"]]), "单位类别应只填一个值,实为2个"),
    (
        "too many args",
        lambda: LXBZ_TIER(R, 90, True, "较好", 4),
        "参数过多:应为3个,依次为:各项得分合计(LXBZ_TOTAL)、本单位党组织被评为学习型党组织、年度班子考核档次",
    ),
    (
        "items total shape",
        lambda: LXBZ_TIER(R, [[1, 2, 3]], True),
        "各项得分合计应为一个数值或10项得分,实为3个值",
    ),
    ("items total error", lambda: LXBZ_TIER(R, "#LXBZ! x", True), "各项得分合计单元格有错误"),
    ("items total range", lambda: LXBZ_TIER(R, 120, True, "较好"), "总分应为0–100,实为120"),
    ("required input", lambda: LXBZ_TIER(A, None, VOTES, VOTES), "缺少单位类别(scope)"),
    (
        "votes cells",
        lambda: LXBZ_TIER(A, "county", [[1, 2, 3]], VOTES),
        "领导班子民主测评应为4个票数(依次为优秀/较好/一般/较差),实为3个单元格",
    ),
    (
        "votes duplicate",
        lambda: LXBZ_TIER(A, "county", [["优秀", "优秀"], [1, 2]], VOTES),
        "领导班子民主测评的档次“优秀”重复",
    ),
    (
        "votes tier",
        lambda: LXBZ_TIER(A, "county", [["优秀", "称职"], [1, 2]], VOTES),
        "领导班子民主测评含未知档次['称职'],档次应为优秀/较好/一般/较差(另可填“无效”票数)",
    ),
    (
        "votes none",
        lambda: LXBZ_TIER(A, "county", [[0, 0, 0, 0]], VOTES),
        "领导班子民主测评没有有效票(各档次票数之和为0)",
    ),
    (
        "record value",
        lambda: LXBZ_TIER(P, 80, None, 90, [[1, "进位"], ["x", "退位"]]),
        "比较法、梳理法加减分第2条:加减分应为数值,实为'x'",
    ),
    (
        "ballots without members",
        lambda: LXBZ_VALUE(L, "invalid_ballots", [["好"]]),
        "群众评价选票需要成员表:每列对应成员表中的一名成员",
    ),
    (
        "ballot too wide",
        lambda: LXBZ_VALUE(L, "invalid_ballots", [["好", "好"]], [["王一", 80, 10, 0, 0, 90]]),
        "群众评价选票:第1张选票的列数多于被评价人数(1人)",
    ),
    # outputs
    ("no tier", lambda: LXBZ_TIER("party_secretary", "张", [[90]], 88), "书记联述联评联考没有档次或称号"),
    ("no base tier", lambda: LXBZ_BASE_TIER(R, 92), "学习型领导班子没有档次"),
    ("no title", lambda: LXBZ_TITLE(A, "county", VOTES, VOTES), "领导班子年度考核没有称号"),
    (
        "unknown output",
        lambda: LXBZ_VALUE(A, "xyz", "county", VOTES, VOTES),
        "未知的输出xyz;可用:total, tier, base_tier, title, flags, consequences",
    ),
    # members
    ("no members", lambda: LXBZ_MEMBER(A, "total", [["x"]]), "领导班子年度考核没有成员明细"),
    (
        "member extra",
        lambda: LXBZ_MEMBER(S, "total", [["孙", "处级", 15, 16, "处级", 18, 99]]),
        "干部行多出1个值;应依次为:姓名、职级、本年度学分、上年度学分、上年度职级、上年度应修学分(如另有规定)",
    ),
    (
        "member not in table",
        lambda: LXBZ_MEMBER(S, "total", STUDY_ROW, [["周", "科级", 12, None]]),
        "成员表中找不到这一行(孙)",
    ),
    (
        "member value",
        lambda: LXBZ_MEMBER(S, "total", [["孙", "处级", 1500, 16]], [["孙", "处级", 1500, 16]]),
        "干部第1条:本年度学分应为0–1000,实为1500",
    ),
    (
        "member output",
        lambda: LXBZ_MEMBER(S, "nope", STUDY_ROW),
        "未知的输出nope;可用:total, tier, base_tier, title, flags, required_credits, previous_required_credits",
    ),
    (
        "member unit error",
        lambda: LXBZ_MEMBER(P, "total", PERF_ROW, None, None, 90, None, None, PERF_ROW),
        "应填写班子定量考核得分(team.quantitative)或县级部门定量三部分得分(县委县政府任务/市对口部门任务/履行职责)"
        "(team.quantitative_parts)中的一项,实际填写了0项",
    ),
    # items total
    ("total without items", lambda: LXBZ_TOTAL(A, [[1]]), "领导班子年度考核没有评分项目"),
    ("total too few", lambda: LXBZ_TOTAL(R, [[1]] * 9), "应有10项得分,实为9项"),
    ("total too many", lambda: LXBZ_TOTAL(R, [[1]] * 10 + [[None]] * 5 + [[1]]), "应有10项得分,实为11项"),
    ("total error cell", lambda: LXBZ_TOTAL(R, [[1]] * 9 + [["#N/A"]]), "第10项得分单元格有错误"),
    ("total range", lambda: LXBZ_TOTAL(R, [[1]] * 9 + [[11]]), "第10项得分应为0–10,实为11"),
    ("total text", lambda: LXBZ_TOTAL(R, [[1]] * 9 + [["abc"]]), "第10项得分应为数值,实为'abc'"),
    # veto and vote share
    ("veto flag", lambda: LXBZ_VETO("优秀", [[True, "x"]]), "第2个否决项应为是/否,实为'x'"),
    ("share without tiers", lambda: LXBZ_VOTE_SHARE([[1, 2]]), "请给出要计算得票率的档次"),
    (
        "share order",
        lambda: LXBZ_VOTE_SHARE([[1, 2, 3]], "优秀"),
        "找不到含优秀的3档票数顺序,请在票数上方加一行档次名称",
    ),
    (
        "share tier",
        lambda: LXBZ_VOTE_SHARE([["优秀", "较好"], [1, 2]], "一般"),
        "票数表中没有档次一般;有:优秀/较好",
    ),
    (
        "share no votes",
        lambda: LXBZ_VOTE_SHARE([["优秀", "较好"], [0, 0]], "优秀"),
        "票数没有有效票(各档次票数之和为0)",
    ),
    (
        "share negative",
        lambda: LXBZ_VOTE_SHARE([["优秀", "较好"], [-1, 2]], "优秀"),
        "票数“优秀”票数应为非负整数,实为-1",
    ),
    ("share text", lambda: LXBZ_VOTE_SHARE([["优秀", "较好"], ["x", 2]], "优秀"), "票数应为非负整数,实为'x'"),
    # LXBZ_ARGS
    ("args members", lambda: LXBZ_ARGS(A, "member"), "领导班子年度考核没有成员明细"),
    ("args item", lambda: LXBZ_ARGS(R, 12), "未知的项目12;应为1–10或项目名称"),
]


@pytest.mark.parametrize(("call", "message"), [(c, m) for _, c, m in ERRORS], ids=[n for n, _, _ in ERRORS])
def test_error_message(call: Callable[[], Any], message: str) -> None:
    assert call() == "#LXBZ! " + message


def test_veto_unknown_tier_lists_known_tiers() -> None:
    got = LXBZ_VETO("好", True)
    assert got.startswith("#LXBZ! 未知的档次好;可用:优秀/较好/一般/较差/")


def test_ambiguous_positional_tier_order(monkeypatch: pytest.MonkeyPatch) -> None:
    orders = (("甲", "乙", "丙"), ("乙", "甲", "丙"))
    monkeypatch.setattr(results, "_vote_orders", lambda: orders)
    assert LXBZ_VOTE_SHARE([[1, 2, 3]], "甲") == "#LXBZ! 档次顺序不明确,请在票数上方加一行档次名称"
    assert LXBZ_VOTE_SHARE([[1, 2, 3]], "丙") == 0.5  # same position in both orders: no ambiguity


def test_internal_error_is_a_short_cell_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any) -> Any:
        raise KeyError("x" * 500)

    monkeypatch.setattr(results, "unit", boom)
    got = LXBZ_TIER(A, "county")
    assert got.startswith("#LXBZ! 内部错误(KeyError):") and len(got) < 120
    assert "Traceback" not in got


EMPTY_CALLS: list[tuple[str, Callable[[], Any]]] = [
    ("explain", lambda: LXBZ_EXPLAIN(R, 5, [[None] * 5])),
    ("explain nothing deducted", lambda: LXBZ_EXPLAIN(R, 1, [[0, 0]])),
    ("total", lambda: LXBZ_TOTAL(R, [[None]] * 10)),
    ("total half filled", lambda: LXBZ_TOTAL(R, [[10]] * 9 + [[""]])),
    ("total merged half filled", lambda: LXBZ_TOTAL(R, [[10], [None]] * 9 + [[None], [None]])),
    ("tier", lambda: LXBZ_TIER(A, [[None]], [[None] * 4], [[None] * 4])),
    ("tier without items total", lambda: LXBZ_TIER(R, [[None]], True, "较好")),
    ("base tier", lambda: LXBZ_BASE_TIER(A)),
    ("title", lambda: LXBZ_TITLE(R, None, None)),
    ("value", lambda: LXBZ_VALUE(P, "total", None, None, None, [[None, None]], None, [[None] * 9])),
    ("flags", lambda: LXBZ_FLAGS(P)),
    ("member", lambda: LXBZ_MEMBER(P, "total", [[None] * 9], *([None] * 6))),
    ("veto", lambda: LXBZ_VETO(None, True)),
    ("vote share", lambda: LXBZ_VOTE_SHARE([[None, None, None, None]], "优秀")),
]


def test_empty_item_is_absent_nothing_found() -> None:
    """RUBRICS.md §0: blank inputs of an item are an absent item: no deduction, an award in full."""
    assert LXBZ_ITEM_SCORE(R, 1, [[None, None]]) == 10
    assert LXBZ_DEDUCTION(R, 1, [[None]], [[""]]) == 0
    assert LXBZ_ITEM_SCORE(R, 3, [[None]]) == 10  # award item: in full
    assert LXBZ_ITEM_SCORE(R, 4, [[None, None]]) == 10


@pytest.mark.parametrize("call", [c for _, c in EMPTY_CALLS], ids=[n for n, _ in EMPTY_CALLS])
def test_empty_input_gives_empty_result(call: Callable[[], Any]) -> None:
    assert call() == ""


# ---------------------------------------------------------------- junk in every argument

ATOMS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200).map(float),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.sampled_from(
        [
            "是",
            "否",
            "✓",
            "优秀",
            "较好",
            "称职",
            "县区",
            "county",
            "3",
            "-1",
            "1e400",
            "#N/A",
            "#LXBZ! x",
            "total",
            "tier",
            "member",
            "第7项",
            "张三",
        ]
    ),
)
CELLS = st.one_of(ATOMS, st.lists(st.lists(ATOMS, min_size=1, max_size=6), min_size=1, max_size=4))
RUBRICS = st.one_of(st.sampled_from([*builtin_ids(), "学习型领导班子", "领导班子年度考核"]), ATOMS)


def _arity(func: Any) -> tuple[int, int | None]:
    """(required, maximum) positional arguments after the first, as Excel enforces them."""
    params = list(inspect.signature(func).parameters.values())[1:]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    fixed = [p for p in params if p.kind is not p.VAR_POSITIONAL]
    required = sum(1 for p in fixed if p.default is p.empty)
    return required, None if varargs else len(fixed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(func=st.sampled_from(FUNCTIONS), rubric=RUBRICS, rest=st.lists(CELLS, max_size=16))
def test_junk_never_breaks_a_cell(func: Any, rubric: Any, rest: list[Any]) -> None:
    required, most = _arity(func)
    rest = (rest + [None] * required)[: max(required, len(rest)) if most is None else most]
    got = func(rubric, *rest)
    assert isinstance(got, int | float | str) and not isinstance(got, bool)
    if isinstance(got, str) and got.startswith("#"):
        assert got.startswith("#LXBZ! ") and "内部错误" not in got, got
        assert "Traceback" not in got and len(got) < 300


@pytest.mark.parametrize("rid", builtin_ids())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_junk_in_one_argument_of_a_real_form(rid: str, data: st.DataObject) -> None:
    """A filled form with one argument replaced by junk: a value or an #LXBZ! message, never a crash."""
    defn = load_rubric(rid)
    args = data.draw(unit_args(defn, data.draw(cases(defn)), 80.0))
    if args:
        args[data.draw(st.integers(0, len(args) - 1))] = data.draw(CELLS)
    calls = [LXBZ_TIER(rid, *args), LXBZ_VALUE(rid, "total", *args), LXBZ_FLAGS(rid, *args)]
    if defn.members is not None and isinstance(args[-1], list) and args[-1] and isinstance(args[-1][0], list):
        calls.append(LXBZ_MEMBER(rid, "total", [args[-1][0]], *args))
    for got in calls:
        assert isinstance(got, int | float | str)
        if isinstance(got, str) and got.startswith("#"):
            assert got.startswith("#LXBZ! ") and "内部错误" not in got, got
