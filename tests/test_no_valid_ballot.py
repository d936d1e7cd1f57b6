"""No valid vote or ballot (RUBRICS.md §0, §6): both form variants show what `lxbz score` reports.

The core rejects such a case with an error naming the votes or ballots and why. A form shows that error,
word for word, as "#LXBZ! …" where it belongs (lxbz_xl/workbook/shown_errors.py): a unit-level error in
every unit cell and member row, a member's own error on its row only, the unit's results standing beside
it. The UDF variant is recalculated by pycel with the LXBZ_* functions, the native variant by LibreOffice
(built-in formulas only); both are compared with the core's Result and with the cached-value model the
validator recomputes (cached_values.expected_outputs), cell for cell.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lxbz_xl import evaluate, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.result import Result
from lxbz_xl.workbook.build import DEFAULT_DIR, cached_for, template_name
from lxbz_xl.workbook.cached_values import _num
from lxbz_xl.workbook.cases import cells_from_case
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.layout import formulas_for, same_value
from lxbz_xl.workbook.shown_errors import MAX_MESSAGE, NO_VALID_VOTES, SHARE_LABEL, error_text

Key = tuple[str, str]

# ---------------------------------------------------------------- cases


def _cadres(n: int) -> list[dict[str, Any]]:
    names = ["刘书记", "陈乡长", "孙副乡长", "周副乡长", "吴委员"][:n]
    return [
        {
            "name": x,
            "target_score": 60 - i,
            "leader_review": 90,
            "social_review": 88,
            "leader_scores": [80 + i],
        }
        for i, x in enumerate(names)
    ]


def _layered(ballots: list[dict[str, str]], n: int = 4) -> dict[str, Any]:
    return {"rubric": "layered", "unit": "东坡乡", "year": 2025, "ballots": ballots, "members": _cadres(n)}


TWO_GOOD = {"刘书记": "好", "陈乡长": "好", "孙副乡长": "一般", "周副乡长": "较好"}  # 2 好 of 4: at most 1

ANNUAL_TEAM = {
    "rubric": "annual_team",
    "unit": "红星县委",
    "year": 2025,
    "scope": "county",
    "team_votes": {"优秀": 0, "较好": 0, "一般": 0, "较差": 0},
    "principal_votes": {"优秀": 70, "称职": 25, "基本称职": 4, "不称职": 1},
    "findings": {"targets_good": True, "team_united": True},
}

PERFORMANCE = {
    "rubric": "performance",
    "unit": "青山市财政局",
    "year": 2025,
    "team": {"quantitative_parts": [88, 92, 90], "qualitative": 86},
    "satisfaction_share": 0.92,
    "members": [
        {
            "name": "王强",
            "truth_votes": {"真实": 0, "不完全真实": 0, "不真实": 0},
            "overall_votes": {"好": 30, "较好": 12, "一般": 6, "较差": 2},
            "qualitative": 88,
        },
        {
            "name": "赵敏",
            "truth_votes": {"真实": 45, "不完全真实": 5, "不真实": 0},
            "overall_votes": {"好": 35, "较好": 10, "一般": 5, "较差": 0},
            "qualitative": 91,
        },
    ],
}


def _annual_cadre() -> dict[str, Any]:
    case = yaml.safe_load(Path("examples/cases/annual_cadre_李明.yaml").read_text(encoding="utf-8"))
    case["votes"] = dict.fromkeys(case["votes"], 0)
    return dict(case)


CASES: dict[str, dict[str, Any]] = {
    # every ballot rates too many cadres 好: no ballot valid, 群众评价 of nobody can be computed
    "all_ballots_invalid": _layered([TWO_GOOD, {**TWO_GOOD, "周副乡长": "一般"}]),
    # the form's 60 ballots, all invalid: the message outgrows a cell and is cut as the functions cut it
    "sixty_invalid_ballots": _layered([TWO_GOOD] * 60),
    # valid ballots, none of them rating 陈乡长: his row says so, the others are scored
    "one_cadre_unrated": _layered(
        [{"刘书记": "较好", "孙副乡长": "一般", "周副乡长": "较好"}, {"刘书记": "好", "孙副乡长": "较好"}]
    ),
    # a vote table filled in with 0 in every tier: every ballot blank or invalid
    "team_votes_all_zero": ANNUAL_TEAM,
    # the same with the unit category left blank: the core names that first; the native form can't
    "team_votes_zero_scope_blank": {k: v for k, v in ANNUAL_TEAM.items() if k != "scope"},
    # one member's vote table all 0: his row shows it, the unit and the other member are scored
    "member_votes_all_zero": PERFORMANCE,
    # the same for the one vote table of a cadre's own assessment
    "cadre_votes_all_zero": _annual_cadre(),
}


# ---------------------------------------------------------------- what the core says


def _core(case: dict[str, Any]) -> tuple[RubricDefinition, Result]:
    defn = load_rubric(case["rubric"])
    return defn, evaluate(defn, case)


def _unit(defn: RubricDefinition, path: str) -> Key:
    spec = plan_for(defn).outputs[path].spec
    return (spec.sheet, spec.ref)


def _row(defn: RubricDefinition, r: int) -> dict[str, Key]:
    m = plan_for(defn).members
    assert m is not None
    return {key: (m.row_slots[r][key].spec.sheet, m.row_slots[r][key].spec.ref) for key, _l, _k in m.outputs}


def _value(outcome: Any, key: str) -> Any:
    if key == "total":
        return _num(outcome.total)
    if key == "tier":
        return outcome.tier
    name = key.split(".", 1)[1]
    return _num(next(v.value for v in outcome.values if v.name == name))


def _expected(name: str, variant: str) -> dict[Key, Any]:
    """The cells each case is about, from the core's Result alone (not from the cached-value model)."""
    case = CASES[name]
    defn, result = _core(case)
    assert not result.ok
    message = error_text(result.errors[0].message)
    out: dict[Key, Any] = {}
    if name in ("all_ballots_invalid", "sixty_invalid_ballots"):
        (error,) = result.errors
        assert error.field == "ballots" and "没有有效选票" in error.message
        out[_unit(defn, "values.invalid_ballots")] = message
        for r in range(len(case["members"])):
            out.update(dict.fromkeys(_row(defn, r).values(), message))
    elif name == "one_cadre_unrated":
        (error,) = result.errors
        assert error.field == "members.2.name"
        out[_unit(defn, "values.invalid_ballots")] = 0  # the unit's result stands
        for r, member in enumerate(case["members"]):
            row = _row(defn, r)
            if r == 1:
                out.update(dict.fromkeys(row.values(), message))
            else:
                core = next(m for m in result.members if m.name == member["name"])
                out.update({cell: _value(core, key) for key, cell in row.items()})
    elif name.startswith("team_votes"):
        if name == "team_votes_all_zero":
            (error,) = result.errors
            assert error.message == "领导班子民主测评" + NO_VALID_VOTES
            out[_unit(defn, "tier")] = out[_unit(defn, "base_tier")] = message
        else:  # the core names the blank category first: the UDF form says so, the native form can't
            assert result.errors[0].field == "scope" and result.errors[1].field == "team_votes"
            shown = message if variant == "udf" else ""
            out[_unit(defn, "tier")] = out[_unit(defn, "base_tier")] = shown
        # the share cells know their table only, in both variants
        for path in plan_for(defn).outputs:
            if path.startswith("shares.team_votes."):
                out[_unit(defn, path)] = error_text(SHARE_LABEL + NO_VALID_VOTES)
    elif name == "member_votes_all_zero":
        (error,) = result.errors
        assert error.field == "members.1.truth_votes"
        out[_unit(defn, "total")] = _num(result.total)  # the unit is scored without 王强
        out[_unit(defn, "tier")] = result.tier
        out.update(dict.fromkeys(_row(defn, 0).values(), message))
        out.update({cell: _value(result.members[0], key) for key, cell in _row(defn, 1).items()})
    elif name == "cadre_votes_all_zero":
        (error,) = result.errors
        assert error.message == "民主测评" + NO_VALID_VOTES
        out[_unit(defn, "tier")] = message
    else:
        raise AssertionError(name)
    return out


