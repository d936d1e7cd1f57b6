"""The problems a real yearly batch has, planted into the demo's filled submissions.

Each plant replaces or adds files the way a unit would: a typed-over total, a count out of range, a
value outside a dropdown, a truncated upload, a corrected resubmission that differs, the same form sent
twice, a form never sent. `Planted` says what validation and the summary must then report.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.demo.population import SCENARIOS
from lxbz_xl.workbook.layout import layout_for

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


def _pick(
    written: Written, rubric: str, taken: set[str], variant: str = "udf"
) -> tuple[dict[str, Any], Path]:
    """A submission of `rubric` from a unit no scenario relies on and no other plant has used."""
    for case, path in written:
        native = path.stem.endswith("_原生公式")
        if (
            case["rubric"] == rubric
            and case["unit"] not in SCENARIOS
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


def plant(written: Written, templates: Path) -> Planted:
    import openpyxl

    from lxbz_xl.workbook.build import template_name
    from lxbz_xl.workbook.fill import fill_case

    planted = Planted()
    taken: set[str] = set()

    # A clerk typed 100 over the computed total.
    case, path = _pick(written, "learning_team", taken)
    cell = layout_for(load_rubric("learning_team")).by_path()["total"]
    wb = openpyxl.load_workbook(path)
    wb[cell.sheet][cell.ref] = 100
    wb.save(path)
    planted.rejected(case, path, "总分公式被改为数值100")

    # 4 missing elements on a clause of 2 (创建方案, 年度创建计划).
    case, path = _pick(written, "learning_party_org", taken)
    _set_input(path, "learning_party_org", "items.1.missing_plan_elements", 4)
    planted.rejected(case, path, "第1项缺项数填为4(只有2项)")

    # A scope the rubric does not know (the dropdown was bypassed by pasting).
    case, path = _pick(written, "annual_team", taken)
    _set_input(path, "annual_team", "scope", "省直")
    planted.rejected(case, path, "考核类别填为“省直”")

    # A truncated upload: unreadable, so neither unit nor rubric is known.
    case, path = _pick(written, "performance", taken)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    planted.expected_invalid.add(path.name)
    planted.expected_problems.add(("未通过校验", None, None))
    planted.notes.append(f"{path.name}:上传不完整(文件被截断)")

    # A "corrected" resubmission that differs from the first: the summary takes neither.
    case, path = _pick(written, "learning_party_org", taken)
    items = {int(k): dict(v) for k, v in (case.get("items") or {}).items()}
    item9 = items.setdefault(9, {})
    item9["members_short_of_hours"] = int(item9.get("members_short_of_hours", 0)) + 1
    again = path.with_name(path.stem + "_更正.xlsx")
    template = templates / template_name("learning_party_org", "udf")
    fill_case(load_rubric("learning_party_org"), {**case, "items": items}, again, "udf", template)
    planted.expected_problems |= {
        ("报送冲突", case["unit"], "learning_party_org"),
        ("缺报", case["unit"], "learning_party_org"),
    }
    planted.notes.append(f"{again.name}:同一单位再次报送且内容不同")

    # The same form sent twice (a copy under another name): counted once.
    case, path = _pick(written, "annual_cadre", taken)
    shutil.copyfile(path, path.with_name(path.stem + "_重复上传.xlsx"))
    planted.expected_problems.add(("重复报送", case["unit"], "annual_cadre"))
    planted.notes.append(f"{path.stem}_重复上传.xlsx:同一文件上传两次")

    # A unit that never sent its Party organisation form.
    case, path = _pick(written, "learning_party_org", taken)
    path.unlink()
    planted.expected_problems.add(("缺报", case["unit"], "learning_party_org"))
    planted.notes.append(f"{case['unit']}:未报送学习型党组织考评表")
    return planted
