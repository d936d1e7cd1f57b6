"""Recalculate filled forms in real formula engines and compare every output with the core.

* UDF variant: pycel (a Python formula engine) with the LXBZ_* names bound to `udfs.functions`.
* Native variant: LibreOffice headless (lxbz_xl.office), many files per soffice start.

`prove` runs the three-way proof (core, UDF variant, native variant) of any rubric, built in or from a
file, on generated boundary and random cases: `lxbz templates prove` and tests/test_workbook_proof.py
both go through it.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.engine.evaluate import evaluate
from lxbz_xl.workbook.build import build_template, cached_for, template_name
from lxbz_xl.workbook.cached_values import _num, _rewrite_sheet, _unit_value, read_values, sheet_parts
from lxbz_xl.workbook.cases import cells_from_case
from lxbz_xl.workbook.fill import fill_case
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.layout import formulas_for, same_value
from lxbz_xl.workbook.model import META_SHEET
from lxbz_xl.workbook.samples import valid_cases
from lxbz_xl.workbook.unfilled import PATH as UNFILLED

PLUGIN = "lxbz_xl_pycel_udfs"


def pycel_plugin() -> str:
    """Register (once) a module binding pycel's lower-case function names to the LXBZ_* UDFs."""
    if PLUGIN in sys.modules:
        return PLUGIN
    import udfs.functions as fns  # the worksheet functions (another package of this project)

    mod = types.ModuleType(PLUGIN)
    for name in dir(fns):
        if name.startswith("LXBZ_"):
            func = getattr(fns, name)
            setattr(mod, name.lower(), func)
            setattr(mod, "_xludf_" + name.lower(), func)
    sys.modules[PLUGIN] = mod
    return PLUGIN


def _addr(sheet: str, ref: str) -> str:
    return f"{sheet}!{ref}"


@dataclass
class Mismatch:
    case: str
    sheet: str
    ref: str
    name: str
    path: str | None
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return (
            f"{self.case}:{self.sheet}!{self.ref}({self.name},{self.path or '辅助单元格'})"
            f"应为 {self.expected!r},工作簿显示 {self.actual!r}"
        )


def checked_cells(
    defn: RubricDefinition, variant: str, explanations: bool = True
) -> dict[tuple[str, str], Any]:
    """Formula cells to compare: every output cell (optionally without explanations) and helper cell."""
    plan = plan_for(defn)
    formulas = formulas_for(defn, plan.layout, variant)
    skip = set() if explanations else {(i.explain.spec.sheet, i.explain.spec.ref) for i in plan.items}
    by_ref = {(s.spec.sheet, s.spec.ref): s for s in plan.slots}
    return {k: by_ref.get(k) for k in formulas if k not in skip}


def compare(
    defn: RubricDefinition,
    label: str,
    expected: dict[tuple[str, str], Any],
    actual: dict[tuple[str, str], Any],
    cells: dict[tuple[str, str], Any],
) -> list[Mismatch]:
    out = []
    for key, slot in cells.items():
        e, a = expected.get(key), actual.get(key)
        if isinstance(a, float) and a.is_integer():
            a = int(a)
        if not same_value(e, a):
            out.append(
                Mismatch(
                    label,
                    key[0],
                    key[1],
                    slot.spec.name if slot else "(helper)",
                    slot.spec.path if slot else None,
                    e,
                    a,
                )
            )
    return out


