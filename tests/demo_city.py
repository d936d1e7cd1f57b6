"""The generator of the demo city 青山市 (lxbz_xl/demo/city.yaml): a developer's tool, like the tests.

`lxbz demo` reads the generated data, not this module, so no code of the package names a rubric.
Regenerate after changing a rubric or a scenario, and commit the file:

    .venv/bin/python -m tests.demo_city --write

tests/test_demo_population.py checks that the committed file is this generator's output (seed 2025)
and that the scenarios hold for other seeds too.

A realistic, deterministic population of cases across the ten rubrics (40 units). Every case is a
mapping shaped exactly like examples/cases/*.yaml (`rubric`, `unit`, `year`, then the rubric's inputs).
Ordinary units vary with the seed, but only within ranges that keep the outcome they were written for
(title, tier). The scenarios in SCENARIOS are hand-placed and do not depend on the seed. Together they
put each cross-unit rule of `lxbz_xl.cohort.evaluate_cohort` to work: the eligibility chain, the
优中选优 ranking, 好/中/差 banding and award quotas.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["COUNTIES", "DEPARTMENTS", "SCENARIOS", "SCHOOLS", "TOWNSHIPS", "population", "write"]

CITY_FILE = Path(__file__).resolve().parents[1] / "lxbz_xl" / "demo" / "city.yaml"

CaseMap = dict[str, Any]
Findings = dict[str, int]  # "item.field" → how many (persons, elements, quarters, …) the inspectors found

# ---------------------------------------------------------------- the city

COUNTIES = ["红星县委", "青峰县委", "白云县委", "金川县委", "龙泉县委", "石门县委", "清河县委", "松岭县委"]
DEPARTMENTS = [
    "青山市委组织部",
    "青山市发展和改革委员会",
    "青山市教育局",
    "青山市公安局",
    "青山市民政局",
    "青山市财政局",
    "青山市人力资源和社会保障局",
    "青山市自然资源局",
    "青山市住房和城乡建设局",
    "青山市交通运输局",
    "青山市水利局",
    "青山市农业农村局",
    "青山市商务局",
    "青山市卫生健康委员会",
    "青山市审计局",
    "青山市市场监督管理局",
]
TOWNSHIPS = [
    "东坡乡",
    "西岭镇",
    "南湖镇",
    "北山乡",
    "柳河镇",
    "桃源乡",
    "杏花镇",
    "石桥镇",
    "双河乡",
    "白沙镇",
]
SCHOOLS = ["青山一中", "青山二中", "青山三中", "青山四中", "青山实验小学", "青山职业中专"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "建国",
    "志强",
    "海燕",
    "丽华",
    "晓东",
    "文军",
    "秀英",
    "伟",
    "静",
    "敏",
    "磊",
    "洋",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "玉兰",
    "春梅",
    "立新",
    "红梅",
    "卫东",
    "建华",
    "德明",
    "国庆",
    "永红",
]

# Unit name → what the unit demonstrates in the batch (the tests assert each one through evaluate_cohort).
SCENARIOS: dict[str, str] = {
    # §1 chain, scenario 1: no 学习型党组织 title → no learning-team title → the annual 优秀 is capped.
    "青山市商务局": "学习型党组织考评88分未达标,学习型领导班子虽93分也无评选资格;年度考核初定优秀,封顶为较好",
    "石门县委": "学习型党组织考评85分未达标,学习型领导班子虽96分也无评选资格;年度考核初定优秀,封顶为较好",
    # scenario 2: an annual tier of 一般 bars the title although both learning totals pass.
    "青山市住房和城乡建设局": "学习型考评均在90分以上,但年度班子考核为一般,不能评为学习型领导班子",
    # scenario 3: learning_team total below 90.
    "松岭县委": "学习型领导班子考评84分,未达到90分,不能评为学习型领导班子",
    # scenario 4: a veto drops 优秀 to 较好; the title survives (the link reads the tier after vetoes).
    "金川县委": "人口与计划生育工作一票否决,年度考核由优秀降为较好;仍评为学习型领导班子",
    # scenario 5: equal totals — fewer items below full marks first, then unit name.
    "青山市民政局": "学习型领导班子94分,与青山市审计局同分;失分项只有2项,排在其前",
    "青山市审计局": "学习型领导班子94分,与青山市民政局同分;失分项有3项,单位名称虽在前仍排在其后",
    "白云县委": "学习型领导班子97分,与青峰县委同分且失分项同为2项,按单位名称排在其前",
    "青峰县委": "学习型领导班子97分,与白云县委同分且失分项同为2项,按单位名称排在其后;县委书记抓基层党建措施不力(考核主体:青山市委(县委书记)),年度班子考核由优秀降为较好",
    # performance: 达不到80% means below 0.80.
    "青山市交通运输局": "群众满意度76%,达不到80%,且在参加排序的单位中排名末位(评议结果靠后),两项限期整改触发条件同时成立",
    "青山市自然资源局": "群众满意度79.5%,达不到80%,限期整改",
    "青山市水利局": "群众满意度恰好80%,不属于达不到80%,不列入整改",
    # annual_cadre: disciplined → no tier is guessed.
    "吴刚(青山市住房和城乡建设局副局长)": "受纪律处分,年度考核档次需按现行文件认定",
    # study_credits: two consecutive years short → 集中调训; exactly at the bar is not short.
    "青山市委组织部": "学习学分:孙副处长连续两年不足18分,第三年集中调训;李科长本年恰为12分,不算未修满",
    "青山市卫生健康委员会": "学习学分:蒋副主任由科级提为处级,上年13分(科级应修12分)达标,本年15分不足,只不足一次,不调训",
    "龙泉县委": "学习学分:潘科员由处级转任科级,上年14分(处级应修18分)、本年11分(科级应修12分)均不足,第三年集中调训",
    "红星县委": "学习学分:王常委连续两年不足18分,第三年集中调训",
    "青山市公安局": "学习学分:刘科长连续两年不足12分,第三年集中调训",
    # party_secretary banding: 好 = top 30% of 10 = 3, 差 = bottom 10% = 1.
    "东坡乡": "书记联述联评联考92.5分,与石桥镇并列第3,处在“好”档分界处,均归入好",
    "石桥镇": "书记联述联评联考92.5分,与东坡乡并列第3,处在“好”档分界处,均归入好",
    "西岭镇": "书记联述联评联考94分居第2,但抓基层党建没有达到目标要求,由好顺延为中",
    "柳河镇": "书记联述联评联考77.5分,排名最后,列为差",
    # RUBRICS.md §8 rev. 2: each assessing body bands its own secretaries; a party-building finding caps the team.
    "东坡乡柳林村": "村党组织书记由东坡乡党委单独排序分档(4个村,好30%取整为1个);排第一的新河村不能评优,柳林村仍为中",
    "东坡乡新河村": "村党组织书记排名第一,但抓基层党建责任不到位,不能评为好,顺延为中",
    # RUBRICS.md §11 rev. 2: multi-year rules.
    "李明(红星县副县长)": "前两年考核均为优秀(本表填报),本年优秀:连续三年优秀,按有关规定晋升工资",
    # innovation quota: 5 teams rated 综合考核优秀 → quota floor(50% × 5) = 2; the cut falls inside a tie.
    "青山二中": "符合创新创业型班子标准,考核主体评分93分,与青山实验小学并列在名额分界处,未作取舍",
    "青山实验小学": "符合创新创业型班子标准,考核主体评分93分,与青山二中并列在名额分界处,未作取舍",
    "青山四中": "综合考核优秀(计入名额基数),但取得实效的创新性工作只有1项,不符合班子标准",
    # RUBRICS.md §9 rev. 2: who may be chosen.
    "青山职业中专": "非综合考评优秀且有越级上访、铺张浪费:班子不达标,其副职虽个人达标也不参加评选",
}

# ---------------------------------------------------------------- small helpers


def _at_least(n: int, pct: int) -> int:
    """The smallest count that is at least pct% of n (exact integer arithmetic)."""
    return -(-n * pct // 100)


def _names(rng: random.Random, titles: list[str]) -> list[str]:
    """Names as clerks write them on forms (王局长, 李副局长); surnames distinct within one unit."""
    return [s + t for s, t in zip(rng.sample(SURNAMES, len(titles)), titles, strict=True)]


def _full_names(rng: random.Random, n: int) -> list[str]:
    return [s + rng.choice(GIVEN) for s in rng.sample(SURNAMES, n)]


def _votes(
    rng: random.Random, labels: tuple[str, ...], n: int, first: tuple[int, int], top2: int
) -> dict[str, int]:
    """n ballots over four tiers: the first tier takes first[0]–first[1]% (rounded up), the first two at
    least top2%; the rest falls mostly on the third tier."""
    a = rng.randint(_at_least(n, first[0]), _at_least(n, first[1]))
    both = rng.randint(max(a, _at_least(n, top2)), n)
    last = rng.randint(0, min(n - both, 2))
    return {labels[0]: a, labels[1]: both - a, labels[2]: n - both - last, labels[3]: last}


def _spread(rng: random.Random, points: int, findings: dict[str, tuple[int, int]]) -> Findings:
    """Random findings worth exactly `points`; findings = key → (points each, most allowed)."""
    found: Findings = {}
    while points > 0:
        options = [k for k, (cost, most) in findings.items() if cost <= points and found.get(k, 0) < most]
        key = rng.choice(options)
        found[key] = found.get(key, 0) + 1
        points -= findings[key][0]
    return found


def _split(key: str) -> tuple[int, str]:
    item, name = key.split(".", 1)
    return int(item), name


# ---------------------------------------------------------------- 县处级 teams: the §1 chain


@dataclass(frozen=True)
class Team:
    """One 县处级 team and what it is written to show. Fixed findings make a scenario seed-independent."""

    unit: str
    annual: str  # annual_team base tier: 优秀 / 较好 / 一般
    party_org: Findings | None = None  # learning_party_org findings; None: random, total 91–100
    learning: Findings | None = None  # learning_team findings; None: random eligible total
    veto: bool = False

    @property
    def scope(self) -> str:
        return "county" if self.unit in COUNTIES else "city_dept"


# The hand-placed scenarios (see SCENARIOS for what each one shows).
SCENARIO_TEAMS = [
    # 1. lpo below 90 (6+4+2 = 12 and 1+6+3+3+2 = 15 points lost), learning_team ≥ 90, annual base 优秀.
    Team(
        "青山市商务局",
        "优秀",
        party_org={"2.missing_elements": 2, "3.missing_elements": 2, "9.members_short_of_hours": 2},
        learning={
            "1.members_without_plan": 2,
            "5.members_failing_articles": 2,
            "8.members_short_of_hours": 3,
        },
    ),
    Team(
        "石门县委",
        "优秀",
        party_org={
            "1.missing_plan_elements": 1,
            "3.missing_elements": 3,
            "6.leader_report_missing": 1,
            "7.person_times_failing": 3,
            "10.elements_missed": 1,
        },
        learning={"4.quarters_missed": 1, "9.section_cadres_short_of_hours": 3},
    ),
    # 2. both learning totals pass, annual 一般 (see _annual_team) → no learning-team title.
    Team(
        "青山市住房和城乡建设局",
        "一般",
        party_org={"4.members_failing": 4, "9.members_short_of_hours": 3},
        learning={
            "2.missing_note_person_times": 3,
            "5.members_failing_monthly_book": 2,
            "7.lecture_shortfall": 1,
            "10.members_without_computer_skill": 2,
        },
    ),
    # 3. learning_team 84: many small failures across the team.
    Team(
        "松岭县委",
        "较好",
        learning={
            "1.members_without_plan": 3,
            "5.members_failing_quarterly_notes": 2,
            "5.members_failing_articles": 2,
            "6.principals_failing": 1,
            "7.lecture_shortfall": 1,
            "8.members_short_of_hours": 3,
            "9.section_cadres_short_of_hours": 3,
        },
    ),
    # 4. 优秀 on the merits, dropped one step by the 人口与计划生育 veto.
    Team(
        "金川县委", "优秀", learning={"6.others_failing": 2, "9.section_cadres_short_of_hours": 3}, veto=True
    ),
    # 5a. both 94; 民政局 loses points on 2 items, 审计局 on 3 (and 审 sorts before 民 by name).
    Team(
        "青山市民政局",
        "优秀",
        learning={"8.members_missing_assigned_training": 2, "9.section_cadres_short_of_hours": 2},
    ),
    Team(
        "青山市审计局",
        "较好",
        learning={
            "1.missing_elements": 2,
            "5.members_failing_daily_study": 2,
            "10.members_without_computer_skill": 2,
        },
    ),
    # 5b. both 97 with 2 items below full: the unit name decides (白 before 青).
    Team("白云县委", "优秀", learning={"4.quarters_missed": 1, "6.others_failing": 2}),
    Team(
        "青峰县委", "优秀", learning={"2.missing_note_person_times": 2, "9.section_cadres_short_of_hours": 1}
    ),
]

# Totals an ordinary eligible team may get: 94 and 97 are kept for the tie pairs, so their order is
# decided by the tie rules alone.
ORDINARY_TOTALS = [90, 91, 92, 93, 95, 96, 98, 99, 100]

# learning_team findings a random team may have: key → (points each, most allowed). Pseudo keys: 3.elements_missed
# (of the 5 award elements), 4.quarters_missed (office meetings), 7.lecture_shortfall (persons short of 20%).
TEAM_FINDINGS: dict[str, tuple[int, int]] = {
    "1.missing_elements": (1, 1),
    "1.members_without_plan": (1, 2),
    "2.missing_elements": (1, 1),
    "2.missing_note_person_times": (1, 2),
    "3.elements_missed": (2, 1),
    "4.quarters_missed": (1, 2),
    "5.members_failing_daily_study": (1, 2),
    "5.members_failing_weekly_lecture": (1, 2),
    "5.members_failing_monthly_book": (1, 2),
    "5.members_failing_quarterly_notes": (1, 2),
    "5.members_failing_articles": (1, 2),
    "6.principals_failing": (2, 1),
    "6.others_failing": (1, 2),
    "7.lecture_shortfall": (1, 1),
    "8.members_missing_assigned_training": (2, 1),
    "8.members_short_of_hours": (1, 2),
    "9.section_cadres_short_of_hours": (1, 3),
    "10.members_without_computer_skill": (1, 1),
}
# learning_party_org likewise; pseudo keys 5.quarters_missed, 8.elements_missed (of the 2 other elements),
# 10.elements_missed (of the 5 award elements).
ORG_FINDINGS: dict[str, tuple[int, int]] = {
    "1.missing_plan_elements": (1, 1),
    "1.members_without_plan": (1, 3),
    "2.missing_elements": (3, 1),
    "3.missing_elements": (2, 2),
    "4.members_failing": (1, 3),
    "5.quarters_missed": (1, 2),
    "6.leader_report_missing": (3, 1),
    "6.other_failures": (1, 1),
    "7.person_times_failing": (1, 3),
    "8.elements_missed": (3, 1),
    "9.members_short_of_hours": (1, 3),
    "10.elements_missed": (2, 1),
}

# Person-level findings a 班子成员明细 row carries: key → (column, failing value; None: a number drawn below the
# bar, see _failing). Everything else (missing elements, meetings, 科级干部) stays a typed count even with a roster.
ROSTER_FAILS: dict[str, tuple[str, Any]] = {
    "1.members_without_plan": ("has_plan", False),
    "2.missing_note_person_times": ("notes_complete", False),
    "5.members_failing_daily_study": ("daily_study_ok", False),
    "5.members_failing_weekly_lecture": ("weekly_lecture_ok", False),
    "5.members_failing_monthly_book": ("monthly_book_ok", False),
    "5.members_failing_quarterly_notes": ("quarterly_notes_chars", None),
    "5.members_failing_articles": ("articles", 0),
    "6.principals_failing": ("research_days", None),
    "6.others_failing": ("research_days", None),
    "8.members_missing_assigned_training": ("assigned_training_missed", True),
    "8.members_short_of_hours": ("annual_hours", None),
    "10.members_without_computer_skill": ("has_computer_skill", False),
}
ROSTER_COLUMNS = [
    "name",
    "is_principal",
    "has_plan",
    "notes_complete",
    "daily_study_ok",
    "weekly_lecture_ok",
    "monthly_book_ok",
    "quarterly_notes_chars",
    "articles",
    "research_days",
    "research_reports",
    "lectured",
    "assigned_training_missed",
    "annual_hours",
    "cycle_hours",
    "has_computer_skill",
]
LECTURE_RATIO = (1, 5)  # learning_team parameter lecture_ratio (20%)


COUNTY_POSTS = [
    "书记",
    "县长",
    "副书记",
    "常务副县长",
    "组织部长",
    "宣传部长",
    "纪委书记",
    "政法委书记",
    "统战部长",
    "副县长",
    "武装部长",
]
HEADS = {
    "部": ("部长", "副部长"),
    "委员会": ("主任", "副主任"),
    "局": ("局长", "副局长"),
}  # by how the unit's name ends


def _titles(unit: str) -> tuple[list[str], int]:
    """班子 members' posts in order, and how many of the first are 主要领导 (县委书记和县长; a department's head)."""
    if unit in COUNTIES:
        return COUNTY_POSTS, 2
    head, deputy = next(v for k, v in HEADS.items() if unit.endswith(k))
    return [head, deputy, deputy, deputy, "纪检组长", deputy, "总工程师", "调研员"], 1


def _failing(rng: random.Random, key: str) -> tuple[str, Any]:
    """The roster column and a value that makes one person count toward the finding `key`."""
    column, value = ROSTER_FAILS[key]
    if column == "quarterly_notes_chars":
        return column, rng.randrange(3000, 4901, 100)  # below 5000字 a quarter
    if column == "research_days":
        return column, rng.randint(35, 58)  # below 60天
    if column == "annual_hours":
        return column, rng.randrange(80, 109, 2)  # below 110学时
    return column, value


def _roster(rng: random.Random, unit: str, size: int, lectured: int, found: Findings) -> list[CaseMap]:
    """One row per 班子成员 whose derived counts equal `found` (the built-in thresholds: 5000字, 60天, 110学时)."""
    posts, principals = _titles(unit)
    rows: list[CaseMap] = [
        {
            "name": name,
            "quarterly_notes_chars": rng.randrange(5000, 9001, 500),
            "articles": rng.randint(1, 3),
            "research_days": rng.randint(60, 90),
            "research_reports": rng.randint(1, 3),
            "annual_hours": rng.randrange(110, 171, 2),
        }
        for name in _names(rng, posts[:size])
    ]
    for row in rows[:principals]:
        row["is_principal"] = True
    for row in rng.sample(rows, lectured):
        row["lectured"] = True
    for row in rows:
        if rng.random() < 0.3:  # at the end of a 5-year cycle the cumulative hours are entered too
            row["cycle_hours"] = rng.randrange(560, 721, 10)
    pools = {"6.principals_failing": rows[:principals], "6.others_failing": rows[principals:]}
    for key, count in found.items():
        if key in ROSTER_FAILS:
            for row in rng.sample(pools.get(key, rows), count):
                column, value = _failing(rng, key)
                row[column] = value
    return [{c: row[c] for c in ROSTER_COLUMNS if c in row} for row in rows]


def _team_items(found: Findings, typed: set[str]) -> dict[int, dict[str, int]]:
    """Typed clause counts for the findings in `typed` (pseudo keys become the award inputs)."""
    items: dict[int, dict[str, int]] = {}
    for key in sorted(found, key=lambda k: _split(k)[0]):
        item, name = _split(key)
        if key not in typed:
            continue
        n = found[key]
        if name == "elements_missed":
            items.setdefault(item, {})["elements_met"] = 5 - n
        elif name == "quarters_missed":
            items.setdefault(item, {}).update(exchange_meeting_held=1, quarters_with_office_meeting=4 - n)
        else:
            items.setdefault(item, {})[name] = n
    return dict(sorted(items.items()))


def _learning_team(rng: random.Random, team: Team, year: int, with_roster: bool) -> CaseMap:
    """learning_team findings → counts, or a roster; `context` is left out for the cohort step to fill."""
    found = team.learning
    if found is None:
        found = _spread(rng, 100 - rng.choice(ORDINARY_TOTALS), TEAM_FINDINGS)
    size = rng.randint(9, 11) if team.scope == "county" else rng.randint(5, 8)
    required = math.ceil(size * LECTURE_RATIO[0] / LECTURE_RATIO[1])
    short = found.get("7.lecture_shortfall", 0)
    lectured = required - short if short else min(size, required + rng.randint(0, 1))
    case: CaseMap = {"rubric": "learning_team", "unit": team.unit, "year": year}
    person = set(ROSTER_FAILS) if with_roster else set()
    items = _team_items(found, set(found) - person - {"7.lecture_shortfall"})
    if with_roster:
        case["items"] = items
        case["roster"] = _roster(rng, team.unit, size, lectured, found)
    else:
        items[7] = {"members": size, "members_lectured": lectured}
        case["items"] = dict(sorted(items.items()))
    if not case["items"]:
        del case["items"]
    return case


def _party_org(rng: random.Random, team: Team, year: int) -> CaseMap:
    found = team.party_org if team.party_org is not None else _spread(rng, rng.randint(0, 9), ORG_FINDINGS)
    items: dict[int, dict[str, int]] = {}
    for key, n in sorted(found.items(), key=lambda kv: _split(kv[0])[0]):
        item, name = _split(key)
        if key == "5.quarters_missed":
            items[item] = {"exchange_meeting_held": 1, "quarters_with_office_meeting": 4 - n}
        elif key == "8.elements_missed":
            items[item] = {"has_long_term_mechanism": 1, "other_elements_met": 2 - n}
        elif key == "10.elements_missed":
            items[item] = {"elements_met": 5 - n}
        else:
            items.setdefault(item, {})[name] = n
    case: CaseMap = {"rubric": "learning_party_org", "unit": team.unit, "year": year}
    if items:
        case["items"] = items
    return case


TEAM_TIERS = ("优秀", "较好", "一般", "较差")
PRINCIPAL_TIERS = ("优秀", "称职", "基本称职", "不称职")


def _annual_team(rng: random.Random, team: Team, year: int) -> CaseMap:
    """Findings and votes that give the intended base tier; `learning_team_title` left for the cohort step."""
    n = rng.randint(80, 130) if team.scope == "county" else rng.randint(40, 90)
    if team.annual == "优秀":
        findings = {"targets_good": True, "team_united": True}
        team_votes = _votes(rng, TEAM_TIERS, n, (62, 85), 92)
        principal_votes = _votes(rng, PRINCIPAL_TIERS, n, (62, 88), 92)
    elif team.annual == "较好" and rng.random() < 0.5:  # good findings, votes short of 优秀 60%
        findings = {"targets_good": True, "team_united": True}
        team_votes = _votes(rng, TEAM_TIERS, n, (40, 55), 85)
        principal_votes = _votes(rng, PRINCIPAL_TIERS, n, (45, 55), 88)
    elif team.annual == "较好":  # good votes, but the targets were not outstanding
        findings = {"team_united": True}
        team_votes = _votes(rng, TEAM_TIERS, n, (55, 75), 88)
        principal_votes = _votes(rng, PRINCIPAL_TIERS, n, (55, 75), 90)
    else:  # 一般: two of the three 一般 conditions hold, plus 一般+较差 ≥ 30% (city_dept)
        findings = {"targets_mediocre": True, "team_has_problems": True}
        team_votes = {"优秀": 18, "较好": 32, "一般": 24, "较差": 6}
        principal_votes = {"优秀": 25, "称职": 40, "基本称职": 12, "不称职": 3}
    return {
        "rubric": "annual_team",
        "unit": team.unit,
        "year": year,
        "scope": team.scope,
        "team_votes": team_votes,
        "principal_votes": principal_votes,
        "findings": findings,
        "vetoes": {"veto_population": team.veto, "veto_public_security": False},
    }


def _teams(rng: random.Random) -> list[Team]:
    """All 24 teams in city order: the scenarios above, the rest ordinary (mostly 优秀, some 较好)."""
    fixed = {t.unit: t for t in SCENARIO_TEAMS}
    ordinary = [u for u in COUNTIES + DEPARTMENTS if u not in fixed]
    tiers = ["优秀"] * 9 + ["较好"] * (len(ordinary) - 9)
    rng.shuffle(tiers)
    plain = {u: Team(u, tier) for u, tier in zip(ordinary, tiers, strict=True)}
    return [fixed.get(u) or plain[u] for u in COUNTIES + DEPARTMENTS]


def _team_cases(rng: random.Random, year: int) -> list[CaseMap]:
    cases: list[CaseMap] = []
    for i, team in enumerate(_teams(rng)):
        cases.append(_party_org(rng, team, year))
        cases.append(_learning_team(rng, team, year, with_roster=i % 2 == 0))  # every other team: a roster
        cases.append(_annual_team(rng, team, year))
    return cases


# ---------------------------------------------------------------- 实绩考核 (6 市直部门)

# Satisfaction shares: two below 80% (flagged), one exactly 80% (not flagged), three comfortably above.
SATISFACTION = {
    "青山市财政局": None,
    "青山市教育局": None,
    "青山市发展和改革委员会": None,
    "青山市水利局": "80%",
    "青山市交通运输局": "76%",
    "青山市自然资源局": "79.5%",
    # With ten or eleven units ranked (the demo corrupts one file), the bottom 10% (评议结果靠后, 待本地确定) is
    # one unit: 交通运输局, also below 80%.
    "青山市民政局": None,
    "青山市市场监督管理局": None,
    "青山市审计局": None,
    "青山市商务局": None,
    "青山市农业农村局": None,
}
ADJUSTMENTS = [
    (2, "比较法:全市排位进位2名"),
    (1, "比较法:与上年相比进位1名"),
    (-1, "梳理法:少完成1项单项工作"),
    (-2, "梳理法:基本任务未全部完成"),
]


def _performance(rng: random.Random, unit: str, share: str | None, year: int) -> CaseMap:
    members = []
    for name in _full_names(rng, rng.randint(2, 3)):
        n = rng.randint(40, 60)
        partly, untrue = rng.randint(2, 8), rng.randint(0, 2)
        fair, poor = rng.randint(3, 10), rng.randint(0, 2)
        good = rng.randint(n // 2, n - fair - poor)
        members.append(
            {
                "name": name,
                "truth_votes": {"真实": n - partly - untrue, "不完全真实": partly, "不真实": untrue},
                "overall_votes": {"好": good, "较好": n - good - fair - poor, "一般": fair, "较差": poor},
                "qualitative": rng.randint(80, 95),
            }
        )
    case: CaseMap = {
        "rubric": "performance",
        "unit": unit,
        "year": year,
        "team": {"quantitative": rng.randint(78, 96), "qualitative": rng.randint(78, 94)},
    }
    picked = rng.sample(ADJUSTMENTS, rng.randint(0, 2))
    if picked:
        case["adjustments"] = [{"points": p, "reason": r} for p, r in picked]
    case["satisfaction_share"] = share or f"{rng.randint(84, 96)}%"
    case["members"] = members
    return case


# ---------------------------------------------------------------- 领导干部年度考核 (8 cadres)

# (unit as the example writes it: 姓名(单位职务), scope, intended result)
CADRES = [
    ("李明(红星县副县长)", "county", "优秀"),
    ("周建国(青峰县县长)", "county", "优秀"),
    ("陈静(青山市教育局局长)", "city_dept", "优秀"),
    ("王海(青山市财政局副局长)", "city_dept", "称职"),
    ("刘洋(白云县副县长)", "county", "称职"),
    ("赵磊(青山市水利局副局长)", "city_dept", "基本称职"),
    ("孙涛(龙泉县副县长)", "county", "基本称职"),
    ("吴刚(青山市住房和城乡建设局副局长)", "city_dept", "需按现行文件认定"),
]
ASPECTS = ("political_quality", "leadership", "work_style", "duty_performance", "integrity")


# Earlier tiers a cadre's form carries (RUBRICS.md §11): three years of 优秀 → 晋升工资; two are not enough.
PREVIOUS_TIERS: dict[str, dict[str, str]] = {
    "李明(红星县副县长)": {"last_year": "优秀", "year_before": "优秀"},
    "周建国(青峰县县长)": {"last_year": "优秀", "year_before": "称职"},
}


def _annual_cadre(rng: random.Random, unit: str, scope: str, result: str, year: int) -> CaseMap:
    n = rng.randint(60, 110)
    aspects = dict.fromkeys(ASPECTS, "excellent")
    extra: CaseMap = {}
    if result == "优秀":
        votes = _votes(rng, PRINCIPAL_TIERS, n, (62, 85), 92)
    elif result == "称职":  # one or two aspects only 一般; votes ordinary
        for a in rng.sample(ASPECTS, rng.randint(1, 2)):
            aspects[a] = "normal"
        votes = _votes(rng, PRINCIPAL_TIERS, n, (40, 58), 88)
    elif result == "基本称职":  # three weak aspects plus 基本称职+不称职 ≥ 30%: 4 of the 6 conditions
        for a in rng.sample(ASPECTS, 3):
            aspects[a] = "weak"
        low, bad = _at_least(n, rng.randint(32, 40)), rng.randint(1, 4)
        best = _at_least(n, rng.randint(12, 22))
        votes = {"优秀": best, "称职": n - best - low, "基本称职": low - bad, "不称职": bad}
    else:  # 受纪律处分: the rubric leaves the tier to the current regulations
        aspects["integrity"] = "normal"
        votes = _votes(rng, PRINCIPAL_TIERS, n, (30, 45), 80)
        extra["disciplined"] = True
    return (
        {
            "rubric": "annual_cadre",
            "unit": unit,
            "year": year,
            "scope": scope,
            "votes": votes,
            "aspects": aspects,
        }
        | extra
        | ({"previous_tiers": PREVIOUS_TIERS[unit]} if unit in PREVIOUS_TIERS else {})
    )


# ---------------------------------------------------------------- 学习学分 (5 units)

# Fixed rows are the scenarios (None: credits drawn above the bar for both years). Exactly three cadres are
# short two years running; 李科长 sits exactly on 12; the others short in one year only are not flagged.
CREDITS: dict[str, list[tuple[str, str, float | None, float | None]]] = {
    "青山市委组织部": [
        ("钱处长", "处级", None, None),
        ("孙副处长", "处级", 16, 15),
        ("李科长", "科级", 12, 9),
        ("周副科长", "科级", 10, 13),
    ],
    "青山市卫生健康委员会": [
        ("冯主任", "处级", None, None),
        ("蒋副主任", "处级", None, None),
        ("杜科长", "科级", None, None),
    ],
    "红星县委": [
        ("张副书记", "处级", None, None),
        ("王常委", "处级", 17, 16.5),
        ("赵科长", "科级", None, None),
        ("钟副科长", "科级", 11.5, None),
    ],
    "龙泉县委": [
        ("邓常委", "处级", None, 17),
        ("曹常委", "处级", None, None),
        ("彭科长", "科级", None, None),
        ("田副科长", "科级", None, None),
        ("潘科员", "科级", None, None),
    ],
    "青山市公安局": [
        ("袁局长", "处级", None, None),
        ("蔡副局长", "处级", None, None),
        ("刘科长", "科级", 10.5, 11),
    ],
}


# Last year's rank where it differs from this year's (RUBRICS.md §10 rev. 2), with fixed credits that show it.
PROMOTED: dict[tuple[str, str], tuple[str, float, float]] = {
    ("青山市卫生健康委员会", "蒋副主任"): ("科级", 15, 13),  # 科级→处级: short this year only
    ("龙泉县委", "潘科员"): ("处级", 11, 14),  # 处级→科级: short both years
}


def _study_credits(rng: random.Random, unit: str, year: int) -> CaseMap:
    def drawn(rank: str) -> float:  # strictly above the bar, in half credits
        bar = 18 if rank == "处级" else 12
        return bar + rng.randint(1, 16) / 2

    members: list[dict[str, Any]] = [
        {
            "name": name,
            "rank": rank,
            "credits": drawn(rank) if now is None else now,
            "previous_year_credits": drawn(rank) if before is None else before,
        }
        for name, rank, now, before in CREDITS[unit]
    ]
    for m in members:
        promoted = PROMOTED.get((unit, m["name"]))
        m["previous_rank"] = m["rank"] if promoted is None else promoted[0]
        if promoted is not None:
            m["credits"], m["previous_year_credits"] = promoted[1], promoted[2]
    return {"rubric": "study_credits", "unit": unit, "year": year, "members": members}


# ---------------------------------------------------------------- 书记联述联评联考 (10 乡镇)

# township → (secretary, mean of the 述职测评 marks, 实地考评). Totals (50/50): 南湖镇 95, 西岭镇 94 (党建未达标),
# 东坡乡 = 石桥镇 = 92.5 (the 3rd/4th tie at the 好 cut), 杏花镇 91, 桃源乡 89.5, 北山乡 88, 双河乡 86.5,
# 白沙镇 84, 柳河镇 77.5 (差).
SECRETARIES = {
    "南湖镇": ("杨文军", 95, 95),
    "西岭镇": ("马卫东", 95, 93),
    "东坡乡": ("刘志强", 95, 90),
    "石桥镇": ("许建华", 92, 93),
    "杏花镇": ("韩丽华", 91, 91),
    "桃源乡": ("高德明", 89, 90),
    "北山乡": ("谢国庆", 88, 88),
    "双河乡": ("唐晓东", 86, 87),
    "白沙镇": ("梁春梅", 84, 84),
    "柳河镇": ("程立新", 80, 75),
}
PARTY_BUILDING_FAILED = {"西岭镇"}
TOWNSHIP_BODY = "青山市委"  # ranks the township secretaries (考核主体)
# Village secretaries ranked by their township's Party committee, and county secretaries ranked by the city:
# unit → (secretary, 述职测评 mean, 实地考评, assessing body, finding or None).
OTHER_SECRETARIES: dict[str, tuple[str, int, int, str, str | None]] = {
    "东坡乡新河村": ("邱永福", 94, 94, "东坡乡党委", "responsibility_unfulfilled"),
    "东坡乡柳林村": ("江秀兰", 90, 92, "东坡乡党委", None),
    "东坡乡石门村": ("尹德胜", 86, 88, "东坡乡党委", None),
    "东坡乡上坪村": ("薛桂芳", 80, 82, "东坡乡党委", None),
    "青峰县委": ("萧建明", 95, 95, "青山市委(县委书记)", "measures_ineffective"),
    "红星县委": ("邵光辉", 96, 96, "青山市委(县委书记)", None),
    "龙泉县委": ("龚志远", 90, 90, "青山市委(县委书记)", None),
    "清河县委": ("覃永红", 88, 88, "青山市委(县委书记)", None),
}


def _marks(rng: random.Random, mean: int) -> list[int]:
    """Attendees' marks spread around `mean` in ± pairs, so their mean is exactly `mean`."""
    marks = [mean] * rng.randint(0, 1)
    for _ in range(rng.randint(4, 7)):
        d = rng.randint(1, 4)
        marks += [mean - d, mean + d]
    rng.shuffle(marks)
    return marks


