"""Raw cell values → case values: the one reader behind the filled form and the worksheet functions.

A cell value is what a spreadsheet reader hands over: None for an empty cell, a float for every number
(Excel stores 3 as 3.0), text (numbers stored as text, 是/否, a dropdown's Chinese label, an Excel error
such as ``#N/A`` from xlwings' ``err_to_str`` or a cached value), or a bool (TRUE/FALSE). Here such values
become what a case file holds, with one meaning of "absent" (RUBRICS.md §0): a blank cell is an absent
value, never a zero. Parsing and range checks stay in the core (``lxbz_xl.inputs.check_value``), so a bad
value gets the same Chinese message as in ``lxbz score``.

Two thin adapters say which cells make which input: ``lxbz_xl.workbook.cases`` maps the form's slots to
cells, ``udfs.args`` maps the worksheet functions' argument positions to cells. Both then call the same
functions below, so the same cell values mean the same case (tests/test_cells_paths.py proves it).
No pydantic model and no spreadsheet library is used here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from lxbz_xl.inputs import INVALID_BALLOTS, InputProblem, number_of, parse_bool_or_none

if TYPE_CHECKING:
    from lxbz_xl.definition.fields import FieldSpec
    from lxbz_xl.definition.rubric import Members

# ---------------------------------------------------------------- one cell


def clean(value: Any) -> Any:
    """One cell: blanks become None, text is stripped, integral floats become int (Excel stores 3 as 3.0)."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if kind is str:
        return value.strip() or None
    return value


