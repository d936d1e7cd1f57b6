"""`lxbz rubrics show` says of every field what reading a case does: 必填 exactly when leaving the field out
is an error (unit, member and roster fields), 选填 otherwise (issue 12: member fields were shown as 选填)."""

from __future__ import annotations

import pytest

from lxbz_xl.cli import _field_line, main
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.loader import all_inputs, builtin_ids, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.inputs import read_fields


def _fields(defn: RubricDefinition) -> list[tuple[str, str, FieldSpec, list[FieldSpec]]]:
    """(where, shown path, spec, the spec list read together) for every field `rubrics show` lists."""
    out = [("unit", s.path, s, all_inputs(defn)) for s in all_inputs(defn)]
    if defn.members:
        specs = defn.members.inputs
        out += [("member", f"{defn.members.key}[].{s.path}", s, specs) for s in specs]
    if defn.roster:
        specs = defn.roster.columns
        out += [("roster", f"{defn.roster.key}[].{s.path}", s, specs) for s in specs]
    return out


def _missing_is_an_error(defn: RubricDefinition, spec: FieldSpec) -> bool:
    _, errors = read_fields(defn, [spec], {})
    return any(e.field == spec.path and "缺少" in e.message for e in errors)


@pytest.mark.parametrize("rid", builtin_ids())
def test_required_and_optional_labels_follow_what_reading_a_case_does(rid: str) -> None:
    defn = load_rubric(rid)
    for where, path, spec, _ in _fields(defn):
        shown = _field_line(defn, path, spec)[3]
        label = "必填" if _missing_is_an_error(defn, spec) else "选填"
        assert shown.endswith(f"({label})") or f"({label}," in shown, (where, path, shown)
        assert "True" not in shown and "False" not in shown  # a yes/no default reads 是/否


def test_every_kind_of_field_is_covered_by_the_built_ins() -> None:
    """The property above is not vacuous: required and optional unit, member and roster fields exist."""
    seen = set()
    for rid in builtin_ids():
        defn = load_rubric(rid)
        for where, _, spec, _ in _fields(defn):
            seen.add((where, _missing_is_an_error(defn, spec)))
    assert seen >= {(w, r) for w in ("unit", "member", "roster") for r in (True, False)}


def test_a_required_member_field_is_shown_as_required(capsys: pytest.CaptureFixture[str]) -> None:
    rid, defn = next((r, d) for r in builtin_ids() if (d := load_rubric(r)).members)
    assert defn.members is not None
    spec = next(s for s in defn.members.inputs if s.required is None)
    assert main(["rubrics", "show", rid]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if f"{defn.members.key}[].{spec.path}" in x)
    assert "(必填)" in line and "选填" not in line