def _model(name: str, variant: str) -> tuple[dict[Key, Any], dict[Key, Any]]:
    """(cells of the case, every formula cell's value in the cached-value model)."""
    case = CASES[name]
    defn = load_rubric(case["rubric"])
    cells = cells_from_case(defn, case)
    model = cached_for(defn, variant, lambda s, r: cells.get((s, r)))
    formulas = formulas_for(defn, plan_for(defn).layout, variant)
    return cells, {k: model.get(k) for k in formulas}


def _differences(expected: dict[Key, Any], actual: Callable[[Key], Any]) -> list[str]:
    out = []
    for key, want in expected.items():
        got = actual(key)
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if not same_value(want, got):
            out.append(f"{key[0]}!{key[1]}: expected {want!r}, the form shows {got!r}")
    return out


# ---------------------------------------------------------------- the core's messages themselves


def test_the_cases_are_errors_of_the_core_naming_the_votes_or_ballots() -> None:
    for name, case in CASES.items():
        _defn, result = _core(case)
        assert result.errors, name
        assert any("有效" in e.message for e in result.errors), (name, result.errors)


def test_a_cut_message_ends_with_an_ellipsis_at_the_cell_limit() -> None:
    _defn, result = _core(CASES["sixty_invalid_ballots"])
    shown = error_text(result.errors[0].message)
    assert len(result.errors[0].message) > MAX_MESSAGE
    assert shown.endswith("…") and len(shown) == len("#LXBZ! ") + MAX_MESSAGE


