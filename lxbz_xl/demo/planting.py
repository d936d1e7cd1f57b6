"""The problems a real yearly batch has, planted into the demo's filled submissions (plants.yaml).

Each plant replaces or adds files the way a unit would: a typed-over total, a count out of range, a
value outside a dropdown, a truncated upload, a corrected resubmission that differs, the same form sent
twice, a form never sent. Which rubric, cell and value each one uses is data (plants.yaml); `Planted`
says what validation and the summary must then report.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.demo.population import scenarios
from lxbz_xl.workbook.layout import layout_for

PLANTS_FILE = Path(__file__).with_name("plants.yaml")
KINDS = ("overwrite_output", "set_input", "truncate", "resubmit_changed", "duplicate", "withhold")

Written = list[tuple[dict[str, Any], Path]]  # (case, the submission file filled from it)


@dataclass
class Planted:
    expected_invalid: set[str] = field(default_factory=set)  # file names validation must reject
    expected_problems: set[tuple[str, str | None, str | None]] = field(
        default_factory=set
    )  # kind, unit, rubric
    notes: list[str] = field(default_factory=list)  # Chinese, one line per plant

    def rejected(self, case: dict[str, Any], path: Path, note: str) -> None:
        """A unit's only form for a rubric made invalid: validation rejects it, the chain then misses it."""
        self.expected_invalid.add(path.name)
        self.expected_problems |= {
            ("未通过校验", case["unit"], case["rubric"]),
            ("缺报", case["unit"], case["rubric"]),
        }
        self.notes.append(f"{path.name}:{note}")


def plants(path: Path = PLANTS_FILE) -> list[dict[str, Any]]:
    """The plants, checked: each names a known kind and a rubric."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = data.get("plants") if isinstance(data, dict) else None
    if not isinstance(found, list):
        raise ValueError(f"{path}:应有 plants 列表")
    for i, plant in enumerate(found):
        where = f"{path}:plants[{i}]"
        if not isinstance(plant, dict) or plant.get("kind") not in KINDS:
            raise ValueError(f"{where}:kind 应为 {'、'.join(KINDS)} 之一")
        if not isinstance(plant.get("rubric"), str) or not isinstance(plant.get("note"), str):
            raise ValueError(f"{where}:须写 rubric(考评细则标识)和 note(说明)")
    return found


def _pick(
    written: Written, rubric: str, taken: set[str], variant: str = "udf"
) -> tuple[dict[str, Any], Path]:
    """A submission of `rubric` from a unit no scenario relies on and no other plant has used."""
    busy = set(scenarios())
    for case, path in written:
        native = path.stem.endswith("_原生公式")
        if (
            case["rubric"] == rubric
            and case["unit"] not in busy
            and case["unit"] not in taken
            and native == (variant == "native")
        ):
            taken.add(case["unit"])
            return case, path
    raise LookupError(f"演示数据中没有可用于放入问题的{rubric}报送")


def _set_input(path: Path, rubric: str, case_path: str, value: Any) -> None:
    """Change one input cell in place, leaving every other part of the package as filled."""
    from lxbz_xl.workbook.cached_values import rewrite_package

    cell = layout_for(load_rubric(rubric)).by_path()[case_path]
    tmp = path.with_suffix(".tmp")
    rewrite_package(path, tmp, {}, {(cell.sheet, cell.ref): value})
    tmp.replace(path)


def _added(case: dict[str, Any], path: str, add: int) -> dict[str, Any]:
    """A copy of the case with `add` added to the number at `path` (absent: 0); item keys are numbers."""
    import copy

    changed = copy.deepcopy(case)
    node: dict[Any, Any] = changed
    *parents, leaf = [int(p) if p.isdigit() else p for p in path.split(".")]
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = int(node.get(leaf, 0)) + add
    return changed


def plant(written: Written, templates: Path) -> Planted:
    import openpyxl

    from lxbz_xl.workbook.build import template_name
    from lxbz_xl.workbook.fill import fill_case

    planted = Planted()
    taken: set[str] = set()
    for spec in plants():
        kind, rubric, note = spec["kind"], spec["rubric"], spec["note"]
        case, path = _pick(written, rubric, taken)
        if kind == "overwrite_output":  # a clerk typed a number over a computed cell
            cell = layout_for(load_rubric(rubric)).by_path()[spec["output"]]
            wb = openpyxl.load_workbook(path)
            wb[cell.sheet][cell.ref] = spec["value"]
            wb.save(path)
            planted.rejected(case, path, note)
        elif kind == "set_input":
            _set_input(path, rubric, spec["path"], spec["value"])
            planted.rejected(case, path, note)
        elif kind == "truncate":  # unreadable, so neither unit nor rubric is known
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
            planted.expected_invalid.add(path.name)
            planted.expected_problems.add(("未通过校验", None, None))
            planted.notes.append(f"{path.name}:{note}")
        elif kind == "resubmit_changed":  # the summary takes neither of two differing forms
            again = path.with_name(path.stem + "_更正.xlsx")
            changed = _added(case, spec["path"], int(spec.get("add", 1)))
            fill_case(load_rubric(rubric), changed, again, "udf", templates / template_name(rubric, "udf"))
            planted.expected_problems |= {("报送冲突", case["unit"], rubric), ("缺报", case["unit"], rubric)}
            planted.notes.append(f"{again.name}:{note}")
        elif kind == "duplicate":  # the same file twice is counted once
            copy_path = path.with_name(path.stem + "_重复上传.xlsx")
            shutil.copyfile(path, copy_path)
            planted.expected_problems.add(("重复报送", case["unit"], rubric))
            planted.notes.append(f"{copy_path.name}:{note}")
        else:  # withhold
            path.unlink()
            planted.expected_problems.add(("缺报", case["unit"], rubric))
            planted.notes.append(f"{case['unit']}:{note}{load_rubric(rubric).short_name}考评表")
    return planted
