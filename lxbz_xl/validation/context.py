"""What a worker knows about the official templates, computed once per process and rubric.

Rubric definitions, layouts, expected formulas (both variants), fingerprints and data validations come
from the definition via lxbz_xl.workbook.layout, never from a template file on disk, so a template that
was regenerated from an edited rubric is checked against that rubric.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from lxbz_xl.definition.loader import builtin_ids, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.validation.formula_text import normalise
from lxbz_xl.validation.read_fast import split_ref

RELEASES_DIR = Path(__file__).resolve().parent / "releases"


def releases_dir() -> Path:
    """LXBZ_RELEASES_DIR points at another snapshot folder (a department that versions its own rubrics)."""
    return Path(os.environ.get("LXBZ_RELEASES_DIR") or RELEASES_DIR)


VARIANTS = ("udf", "native")
HEADLINE = frozenset({"total", "tier", "base_tier", "title"})  # outputs whose shown value a report keeps


@dataclass
class RubricContext:
    defn: RubricDefinition
    custom: bool = False  # from a `--rubric` file rather than the package
    # Keys (check, digests of the parts it reads) of checks already found clean in this worker.
    clean: set[tuple[Any, ...]] = field(default_factory=set)
    # The definition as loaded when `defn` holds its rules of one year (a rubric with dated parameters).
    whole: RubricDefinition | None = None

    @cached_property
    def layout(self) -> Any:
        from lxbz_xl.workbook.layout import layout_for

        return layout_for(self.defn)

    # ``ref``: the first argument of the LXBZ_* calls when it is not the rubric id (a template built from
    # a department's own rubric file names that file); only custom rubrics accept one (see Context).
    def formulas(self, variant: str, ref: str | None = None) -> dict[tuple[str, str], str]:
        cache = self.__dict__.setdefault("_formulas", {})
        if (variant, ref) not in cache:
            from lxbz_xl.workbook.layout import formulas_for

            cache[(variant, ref)] = formulas_for(self.defn, self.layout, variant, ref)
        return cache[(variant, ref)]  # type: ignore[no-any-return]

    def normalised(self, variant: str, ref: str | None = None) -> dict[tuple[str, str], str]:
        cache = self.__dict__.setdefault("_normalised", {})
        if (variant, ref) not in cache:
            cache[(variant, ref)] = {k: normalise(v) for k, v in self.formulas(variant, ref).items()}
        return cache[(variant, ref)]  # type: ignore[no-any-return]

    def fingerprint(self, variant: str, ref: str | None = None) -> str:
        from lxbz_xl.workbook.layout import formula_fingerprint

        cache = self.__dict__.setdefault("_fingerprints", {})
        if (variant, ref) not in cache:
            cache[(variant, ref)] = formula_fingerprint(self.formulas(variant, ref))
        return cache[(variant, ref)]  # type: ignore[no-any-return]

    @cached_property
    def definition_sha256(self) -> str:
        """The digest `_lxbz!definition_sha256` must carry (of the whole definition for a dated rubric)."""
        from lxbz_xl.workbook.embed import definition_digest

        return definition_digest(self.whole or self.defn)

    @cached_property
    def validations(self) -> dict[tuple[str, str], dict[str, Any]]:
        from lxbz_xl.workbook import layout as layout_mod

        fn = getattr(layout_mod, "data_validations_for", None)
        return fn(self.defn) if fn is not None else {}

    @cached_property
    def validation_keys(self) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
        """Validations as hashable rules (the prompt text is not part of the rule)."""
        return {
            k: tuple((a, str(b)) for a, b in v.items() if a not in ("prompt", "title"))
            for k, v in self.validations.items()
        }

    @cached_property
    def plan(self) -> Any:
        from lxbz_xl.workbook.form import plan_for

        return plan_for(self.defn)

    @cached_property
    def input_keys(self) -> tuple[tuple[str, str], ...]:
        """(sheet, ref) of every input and header cell, in layout order."""
        return tuple((c.sheet, c.ref) for c in self.layout.cells if c.role != "output")

    @cached_property
    def input_key_set(self) -> frozenset[tuple[str, str]]:
        return frozenset(self.input_keys)

    def formula_refs(self, variant: str, ref: str | None = None) -> dict[str, frozenset[str]]:
        """sheet → refs of the template's formula cells (of :meth:`formulas`)."""
        cache = self.__dict__.setdefault("_formula_refs", {})
        if (variant, ref) not in cache:
            by_sheet: dict[str, set[str]] = {}
            for sheet, cell in self.formulas(variant, ref):
                by_sheet.setdefault(sheet, set()).add(cell)
            cache[(variant, ref)] = {sheet: frozenset(refs) for sheet, refs in by_sheet.items()}
        return cache[(variant, ref)]  # type: ignore[no-any-return]

    @cached_property
    def inputs_unique(self) -> bool:
        return len(set(self.input_keys)) == len(self.input_keys)

    @cached_property
    def input_runs(self) -> tuple[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]], ...]:
        """The input and header cells in layout order (each once), as runs on one sheet:
        (sheet, their keys, their refs as the reader keys cells)."""
        runs: list[tuple[str, list[tuple[str, str]]]] = []
        for key in dict.fromkeys(self.input_keys):
            if not runs or runs[-1][0] != key[0]:
                runs.append((key[0], []))
            runs[-1][1].append(key)
        return tuple(
            (sheet, tuple(keys), tuple(ref.replace("$", "").upper() for _, ref in keys))
            for sheet, keys in runs
        )

    @cached_property
    def input_by_path(self) -> dict[str, Any]:
        """Input path → its CellSpec."""
        return {c.path: c for c in self.layout.cells if c.path is not None and c.role != "output"}

    @cached_property
    def headline(self) -> tuple[tuple[str, str, str], ...]:
        """("Sheet!A1", sheet, ref) of the outputs whose shown value the report keeps (HEADLINE)."""
        return tuple(
            (f"{c.sheet}!{c.ref}", c.sheet, c.ref.replace("$", "").upper())
            for c in self.layout.cells
            if c.role == "output" and c.path and c.path.rsplit(".", 1)[-1] in HEADLINE
        )

    @cached_property
    def input_positions(self) -> dict[str, list[tuple[int, int, Any]]]:
        """sheet → (row, column, CellSpec) of every input and header cell."""
        out: dict[str, list[tuple[int, int, Any]]] = {}
        for spec in self.layout.cells:
            if spec.role != "output":
                row, col = split_ref(spec.ref)
                out.setdefault(spec.sheet, []).append((row, col, spec))
        return out

    @cached_property
    def input_lines(self) -> dict[str, tuple[frozenset[int], frozenset[int]]]:
        """sheet → (rows, columns) that hold an input or header cell."""
        return {
            sheet: (frozenset(row for row, _, _ in cells), frozenset(col for _, col, _ in cells))
            for sheet, cells in self.input_positions.items()
        }

    @cached_property
    def max_rows(self) -> dict[str, int]:
        """Last template row per sheet (+ a margin): rows below it are never read."""
        rows: dict[str, int] = {}
        refs = [(c.sheet, c.ref) for c in self.layout.cells]
        for variant in VARIANTS:
            try:
                refs += list(self.formulas(variant))
            except Exception:  # a variant that cannot be generated is reported by the formula check
                continue
        for sheet, ref in refs:
            rows[sheet] = max(rows.get(sheet, 0), split_ref(ref)[0])
        return {sheet: last + 50 for sheet, last in rows.items()}

    def expected_outputs(
        self, result: Any, variant: str, get: Any = None, case: dict[str, Any] | None = None
    ) -> dict[tuple[str, str], Any]:
        """What each output cell shows; ``get`` reads the inputs (a blank item shows blank scores);
        ``case``: what :meth:`case_from_cells` read from ``get``, if the caller has it already."""
        from lxbz_xl.workbook.cached_values import expected_outputs

        return expected_outputs(self.defn, self.layout, result, variant, get, case)

    def case_from_cells(self, get: Any) -> dict[str, Any]:
        from lxbz_xl.workbook.layout import case_from_cells

        return case_from_cells(self.defn, self.layout, get)


