"""The formula compiler (lxbz_xl.workbook.formulas): one walk decides which cells get a formula and from
which node; the UDF and native back ends only say how."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lxbz_xl
from lxbz_xl.definition.loader import builtin_ids, load_definition, load_rubric
from lxbz_xl.workbook.form import plan_for
from lxbz_xl.workbook.formulas import Scope, compile_formulas, item_args
from lxbz_xl.workbook.model import MAIN_SHEET, ItemSlots, Slot
from lxbz_xl.workbook.native_formulas import native_formulas
from lxbz_xl.workbook.plan_main import HINT_REF
from lxbz_xl.workbook.udf_formulas import udf_formulas

RUBRICS = builtin_ids()


class Recorder:
    """A back end that names the node it is asked for, so the walk itself can be checked."""

    def preamble(self) -> dict[tuple[str, str], str]:
        return {}

    def item(self, its: ItemSlots, args: list[str]) -> tuple[str, str, str]:
        return tuple(f"{k}:{its.item.id}:{'|'.join(args)}" for k in ("score", "deduction", "explain"))  # type: ignore[return-value]

    def items_total(self, items: list[ItemSlots]) -> str:
        return f"items_total:{len(items)}"

    def _at(self, scope: Scope) -> str:
        return "unit" if scope.member_index is None else f"m{scope.member_index}"

    def value(self, entity: Any, var: Any, scope: Scope) -> str:
        return f"value:{var.name}@{self._at(scope)}"

    def total(self, entity: Any, scope: Scope) -> str:
        return f"total@{self._at(scope)}"

    def share(self, votes: str, tiers: tuple[str, ...], scope: Scope) -> str:
        return f"share:{votes}:{'+'.join(tiers)}"

    def base_tier(self, entity: Any, scope: Scope) -> str:
        return f"base_tier@{self._at(scope)}"

    def tier(self, entity: Any, base: Slot | None, scope: Scope) -> str:
        return f"tier@{self._at(scope)}:{base.spec.ref if base else '-'}"

    def title(self, entity: Any, scope: Scope) -> str:
        return f"title@{self._at(scope)}"

    def flags(self, entity: Any, scope: Scope) -> str:
        return f"flags@{self._at(scope)}"

    def consequence(self, entity: Any, key: str, tier: Slot, scope: Scope) -> str:
        return f"{key}@{self._at(scope)}:{tier.spec.ref}"


@pytest.mark.parametrize("rid", RUBRICS)
def test_both_variants_have_formulas_in_the_same_cells(rid: str) -> None:
    defn = load_rubric(rid)
    plan = plan_for(defn)
    udf = udf_formulas(plan, f"{defn.id}@{defn.version}")
    native = native_formulas(plan)
    assert set(udf) - {(MAIN_SHEET, HINT_REF)} == set(native)
    # Every output cell of the form has one (the roster's counts through the helpers both variants share).
    outputs = {(c.sheet, c.ref) for c in plan.layout.outputs()}
    assert outputs <= set(native)
    assert all(text.startswith("=") for text in [*udf.values(), *native.values()])


def test_the_walk_asks_for_every_node_in_its_scope() -> None:
    defn = load_rubric("water_saving")  # items and a total of its own
    plan = plan_for(defn)
    out = compile_formulas(plan, Recorder())
    items_total = plan.outputs["items_total"]
    assert out[(MAIN_SHEET, items_total.spec.ref)] == f"=items_total:{len(plan.items)}"
    assert out[(MAIN_SHEET, plan.outputs["total"].spec.ref)] == "=total@unit"
    first = plan.items[0]
    assert out[(MAIN_SHEET, first.score.spec.ref)] == "=score:{}:{}".format(
        first.item.id, "|".join(s.spec.ref for s in first.inputs)
    )
    assert set(out) == set(native_formulas(plan))


def test_member_rows_get_their_nodes_in_the_row_scope() -> None:
    defn = load_rubric("performance")  # members with variables, total and tier; unit tier and notices
    plan = plan_for(defn)
    out = compile_formulas(plan, Recorder())
    assert out[(MAIN_SHEET, plan.outputs["tier"].spec.ref)] == "=tier@unit:-"
    assert out[(MAIN_SHEET, plan.outputs["flags"].spec.ref)] == "=flags@unit"
    m = plan.members
    assert m is not None
    row = m.row_slots[2]
    # A member row's result is blank while the row has no name; the node is asked in the row's scope.
    assert out[(m.sheet, row["tier"].spec.ref)] == f'=IF({m.name_cell(2)}="","",tier@m2:-)'
    assert out[(m.sheet, row["total"].spec.ref)] == f'=IF({m.name_cell(2)}="","",total@m2)'
    var = defn.members.variables[0].name  # type: ignore[union-attr]
    assert out[(m.sheet, row[f"values.{var}"].spec.ref)] == f'=IF({m.name_cell(2)}="","",value:{var}@m2)'


def test_a_base_tier_cell_feeds_the_tier() -> None:
    defn = load_rubric("annual_team")  # vetoes/caps: the base tier has a cell of its own
    plan = plan_for(defn)
    out = compile_formulas(plan, Recorder())
    base = plan.outputs["base_tier"].spec.ref
    assert out[(MAIN_SHEET, base)] == "=base_tier@unit"
    assert out[(MAIN_SHEET, plan.outputs["tier"].spec.ref)] == f"=tier@unit:{base}"
    assert out[(MAIN_SHEET, plan.outputs["shares.team_votes.优秀"].spec.ref)] == "=share:team_votes:优秀"
    # 结果运用 is asked with the final tier's cell (tiers.consequences; no promotable: no 选拔任用 row)
    tier = plan.outputs["tier"].spec.ref
    assert out[(MAIN_SHEET, plan.outputs["consequences"].spec.ref)] == f"=consequences@unit:{tier}"
    assert "promotion" not in plan.outputs


def test_roster_counts_become_the_clause_arguments() -> None:
    defn = load_rubric("learning_team")
    plan = plan_for(defn)
    assert plan.roster is not None
    count_item, count_field = plan.roster.count_field
    its = next(i for i in plan.items if i.item.id == count_item)
    k = [s.path for s in its.item.inputs()].index(count_field)
    cell = its.inputs[k].spec.ref
    count = plan.ref(plan.roster_cells["count"])
    assert item_args(plan, its)[k] == f'IF({count}>0,{count},IF({cell}="","",{cell}))'
    derived = set(plan.roster_cells) | {plan.roster.count_field}
    plain = next(i for i in plan.items if all((i.item.id, s.path) not in derived for s in i.item.inputs()))
    assert item_args(plan, plain) == [s.spec.ref for s in plain.inputs]


def test_the_items_sum_row_is_labelled_from_the_yaml(tmp_path: Path) -> None:
    """A rubric with items and a total of its own names the items' sum row in `form.items_total_label`."""
    text = (Path(lxbz_xl.__file__).parent / "rubrics" / "water_saving.yaml").read_text(encoding="utf-8")
    assert "items_total_label: 节水工作得分合计" in text

    def row_label(yaml_text: str) -> str:
        path = tmp_path / "water_saving.yaml"
        path.write_text(yaml_text, encoding="utf-8")
        plan = plan_for(load_definition(path))
        row = plan.outputs["items_total"].spec.ref[1:]
        return next(t.value for t in plan.texts if t.sheet == MAIN_SHEET and t.ref == f"A{row}")

    assert row_label(text) == "节水工作得分合计"
    assert (
        row_label(text.replace("items_total_label: 节水工作得分合计", "items_total_label: 合计甲"))
        == "合计甲"
    )
    assert row_label(text.replace(", items_total_label: 节水工作得分合计", "")) == "各项得分合计"