def is_blank(value: Any) -> bool:
    """An empty cell: None, or text of nothing but spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_error(value: Any) -> bool:
    """An Excel error cell as a reader hands it over, as text (#N/A, #VALUE!, #DIV/0! …)."""
    return isinstance(value, str) and value.startswith("#")


def text(value: Any) -> str:
    """A cell as text ("" for a blank cell; 3.0 reads as "3")."""
    value = clean(value)
    return "" if value is None else str(value)


def filled(cells: Iterable[Any]) -> list[Any]:
    """The non-blank values of cleaned cells, in order."""
    return [c for c in cells if c is not None]


def enum_code(spec: FieldSpec | None, value: Any) -> Any:
    """A dropdown's Chinese label, an alias or the code itself → the code; anything else is left for the
    core to report (with the allowed values)."""
    if not isinstance(value, str):
        return value
    code = spec.value_of(value) if spec is not None else None
    return code if code is not None else value.strip()


def scalar(raw: Any, kind: str, spec: FieldSpec | None = None) -> Any:
    """One input cell as the case carries it; None for a blank cell (absent).

    ``kind`` is the field type (count/number/bool/enum/text). Text fields read as text (a unit named 3
    reads "3"), enums by their labels and aliases (``spec``), booleans as clerks type them (是/否, 有/无,
    ✓/✗, TRUE/FALSE, 1/0); numbers stay as given (3, 2.5 or the text "3") for the core to parse. A value
    that is not what the field wants is passed on unchanged, so the core names the field and what is allowed.
    """
    value = clean(raw)
    if value is None:
        return None
    if kind == "text":
        return str(value)
    if kind == "enum":
        return enum_code(spec, value)
    if kind == "bool":
        flag = parse_bool_or_none(value)
        return value if flag is None else flag
    return value


def single(cells: list[Any], label: str) -> Any:
    """The one value of a one-cell input given as its cleaned cells; None when empty."""
    values = filled(cells)
    if len(values) > 1:
        raise InputProblem(f"{label}应只填一个值,实为{len(values)}个")
    return values[0] if values else None


def is_name(value: Any) -> bool:
    """A label cell such as 优秀 (as opposed to a count, also when the count is stored as text)."""
    if not isinstance(value, str):
        return False
    try:
        number_of(value)
    except InputProblem:
        return True
    return False


def read_inputs(specs: Sequence[FieldSpec], cells: Sequence[Any]) -> dict[str, Any]:
    """Inputs from their cells, one cell each in order (an item's ``Item.inputs()``, a record's fields):
    path → value, blank cells absent (for an item the core then applies the clause's absent default:
    nothing found, or the full award)."""
    out: dict[str, Any] = {}
    for spec, raw in zip(specs, cells, strict=False):
        value = scalar(raw, spec.type, spec)
        if value is not None:
            out[spec.path] = value
    return out


# ---------------------------------------------------------------- composite inputs


def chunks(cells: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(cells[i : i + size]) for i in range(0, len(cells), size)]


def votes(cells: list[Any], spec: FieldSpec) -> dict[str, Any] | None:
    """A vote table from its cleaned cells in tier order; one more cell, if given, is the count of invalid
    ballots (无效). Blank tiers are absent (the core counts them as 0); None when every cell is blank."""
    tiers = spec.values
    if all(c is None for c in cells):
        return None
    if len(cells) not in (len(tiers), len(tiers) + 1):
        raise InputProblem(
            f"{spec.label}应为{len(tiers)}个票数(依次为{'/'.join(tiers)}),实为{len(cells)}个单元格"
        )
    return {t: c for t, c in zip([*tiers, INVALID_BALLOTS], cells, strict=False) if c is not None}


def labelled_votes(pairs: list[tuple[str, Any]], spec: FieldSpec) -> dict[str, Any] | None:
    """A vote table from (tier name, count) pairs, as a range with its own tier labels gives them. Every
    named tier is kept (a blank count is 0 to the core), so a misspelt tier name is still reported."""
    out: dict[str, Any] = {}
    for name, count in pairs:
        key = str(name)
        if key in out:
            raise InputProblem(f"{spec.label}的档次“{name}”重复")
        out[key] = count
    return out if any(v is not None for v in out.values()) else None


def numbers(cells: Iterable[Any]) -> list[Any] | None:
    """A list input (述职测评打分…): its non-blank cells in order; None when all are blank."""
    return filled(cells) or None


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def records(rows: list[list[Any]], spec: FieldSpec) -> list[dict[str, Any]] | None:
    """Records (加减分: points, reason): one row of cleaned cells each; blank rows are skipped."""
    fields = spec.fields
    out = []
    for row in rows:
        if all(c is None for c in row):
            continue
        if filled(row[len(fields) :]):
            raise InputProblem(
                f"{spec.label}每条记录应为{len(fields)}列({'、'.join(f.label for f in fields)})"
            )
        record: dict[str, Any] = {}
        for path, value in read_inputs(fields, row).items():
            set_path(record, path, value)
        out.append(record)
    return out or None


def ballots(
    rows: list[list[Any]], names: Sequence[str | None], spec: FieldSpec
) -> list[dict[str, str]] | None:
    """Ballots: one row of cleaned cells per ballot, column j rating the member of members-table row j
    (``names[j]``, None for a row without a name: a mark under it rates nobody, as the form's ballot sheet
    has no heading there). Blank rows are skipped; a blank cell means the ballot does not rate that member.
    None when no ballot is filled; an error when there is no members table at all."""
    used = [r for r in rows if any(c is not None for c in r)]
    if not used:
        return None
    if not names:
        raise InputProblem(f"{spec.label}需要成员表:每列对应成员表中的一名成员")
    tiers = frozenset(spec.values)
    out = []
    for i, row in enumerate(used, 1):
        if filled(row[len(names) :]):
            raise InputProblem(f"{spec.label}:第{i}张选票的列数多于被评价人数({len(names)}人)")
        ballot = {}
        for name, cell in zip(names, row, strict=False):
            if cell is None or name is None:
                continue
            # A tier as typed (the common case) is taken as it is; a label or alias is looked up.
            ballot[name] = cell if cell in tiers else str(scalar(cell, "enum", spec))
        if ballot:
            out.append(ballot)
    return out or None


def input_value(
    spec: FieldSpec, cells: list[Any], rows: list[list[Any]] | None = None, names: Sequence[str | None] = ()
) -> Any:
    """One input of any type from its cleaned cells (row by row); ``rows`` are the same cells as rows
    (records, ballots). None when every cell is blank."""
    if all(c is None for c in cells):
        return None
    kind = spec.type
    if kind == "votes":
        return votes(cells, spec)
    if kind == "numbers":
        return numbers(cells)
    if kind == "records":
        width = len(spec.fields)
        grid = rows if rows and all(len(r) == width for r in rows) else chunks(cells, width)
        return records(grid, spec)
    if kind == "ballots":
        return ballots(rows if rows is not None else [cells], names, spec)
    return scalar(single(cells, spec.label), kind, spec)


# ---------------------------------------------------------------- a member row


def member_layout(members: Members) -> list[str]:
    """The cells of a member row, in order, by label."""
    out = []
    for spec in members.inputs:
        if spec.type == "votes":
            out += [f"{spec.label}({tier})" for tier in spec.values]
        elif spec.type in ("numbers", "records"):
            out.append(f"{spec.label}(其余各列)")
        else:
            out.append(spec.label)
    return out


def member_record(members: Members, cells: list[Any]) -> dict[str, Any] | None:
    """One member's record from the cleaned cells of the member's row; None for a blank row.

    The row is the member's inputs in order: one cell each, a vote table one cell per tier, and a trailing
    list or record field takes the rest of the row (as point/reason pairs for records).
    """
    if all(c is None for c in cells):
        return None
    record: dict[str, Any] = {}
    pos = 0
    last = len(members.inputs) - 1
    for k, spec in enumerate(members.inputs):
        value: Any
        if spec.type == "votes":
            part = cells[pos : pos + len(spec.values)]
            pos += len(spec.values)
            value = votes(part + [None] * (len(spec.values) - len(part)), spec)
        elif spec.type == "numbers":
            part = cells[pos:] if k == last else cells[pos : pos + 1]
            pos += len(part)
            value = numbers(part)
        elif spec.type == "records":
            part = cells[pos:] if k == last else cells[pos : pos + len(spec.fields)]
            pos += len(part)
            value = records(chunks(part, len(spec.fields)), spec)
        else:
            value = scalar(cells[pos] if pos < len(cells) else None, spec.type, spec)
            pos += 1
        if value is not None:
            set_path(record, spec.path, value)
    extra = filled(cells[pos:])
    if extra:
        raise InputProblem(
            f"{members.label}行多出{len(extra)}个值;应依次为:{'、'.join(member_layout(members))}"
        )
    return record


def member_names(rows: Sequence[dict[str, Any] | None], name_field: str) -> list[str | None]:
    """The name of each members-table row, None for a row without one: ballot column j rates row j."""
    out: list[str | None] = []
    for row in rows:
        name = None if row is None else row.get(name_field)
        out.append(None if name is None or name == "" else str(name))
    return out