@dataclass
class Context:
    """Per-process cache. ``releases_dir`` holds snapshots of earlier template versions (see releases.py)."""

    releases_dir: Path = field(default_factory=releases_dir)
    rubrics: dict[str, RubricContext | None] = field(default_factory=dict)
    # A department's own rubric files (`--rubric my.yaml`), by id: they replace a built-in of the same id.
    custom: dict[str, RubricDefinition] = field(default_factory=dict)
    years: dict[tuple[str, int | None], RubricContext] = field(default_factory=dict)

    def rubric(self, rubric_id: str) -> RubricContext | None:
        if rubric_id not in self.rubrics:
            if rubric_id in self.custom:
                self.rubrics[rubric_id] = RubricContext(self.custom[rubric_id], custom=True)
            elif rubric_id in builtin_ids():
                self.rubrics[rubric_id] = RubricContext(load_rubric(rubric_id))
            else:
                self.rubrics[rubric_id] = None
        return self.rubrics[rubric_id]

    def for_year(self, rubric: RubricContext, year: int | None) -> RubricContext:
        """The rules a form built for `year` (None: the latest values) computes, for a rubric with dated
        parameters; `rubric` itself otherwise. Raises ValueError (Chinese) for a year before a parameter's
        first start date."""
        if not rubric.defn.dated:
            return rubric
        key = (rubric.defn.id, rubric.defn.rules_year(year))
        found = self.years.get(key)
        if found is None:
            found = RubricContext(rubric.defn.fixed(year), custom=rubric.custom, whole=rubric.defn)
            self.years[key] = found
        return found

    def known_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.custom, *builtin_ids()]))

    def guess(self, sheet_names: list[str], defined_names: dict[str, str]) -> RubricContext | None:
        """The rubric of a workbook whose _lxbz sheet was deleted: the template's defined names carry a
        per-rubric prefix (LPO_…); the one with most names present, and all its sheets, wins."""
        counts: dict[str, int] = {}
        for name in defined_names:
            head = name.rsplit("!", 1)[-1].split("_", 1)[0].upper()
            counts[head] = counts.get(head, 0) + 1
        best, best_count = None, 0
        for rid in self.known_ids():
            ctx = self.rubric(rid)
            if ctx is None or not all(s in sheet_names for s in ctx.layout.sheets):
                continue
            count = counts.get(ctx.layout.prefix.upper(), 0)
            if count > best_count:
                best, best_count = ctx, count
        return best

    def release(self, rubric_id: str, version: str) -> dict[str, Any] | None:
        path = self.releases_dir / f"{rubric_id}@{version}.json"
        if not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
