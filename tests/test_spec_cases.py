"""Runs every YAML case in tests/spec_cases (the spec's worked examples) through the one evaluation path."""

from pathlib import Path

import pytest

from lxbz_xl.spec_cases import collect, run

CASES = collect([Path(__file__).parent / "spec_cases"])


def test_cases_were_found() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec_case(case) -> None:  # type: ignore[no-untyped-def]
    problems = run(case)
    assert not problems, f"{case.id} ({case.body.get('reference')}):\n" + "\n".join(problems)
