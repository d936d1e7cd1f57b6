"""OpenFisca-style YAML test cases: input → expected output, runnable by domain experts.

    lxbz test tests/spec_cases/          # or through pytest (tests/test_spec_cases.py)

Each file is a list of cases. A case has `name`, `reference` (the RUBRICS.md passage it proves), and
either `input` (one case) with `expected`, or `inputs` (a batch, evaluated with the cohort step) with
`expected_by_unit` (each entry may narrow by `rubric` and `year`) and `summary_contains`. Numbers are
compared exactly; texts by substring; `display` compares the shown text of a value (82.5%);
`consequences` / `may_promote` check the §11 consequences of the final tier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from lxbz_xl.case import Case
from lxbz_xl.cohort import evaluate_cohort
from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.exact import exact
from lxbz_xl.result import Outcome, Result, show


@dataclass(frozen=True)
class SpecCase:
    file: str
    name: str
    body: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}::{self.name}"


def collect(paths: list[Path]) -> list[SpecCase]:
    files: list[Path] = []
    for p in paths:
        files += sorted(p.rglob("*.yaml")) if p.is_dir() else [p]
    out = []
    for f in files:
        for body in yaml.safe_load(f.read_text(encoding="utf-8")) or []:
            out.append(SpecCase(str(f), str(body.get("name", "?")), body))
    return out


def _same_number(actual: Fraction | None, expected: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return actual == exact(expected)


def _check_outcome(o: Outcome, exp: dict[str, Any], where: str) -> list[str]:
    bad: list[str] = []
    for key in ("tier", "base_tier", "title", "manual", "band", "rank"):
        if key in exp and getattr(o, key) != exp[key]:
            bad.append(f"{where}{key}: expected {exp[key]!r}, got {getattr(o, key)!r}")
    if "total" in exp and not _same_number(o.total, exp["total"]):
        bad.append(f"{where}total: expected {exp['total']}, got {o.total}")
    if "adjustments" in exp:
        kinds = [f"{a.kind}:{a.before}->{a.after}" for a in o.adjustments]
        if kinds != exp["adjustments"]:
            bad.append(f"{where}adjustments: expected {exp['adjustments']}, got {kinds}")
    for key in ("failed", "provisional_on", "flags", "notes", "awards"):
        for text in exp.get(key, []):
            if not any(text in s for s in getattr(o, "failed" if key == "failed" else key)):
                bad.append(f"{where}{key}: no entry contains {text!r} in {getattr(o, key)}")
    for key in ("failed", "flags", "notes", "awards"):  # `no_flags: [集中调训]`: no entry may contain these
        for text in exp.get(f"no_{key}", []):
            hits = [s for s in getattr(o, key) if text in s]
            if hits:
                bad.append(f"{where}no_{key}: {text!r} found in {hits}")
    shown = [f"{c.kind}:{c.action}:{c.reason}" for c in o.consequences]
    for text in exp.get("no_consequences", []):  # "kind:action:reason" substrings that must not appear
        if any(text in s for s in shown):
            bad.append(f"{where}no_consequences: {text!r} vs {shown}")
    for name, value in (exp.get("values") or {}).items():
        got = next((v.value for v in o.values if v.name == name), None)
        if not _same_number(got, value):
            bad.append(f"{where}values.{name}: expected {value}, got {got}")
    for name, text in (exp.get("display") or {}).items():  # what a report shows, e.g. 82.5%
        displayed = next((show(v.value, v.display) for v in o.values if v.name == name), None)
        if displayed != str(text):
            bad.append(f"{where}display.{name}: expected {text!r}, got {displayed!r}")
    bad += _check_consequences(o, exp, where)
    return bad


def _check_consequences(o: Outcome, exp: dict[str, Any], where: str) -> list[str]:
    """`consequences`: one entry per consequence, a kind (rectify, decide…) or words of its action.
    `may_promote`: true / false / null (RUBRICS.md §11)."""
    bad: list[str] = []
    if "may_promote" in exp and o.may_promote != exp["may_promote"]:
        bad.append(f"{where}may_promote: expected {exp['may_promote']!r}, got {o.may_promote!r}")
    if "consequences" in exp:
        got = [(c.kind, c.action, c.reason) for c in o.consequences]
        wanted = exp["consequences"] or []
        if len(wanted) != len(got):
            bad.append(f"{where}consequences: expected {len(wanted)} ({wanted}), got {got}")
        for entry in wanted:
            if not any(_is_consequence(entry, *c) for c in got):
                bad.append(f"{where}consequences: none is {entry!r}: {got}")
    return bad


def _is_consequence(entry: Any, kind: str, action: str, reason: str) -> bool:
    """An expected consequence: a kind, words of the action, {kind, action} (action by substring),
    or a substring of "kind:action:reason"."""
    if isinstance(entry, dict):
        return entry.get("kind", kind) == kind and str(entry.get("action", "")) in action
    return entry == kind or str(entry) in action or str(entry) in f"{kind}:{action}:{reason}"


def check_result(r: Result, exp: dict[str, Any]) -> list[str]:
    bad: list[str] = []
    errors = exp.get("errors")
    if errors is None and r.errors:
        return [f"unexpected input errors: {[e.message for e in r.errors]}"]
    for field_, text in (errors or {}).items():
        if not any(e.field == field_ and text in e.message for e in r.errors):
            bad.append(
                f"errors: no error on {field_} containing {text!r}; got {[(e.field, e.message) for e in r.errors]}"
            )
    bad += _check_outcome(r, exp, "")
    for item_id, item_exp in (exp.get("items") or {}).items():
        item = next((i for i in r.items if i.id == int(item_id)), None)
        if item is None:
            bad.append(f"items.{item_id}: missing")
            continue
        for key in ("score", "deduction"):
            if key in item_exp and not _same_number(getattr(item, key), item_exp[key]):
                bad.append(f"items.{item_id}.{key}: expected {item_exp[key]}, got {getattr(item, key)}")
        for text in item_exp.get("explanations", []):
            if not any(text in e for e in item.explanations):
                bad.append(f"items.{item_id}.explanations: none contains {text!r}: {item.explanations}")
    for name, m_exp in (exp.get("members") or {}).items():
        member = next((m for m in r.members if m.name == name), None)
        bad += (
            [f"members.{name}: missing"]
            if member is None
            else _check_outcome(member, m_exp, f"members.{name}.")
        )
    return bad


def run(case: SpecCase, load: Callable[[str], RubricDefinition] = load_rubric) -> list[str]:
    """Problems of one spec case; `load` resolves rubric references (a local file for `lxbz test --rubric`)."""
    body = case.body
    if "inputs" in body:
        batch = evaluate_cohort([Case.from_mapping(c, case.id) for c in body["inputs"]], load)
        bad = []
        for unit, exp in (body.get("expected_by_unit") or {}).items():
            matches = [
                r
                for r in batch.results
                if r.unit == unit
                and exp.get("rubric") in (None, r.rubric)
                and exp.get("year") in (None, r.year)
            ]
            if not matches:
                bad.append(f"{unit}: no result")
                continue
            bad += [
                f"{unit}: {b}"
                for b in check_result(
                    matches[0], {k: v for k, v in exp.items() if k not in ("rubric", "year")}
                )
            ]
        for text in body.get("summary_contains", []):
            if not any(text in s for s in batch.summary):
                bad.append(f"summary: none contains {text!r}: {batch.summary}")
        return bad
    raw = body["input"]
    result = evaluate(load(raw["rubric"]), Case.from_mapping(raw, case.id))
    return check_result(result, body.get("expected") or {})