def _party_secretary(rng: random.Random, town: str, year: int) -> CaseMap:
    secretary, mean, field_score = SECRETARIES[town]
    return {
        "rubric": "party_secretary",
        "unit": town,
        "year": year,
        "secretary": secretary,
        "report_marks": _marks(rng, mean),
        "field_score": field_score,
        "assessing_body": TOWNSHIP_BODY,
        "party_building_failed": town in PARTY_BUILDING_FAILED,
    }


def _other_secretary(seed: int, unit: str, year: int) -> CaseMap:
    """Drawn from their own stream, so the rest of the population does not shift."""
    secretary, mean, field_score, body, finding = OTHER_SECRETARIES[unit]
    case: CaseMap = {
        "rubric": "party_secretary",
        "unit": unit,
        "year": year,
        "secretary": secretary,
        "report_marks": _marks(random.Random(f"{seed}:{unit}"), mean),
        "field_score": field_score,
        "assessing_body": body,
    }
    return case | ({finding: True} if finding else {})


# ---------------------------------------------------------------- 创新创业型 (6 schools under 市教育局)


@dataclass(frozen=True)
class School:
    unit: str
    works: int  # innovative works with effect this year (standard: ≥2)
    score: int  # the assessing body's score
    comprehensive_excellent: bool = True
    extra: CaseMap = field(default_factory=dict)


