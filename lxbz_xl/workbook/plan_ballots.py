"""Planner of the ballot matrix sheet (`ballots` inputs): a row per ballot, a column per member of the
member table (plan_members runs first), and the 有效票/作废票 helper columns of the ballot-validity rule."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from lxbz_xl.definition import logic as L
from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.model import Block, SheetPlan, col, quote
from lxbz_xl.workbook.plan_context import PlanContext, cell_name, sheet_title


def ballot_rule(defn: RubricDefinition, path: str) -> tuple[str, Fraction] | None:
    """(tier, max share) of the ballot-validity rule for the ballots input `path`, from the definition."""
    entities: list[Any] = [defn] + ([defn.members] if defn.members else [])
    for ent in entities:
        for var in ent.variables:
            expr = var.expr
            body = (
                expr.invalid_ballots
                if isinstance(expr, L.InvalidBallotsExpr)
                else expr.ballot_points
                if isinstance(expr, L.BallotPointsExpr)
                else None
            )
            if body is not None and body.ballots == path and body.tier and body.max_share is not None:
                share = body.max_share
                value = defn.parameters[share[1:]].value if isinstance(share, str) else share
                if not isinstance(value, Decimal):
                    raise ValueError(f"{defn.id}: the ballot rule's max_share of {path} must be one number")
                return body.tier, Fraction(value)
    return None


def plan_ballots(ctx: PlanContext, spec: FieldSpec) -> Block:
    """The matrix sheet of ballots input `spec`; returns its block (the main sheet points to it)."""
    assert ctx.members is not None, "ballots need a member table"
    defn = ctx.defn
    m = ctx.members
    title = sheet_title(spec.label)
    n = m.rows
    widths: dict[str, float] = {"A": 8, **{col(2 + j): 7 for j in range(n)}}
    sheet = SheetPlan(title, widths, freeze="B4", print_rows="3:3", landscape=ctx.landscape, print_cols="A:A")
    ctx.sheets.append(sheet)
    last = col(1 + n)
    ctx.text(sheet, "A1", spec.label, "title", f"A1:{last}1")
    sheet.heights[1] = 30
    ctx.text(
        sheet,
        "A2",
        f"每行一张选票,每列一名被评价干部(姓名取自“{m.sheet}”表);"
        f"选择{'/'.join(spec.values)}。{spec.description or ''}",
        "subtitle",
        f"A2:{last}2",
    )
    sheet.heights[2] = 30
    ctx.text(sheet, "A3", "选票号", "header")
    name_col = col(m.inputs[0][1][0])
    for j in range(n):
        ref = f"{col(2 + j)}3"
        ctx.helpers[(title, ref)] = (
            f'=IF({quote(m.sheet)}!{name_col}{m.first_row + j}="","",'
            f"{quote(m.sheet)}!{name_col}{m.first_row + j})"
        )
        ctx.text(sheet, ref, "", "header")
    sheet.heights[3] = 30
    slots = []
    one = FieldSpec(path=spec.path, label="评价", type="enum", values=spec.values)
    base = cell_name(spec.path)
    ballots = defn.form.ballots
    for b in range(1, ballots + 1):
        r = b + 3
        ctx.text(sheet, f"A{r}", str(b), "center")
        for j in range(n):
            slots.append(
                ctx.slot(
                    sheet,
                    f"{col(2 + j)}{r}",
                    f"{base}_{b}_{j + 1}",
                    "input",
                    f"{spec.path}.{b}.{j + 1}",
                    "enum",
                    one,
                )
            )
    # Helper columns: 有效 / 作废 per ballot (the ballot rule: at most floor(share × evaluated) "好").
    rule = ballot_rule(defn, spec.path)
    vcol, icol = col(2 + n), col(3 + n)
    sheet.widths[vcol] = sheet.widths[icol] = 6
    ctx.text(sheet, f"{vcol}3", "有效票", "header")
    ctx.text(sheet, f"{icol}3", "作废票", "header")
    # A mark counts only under a member's name (row 3), as in the core: a column whose member row has no
    # name rates nobody, and a ballot marked only there is no ballot (cells.ballots).
    named = f'($B$3:${last}$3<>"")'
    for b in range(1, ballots + 1):
        r = b + 3
        row = f"$B{r}:${last}{r}"
        marks = "+".join(f'({row}="{v}")' for v in spec.values)
        nonempty = f"SUMPRODUCT(({marks})*{named})>0"
        if rule is None:
            bad = "FALSE"
        else:
            tier, share = rule
            top = f'SUMPRODUCT(({row}="{tier}")*{named})'
            bad = f"{share.denominator}*{top}>{share.numerator}*{m.count_formula(title)}"
        ctx.helpers[(title, f"{vcol}{r}")] = f"=IF(AND({nonempty},NOT({bad})),1,0)"
        ctx.helpers[(title, f"{icol}{r}")] = f"=IF(AND({nonempty},{bad}),1,0)"
        ctx.text(sheet, f"{vcol}{r}", "", "helper")
        ctx.text(sheet, f"{icol}{r}", "", "helper")
    ctx.ballot_flags = (title, vcol, icol, 4, ballots + 3)
    sheet.last_row, sheet.last_col = ballots + 3, n + 3
    return Block(spec, slots, title, "B4", f"{last}{ballots + 3}")
