"""The 班子成员明细 roster: per-member facts from which clause counts are derived.

RUBRICS.md §1 asks templates to accept either typed counts or a roster. Which roster column feeds which
clause is form knowledge, not scoring logic, so it lives here keyed by rubric id; thresholds are read
from the rubric's parameters (`$member_annual_hours`…), so an edited rubric moves the cut points.
The same rules drive the sheet formulas (form.py) and the Python derivation (`derive_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.exact import exact
from lxbz_xl.inputs import parse_bool_or_none


@dataclass(frozen=True)
class RosterColumn:
    key: str
    label: str
    type: str  # bool | number | count | text
    width: float = 9


# A row counts toward a clause when it has a name, passes `who`, and any test holds.
# Tests: ("no", col) cell is 否; ("yes", col) cell is 是; ("below", col, bound) a number was entered and is
# below the bound ("$param" or a literal). Blank cells never count: an unknown fact is not a failure.
@dataclass(frozen=True)
class Derived:
    item: int
    field: str
    tests: tuple[tuple[str, ...], ...]
    who: str = "all"  # all | principal | other  (the 主要领导 column)
    label: str = ""


@dataclass(frozen=True)
class Roster:
    sheet: str
    rows: int
    columns: tuple[RosterColumn, ...]
    count_field: tuple[int, str]  # the clause input that is the number of named rows (班子成员人数)
    derived: tuple[Derived, ...]
    principal: str = "principal"


_LEARNING_TEAM = Roster(
    sheet="班子成员明细",
    rows=30,
    columns=(
        RosterColumn("name", "姓名", "text", 10),
        RosterColumn("principal", "主要领导", "bool", 6),
        RosterColumn("has_plan", "有个人学习计划", "bool", 8),
        RosterColumn("notes_complete", "学习笔记和记录齐全", "bool", 9),
        RosterColumn("daily_study", "日学1小时达标", "bool", 8),
        RosterColumn("weekly_lecture", "周听一堂课达标", "bool", 8),
        RosterColumn("monthly_book", "月读一本书达标", "bool", 8),
        RosterColumn("quarterly_notes_chars", "每季度读书笔记最少字数", "number", 10),
        RosterColumn("articles", "理论文章篇数", "count", 7),
        RosterColumn("research_days", "基层调研天数", "number", 7),
        RosterColumn("research_reports", "调研报告篇数", "count", 7),
        RosterColumn("lectured", "进党校或培训班讲课", "bool", 8),
        RosterColumn("assigned_training_done", "完成上级抽调培训任务", "bool", 9),
        RosterColumn("annual_hours", "本年度学时", "number", 8),
        RosterColumn("cycle_hours", "5年累计学时(轮训期满时填)", "number", 10),
        RosterColumn("computer_skill", "掌握计算机技能", "bool", 8),
    ),
    count_field=(7, "members"),
    derived=(
        Derived(1, "members_without_plan", (("no", "has_plan"),), label="无个人计划"),
        Derived(2, "missing_note_person_times", (("no", "notes_complete"),), label="笔记记录不全"),
        Derived(5, "members_failing_daily_study", (("no", "daily_study"),), label="日学不达标"),
        Derived(5, "members_failing_weekly_lecture", (("no", "weekly_lecture"),), label="周听课不达标"),
        Derived(5, "members_failing_monthly_book", (("no", "monthly_book"),), label="月读书不达标"),
        Derived(
            5,
            "members_failing_quarterly_notes",
            (("below", "quarterly_notes_chars", "$notes_chars"),),
            label="笔记字数不足",
        ),
        Derived(5, "members_failing_articles", (("below", "articles", "1"),), label="无理论文章"),
        Derived(
            6,
            "principals_failing",
            (("below", "research_days", "$research_days"), ("below", "research_reports", "1")),
            who="principal",
            label="主要领导调研不达标",
        ),
        Derived(
            6,
            "others_failing",
            (("below", "research_days", "$research_days"), ("below", "research_reports", "1")),
            who="other",
            label="其他成员调研不达标",
        ),
        Derived(7, "members_lectured", (("yes", "lectured"),), label="讲课"),
        Derived(
            8, "members_missing_assigned_training", (("no", "assigned_training_done"),), label="未完成抽调"
        ),
        Derived(
            8,
            "members_short_of_hours",
            (
                ("below", "annual_hours", "$member_annual_hours"),
                ("below", "cycle_hours", "$member_cycle_hours"),
            ),
            label="学时不足",
        ),
        Derived(10, "members_without_computer_skill", (("no", "computer_skill"),), label="不掌握计算机"),
    ),
)

ROSTERS: dict[str, Roster] = {"learning_team": _LEARNING_TEAM}


def roster_for(defn: RubricDefinition) -> Roster | None:
    roster = ROSTERS.get(defn.id)
    if roster is None:
        return None
    # An edited copy that dropped a clause the roster feeds gets no roster rather than a broken one.
    fields = {(i.id, s.path) for i in defn.items for s in i.inputs()}
    needed = {(d.item, d.field) for d in roster.derived} | {roster.count_field}
    params = {t[2][1:] for d in roster.derived for t in d.tests if len(t) > 2 and t[2].startswith("$")}
    if not needed <= fields or not params <= set(defn.parameters):
        return None
    return roster


def bound(defn: RubricDefinition, text: str) -> Fraction:
    return Fraction(defn.parameters[text[1:]].value) if text.startswith("$") else Fraction(text)


def _number(value: Any) -> Fraction | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return exact(value)
    except (TypeError, ValueError, ArithmeticError):
        return None


def _holds(defn: RubricDefinition, test: tuple[str, ...], row: dict[str, Any]) -> bool:
    kind, col = test[0], test[1]
    if kind == "no":
        return parse_bool_or_none(row.get(col)) is False
    if kind == "yes":
        return parse_bool_or_none(row.get(col)) is True
    number = _number(row.get(col))
    return number is not None and number < bound(defn, test[2])


def named_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r.get("name") not in (None, "")]


def derive_counts(
    defn: RubricDefinition, roster: Roster, rows: list[dict[str, Any]]
) -> dict[tuple[int, str], int]:
    """Clause counts from roster rows (only rows with a name count), mirroring the sheet formulas."""
    named = named_rows(rows)
    out: dict[tuple[int, str], int] = {roster.count_field: len(named)}
    for d in roster.derived:
        n = 0
        for row in named:
            principal = parse_bool_or_none(row.get(roster.principal)) is True
            if (d.who == "principal" and not principal) or (d.who == "other" and principal):
                continue
            if any(_holds(defn, t, row) for t in d.tests):
                n += 1
        out[(d.item, d.field)] = n
    return out