# 5 schools rated 综合考核优秀 → quota floor(50% × 5) = 2; of the 4 that meet the standard, 一中 (96) is
# awarded and 二中/实验小学 (93) tie at the cut.
SCHOOL_FACTS = [
    School("青山一中", 3, 96),
    School("青山二中", 2, 93),
    School("青山三中", 2, 90),
    School("青山四中", 1, 95),
    School("青山实验小学", 2, 93),
    School(
        "青山职业中专",
        2,
        88,
        comprehensive_excellent=False,
        extra={"petition_or_accident": True, "extravagance": True},
    ),
]


def _school_cadre(rng: random.Random, name: str, position: str) -> CaseMap:
    return {
        "name": name,
        "position": position,
        "adopted_innovations": rng.randint(1, 3),
        "highlights": rng.randint(2, 4),
        "articles": rng.randint(1, 3),
        "commended_results": rng.randint(2, 4),
        "is_school_leader": True,
        "lessons_observed": rng.choice([26, 31, 32, 34, 36, 38, 40]),  # 26: short of the 30 a term
        "annual_excellent_rate": f"{rng.randint(88, 98)}%",
        "assessing_score": rng.randint(85, 96),
    }


# The rest of seed 001's team standard (RUBRICS.md §9 rev. 2), met unless a school's `extra` says otherwise.
TEAM_STANDARD: CaseMap = {
    "works_recognised": True,
    "targets_completed": True,
    "courses_complete": True,
    "major_events": 2,
    "no_objection": True,
}
# Each school's Party secretary is a second 正职 (12 正职 → quota 1). 青山二中's scores highest, but its team
# is tied at the team cut: the seat stays open (待定) until that tie is decided.
SECRETARY_SCORES = {"青山二中": 97}