# ---------------------------------------------------------------- UDF variant in pycel


@pytest.fixture(scope="module")
def pycel_forms() -> dict[str, Any]:
    pytest.importorskip("pycel")
    forms: dict[str, Any] = {}
    for case in CASES.values():
        rid = case["rubric"]
        if rid not in forms:
            forms[rid] = _pycel_form(load_rubric(rid))
    return forms


def _pycel_form(defn: RubricDefinition) -> Any:
    from lxbz_xl.workbook.proof import PycelForm

    return PycelForm(DEFAULT_DIR / template_name(defn.id, "udf"), defn)


@pytest.mark.parametrize("name", sorted(CASES))
def test_udf_form_shows_the_cores_error_where_it_belongs(name: str, pycel_forms: dict[str, Any]) -> None:
    cells, model = _model(name, "udf")
    shown = pycel_forms[CASES[name]["rubric"]].run(cells)
    assert not _differences(_expected(name, "udf"), shown.get)
    assert not _differences(model, shown.get)  # and the validator's model of the form agrees


# ---------------------------------------------------------------- native variant in LibreOffice


@pytest.fixture(scope="module")
def libreoffice_forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[Key, Any]]:
    from lxbz_xl.office import find_soffice, recalculate_many
    from lxbz_xl.workbook.cached_values import read_values
    from lxbz_xl.workbook.fill import fill_case

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) not found: bash scripts/install-system-deps.sh")
    work = tmp_path_factory.mktemp("no_valid_ballot")
    names = sorted(CASES)
    paths = []
    for name in names:
        case = CASES[name]
        defn = load_rubric(case["rubric"])
        template = DEFAULT_DIR / template_name(defn.id, "native")
        paths.append(fill_case(defn, case, work / "filled" / f"{name}.xlsx", "native", template))
    recalculated = recalculate_many(paths, work / "recalculated", 300)
    out = {}
    for name, path in zip(names, recalculated, strict=True):
        defn = load_rubric(CASES[name]["rubric"])
        out[name] = read_values(path, set(plan_for(defn).layout.sheets))
    return out


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", sorted(CASES))
def test_native_form_shows_the_cores_error_where_it_belongs(
    name: str, libreoffice_forms: dict[str, dict[Key, Any]]
) -> None:
    _cells, model = _model(name, "native")
    shown = libreoffice_forms[name]
    assert not _differences(_expected(name, "native"), shown.get)
    assert not _differences(model, shown.get)


# ---------------------------------------------------------------- generated cases, every cell


