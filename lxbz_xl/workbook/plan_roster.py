"""Planner of the roster sheet (班子成员明细), compiled from the rubric's `roster:` block (roster.py):
its columns, one hidden helper column per derived count (1 when the row counts), the counts below, and
the clause arguments of the item table switched to "the roster count when the roster has names, else
the typed cell" (formulas.item_args)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.model import NO, YES, col
from lxbz_xl.workbook.plan_context import PlanContext, plain


def plan_roster(ctx: PlanContext) -> None:
    """The roster sheet of the rubric's `roster:` block; clause arguments become roster-or-typed."""
    roster = ctx.roster
    if roster is None:
        return
    defn = ctx.defn
    first_row, n = 4, roster.rows
    cols_in = {c.key: 2 + k for k, c in enumerate(roster.columns)}
    last_input = 1 + len(roster.columns)
    helper_first = last_input + 1
    widths = {"A": 5.0} | {col(2 + k): c.width for k, c in enumerate(roster.columns)}
    for k in range(len(roster.derived) + 1):
        widths[col(helper_first + k)] = 6.0
    hidden = [col(helper_first + k) for k in range(len(roster.derived) + 1)]
    name_flag = col(helper_first + len(roster.derived))  # 1 when the row has a name
    last_col = helper_first + len(roster.derived) - 1
    heading = f"{defn.short_name} · {roster.sheet}(填写后,各项人数按明细统计;不填则在考评表直接填写人数)"
    sheet = ctx.row_sheet(roster.sheet, widths, first_row, hidden, heading, col(last_input), 36)
    for c in roster.columns:
        cc = col(cols_in[c.key])
        ctx.text(sheet, f"{cc}2", c.label, "header", f"{cc}2:{cc}3")
    for k, d in enumerate(roster.derived):
        cc = col(helper_first + k)
        ctx.text(sheet, f"{cc}2", "统计", "header")
        ctx.text(sheet, f"{cc}3", d.label, "header")
    sheet.heights[2] = 22
    sheet.heights[3] = 60
    for r in range(n):
        row = first_row + r
        ctx.text(sheet, f"A{row}", str(r + 1), "center")
        for c in roster.columns:
            kind = c.type
            fs = c.spec or FieldSpec(path=c.key, label=c.label, type=kind)  # type: ignore[arg-type]
            ctx.slot(
                sheet,
                f"{col(cols_in[c.key])}{row}",
                f"R{r + 1}_{c.key}",
                "input",
                f"roster.{r + 1}.{c.key}",
                kind,
                fs,
            )
        name = f"${col(cols_in[roster.name])}{row}"

        def bool_is(key: str, kind: str, row: int = row) -> str:
            # 是/否 as typed; a blank cell is the column's default (as the core reads it).
            cell = f"${col(cols_in[key])}{row}"
            want, blank_too = (
                (YES, roster.column(key).default is True)
                if kind == "yes"
                else (NO, roster.column(key).default is False)
            )
            return f'OR({cell}="{want}",{cell}="")' if blank_too else f'{cell}="{want}"'

        for k, d in enumerate(roster.derived):
            tests = []
            for t in d.tests:
                if t[0] in ("no", "yes"):
                    tests.append(bool_is(t[1], t[0]))
                else:
                    tests.append(_number_below(defn, roster.column(t[1]), f"{col(cols_in[t[1]])}{row}", t[2]))
            cond = tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"
            who = None
            if d.who != "all" and roster.principal is not None:
                who = bool_is(roster.principal, "yes" if d.who == "principal" else "no")
            full = f'AND({name}<>"",{who},{cond})' if who else f'AND({name}<>"",{cond})'
            ctx.helpers[(roster.sheet, f"{col(helper_first + k)}{row}")] = f"=IF({full},1,0)"
            ctx.roster_flags[(r, k)] = f"{col(helper_first + k)}{row}"
            ctx.text(sheet, f"{col(helper_first + k)}{row}", "", "helper")
        ctx.helpers[(roster.sheet, f"{name_flag}{row}")] = f'=IF({name}="",0,1)'
        ctx.roster_flags[(r, -1)] = f"{name_flag}{row}"
        ctx.text(sheet, f"{name_flag}{row}", "", "helper")
        sheet.heights[row] = 18
    # Summary: number of named rows, then each derived count.
    srow = first_row + n + 1
    ctx.text(
        sheet,
        f"A{srow}",
        "按明细统计的人数(明细为空时,考评表按直接填写的人数计分)",
        "section",
        f"A{srow}:{col(last_input)}{srow}",
    )
    srow += 1
    last = first_row + n - 1
    entries: list[tuple[Any, str, str]] = [
        ("count", "班子成员人数(有姓名的行数)", f"=SUM({name_flag}{first_row}:{name_flag}{last})")
    ]
    for k, d in enumerate(roster.derived):
        cc = col(helper_first + k)
        item = next(i for i in defn.items if i.id == d.item)
        spec = next(s for s in item.inputs() if s.path == d.field)
        entries.append(((d.item, d.field), f"第{d.item}项 {spec.label}", f"=SUM({cc}{first_row}:{cc}{last})"))
    for key, label, formula in entries:
        ctx.text(sheet, f"B{srow}", label, "label", f"B{srow}:F{srow}")
        path = "derived.count" if key == "count" else f"derived.items.{key[0]}.{key[1]}"
        name = "R_COUNT" if key == "count" else f"R_I{key[0]}_{key[1]}"
        slot = ctx.slot(sheet, f"G{srow}", name, "output", path, "number", number_format="0")
        ctx.helpers[(roster.sheet, f"G{srow}")] = formula
        ctx.roster_cells[key] = (roster.sheet, slot.spec.ref)
        sheet.heights[srow] = 18
        srow += 1
    sheet.last_row, sheet.last_col = srow, last_col


def _number_below(defn: RubricDefinition, column: Any, cell: str, bound: str) -> str:
    """A number was entered, is one the core accepts (its bounds, whole for counts), and is below `bound`."""
    parts: list[str] = []
    spec = column.spec
    for attr, op in (("min", ">="), ("max", "<=")):
        limit = getattr(spec, attr, None) if spec is not None else None
        if limit is None and attr == "min" and column.type == "count":
            limit = Decimal(0)  # the core reads a count as a whole number ≥ 0
        if isinstance(limit, Decimal) or (isinstance(limit, str) and limit.startswith("$")):
            text = plain(limit) if isinstance(limit, Decimal) else param_value(defn, limit)
            parts.append(f"{cell}{op}{text}")
    if column.type == "count":
        parts.append(f"{cell}=INT({cell})")
    parts.append(f"{cell}<{param_value(defn, bound)}")
    # IF, not AND: AND evaluates every argument, and INT of a text cell is #VALUE!.
    return f"IF(ISNUMBER({cell}),AND({','.join(parts)}),FALSE)"


def param_value(defn: RubricDefinition, text: str) -> str:
    if text.startswith("$"):
        return plain(defn.parameters[text[1:]].value)
    return text