def _innovation(rng: random.Random, school: School, year: int, seed: int = 0) -> CaseMap:
    voters = rng.randint(45, 80)
    good = rng.randint(_at_least(voters, 91), voters)  # 好班子率 ≥ 90%
    names = _names(rng, ["校长"] + ["副校长"] * rng.randint(1, 2))
    cadres = [_school_cadre(rng, nm, "正职" if i == 0 else "副职") for i, nm in enumerate(names)]
    own = random.Random(f"{seed}:{school.unit}")
    secretary = _school_cadre(own, _names(own, ["书记"])[0], "正职")
    secretary["assessing_score"] = SECRETARY_SCORES.get(school.unit, min(secretary["assessing_score"], 94))
    if school.unit in SECRETARY_SCORES:  # meets the personal standard whatever the seed
        secretary |= {"lessons_observed": 36, "annual_excellent_rate": "95%"}
    cadres.insert(1, secretary)
    if (
        not school.comprehensive_excellent
    ):  # a deputy who meets the personal standard, from a team that does not
        cadres[2] |= {"lessons_observed": 36, "annual_excellent_rate": "95%", "adopted_innovations": 2}
    return {
        "rubric": "innovation",
        "unit": school.unit,
        "year": year,
        "innovative_works": school.works,
        **TEAM_STANDARD,
        "inspections_all_top10": True,
        "team_votes": {"好": good, "较好": voters - good},
        "conduct_excellent": True,
        "comprehensive_excellent": school.comprehensive_excellent,
        "assessing_score": school.score,
        **school.extra,
        "cadres": cadres,
    }


