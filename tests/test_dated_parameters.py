"""Rules over time (issue 12): a parameter with dated values (`values: {start date: value}`) applies the
value in force on 1 January of a case's year — in scores, explanations, bounds, texts, the forms built for
a year and the validation of a form by its own year's rules."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lxbz_xl.cli import main
from lxbz_xl.definition.loader import RUBRIC_DIR, DefinitionError, definition_from_mapping
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.definition.years import param_value
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.engine.reference import evaluate as reference
from lxbz_xl.workbook.build import build_template, template_name
from lxbz_xl.workbook.fill import fill_case

DATED = {"2010-01-01": 0.20, "2025-01-01": 0.50}
ITEM_7 = {7: {"members": 10, "members_lectured": 2}}  # required ceil(ratio × 10): 2 in 2024, 5 in 2025
SCORE_CELL = ("考评表", "H19")  # item 7's 得分 on the learning_team form
TEXT_CELL = ("考评表", "B19")  # item 7's 评分标准 content, with {lecture_ratio}


def _raw(values: Any = None, **param: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((RUBRIC_DIR / "learning_team.yaml").read_text(encoding="utf-8"))
    node = dict(data["parameters"]["lecture_ratio"])
    node.pop("value")
    node["values"] = DATED if values is None else values
    node.update(param)
    data["parameters"]["lecture_ratio"] = node
    return data


def _dated(values: Any = None, **param: Any) -> RubricDefinition:
    return definition_from_mapping(_raw(values, **param), "dated.yaml")


def _file(tmp: Path) -> Path:
    # Written as YAML with real date keys, as an author writes it (PyYAML loads them as dates).
    text = (RUBRIC_DIR / "learning_team.yaml").read_text(encoding="utf-8")
    dated = text.replace("    value: 0.20\n", "    values: {2010-01-01: 0.20, 2025-01-01: 0.50}\n", 1)
    assert dated != text
    path = tmp / "learning_team.yaml"
    path.write_text(dated, encoding="utf-8")
    return path


def _case(year: int | None) -> dict[str, Any]:
    return {"rubric": "learning_team", "unit": "甲", "year": year, "items": ITEM_7}


@pytest.mark.parametrize("run", [evaluate, reference], ids=["compiled", "reference"])
def test_done_when_item_7_by_year(run: Any) -> None:
    defn = _dated()
    scores = {}
    for year in (2024, 2025):
        result = run(defn, _case(year))
        assert result.ok, result.errors
        item = next(i for i in result.items if i.id == 7)
        scores[year] = item.score
    assert scores == {2024: 10, 2025: 7}
    late = run(defn, _case(2025))
    assert "50%" in " ".join(next(i for i in late.items if i.id == 7).explanations)


def test_year_before_first_date_is_an_input_error_naming_the_parameter() -> None:
    for run in (evaluate, reference):
        result = run(_dated(), _case(2009))
        assert not result.ok and result.errors[0].field == "year"
        assert "lecture_ratio" in result.errors[0].message and "2010-01-01" in result.errors[0].message
    with pytest.raises(ValueError, match="lecture_ratio"):
        param_value(_dated(), "lecture_ratio", 2009)


def test_value_in_force_on_first_january() -> None:
    defn = _dated({"2010-01-01": 0.2, "2024-07-01": 0.3, "2025-01-01": 0.5})
    # 2024-07-01 is not in force on 2024-01-01: 2024 keeps 0.2, 2025 takes the 2025 value.
    got = [str(param_value(defn, "lecture_ratio", y)) for y in (2010, 2024, 2025, 2040)]
    assert got == ["0.2", "0.2", "0.5", "0.5"]
    assert str(param_value(defn, "lecture_ratio", None)) == "0.5"  # no year: the latest value


def test_undated_rubric_is_its_own_view() -> None:
    defn = definition_from_mapping(
        yaml.safe_load((RUBRIC_DIR / "learning_team.yaml").read_text(encoding="utf-8")), "plain.yaml"
    )
    assert not defn.dated and defn.for_year(1990) is defn and defn.fixed(None) is defn


def test_dated_value_keeps_its_own_reference() -> None:
    own = {"seed": "000", "passage": "2025年起讲课比例提高到50%"}
    defn = _dated({"2010-01-01": 0.2, "2025-01-01": {"value": 0.5, "reference": own}})
    assert defn.for_year(2025).parameters["lecture_ratio"].reference.passage == own["passage"]
    assert (
        defn.for_year(2024).parameters["lecture_ratio"].reference
        == defn.parameters["lecture_ratio"].reference
    )


def test_derived_parameter_follows_the_year() -> None:
    raw = _raw()
    raw["parameters"]["lecture_double"] = {"derived": "$lecture_ratio * 2", "label": "两倍比例", "unit": "%"}
    raw["items"][6]["content"] += "({lecture_double})"
    defn = definition_from_mapping(raw, "dated.yaml")
    assert param_value(defn, "lecture_double", 2024) == Decimal("0.4")
    assert param_value(defn, "lecture_double", 2025) == Decimal(1)
    assert defn.parameters["lecture_double"].value == Decimal(1)  # latest


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"value": 0.2}, "value"),  # both value and values
        ({"values": {"2025-13-01": 0.5}}, "不是有效日期"),
        ({"values": {"今年": 0.5}}, "不是有效日期"),
        ({"values": {}}, "不能为空"),
        ({"values": [0.2, 0.5]}, "映射"),
        ({"values": {"2010-01-01": "很多"}}, "lecture_ratio"),
    ],
)
def test_bad_dated_values_fail_at_load_in_chinese(change: dict[str, Any], expected: str) -> None:
    raw = _raw()
    raw["parameters"]["lecture_ratio"].update(change)
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping(raw, "dated.yaml")
    text = str(info.value)
    assert "dated.yaml" in text and "parameters.lecture_ratio" in text and expected in text


def test_duplicate_start_dates_are_refused(tmp_path: Path) -> None:
    # A date key and the same date quoted are two YAML keys but one start date.
    path = _file(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "2025-01-01: 0.50}", "2025-01-01: 0.50, '2025-01-01': 0.4}"
    )
    path.write_text(text, encoding="utf-8")
    assert main(["rubrics", "check", str(path)]) == 2
    with pytest.raises(DefinitionError, match="2025-01-01 重复"):
        from lxbz_xl.definition.loader import load_definition

        load_definition(path)


def test_spec_case_year_selects_the_dated_value(tmp_path: Path) -> None:
    rubric = _file(tmp_path)
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        yaml.safe_dump(
            [
                {"name": f"{year}年", "input": _case(year), "expected": {"items": {7: {"score": score}}}}
                for year, score in ((2024, 10), (2025, 7))
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    assert main(["test", str(cases), "--rubric", str(rubric)]) == 0
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(cases.read_text(encoding="utf-8").replace("score: 7", "score: 10"), encoding="utf-8")
    assert main(["test", str(wrong), "--rubric", str(rubric)]) != 0


def test_rubrics_show_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = str(_file(tmp_path))
    assert main(["rubrics", "show", rubric, "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "2024" in out and "自2025-01-01起 50%" in out
    assert main(["rubrics", "show", rubric, "--year", "2009"]) == 2
    assert "lecture_ratio" in capsys.readouterr().out


def _meta(path: Path) -> dict[str, Any]:
    sheet = openpyxl.load_workbook(path)["_lxbz"]
    return {r[0].value: r[1].value for r in sheet.iter_rows(max_row=15) if r[0].value}


def test_forms_built_for_each_year_say_so(tmp_path: Path) -> None:
    rubric = _file(tmp_path)
    source = rubric.read_text(encoding="utf-8")
    defn = definition_from_mapping(yaml.safe_load(source), rubric.name)
    texts, scores = {}, {}
    for year in (2024, 2025, None):
        out = tmp_path / str(year)
        template = build_template(defn, out, "native", source, year)
        assert _meta(template)["year"] == (str(year) if year else "最新")
        texts[year] = openpyxl.load_workbook(template)[TEXT_CELL[0]][TEXT_CELL[1]].value
        filled = fill_case(defn.fixed(year), _case(2025), out / "filled.xlsx", "native", template)
        scores[year] = openpyxl.load_workbook(filled, data_only=True)[SCORE_CELL[0]][SCORE_CELL[1]].value
    assert "20%" in texts[2024] and "50%" in texts[2025] and texts[None] == texts[2025]
    assert scores == {2024: 10, 2025: 7, None: 7}
    with pytest.raises(ValueError, match="lecture_ratio"):
        build_template(defn, tmp_path / "old", "native", source, 2009)


def test_native_formulas_embed_the_year_values(tmp_path: Path) -> None:
    """LibreOffice recalculates the native forms of 2024 and 2025 filled with the same inputs."""
    from lxbz_xl.office.libreoffice import find_soffice, recalculate_many

    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    rubric = _file(tmp_path)
    source = rubric.read_text(encoding="utf-8")
    defn = definition_from_mapping(yaml.safe_load(source), rubric.name)
    filled = []
    for year in (2024, 2025):
        template = build_template(defn, tmp_path / f"t{year}", "native", source, year)
        filled.append(
            fill_case(defn.fixed(year), _case(2025), tmp_path / f"f{year}.xlsx", "native", template)
        )
    outs = recalculate_many(filled, tmp_path / "recalc")
    got = [openpyxl.load_workbook(p, data_only=True)[SCORE_CELL[0]][SCORE_CELL[1]].value for p in outs]
    assert got == [10, 7]


def test_fill_and_validate_by_the_form_year(tmp_path: Path) -> None:
    rubric = _file(tmp_path)
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        yaml.safe_dump([{**_case(2024), "unit": "甲"}, {**_case(2025), "unit": "乙"}], allow_unicode=True),
        encoding="utf-8",
    )
    out = tmp_path / "报送"
    assert main(["fill", str(cases), "--rubric", str(rubric), "--variant", "native", "--out", str(out)]) == 0
    forms = {p.name: p for p in out.glob("*.xlsx")}
    assert {_meta(p)["year"] for p in forms.values()} == {"2024", "2025"}
    report = tmp_path / "r.json"
    args = ["validate", str(out), "--rubric", str(rubric), "--json", str(report), "--jobs", "1"]
    assert main(args) == 0
    records = json.loads(report.read_text(encoding="utf-8"))["workbooks"]
    totals = {r["year"]: r["total"] for r in records}
    assert {int(k): float(v) for k, v in totals.items()} == {2024: 100, 2025: 97}
    # The 2024 form claiming the 2025 rules no longer matches them.
    form = next(p for p in forms.values() if "2024" in p.name)
    wb = openpyxl.load_workbook(form)
    meta = wb["_lxbz"]
    row = next(r for r in meta.iter_rows() if r[0].value == "year")
    row[1].value = "2009"
    bad = tmp_path / "bad" / form.name
    bad.parent.mkdir()
    wb.save(bad)
    assert main(["validate", str(bad), "--rubric", str(rubric), "--json", str(report), "--jobs", "1"]) != 0
    record = json.loads(report.read_text(encoding="utf-8"))["workbooks"][0]
    assert any(f["code"] == "unknown_year" for f in record["findings"])


def test_builtin_template_for_a_year_names_it_for_the_udfs(tmp_path: Path) -> None:
    from lxbz_xl.workbook.build import rubric_ref_for

    defn = _dated()
    assert rubric_ref_for(defn, None, 2024) == f"{defn.id}@{defn.version}:2024"
    assert rubric_ref_for(defn, None, None) == f"{defn.id}@{defn.version}:2025"  # latest start year
    assert template_name(defn.id, "native").endswith(".xlsx")


def test_udf_rubric_ref_with_year_applies_that_years_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from lxbz_xl.inputs import InputProblem
    from udfs import cache

    defn = _dated()
    monkeypatch.setattr(cache, "rubric", lambda ref: defn)
    for year, ratio in ((2024, "0.2"), (2025, "0.5")):
        view = cache._versioned(f"{defn.id}@{defn.version}:{year}")
        assert not view.dated and str(view.parameters["lecture_ratio"].value) == ratio
    with pytest.raises(InputProblem, match="lecture_ratio"):
        cache._versioned(f"{defn.id}@{defn.version}:2009")
    with pytest.raises(InputProblem, match="年度无效"):
        cache._versioned(f"{defn.id}@{defn.version}:20x4")


def test_cohort_shares_by_the_cohort_year() -> None:
    from lxbz_xl.case import Case
    from lxbz_xl.cohort import evaluate_cohort

    data = yaml.safe_load((RUBRIC_DIR / "party_secretary.yaml").read_text(encoding="utf-8"))
    node = data["parameters"]["good_share"]
    node.pop("value")
    node["values"] = {"2010-01-01": 0.30, "2025-01-01": 0.20}
    defn = definition_from_mapping(data, "party_secretary.yaml")
    cases = [
        Case.from_mapping(
            {
                "rubric": defn.id,
                "unit": f"{i}镇",
                "year": year,
                "report_marks": [99 - i],
                "field_score": 99 - i,
            }
        )
        for year in (2024, 2025)
        for i in range(10)
    ]
    out = evaluate_cohort(cases, lambda rid: defn)
    good = {b.year: b.sizes["好"] for b in out.bandings}
    assert good == {2024: 3, 2025: 2}


def test_each_years_score_ladder_is_checked_at_load() -> None:
    data = yaml.safe_load((RUBRIC_DIR / "performance.yaml").read_text(encoding="utf-8"))
    node = data["parameters"]["team_top"]
    good = data["parameters"]["team_good"]["value"]
    node["values"] = {"2010-01-01": node.pop("value"), "2025-01-01": good}  # 2025: 突出 no higher than 较好
    with pytest.raises(DefinitionError, match="2025年起"):
        definition_from_mapping(data, "performance.yaml")
    node["values"]["2025-01-01"] = good + 1
    assert definition_from_mapping(data, "performance.yaml").dated


def test_udf_form_built_from_a_file_for_a_year_applies_that_years_rules(tmp_path: Path) -> None:
    from udfs import cache

    rubric = _file(tmp_path)
    source = rubric.read_text(encoding="utf-8")
    defn = definition_from_mapping(yaml.safe_load(source), rubric.name)
    for year, ratio in ((2024, "0.2"), (2025, "0.5")):
        template = build_template(defn, tmp_path / str(year), "udf", source, year)
        sheet = openpyxl.load_workbook(template)["_lxbz"]
        text = [r[1].value for r in sheet.iter_rows() if r[0].value == "rubric_yaml"]
        assert yaml.safe_load("".join(text))["parameters"]["lecture_ratio"]["values"]  # the rubric as written
        view = cache.rubric(text)
        assert not view.dated and str(view.parameters["lecture_ratio"].value) == ratio


def test_validate_uses_the_year_cell_when_the_year_row_is_missing(tmp_path: Path) -> None:
    rubric = _file(tmp_path)
    source = rubric.read_text(encoding="utf-8")
    defn = definition_from_mapping(yaml.safe_load(source), rubric.name)
    template = build_template(defn, tmp_path / "t", "native", source, 2024)
    form = fill_case(defn.fixed(2024), _case(2024), tmp_path / "form.xlsx", "native", template)
    wb = openpyxl.load_workbook(form)
    for row in wb["_lxbz"].iter_rows():
        if row[0].value == "year":
            row[0].value = row[1].value = None
    out = tmp_path / "报送" / "form.xlsx"
    out.parent.mkdir()
    wb.save(out)
    report = tmp_path / "r.json"
    main(["validate", str(out), "--rubric", str(rubric), "--json", str(report), "--jobs", "1"])
    record = json.loads(report.read_text(encoding="utf-8"))["workbooks"][0]
    codes = {f["code"] for f in record["findings"]}
    # Judged by 2024's rules (the 年度 cell), the formulas match: no tampering reported.
    assert not any("formula" in c or "tamper" in c for c in codes), codes
    assert float(record["total"]) == 100


def test_case_without_year_is_an_input_error_not_the_latest_value() -> None:
    result = evaluate(_dated(), {k: v for k, v in _case(2025).items() if k != "year"})
    assert not result.ok and result.errors[0].field == "year" and "缺少年度" in result.errors[0].message


def test_every_item_points_cannot_be_dated() -> None:
    raw = _raw()
    node = raw["parameters"]["item_points"]
    node["values"] = {"2010-01-01": node.pop("value")}
    with pytest.raises(DefinitionError, match=r"parameters\.item_points"):
        definition_from_mapping(raw, "dated.yaml")


@settings(max_examples=40, deadline=None)
@given(
    steps=st.dictionaries(
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
        st.integers(min_value=1, max_value=99),
        min_size=1,
        max_size=5,
    ),
    year=st.integers(min_value=1999, max_value=2045),
)
def test_value_in_force_is_the_latest_start_on_or_before_first_january(
    steps: dict[Any, int], year: int
) -> None:
    values = {d.isoformat(): Decimal(v) / 100 for d, v in steps.items()}
    defn = _BASE.model_copy()
    param = defn.parameters["lecture_ratio"].model_validate(
        {"values": values, "label": "班子成员讲课比例", "unit": "%"}
    )
    defn = defn.model_copy(update={"parameters": {**defn.parameters, "lecture_ratio": param}})
    in_force = [v for d, v in sorted(steps.items()) if d <= dt.date(year, 1, 1)]
    if not in_force:
        with pytest.raises(ValueError, match="lecture_ratio"):
            param_value(defn, "lecture_ratio", year)
    else:
        assert param_value(defn, "lecture_ratio", year) == Decimal(in_force[-1]) / 100
    assert param.value == Decimal(steps[max(steps)]) / 100  # no year: the latest


_BASE = _dated()
_BASE.for_year(2024)  # views of the original are cached: a model_copy must not answer from them


def test_a_copy_with_other_values_does_not_reuse_the_original_year_views() -> None:
    original = _dated()
    assert param_value(original, "lecture_ratio", 2024) == Decimal("0.2")
    param = original.parameters["lecture_ratio"].model_validate(
        {"values": {"2010-01-01": 0.3}, "label": "班子成员讲课比例", "unit": "%"}
    )
    copy = original.model_copy(update={"parameters": {**original.parameters, "lecture_ratio": param}})
    assert param_value(copy, "lecture_ratio", 2024) == Decimal("0.3")