def _spoilt(defn: RubricDefinition, case: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A valid case with some vote tables set to 0 in every tier and, for ballots, random ballots of any
    validity (too many 好, cadres rated by no valid ballot)."""
    out = copy.deepcopy(case)
    for spec in defn.inputs:
        if spec.type == "votes" and rng.random() < 0.5:
            out[spec.path] = dict.fromkeys(spec.values, 0)
        if spec.type == "ballots":
            names = [m[defn.members.name_field] for m in out[defn.members.key]] if defn.members else []
            good = rng.choice([0.1, 0.9])  # mostly valid ballots, or mostly too many of the top tier

            top, rest = spec.values[0], spec.values[1:]
            out[spec.path] = [
                {
                    n: top if rng.random() < good else rng.choice(rest)
                    for n in rng.sample(names, rng.randint(1, len(names)))
                }
                for _ in range(rng.randint(1, 6))
            ]
    if defn.members is not None:
        for member in out.get(defn.members.key, []):
            for spec in defn.members.inputs:
                if spec.type == "votes" and rng.random() < 0.3:
                    member[spec.path] = dict.fromkeys(spec.values, 0)
    return out


def _generated() -> list[dict[str, Any]]:
    from lxbz_xl.workbook.samples import valid_cases

    rng = random.Random(20261202)
    out = []
    for rid in ("annual_cadre", "annual_team", "innovation", "layered", "performance", "water_saving"):
        defn = load_rubric(rid)
        out += [_spoilt(defn, case, rng) for case in valid_cases(defn, GENERATED, seed=7)]
    return out


GENERATED = 8  # cases per rubric


def _every_cell_mismatches(case: dict[str, Any], variant: str, shown: dict[Key, Any]) -> list[str]:
    defn = load_rubric(case["rubric"])
    cells = cells_from_case(defn, case)
    model = cached_for(defn, variant, lambda s, r: cells.get((s, r)))
    formulas = formulas_for(defn, plan_for(defn).layout, variant)
    return _differences({k: model.get(k) for k in formulas}, shown.get)


def test_generated_cases_udf_form_every_cell(pycel_forms: dict[str, Any]) -> None:
    bad = []
    for i, case in enumerate(_generated()):
        defn = load_rubric(case["rubric"])
        if defn.id not in pycel_forms:
            pycel_forms[defn.id] = _pycel_form(defn)
        shown = pycel_forms[defn.id].run(cells_from_case(defn, case))
        bad += [f"{defn.id} #{i}: {m}" for m in _every_cell_mismatches(case, "udf", shown)]
    assert not bad, "\n".join(bad[:20])


@pytest.mark.libreoffice
def test_generated_cases_native_form_every_cell(tmp_path: Path) -> None:
    from lxbz_xl.office import find_soffice, recalculate_many
    from lxbz_xl.workbook.cached_values import read_values
    from lxbz_xl.workbook.fill import fill_case

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) not found: bash scripts/install-system-deps.sh")
    cases = _generated()
    paths = []
    for i, case in enumerate(cases):
        defn = load_rubric(case["rubric"])
        template = DEFAULT_DIR / template_name(defn.id, "native")
        paths.append(fill_case(defn, case, tmp_path / "filled" / f"{defn.id}_{i}.xlsx", "native", template))
    bad = []
    for i, (case, path) in enumerate(zip(cases, recalculate_many(paths, tmp_path / "out", 600), strict=True)):
        defn = load_rubric(case["rubric"])
        shown = read_values(path, set(plan_for(defn).layout.sheets))
        bad += [f"{defn.id} #{i}: {m}" for m in _every_cell_mismatches(case, "native", shown)]
    assert not bad, "\n".join(bad[:20])


# ---------------------------------------------------------------- a mark under a column without a name


def _unnamed_mark_cells() -> tuple[RubricDefinition, dict[Key, Any]]:
    """Four cadres; ballot 1 rates two of them 好 (invalid), ballot 2 marks only the fifth column, whose
    member row has no name: it rates nobody, so no ballot is valid (cells.ballots drops it)."""
    defn = load_rubric("layered")
    cells = cells_from_case(defn, _layered([TWO_GOOD]))
    block = next(b for b in plan_for(defn).blocks if b.spec.type == "ballots")
    n = plan_for(defn).members.rows  # type: ignore[union-attr]
    slot = block.slots[1 * n + 4]  # ballot 2, column of member row 5
    cells[(slot.spec.sheet, slot.spec.ref)] = "较好"
    return defn, cells


def _unnamed_mark_expected(variant: str) -> tuple[dict[Key, Any], dict[Key, Any]]:
    from lxbz_xl.workbook.cases import case_from_cells

    defn, cells = _unnamed_mark_cells()
    case = case_from_cells(defn, plan_for(defn).layout, lambda s, r: cells.get((s, r)))
    result = evaluate(defn, {**case, "year": 2025})
    (error,) = result.errors
    assert error.field == "ballots" and "第1张选票" in error.message  # the core sees one ballot
    message = error_text(error.message)
    expected: dict[Key, Any] = {_unit(defn, "values.invalid_ballots"): message}
    # The ballot sheet's 有效票/作废票 columns say the same: ballot 1 invalid, ballot 2 no ballot at all.
    sheet, valid, invalid, first, _last = plan_for(defn).ballot_flags  # type: ignore[misc]
    expected.update({(sheet, f"{valid}{first}"): 0, (sheet, f"{invalid}{first}"): 1})
    expected.update({(sheet, f"{valid}{first + 1}"): 0, (sheet, f"{invalid}{first + 1}"): 0})
    for r in range(4):
        expected.update(dict.fromkeys(_row(defn, r).values(), message))
    model = cached_for(defn, variant, lambda s, r: cells.get((s, r)))
    formulas = formulas_for(defn, plan_for(defn).layout, variant)
    return expected, {k: model.get(k) for k in formulas}


def test_udf_form_a_mark_without_a_name_is_no_ballot(pycel_forms: dict[str, Any]) -> None:
    _defn, cells = _unnamed_mark_cells()
    expected, model = _unnamed_mark_expected("udf")
    shown = pycel_forms["layered"].run(cells)
    assert not _differences(expected, shown.get)
    assert not _differences(model, shown.get)


@pytest.mark.libreoffice
def test_native_form_a_mark_without_a_name_is_no_ballot(tmp_path: Path) -> None:
    from lxbz_xl.office import find_soffice, recalculate
    from lxbz_xl.workbook.cached_values import read_values, rewrite_package

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) not found: bash scripts/install-system-deps.sh")
    defn, cells = _unnamed_mark_cells()
    expected, model = _unnamed_mark_expected("native")
    filled = tmp_path / "filled" / "layered.xlsx"
    filled.parent.mkdir()
    rewrite_package(DEFAULT_DIR / template_name("layered", "native"), filled, model, cells)
    shown = read_values(recalculate(filled, tmp_path / "out"), set(plan_for(defn).layout.sheets))
    assert not _differences(expected, shown.get)
    assert not _differences(model, shown.get)