# ---------------------------------------------------------------- 节水型 and 分层评价 (2 乡镇 each)


def _water_saving(rng: random.Random, town: str, chief: str, year: int) -> CaseMap:
    def pair(target: int) -> tuple[int, int]:  # most targets met, some only partly
        return (target if rng.random() < 0.6 else rng.randint(target * 3 // 4, target)), target

    s, w, m = pair(1000), pair(12), pair(1)
    a, e, u = pair(5000), pair(3), pair(2)
    items = {
        1: {"done": 1, "target": 1},
        2: {
            "structure_done": s[0],
            "structure_target": s[1],
            "wells_done": w[0],
            "wells_target": w[1],
            "mechanism_done": m[0],
            "mechanism_target": m[1],
        },
        3: {
            "agriculture_done": a[0],
            "agriculture_target": a[1],
            "ecology_done": e[0],
            "ecology_target": e[1],
            "urban_done": u[0],
            "urban_target": u[1],
        },
        4: {"done": rng.randint(2, 3), "target": 3},
        5: {"done": 6, "target": 6},
    }
    cadres = []
    for name in [chief, *_names(rng, ["副镇长"])]:
        n = rng.randint(40, 60)
        cadres.append(
            {
                "name": name,
                "work_performance": rng.randint(30, 38),
                "water_votes": _votes(rng, PRINCIPAL_TIERS, n, (50, 70), 90),
                "satisfaction_votes": _votes(rng, PRINCIPAL_TIERS, n, (50, 70), 90),
            }
        )
    return {
        "rubric": "water_saving",
        "unit": town,
        "year": year,
        "items": items,
        "self_building": rng.randint(15, 19),
        "work_performance": rng.randint(28, 33),
        "satisfaction": rng.randint(15, 19),
        "cadres": cadres,
    }


def _layered(rng: random.Random, town: str, cadres: list[str], year: int) -> CaseMap:
    """At most floor(30% × cadres) 好 per ballot; one or two ballots rate two cadres 好 and are invalid."""
    ballots: list[dict[str, str]] = []
    n = rng.randint(12, 18)
    invalid = set(rng.sample(range(n), rng.randint(1, 2)))
    for b in range(n):
        marks = {c: rng.choice(["较好", "较好", "一般"]) for c in cadres}
        for c in rng.sample(cadres[:3], 2 if b in invalid else rng.randint(0, 1)):  # 好 goes to the leaders
            marks[c] = "好"
        ballots.append(marks)
    members = []
    for i, name in enumerate(cadres):
        target = rng.randint(52, 64)
        review = min(100, rng.randint(25, 31) * 10 // 3)  # 综合评议 as two 100-point marks (RUBRICS.md §6)
        member: CaseMap = {
            "name": name,
            "target_score": target,
            "leader_review": review,
            "social_review": review - 3,
        }
        if rng.random() < 0.4:
            member["inspection_deduction"] = rng.randint(1, 4)
        if i < 2 and rng.random() < 0.5:
            member["award_points"] = rng.randint(1, 3)
        member["leader_scores"] = [rng.randint(76, 94) for _ in range(rng.randint(2, 4))]
        members.append(member)
    return {"rubric": "layered", "unit": town, "year": year, "ballots": ballots, "members": members}


# ---------------------------------------------------------------- the population


def population(year: int = 2025, seed: int = 2025) -> list[dict[str, Any]]:
    """Realistic, deterministic case mappings (same shape as examples/cases/*.yaml: rubric, unit, year, ...)
    for about 40 units of one city (青山市) across the ten rubrics."""
    rng = random.Random(seed)
    cases = _team_cases(rng, year)
    cases += [_performance(rng, unit, share, year) for unit, share in list(SATISFACTION.items())[:6]]
    cases += [  # four more units ranked on 满意度, drawn from their own stream (评议结果靠后 needs ten)
        _performance(random.Random(f"{seed}:{unit}"), unit, share, year)
        for unit, share in list(SATISFACTION.items())[6:]
    ]
    cases += [_annual_cadre(rng, unit, scope, result, year) for unit, scope, result in CADRES]
    cases += [_study_credits(rng, unit, year) for unit in CREDITS]
    cases += [_party_secretary(rng, town, year) for town in TOWNSHIPS]
    cases += [_innovation(rng, school, year, seed) for school in SCHOOL_FACTS]
    cases += [_other_secretary(seed, unit, year) for unit in OTHER_SECRETARIES]
    cases.append(_water_saving(rng, "柳河镇", "郑镇长", year))
    cases.append(_water_saving(rng, "石桥镇", "冯镇长", year))
    cases.append(_layered(rng, "东坡乡", ["刘书记", "陈乡长", "孙副乡长", "周副乡长"], year))
    cases.append(_layered(rng, "西岭镇", ["马书记", "黄镇长", "林副镇长", "何副镇长", "罗人大主席"], year))
    return [_complete(case) for case in cases]


def _complete(case: CaseMap) -> CaseMap:
    """Every item filled in, as a clerk fills the paper form: 0 where nothing was found, the full count on
    award items. (The core reads an absent item the same way, but a form shows no total until every item
    has its numbers, so the demo's workbooks would otherwise be submitted without totals.)"""
    from lxbz_xl.definition.loader import load_rubric
    from lxbz_xl.inputs import resolve_num

    defn = load_rubric(case["rubric"])
    if not defn.items:
        return case
    derived = set(defn.roster.derive) if defn.roster is not None and case.get("roster") else set()
    items = {int(k): dict(v) for k, v in (case.get("items") or {}).items()}
    for item in defn.items:
        for spec in item.inputs():
            path = f"items.{item.id}.{spec.path}"
            if path in derived or spec.path in items.get(item.id, {}):
                continue
            if item.mode == "award":
                value = (
                    1 if spec.type == "bool" or spec.max is None else int(resolve_num(defn, spec.max) or 0)
                )
            else:
                value = 0
            items.setdefault(item.id, {})[spec.path] = value
    return {**case, "items": dict(sorted(items.items()))}


def write(path: Path = CITY_FILE, seed: int = 2025) -> None:
    """The city as lxbz_xl.demo.population reads it: scenarios, then the cases of one year."""
    import yaml

    data = {
        "city": "青山市",
        "year": 2025,
        "seed": seed,
        "scenarios": SCENARIOS,
        "cases": population(2025, seed),
    }
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)
    path.write_text(HEADER + text, encoding="utf-8")


HEADER = """# 演示数据:青山市一年的报送(约40个单位,十种考评细则)。由 tests/demo_city.py 生成,请勿手工修改:
#   .venv/bin/python -m tests.demo_city --write
# scenarios:单位 → 该单位在演示中说明的规则;cases:每份报送的填报内容(与 examples/cases/*.yaml 格式相同)。
"""

if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.demo_city --write")
    write()
    print(CITY_FILE)
