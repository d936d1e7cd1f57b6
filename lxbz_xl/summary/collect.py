"""From validation reports to the records a summary uses: one per unit, rubric and year, never guessed.

A unit that sent two files for the same rubric and year gets one record when both say the same thing
(a copy, e.g. both template variants), and none when they differ: which one is right is for a person to
decide, so both are listed as a conflict. Invalid files are listed with the validator's findings.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from lxbz_xl.summary.model import Problem, Submission, file_name
from lxbz_xl.validation.model import WorkbookReport

SHOWN_FINDINGS = 3


def submission_of(report: WorkbookReport) -> Submission:
    problems = [
        f"{f.where + ':' if f.where else ''}{f.message}" for f in report.findings if f.severity != "info"
    ]
    if len(problems) > SHOWN_FINDINGS:
        problems = [*problems[:SHOWN_FINDINGS], f"等共{len(problems)}条问题"]
    return Submission(
        path=report.path,
        sha256=report.sha256,
        status=report.status,
        rubric=report.rubric,
        version=report.version,
        variant=report.variant,
        unit=report.unit,
        year=report.year,
        problems=problems,
        case=report.case,
        shown=report.shown,
    )


def _canonical(case: dict[str, Any] | None) -> str:
    return json.dumps(case, ensure_ascii=False, sort_keys=True, default=str)


def name_key(name: str) -> str:
    """Two spellings of one unit name match when they differ only in width or spacing (（ vs (, 　 vs ' ')."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def unify_names(submissions: list[Submission]) -> list[Problem]:
    """Spell each unit one way (its most frequent spelling) so the chain finds its records; list the rest."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for s in submissions:
        if s.unit:
            spellings[name_key(s.unit)][s.unit] += 1
    problems = []
    for variants in spellings.values():
        if len(variants) < 2:
            continue
        # The most frequent; on a tie the one without stray spaces, then with full-width punctuation (（）),
        # as Chinese documents write names.
        canonical = min(
            variants, key=lambda v: (-variants[v], v != v.strip(), -sum(ord(c) > 127 for c in v), v)
        )
        others = [s for s in submissions if s.unit in variants and s.unit != canonical]
        for s in others:
            s.unit = canonical
            case = s.case
            if case is not None:
                s.case = {**case, "unit": canonical}
        problems.append(
            Problem(
                "名称写法不一致",
                canonical,
                None,
                None,
                sorted(s.path for s in others),
                f"单位名称有{len(variants)}种写法({'、'.join(sorted(variants))}),已统一为“{canonical}”汇总;请报送单位统一名称",
            )
        )
    return problems


def choose(submissions: list[Submission]) -> list[Problem]:
    """Mark the submissions the summary uses (``used``); return what is duplicated, conflicting or invalid."""
    problems: list[Problem] = unify_names(submissions)
    groups: dict[tuple[str, str, int], list[Submission]] = defaultdict(list)
    for s in submissions:
        if s.status != "valid":
            problems.append(
                Problem(
                    "未通过校验", s.unit, s.year, s.rubric, [s.path], ";".join(s.problems) or "未通过校验"
                )
            )
        elif s.rubric is None or not s.has_case or not s.unit or s.year is None:
            problems.append(
                Problem(
                    "无法归属", s.unit, s.year, s.rubric, [s.path], "缺少考评细则、单位名称或年度,未计入汇总"
                )
            )
        else:
            groups[(s.rubric, s.unit, s.year)].append(s)
    for (rubric, unit, year), same in sorted(groups.items()):
        same.sort(key=lambda s: s.path)
        files = [s.path for s in same]
        if len(same) == 1:
            same[0].used = True
        elif len({_canonical(s.case) for s in same}) == 1:
            same[0].used = True
            problems.append(
                Problem(
                    "重复报送",
                    unit,
                    year,
                    rubric,
                    files,
                    f"{len(same)}份文件填报内容完全相同,只计一次(采用{file_name(files[0])})",
                )
            )
        else:
            problems.append(
                Problem(
                    "报送冲突",
                    unit,
                    year,
                    rubric,
                    files,
                    f"{len(same)}份文件填报内容不同,无法判断以哪份为准,均未计入汇总;请单位确认后只报送一份",
                )
            )
    return problems


def inputs_digest(submissions: Iterable[Submission]) -> str:
    """Identifies the batch: the same files (by name and content) give the same digest."""
    h = hashlib.sha256()
    for name, sha in sorted((file_name(s.path), s.sha256 or "") for s in submissions):
        h.update(f"{name}\0{sha}\n".encode())
    return h.hexdigest()
