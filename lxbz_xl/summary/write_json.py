"""The summary as JSON: the same content as the workbook, for other systems and for diffing two runs.

Stable: keys in a fixed order, lists in the summary's own order, numbers both rounded for display
(`total`) and exact (`total_exact`, a fraction string), so two runs over the same batch give the same
file except for `generated_at`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from lxbz_xl.cohort import BandingRecord, QuotaRecord, RankingRecord, ShareRecord, below_full
from lxbz_xl.exact import as_json_number
from lxbz_xl.result import MemberResult, Outcome
from lxbz_xl.summary.model import (
    ConsequenceRow,
    Entry,
    FlagRow,
    PersonRow,
    Problem,
    Ref,
    Submission,
    Summary,
    UnitRow,
)

__all__ = ["FORMAT", "summary_json", "write_summary_json"]

FORMAT = "lxbz-summary/1"
T = TypeVar("T")


def _num(value: Any) -> int | float | None:
    if value is None or isinstance(value, bool):
        return None
    return as_json_number(Fraction(value))


def _exact(value: Any) -> str | None:
    return None if value is None or isinstance(value, bool) else str(Fraction(value))


def _ref(ref: Ref | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"file": ref.file, "sheet": ref.sheet, "cell": ref.cell, "note": ref.note or None}


def _outcome(o: Outcome) -> dict[str, Any]:
    """Total, tier and title of a unit, a cadre or a member, as the summary reports them."""
    return {
        "total": _num(o.total),
        "total_exact": _exact(o.total),
        "base_tier": o.base_tier,
        "tier": o.tier,
        "manual": o.manual,
        "title_name": o.title_name,
        "title": o.title,
        "provisional_on": list(o.provisional_on),
        "failed": list(o.failed),
        "adjustments": [
            {"kind": a.kind, "from": a.before, "to": a.after, "reason": a.reason} for a in o.adjustments
        ],
        "flags": list(o.flags),
        "awards": list(o.awards),
        "consequences": [{"kind": c.kind, "action": c.action, "reason": c.reason} for c in o.consequences],
    }


def _entry(e: Entry) -> dict[str, Any]:
    r = e.result
    return {
        **_outcome(r),
        "rank": r.rank,
        "band": r.band,
        "notes": list(r.notes),
        "standalone": {
            "total": _num(e.standalone.total),
            "tier": e.standalone.tier,
            "title": e.standalone.title,
        },
        "changed_by_batch": e.changed_by_batch,
        "version": e.defn.version,
        "file": e.submission.path,
        "sha256": e.submission.sha256,
        "sources": {k: _ref(e.refs.get(k)) for k in ("total", "tier", "base_tier", "title") if k in e.refs},
    }


def _row(row: UnitRow) -> dict[str, Any]:
    return {
        "unit": row.unit,
        "year": row.year,
        "rubrics": {rid: _entry(e) for rid, e in sorted(row.entries.items())},
        "party_org_title": row.party_org_title,
        "learning_title": row.learning_title,
        "learning_provisional": list(row.learning_provisional),
        "annual_base_tier": row.annual_base_tier,
        "annual_tier": row.annual_tier,
        "exceed_eligible": row.exceed_eligible,
        "reasons": list(row.reasons),
        "flags": list(row.flags),
        "missing": list(row.missing),
    }


def _person(p: PersonRow) -> dict[str, Any]:
    return {
        "unit": p.unit,
        "person": p.person,
        "rubric": p.rubric,
        "detail": p.detail,
        **_outcome(p.outcome),
        "member": isinstance(p.outcome, MemberResult),
        "source": _ref(p.ref),
    }


def _ranking(rec: RankingRecord) -> dict[str, Any]:
    return {
        "rubric": rec.rubric,
        "year": rec.year,
        "order": [
            {
                "rank": r.rank,
                "unit": r.unit,
                "total": _num(r.total),
                "total_exact": _exact(r.total),
                "below_full": below_full(r),
            }
            for r in rec.order
        ],
        "ties": list(rec.ties),
    }


def _banding(rec: BandingRecord) -> dict[str, Any]:
    return {
        "rubric": rec.rubric,
        "year": rec.year,
        "shares": {k: {"exact": str(v), "value": float(v)} for k, v in rec.shares.items()},
        "sizes": dict(rec.sizes),
        "pending_local": rec.pending_local,
        "ties": list(rec.ties),
        "group": rec.group,
        "order": [
            {
                "unit": r.unit,
                "secretary": r.inputs.get("secretary"),
                "total": _num(r.total),
                "total_exact": _exact(r.total),
                "by_rank": rec.by_rank.get(r.unit),
                "band": r.band,
                "demoted_because": [a.reason for a in r.adjustments if a.kind == "demote"],
            }
            for r in rec.order
        ],
    }


def _quota(rec: QuotaRecord) -> dict[str, Any]:
    return {
        "rubric": rec.rubric,
        "year": rec.year,
        "pool": rec.pool,
        "share": float(rec.share),
        "share_exact": str(rec.share),
        "base": rec.base,
        "quota": rec.quota,
        "eligible": rec.eligible,
        "requires_parent_in": rec.requires_parent_in,
        "excluded_by_parent": list(rec.excluded_by_parent),
        "excluded_by_team": list(rec.excluded_by_team),
        "pending": list(rec.pending),
        "open_seats": rec.open_seats,
        "candidates": [
            {
                "name": c.name,
                "unit": c.result.unit,
                "score": _num(c.score),
                "score_exact": _exact(c.score),
                "outcome": c.outcome,
            }
            for c in rec.candidates
        ],
    }


def _share(rec: ShareRecord) -> dict[str, Any]:
    share = rec.share
    return {
        "rubric": rec.rubric,
        "year": rec.year,
        "label": rec.label,
        "hits": list(rec.hits),
        "misses": list(rec.misses),
        "pending": list(rec.pending),
        "n": len(rec.hits) + len(rec.misses) + len(rec.pending),
        "share": None if share is None else float(share),
        "share_exact": _exact(share),
        "goal": None if rec.goal is None else float(rec.goal),
        "goal_exact": _exact(rec.goal),
        "goal_text": rec.goal_text,
        "met": None if rec.goal is None or share is None else share >= rec.goal,
    }


def _flag(f: FlagRow) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "unit": f.unit,
        "person": f.person,
        "detail": f.detail,
        "sources": [_ref(r) for r in f.refs],
    }


def _problem(p: Problem) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "unit": p.unit,
        "year": p.year,
        "rubric": p.rubric,
        "files": list(p.files),
        "detail": p.detail,
    }


def _submission(s: Submission) -> dict[str, Any]:
    return {
        "path": s.path,
        "sha256": s.sha256,
        "status": s.status,
        "rubric": s.rubric,
        "version": s.version,
        "variant": s.variant,
        "unit": s.unit,
        "year": s.year,
        "used": s.used,
        "problems": list(s.problems),
    }


class _Later(list[Any]):
    """A list the JSON encoder (pure Python, as with ``indent``) reads item by item as it writes: the
    per-file lists are made from records on disk while they are written, never held whole."""

    def __init__(self, n: int, items: Callable[[], Iterable[Any]]) -> None:
        super().__init__()
        self._n, self._items = n, items

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())


def _listed(items: Sequence[T], as_json: Callable[[T], Any], later: bool) -> list[Any]:
    if later:
        return _Later(len(items), lambda: (as_json(x) for x in items))
    return [as_json(x) for x in items]


def _consequence(c: ConsequenceRow) -> dict[str, Any]:
    return {
        "year": c.year,
        "unit": c.unit,
        "person": c.person,
        "rubric": c.rubric,
        "kind": c.kind,
        "kind_label": c.kind_label,
        "action": c.action,
        "reason": c.reason,
        "source": _ref(c.ref),
    }


def summary_json(summary: Summary, later: bool = False) -> dict[str, Any]:
    """The JSON document; with `later` its per-file lists are made while `json` writes them (only for
    the pure-Python encoder, i.e. with ``indent``)."""
    s = summary
    return {
        "format": FORMAT,
        "generated_at": s.generated_at,
        "inputs": list(s.inputs),
        "inputs_digest": s.inputs_digest,
        "years": s.years,
        "rubrics": {
            rid: {"version": d.version, "name": d.name, "short_name": d.short_name}
            for rid, d in sorted(s.definitions.items())
        },
        "counts": {
            "files": len(s.submissions),
            "valid": sum(1 for x in s.submissions if x.status == "valid"),
            "used": sum(1 for x in s.submissions if x.used),
            "problems": len(s.problems),
        },
        "rows": _listed(s.rows, _row, later),
        "persons": _listed(s.persons, _person, later),
        "rankings": [_ranking(r) for r in s.cohort.rankings],
        "bandings": [_banding(b) for b in s.cohort.bandings],
        "quotas": [_quota(q) for q in s.cohort.quotas],
        "shares": [_share(x) for x in s.cohort.shares],
        "award_years": [
            {
                "rubric": a.rubric,
                "year": a.year,
                "award_year": a.award_year,
                "every": a.every,
                "base_year": a.base_year,
                "pending_local": a.pending_local,
                "text": a.text,
            }
            for a in s.cohort.award_years
        ],
        "flags": _listed(s.flags, _flag, later),
        "consequences": _listed(s.consequences, _consequence, later),
        "problems": _listed(s.problems, _problem, later),
        "submissions": _listed(s.submissions, _submission, later),
        "distributions": [
            {"rubric": d.rubric, "title": d.title, "counts": d.counts} for d in s.distributions()
        ],
        "histograms": [{"rubric": d.rubric, "title": d.title, "counts": d.counts} for d in s.histograms()],
        "cohort_summary": list(s.cohort.summary),
    }


def write_summary_json(summary: Summary, out: Path) -> Path:
    """Write `summary_json` to `out` atomically (UTF-8, not ASCII-escaped, indented), as it is encoded:
    the text of 10,000 submissions is never held whole (the bytes of ``json.dumps(…, indent=2)``)."""
    out = Path(out)
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for chunk in encoder.iterencode(summary_json(summary, later=True)):
                f.write(chunk)
            f.write("\n")
        os.replace(name, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
    return out
