"""Cached values: what each formula cell shows, and writing those values into a saved .xlsx.

openpyxl cannot write a formula together with its value, so the saved package is rewritten: each formula
cell `<c r="H5" s="3"><f>…</f><v/></c>` gets `<v>…</v>` (with t="str"/"b" for text/booleans), and
input cells get their values. The rewrite is a single pass over each sheet's cell elements (no DOM), and
zip members are re-written with fixed timestamps so builds are byte-stable.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

from lxbz_xl.cells import read_inputs
from lxbz_xl.definition.loader import all_inputs
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.exprs import share
from lxbz_xl.engine.items import score_item
from lxbz_xl.inputs import read_fields
from lxbz_xl.result import Result
from lxbz_xl.workbook.cases import FormCells, blank, case_from_cells, member_names, reading, roster_rows
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.model import NO, YES, Layout, Plan, derived
from lxbz_xl.workbook.plan_ballots import ballot_rule
from lxbz_xl.workbook.roster import derive_counts, named_rows, row_hits
from lxbz_xl.workbook.shown_consequences import PREFIXES as CONSEQUENCE_OUTPUTS
from lxbz_xl.workbook.shown_consequences import shown as consequence_shown
from lxbz_xl.workbook.shown_errors import NO_VALID_VOTES, SHARE_LABEL, CellErrors, error_text
from lxbz_xl.workbook.unfilled import PATH as UNFILLED
from lxbz_xl.workbook.unfilled import note, unfilled_ids

SEP = "；"  # LXBZ_EXPLAIN joins an item's explanations with a full-width semicolon
PENDING = "待定"  # LXBZ_TITLE of a title that holds so far but misses an eligibility input
FIXED_DATE = (2025, 1, 1, 0, 0, 0)
FIXED_W3CDTF = "2025-01-01T00:00:00Z"


def _num(value: Fraction | int | None) -> Any:
    if value is None:
        return ""
    return value.numerator if value.denominator == 1 else float(value)


def expected_outputs(
    defn: RubricDefinition,
    layout: Layout,
    result: Result,
    variant: str = "udf",
    get: Callable[[str, str], Any] | None = None,
    case: dict[str, Any] | None = None,
) -> dict[tuple[str, str], Any]:
    """(sheet, ref) → value a correct workbook shows. Numbers are exact-as-float (compare with
    layout.same_value, i.e. within 1e-6); text as shown; titles 是/否; "" for nothing.

    `get(sheet, ref)` reads the input cells (a FormCells of the plan is used as it is, any other reader
    is read once per input cell): it tells which items are wholly blank (their cells show "") and which
    member rows hold members. Without it every item counts as filled and members fill the
    first rows. When the core reports input errors, each cell shows the error that belongs to it
    (shown_errors: the unit's first for unit-level cells; a member's own, else the unit's, on its row) as
    "#LXBZ! …" - in the native variant only the errors its formulas name (no valid vote or ballot), else
    ""; items whose own inputs are valid still show their scores. Evaluate `result` with
    a year even when the form has none: no formula reads the year. `case`: the case `get` gives
    (`case_from_cells`), when the caller has already read it (the validator), so it is not read again.
    """
    plan = plan_for(defn)
    out: dict[tuple[str, str], Any] = {}
    form = None if get is None else FormCells.of(plan, get)
    raw: dict[tuple[str, str], Any] = {} if form is None else form.raw
    cell = raw.get
    r = reading(plan)
    shows = _shows(plan)

    roster_named = False
    if plan.roster is not None:
        rows = form.roster_rows(typed=False) if form is not None else []
        counts = derive_counts(defn, plan.roster, rows)
        roster_named = bool(named_rows(rows, plan.roster.name))
        for key, where in plan.roster_cells.items():
            out[where] = counts[plan.roster.count_field if key == "count" else key]  # type: ignore[index]
    read, bare = case, False
    if result.errors:
        # An untouched form shows "" (the functions say nothing about an empty form), not "missing input".
        read = case if case is not None else case_from_cells(defn, layout, form) if form is not None else None
        bare = read is not None and set(read) <= {"rubric", "unit", "year"}
    records = (read or {}).get(defn.members.key) if defn.members is not None else None
    errors = CellErrors(defn, result, variant, bare, records or [])
    error = errors.items
    item_results = {i.id: i for i in result.items}
    for (its, item_id, _specs, keys), (where, neutral, from_roster) in zip(r.items, shows.items, strict=True):
        derived = roster_named and from_roster
        # RUBRICS.md §0: a blank item scores as nothing found; only an item whose inputs have no neutral
        # value (done/target) shows "" while blank, as the core then reports the missing input.
        filled = form is None or neutral or derived or any(not blank(cell(k)) for k in keys)
        ir = item_results.get(item_id)
        if ir is None and result.errors:
            ir = _item_alone(defn, its, [cell(k) for k in keys], roster_named)
        if not filled:
            triple: tuple[Any, ...] = ("", "", "")
        elif ir is None:
            triple = (error, error, error)
        else:
            triple = (_num(ir.score), _num(ir.deduction), SEP.join(ir.explanations))
        for w, text in zip(where, triple, strict=True):
            out[w] = text
    # As the worksheet functions: no items total (and so no tier or title) until every item is scored.
    scored = all(out[where[0]] not in ("", None) for where, _, _ in shows.items)
    for path, slot in plan.outputs.items():
        w = (slot.spec.sheet, slot.spec.ref)
        if plan.items and not scored:
            value: Any = ""
        elif path in ("items_total",) or (path == "total" and plan.items and plan.defn.total is None):
            value = (
                _num(sum(i.score for i in result.items)) if result.items else error
            )  # exact: ints and Fractions
        elif path == UNFILLED:
            continue  # after the items total, below
        elif path.startswith("shares."):
            value = _share_shown(defn, layout, form, path, case)
        elif errors.unit is not None:
            value = errors.unit
        else:
            value = _unit_value(result, path)
        out[w] = value
    if UNFILLED in plan.outputs:
        slot = plan.outputs[UNFILLED]
        key = "total" if plan.defn.total is None else "items_total"
        shown = out[(plan.outputs[key].spec.sheet, plan.outputs[key].spec.ref)]
        numeric = isinstance(shown, int | float) and not isinstance(shown, bool)
        read = case if case is not None else _case_of(defn, layout, form)
        out[(slot.spec.sheet, slot.spec.ref)] = note(unfilled_ids(plan, read)) if numeric else ""
    m = plan.members
    if m is not None:
        if form is None:
            used = list(range(len(result.members)))
        else:
            used = [n for n, name in enumerate(shows.member_names) if not blank(cell(name))]
        if plan.items and not scored:
            used = []
        position = {n: k for k, n in enumerate(used)}  # form row → member of the case
        for n, row in enumerate(shows.member_outputs):
            k = position.get(n, -1)
            shown_error = errors.member(k) if k >= 0 else None
            member = errors.outcome(k)
            for key, w in row:
                if k < 0:
                    out[w] = ""
                elif shown_error is not None:
                    out[w] = shown_error
                else:
                    out[w] = "" if member is None else _unit_value(member, key)
    return out


class _Shows:
    """Where expected_outputs writes, per plan: each item's (score, deduction, explain) cells, whether its
    inputs all have a neutral value and whether the roster gives one of them; each member row's name cell
    and output cells."""

    def __init__(self, plan: Plan) -> None:
        self.items = [
            (
                tuple((s.spec.sheet, s.spec.ref) for s in (its.score, its.deduction, its.explain)),
                all(s.default is not None for s in its.inputs),
                any((its.item.id, s.path) in plan.roster_cells for s in its.item.inputs()),
            )
            for its in plan.items
        ]
        m = plan.members
        self.member_names: list[tuple[str, str]] = []
        self.member_outputs: list[list[tuple[str, tuple[str, str]]]] = []
        if m is not None:
            name_key = m.inputs[0][0].path
            for slots in m.row_slots:
                self.member_names.append((slots[name_key].spec.sheet, slots[name_key].spec.ref))
                self.member_outputs.append(
                    [(key, (slots[key].spec.sheet, slots[key].spec.ref)) for key, _label, _kind in m.outputs]
                )


def _shows(plan: Plan) -> _Shows:
    return derived(plan, "_shows", _Shows)


def _share_shown(
    defn: RubricDefinition,
    layout: Layout,
    form: FormCells | None,
    path: str,
    case: dict[str, Any] | None = None,
) -> Any:
    """A vote share as the form shows it: from its vote table alone, "" while the table is empty."""
    keys, tiers = _share_path(path)
    table: Any = case if case is not None else _case_of(defn, layout, form)
    for key in keys:
        table = table.get(key) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        return ""
    counts = {k: v for k, v in table.items() if isinstance(v, int)}
    if not sum(counts.values()):
        # Every count 0 (every ballot blank or invalid): LXBZ_VOTE_SHARE and the native formula say so.
        zeros = all(isinstance(v, int | float) and not isinstance(v, bool) and v == 0 for v in table.values())
        return error_text(SHARE_LABEL + NO_VALID_VOTES) if zeros else ""
    return float(share(counts, tiers))


@lru_cache(maxsize=1024)
def _share_path(path: str) -> tuple[tuple[str, ...], list[str]]:
    """ "shares.<vote table path>.<tier>+<tier>…" → (the table's path keys, the tiers)."""
    _, votes, tiers = path.split(".", 2)
    return tuple(votes.split(".")), tiers.split("+")


def _case_of(defn: RubricDefinition, layout: Layout, form: FormCells | None) -> dict[str, Any]:
    return case_from_cells(defn, layout, form or FormCells(plan_for(defn), {}))


def _unit_value(outcome: Any, path: str) -> Any:
    if path == "total":
        return _num(outcome.total)
    if path == "tier":
        return outcome.tier or outcome.manual or ""
    if path == "base_tier":
        return outcome.base_tier or outcome.manual or ""
    if path == "title":
        if outcome.title is None:
            return ""
        return (PENDING if outcome.provisional_on else YES) if outcome.title else NO
    if path == "flags":
        return SEP.join(outcome.flags)
    if path in CONSEQUENCE_OUTPUTS:
        return consequence_shown(outcome, path)
    if path.startswith("values."):
        name = path.split(".", 1)[1]
        return _num(next((v.value for v in outcome.values if v.name == name), None))
    raise KeyError(path)


def _item_alone(defn: RubricDefinition, its: Any, cells: list[Any], roster: bool) -> Any:
    """Score one item from its own cells (as LXBZ_ITEM_SCORE does) when the case as a whole has errors;
    ``cells``: the raw values of its input cells, in order."""

    if roster:
        return None  # roster-derived counts: leave to the unit evaluation
    prefix = f"items.{its.item.id}."
    specs = [s for s in all_inputs(defn) if s.path.startswith(prefix)]
    data = read_inputs(its.item.inputs(), cells)  # the shared cell reader
    local = [s.model_copy(update={"path": s.path[len(prefix) :]}) for s in specs]
    values, errors = read_fields(defn, local, data)
    if errors:
        return None
    return score_item(defn, its.item, values)


# ---------------------------------------------------------------- package rewrite

_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*?)(/>|>(.*?)</c>)', re.S)
_SHEET = re.compile(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"')
_REL = re.compile(
    r'<Relationship [^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"|<Relationship [^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"'
)


def _unescape_attr(text: str) -> str:
    return (
        text.replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → zip member name of its worksheet XML."""
    wb = z.read("xl/workbook.xml").decode("utf-8")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        targets[rid] = target
    out = {}
    for m in _SHEET.finditer(wb):
        target = targets[m.group(2)]
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        out[_unescape_attr(m.group(1))] = path
    return out


def _value_xml(value: Any) -> tuple[str | None, str]:
    """(t attribute, inner <v> text) for a cached formula value."""
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, int | float):
        return None, repr(float(value)) if isinstance(value, float) else str(value)
    text = "" if value is None else str(value)
    if text.startswith("#") and text in ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"):
        return "e", text
    return "str", escape(text)


def _input_xml(value: Any) -> tuple[str | None, str]:
    """(t attribute, inner XML) for a typed input value."""
    if isinstance(value, bool):
        return "b", f"<v>{int(value)}</v>"
    if isinstance(value, int | float):
        return None, f"<v>{value!r}</v>"
    return "inlineStr", f'<is><t xml:space="preserve">{escape(str(value))}</t></is>'


def _with_t(attrs: str, t: str | None) -> str:
    attrs = re.sub(r'\s+t="[^"]*"', "", attrs)
    return attrs + (f' t="{t}"' if t else "")


def _rewrite_sheet(xml: str, formulas: dict[str, Any], inputs: dict[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        ref, attrs, body = m.group(1), m.group(2), m.group(4) or ""
        if ref in inputs:
            t, inner = _input_xml(inputs[ref])
            return f'<c r="{ref}"{_with_t(attrs, t)}>{inner}</c>'
        if ref in formulas and "<f" in body:
            t, text = _value_xml(formulas[ref])
            f = re.search(r"<f[^>]*?(?:/>|>.*?</f>)", body, re.S)
            assert f is not None
            return f'<c r="{ref}"{_with_t(attrs, t)}>{f.group(0)}<v>{text}</v></c>'
        return m.group(0)

    return _CELL.sub(one, xml)


def rewrite_package(
    src: Path, dst: Path, cached: dict[tuple[str, str], Any], inputs: dict[tuple[str, str], Any] | None = None
) -> None:
    """Copy `src` to `dst` setting input cells and formula cached values; fixed zip/docProps timestamps.

    Input cells must exist in the sheet XML (the builder writes every input cell with its style).
    """
    inputs = inputs or {}
    with zipfile.ZipFile(src) as zin:
        parts = sheet_parts(zin)
        per_part: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        for (sheet, ref), v in cached.items():
            per_part.setdefault(parts[sheet], ({}, {}))[0][ref] = v
        for (sheet, ref), v in inputs.items():
            per_part.setdefault(parts[sheet], ({}, {}))[1][ref] = v
        tmp = dst.with_name(dst.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename in per_part:
                    f, i = per_part[info.filename]
                    data = _rewrite_sheet(data.decode("utf-8"), f, i).encode("utf-8")
                elif info.filename == "docProps/core.xml":
                    data = re.sub(
                        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                        rb"\g<1>" + FIXED_W3CDTF.encode(),
                        data,
                    )
                zi = zipfile.ZipInfo(info.filename, FIXED_DATE)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o644 << 16
                zout.writestr(zi, data)
        tmp.replace(dst)


def helper_values(
    defn: RubricDefinition, get: Callable[[str, str], Any] | None
) -> dict[tuple[str, str], Any]:
    """Values of the shared helper formulas (roster flags, ballot headings and validity flags)."""

    plan = plan_for(defn)
    out: dict[tuple[str, str], Any] = {}

    def val(slot: Any) -> Any:
        raw = None if get is None else get(slot.spec.sheet, slot.spec.ref)
        return None if blank(raw) else raw

    if plan.roster is not None:
        roster = plan.roster
        rows = roster_rows(plan, val)
        for k, row in enumerate(rows):
            named = row.get(roster.name) not in (None, "")
            out[(roster.sheet, plan.roster_flags[(k, -1)])] = 1 if named else 0
            for j, hit in enumerate(row_hits(defn, roster, row)):
                out[(roster.sheet, plan.roster_flags[(k, j)])] = hit
    if plan.members is not None:
        m = plan.members
        for r, name in enumerate(member_names(plan, val)):
            out[(m.sheet, f"{m.flag_col}{m.first_row + r}")] = 0 if name is None else 1
    if plan.ballot_flags is not None and plan.members is not None:
        sheet, vcol, icol, first, last = plan.ballot_flags

        names = member_names(plan, val)
        for j, name in enumerate(names):
            from openpyxl.utils import get_column_letter

            out[(sheet, f"{get_column_letter(2 + j)}3")] = "" if name is None else name
        block = next(b for b in plan.blocks if b.spec.type == "ballots")
        rule = ballot_rule(defn, block.spec.path)
        n = len(names)
        evaluated = sum(1 for x in names if x is not None and str(x) != "")
        for b in range(last - first + 1):
            # A mark under a column without a member name rates nobody (plan_ballots, cells.ballots).
            cells = [
                val(s) if names[j] is not None else None
                for j, s in enumerate(block.slots[b * n : (b + 1) * n])
            ]
            nonempty = any(c in block.spec.values for c in cells)
            bad = False
            if rule is not None:
                tier, share = rule
                bad = sum(1 for c in cells if c == tier) * share.denominator > share.numerator * evaluated
            out[(sheet, f"{vcol}{first + b}")] = 1 if nonempty and not bad else 0
            out[(sheet, f"{icol}{first + b}")] = 1 if nonempty and bad else 0
    return out


_SI = re.compile(r"<si>(.*?)</si>", re.S)
_T = re.compile(r"<t[^>]*>(.*?)</t>", re.S)
_V = re.compile(r"<v>(.*?)</v>", re.S)
_IS = re.compile(r"<is>(.*?)</is>", re.S)


def _text(xml: str) -> str:
    from xml.sax.saxutils import unescape

    return unescape("".join(_T.findall(xml)), {"&quot;": '"', "&apos;": "'"})


def read_values(path: Path, sheets: set[str] | None = None) -> dict[tuple[str, str], Any]:
    """Every cell's stored (cached) value, read straight from the package XML (fast; any writer)."""
    from xml.sax.saxutils import unescape

    out: dict[tuple[str, str], Any] = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        shared = (
            [_text(si) for si in _SI.findall(z.read("xl/sharedStrings.xml").decode("utf-8"))]
            if "xl/sharedStrings.xml" in names
            else []
        )
        for sheet, part in sheet_parts(z).items():
            if sheets is not None and sheet not in sheets:
                continue
            xml = z.read(part).decode("utf-8")
            for m in _CELL.finditer(xml):
                ref, attrs, body = m.group(1), m.group(2), m.group(4) or ""
                t = re.search(r'\bt="([^"]*)"', attrs)
                kind = t.group(1) if t else "n"
                v = _V.search(body)
                if kind == "inlineStr":
                    inline = _IS.search(body)
                    out[(sheet, ref)] = _text(inline.group(1)) if inline else ""
                    continue
                if v is None:
                    continue
                raw = v.group(1)
                if kind == "s":
                    value: Any = shared[int(raw)]
                elif kind in ("str", "e"):
                    value = unescape(raw, {"&quot;": '"', "&apos;": "'"})
                elif kind == "b":
                    value = raw == "1"
                else:
                    f = float(raw)
                    value = int(f) if f.is_integer() and "E" not in raw.upper() else f
                out[(sheet, ref)] = value
    return out