def core_outputs(defn: RubricDefinition, case: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """What `lxbz score` gives for `case`, on the named output cells of the form: only the cells where
    the core has a value (a form may show more, never less). Read from the Result directly, not from
    the cached-value model, so a form that blanks a value the core computes is caught."""
    case = dict(case)
    case.setdefault("year", 2000)
    result = evaluate(defn, case)
    if result.errors:
        return {}
    plan = plan_for(defn)
    out: dict[tuple[str, str], Any] = {}
    items = {i.id: i for i in result.items}
    for its in plan.items:
        ir = items[its.item.id]
        out[(its.score.spec.sheet, its.score.spec.ref)] = _num(ir.score)
        out[(its.deduction.spec.sheet, its.deduction.spec.ref)] = _num(ir.deduction)
    for path, slot in plan.outputs.items():
        where = (slot.spec.sheet, slot.spec.ref)
        if path == UNFILLED:
            out[where] = next((n for n in result.notes if "未填写" in n), "")
        elif path.startswith("shares."):
            from lxbz_xl.engine.exprs import share, valid_ballots

            _, votes, tiers = path.split(".", 2)
            table = result.inputs.get(votes)
            ok = isinstance(table, dict) and valid_ballots(table) > 0
            out[where] = float(share(table, tiers.split("+"))) if ok else ""  # type: ignore[arg-type]
        elif path == "items_total" or (path == "total" and plan.items and defn.total is None):
            out[where] = _num(sum((i.score for i in result.items), Fraction(0)))
        else:
            out[where] = _unit_value(result, path)
    m = plan.members
    if m is not None:
        for r, member in enumerate(result.members):
            for key, _label, _kind in m.outputs:
                slot = m.row_slots[r][key]
                out[(slot.spec.sheet, slot.spec.ref)] = _unit_value(member, key)
    return {k: v for k, v in out.items() if v not in (None, "")}


def core_mismatches(
    defn: RubricDefinition, label: str, case: dict[str, Any], actual: dict[tuple[str, str], Any]
) -> list[Mismatch]:
    """Named results the workbook shows differently from the core (a blank counts as different)."""
    expected = core_outputs(defn, case)
    by_ref = {(s.spec.sheet, s.spec.ref): s for s in plan_for(defn).slots}
    return compare(defn, label, expected, actual, {k: by_ref.get(k) for k in expected})


class PycelForm:
    """One template loaded in pycel; `run` sets a case's inputs and recomputes only what they feed."""

    def __init__(self, template: Path, defn: RubricDefinition):
        import openpyxl
        from pycel import ExcelCompiler

        self.defn = defn
        self.plan = plan_for(defn)
        # excel=Workbook, not filename=: pycel would otherwise trust the cached values in the file.
        self.xl = ExcelCompiler(excel=openpyxl.load_workbook(template), plugins=[pycel_plugin()])
        self.inputs = [(s.spec.sheet, s.spec.ref) for s in self.plan.slots if s.spec.role != "output"]
        self.formula_cells = list(formulas_for(defn, self.plan.layout, "udf"))
        self.xl.evaluate([_addr(*k) for k in self.formula_cells])
        for k in self.inputs:  # make sure every input is in pycel's cell map
            self.xl.evaluate(_addr(*k))
        self.state: dict[tuple[str, str], Any] = {k: None for k in self.inputs}

    def run(self, cells: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
        for k in self.inputs:
            # A blank is set as "": pycel does not propagate a change back to None to dependants.
            v = cells.get(k, "")
            v = "" if v is None else v
            if self.state[k] != v or type(self.state[k]) is not type(v):
                self.xl.set_value(_addr(*k), v)
                self.state[k] = v
        values = self.xl.evaluate([_addr(*k) for k in self.formula_cells])
        return {k: (None if v is None else v) for k, v in zip(self.formula_cells, values, strict=True)}


def case_label(defn: RubricDefinition, i: int) -> str:
    return f"{defn.id} 第{i}例"


def prove_udf(
    defn: RubricDefinition,
    template: Path,
    cases: Iterable[dict[str, Any]],
    explanations: bool = True,
    against_core: bool = False,
) -> tuple[int, list[Mismatch]]:
    """Every formula cell against the cached-value model; with `against_core`, the named results also
    against the core's Result directly (a form that blanks what the core computes is caught)."""
    form = PycelForm(template, defn)
    cells_to_check = checked_cells(defn, "udf", explanations)
    mismatches: list[Mismatch] = []
    n = 0
    for i, case in enumerate(cases, 1):
        n += 1
        cells = cells_from_case(defn, case)
        expected = cached_for(defn, "udf", lambda s, r, c=cells: c.get((s, r)))  # type: ignore[misc]
        actual = form.run(cells)
        mismatches += compare(defn, case_label(defn, i), expected, actual, cells_to_check)
        if against_core:
            mismatches += core_mismatches(defn, case_label(defn, i), case, actual)
    return n, mismatches


def prove_native(
    defn: RubricDefinition, template: Path, cases: list[dict[str, Any]], work: Path, timeout: float = 300
) -> tuple[int, list[Mismatch]]:
    """Fill every case, recalculate all files in one LibreOffice run, compare the recalculated values."""
    from lxbz_xl.office import recalculate_many

    filled_dir, out_dir = work / "filled", work / "recalculated"
    paths, expected_all = [], []
    for i, case in enumerate(cases, 1):
        path = fill_case(defn, case, filled_dir / f"{defn.id}_{i:04d}.xlsx", "native", template)
        cells = cells_from_case(defn, case)
        expected_all.append(cached_for(defn, "native", lambda s, r, c=cells: c.get((s, r))))  # type: ignore[misc]
        paths.append(path)
    recalculated = recalculate_many(paths, out_dir, timeout)
    cells_to_check = checked_cells(defn, "native")
    mismatches: list[Mismatch] = []
    sheets = {s for s, _ in cells_to_check}
    for i, (path, expected) in enumerate(zip(recalculated, expected_all, strict=True), 1):
        actual = read_values(path, sheets)
        mismatches += compare(defn, case_label(defn, i), expected, actual, cells_to_check)
    return len(cases), mismatches


def pack(template: Path, cases_xml: list[dict[str, str]], dst: Path) -> list[dict[str, str]]:
    """Pack filled copies of one template into one workbook: sheet `S` of copy k becomes `S_k`, with
    cross-sheet references renamed, so one LibreOffice load recalculates many cases.

    `cases_xml` holds, per copy, sheet title → worksheet XML (the template's, with inputs written).
    Defined names are dropped (they would collide; formulas do not use them). Returns, per copy, the map
    original sheet → packed sheet name.
    """
    import re
    import zipfile

    with zipfile.ZipFile(template) as base:
        wb = base.read("xl/workbook.xml").decode("utf-8")
        rels = base.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        types_xml = base.read("[Content_Types].xml").decode("utf-8")
        keep = {
            n: base.read(n)
            for n in base.namelist()
            if not n.startswith("xl/worksheets/")
            and n not in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")
        }
    entries, new_parts, maps = [], {}, []
    for k, sheets in enumerate(cases_xml):
        mapping = {s: f"{s}_{k}" for s in sheets}
        maps.append(mapping)
        for j, (sheet, xml) in enumerate(sheets.items()):
            for old, new in mapping.items():
                xml = xml.replace(f"&apos;{old}&apos;!", f"&apos;{new}&apos;!").replace(
                    f"'{old}'!", f"'{new}'!"
                )
            part = f"xl/worksheets/m{k}_{j}.xml"
            new_parts[part] = xml.encode("utf-8")
            entries.append((mapping[sheet], part))
    sheets_xml = "".join(
        f'<sheet name="{n}" sheetId="{i}" r:id="rIdM{i}"/>' for i, (n, _) in enumerate(entries, 1)
    )
    wb = re.sub(r"<sheets>.*?</sheets>", f"<sheets>{sheets_xml}</sheets>", wb, flags=re.S)
    wb = re.sub(r"<definedNames>.*?</definedNames>|<definedNames\s*/>", "", wb, flags=re.S)
    rels = re.sub(r"<Relationship [^>]*?worksheets/[^>]*?/>", "", rels)
    rels = rels.replace(
        "</Relationships>",
        "".join(
            f'<Relationship Id="rIdM{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="/{p}"/>'
            for i, (_, p) in enumerate(entries, 1)
        )
        + "</Relationships>",
    )
    types_xml = re.sub(r'<Override PartName="/xl/worksheets/[^"]*"[^>]*/>', "", types_xml)
    types_xml = types_xml.replace(
        "</Types>",
        "".join(
            f'<Override PartName="/{p}" ContentType="application/vnd.openxmlformats-officedocument.'
            f'spreadsheetml.worksheet+xml"/>'
            for _, p in entries
        )
        + "</Types>",
    )
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("[Content_Types].xml", types_xml)
        out.writestr("xl/workbook.xml", wb)
        out.writestr("xl/_rels/workbook.xml.rels", rels)
        for n, data in keep.items():
            out.writestr(n, data)
        for n, data in new_parts.items():
            out.writestr(n, data)
    return maps


def _lean(xml: str) -> str:
    """A worksheet without what cannot change a computed value (labels, styles, validations, print and
    view settings), so LibreOffice loads many packed copies quickly. Formula and input cells stay."""
    import re

    xml = re.sub(
        r"<cols>.*?</cols>|<sheetViews>.*?</sheetViews>|<dataValidations.*?</dataValidations>|"
        r"<sheetProtection[^>]*/>|<headerFooter.*?</headerFooter>|<pageSetup[^>]*/>|<printOptions[^>]*/>|"
        r"<pageMargins[^>]*/>|<mergeCells.*?</mergeCells>",
        "",
        xml,
        flags=re.S,
    )
    xml = re.sub(r'<c r="[A-Z]+[0-9]+"[^>]*?t="s"[^>]*>(?:(?!</c>).)*?</c>', "", xml, flags=re.S)
    xml = re.sub(r'<c r="([A-Z]+[0-9]+)" s="[0-9]+"\s*/>', r'<c r="\1"/>', xml)
    return re.sub(r' s="[0-9]+"', "", xml)


@dataclass
class NativeJob:
    """The packed files of one rubric's cases, and what each copy must show."""

    defn: RubricDefinition
    packs: list[tuple[Path, list[dict[str, str]]]]
    expected: list[dict[tuple[str, str], Any]]
    cases: list[dict[str, Any]] = field(default_factory=list)


def prepare_native(
    defn: RubricDefinition, template: Path, cases: list[dict[str, Any]], work: Path, per_file: int = 100
) -> NativeJob:
    """Fill each case into the template's sheets (inputs + cached values, as `fill` does) and pack them."""
    import zipfile

    with zipfile.ZipFile(template) as z:
        parts = sheet_parts(z)
        base = {s: _lean(z.read(p).decode("utf-8")) for s, p in parts.items() if s != META_SHEET}
    formulas = formulas_for(defn, None, "native")
    job = NativeJob(defn, [], [], list(cases))
    batch: list[dict[str, str]] = []
    for i, case in enumerate(cases, 1):
        cells = cells_from_case(defn, case)
        cached = cached_for(defn, "native", lambda s, r, c=cells: c.get((s, r)))  # type: ignore[misc]
        job.expected.append(cached)
        per_sheet: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {s: ({}, {}) for s in base}
        for (s, r), v in cached.items():
            if (s, r) in formulas:
                per_sheet[s][0][r] = v
        for (s, r), v in cells.items():
            per_sheet[s][1][r] = v
        batch.append({s: _rewrite_sheet(xml, *per_sheet[s]) for s, xml in base.items()})
        if len(batch) == per_file or i == len(cases):
            dst = work / f"{defn.id}_pack{len(job.packs):03d}.xlsx"
            job.packs.append((dst, pack(template, batch, dst)))
            batch = []
    return job


def recalculate_native(
    jobs: list[NativeJob], work: Path, parallel: int = 2, timeout: float = 600
) -> list[list[dict[tuple[str, str], Any]]]:
    """Recalculate every pack of every job in `parallel` LibreOffice processes; per job, per case, the
    values LibreOffice shows in every formula cell."""
    from concurrent.futures import ThreadPoolExecutor

    from lxbz_xl.office import recalculate_many

    files = [p for job in jobs for p, _ in job.packs]
    # Spread by size so both processes finish about together.
    files.sort(key=lambda p: -p.stat().st_size)
    groups: list[list[Path]] = [[] for _ in range(parallel)]
    loads = [0] * parallel
    for f in files:
        g = loads.index(min(loads))
        groups[g].append(f)
        loads[g] += f.stat().st_size
    outs: dict[Path, Path] = {}

    def run(g: int) -> None:
        if groups[g]:
            done = recalculate_many(groups[g], work / f"recalculated{g}", timeout)
            outs.update(dict(zip(groups[g], done, strict=True)))

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(run, range(parallel)))
    results = []
    for job in jobs:
        cells_to_check = checked_cells(job.defn, "native")
        actual = []
        for dst, maps in job.packs:
            values = read_values(outs[dst])
            for mapping in maps:
                actual.append({(s, r): values.get((mapping[s], r)) for (s, r) in cells_to_check})
        results.append(actual)
    return results


def run_native(
    jobs: list[NativeJob], work: Path, parallel: int = 2, timeout: float = 600, against_core: bool = False
) -> list[list[Mismatch]]:
    """Recalculate every pack of every job in `parallel` LibreOffice processes; mismatches per job."""
    out = []
    for job, shown in zip(jobs, recalculate_native(jobs, work, parallel, timeout), strict=True):
        cells_to_check = checked_cells(job.defn, "native")
        mismatches: list[Mismatch] = []
        for k, actual in enumerate(shown):
            label = case_label(job.defn, k + 1)
            mismatches += compare(job.defn, label, job.expected[k], actual, cells_to_check)
            if against_core and k < len(job.cases):
                mismatches += core_mismatches(job.defn, label, job.cases[k], actual)
        out.append(mismatches)
    return out


# ---------------------------------------------------------------- the three-way proof of any rubric

VARIANTS = ("udf", "native")


@dataclass
class Proof:
    """One rubric, one template variant: how many cases were recalculated and what differed."""

    defn: RubricDefinition
    variant: str
    cases: int
    mismatches: list[Mismatch]


def prove(
    defns: list[RubricDefinition],
    n: int,
    seed: int,
    work: Path,
    variants: tuple[str, ...] = VARIANTS,
    sources: dict[str, str] | None = None,
    templates: Path | None = None,
    against_core: bool = True,
) -> list[Proof]:
    """Generate `n` boundary and random cases per rubric, evaluate each with the core, fill both template
    variants and recalculate them (UDF variant in pycel with the LXBZ_* functions bound, native variant in
    LibreOffice headless); every formula cell is compared with the cached-value model and every named
    result with the core. `templates`: an existing folder of templates (default: built into `work` from
    the definitions, `sources` being the YAML text of rubrics given as files, as `templates build`)."""

    def template(defn: RubricDefinition, variant: str) -> Path:
        if templates is not None:
            return templates / template_name(defn.id, variant)
        return build_template(defn, work / "templates", variant, (sources or {}).get(defn.id))

    cases = {defn.id: valid_cases(defn, n, seed) for defn in defns}
    out: list[Proof] = []
    if "udf" in variants:
        for defn in defns:
            done, mismatches = prove_udf(
                defn, template(defn, "udf"), cases[defn.id], against_core=against_core
            )
            out.append(Proof(defn, "udf", done, mismatches))
    if "native" in variants:
        jobs = [
            prepare_native(defn, template(defn, "native"), cases[defn.id], work / "native" / defn.id)
            for defn in defns
        ]
        for job, mismatches in zip(jobs, run_native(jobs, work, against_core=against_core), strict=True):
            out.append(Proof(job.defn, "native", len(job.expected), mismatches))
    return out


def report(proofs: list[Proof], shown: int = 3) -> list[str]:
    """Chinese lines: per rubric and variant, the cases compared and, per named cell, how many differed."""
    lines = []
    for p in proofs:
        name = "LXBZ函数版(pycel)" if p.variant == "udf" else "原生公式版(LibreOffice)"
        if not p.mismatches:
            lines.append(f"{p.defn.id} {name}:{p.cases}例全部一致")
            continue
        by_cell: dict[tuple[str, str, str], list[Mismatch]] = {}
        for m in p.mismatches:
            by_cell.setdefault((m.sheet, m.ref, m.name), []).append(m)
        lines.append(f"{p.defn.id} {name}:{p.cases}例中有{len(by_cell)}个单元格不一致")
        for (sheet, ref, cell_name), ms in by_cell.items():
            first_per_case: dict[str, Mismatch] = {}
            for m in ms:  # the cached-value model and the core may both name the same cell of a case
                first_per_case.setdefault(m.case, m)
            examples = list(first_per_case.values())
            lines.append(f"  {sheet}!{ref}({cell_name}):{len(examples)}例不一致,如 {examples[0]}")
            lines += [f"    {m}" for m in examples[1:shown]]
    return lines
