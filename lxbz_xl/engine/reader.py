"""Reading plans: the parsed input values of a sound case, by generated straight-line Python.

A Reader walks a field list's key tree once per case, parses each field by the branch its type needs
(whole counts and numbers within fixed bounds, yes/no, plain vote tables, texts, records of sound fields
are read inline; anything else through inputs.check_value) and refuses a level with a key it does not
know. `read` returns None when anything is off: the caller then runs inputs.read_fields for the exact
errors, so a sound input reads the same either way (tests/test_compiled.py).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from lxbz_xl.definition.fields import FieldSpec
from lxbz_xl.definition.rubric import RubricDefinition

_ABSENT = object()


class Reader:
    """A field list's reading plan: the key tree walked once, literal count bounds resolved once.

    `read` returns the parsed values of a sound input, or None when anything is off (a missing, bad or
    unknown value): the caller then runs inputs.read_fields for the exact errors, so a sound input reads
    the same either way (tests/test_compiled.py). Values come out in field order, as read_fields gives.
    """

    def __init__(self, defn: RubricDefinition, specs: list[FieldSpec]) -> None:
        from lxbz_xl.inputs import _is_static, resolve_num

        self.defn = defn
        self.order = [s.path for s in specs]
        self.tree: list[Any] = []
        # A bound chosen by another field (ByField) reads the fields before it: keep the flat order then.
        self.usable = all(_is_static(s.min) and (_is_static(s.max) or _is_at(s.max)) for s in specs)
        branches: dict[tuple[str, ...], list[Any]] = {(): self.tree}
        leaves: set[tuple[str, ...]] = set()
        for spec in specs:
            bounds = None
            if spec.type == "count" and _is_static(spec.min) and _is_static(spec.max):
                lo = resolve_num(defn, spec.min) if spec.min is not None else None
                hi = resolve_num(defn, spec.max) if spec.max is not None else None
                if (lo is None or int(lo) == lo) and (hi is None or int(hi) == hi):
                    bounds = (0 if lo is None else max(0, int(lo)), None if hi is None else int(hi))
            parts = tuple(spec.path.split("."))
            for i in range(1, len(parts)):
                if parts[:i] not in branches:
                    branches[parts[:i]] = []
                    branches[parts[: i - 1]].append(
                        (parts[i - 1], _number(parts[i - 1]), False, branches[parts[:i]])
                    )
            needed = spec.required or spec.required is None
            quick = (spec.path, bounds, spec, needed, spec.default, _is_at(spec.max), spec.type == "bool")
            branches[parts[:-1]].append((parts[-1], _number(parts[-1]), True, quick))
            leaves.add(parts)
        if leaves & set(branches):  # a path that is both a value and a group: leave it to read_fields
            self.usable = False
        walked: list[str] = []
        _leaf_order(self.tree, walked)
        self.reorder = walked != self.order
        self._walk = _generate(self.tree, defn) if self.usable else None

    def read(self, data: dict[str, Any]) -> dict[str, Any] | None:
        if not self.usable:
            return None
        values: dict[str, Any] = {}
        given: dict[str, Any] = {}
        if self._walk is None or not self._walk(data, values, given):
            return None
        if self.reorder:
            return {p: values[p] for p in self.order if p in values}
        return values


def _generate(tree: list[Any], defn: RubricDefinition) -> Callable[..., bool]:
    """Straight-line Python for one key tree: each level's keys looked up by name, each field parsed by
    the branch its type needs, and a level with a key it does not know refused (read_fields names it)."""
    from lxbz_xl.inputs import InputProblem, check_value, within_named_bound

    env: dict[str, Any] = {
        "ABSENT": _ABSENT,
        "InputProblem": InputProblem,
        "check_value": check_value,
        "within_named_bound": within_named_bound,
        "absent": _absent,
        "defn": defn,
        "quick_votes": _quick_votes,
        "quick_records": _quick_records,
        "plain_decimal": _plain_decimal,
        "Fraction": Fraction,
    }
    lines: list[str] = []
    bounded: list[tuple[str, str, str]] = []  # (flag variable, path, spec constant) of @-bounded fields
    # Only a field that bounds another (`max: "@items.7.members"`) is looked up in `given`.
    bounds_named: set[str] = set()
    _bound_names(tree, bounds_named)
    tops: dict[str, str] = {}  # bounding field → variable holding the largest plain count it bounds

    def const(value: Any) -> str:
        name = f"c{len(env)}"
        env[name] = value
        return name

    def level(plan: list[Any], depth: int, pad: str) -> None:
        node, seen = f"n{depth}", f"m{depth}"
        lines.append(f"{pad}{seen} = 0")
        for key, number, leaf, payload in plan:
            lines.append(f"{pad}if {key!r} in {node}:")
            lines.append(f"{pad}    raw = {node}[{key!r}]")
            lines.append(f"{pad}    {seen} += 1")
            if number is not None:
                lines.append(f"{pad}elif {number!r} in {node}:")
                lines.append(f"{pad}    raw = {node}[{number!r}]")
                lines.append(f"{pad}    {seen} += 1")
            lines.append(f"{pad}else:")
            lines.append(f"{pad}    raw = ABSENT")
            if not leaf:
                lines.append(f"{pad}if raw is ABSENT:")
                lines.append(f"{pad}    if not absent({const(payload)}, values):")
                lines.append(f"{pad}        return False")
                lines.append(f"{pad}else:")
                lines.append(f"{pad}    if type(raw) is not dict:")
                lines.append(f"{pad}        return False")
                lines.append(f"{pad}    n{depth + 1} = raw")
                level(payload, depth + 1, pad + "    ")
                continue
            path, bounds, spec, needed, default, at, flag = payload
            target = f"values[{path!r}] = given[{path!r}]" if path in bounds_named else f"values[{path!r}]"
            branch = "if"
            if bounds is not None:
                top = "" if bounds[1] is None else f" and raw <= {bounds[1]!r}"
                lines.append(f"{pad}if type(raw) is int and {bounds[0]!r} <= raw{top}:")
                lines.append(f"{pad}    {target} = raw")
                branch = "elif"
            lines.append(f"{pad}{branch} raw is ABSENT or raw is None:")
            if needed:
                lines.append(f"{pad}    return False")
            elif default is not None:
                lines.append(f"{pad}    values[{path!r}] = {const(default)}")
            else:
                lines.append(f"{pad}    pass")
            spec_name = const(spec)
            if at:  # bounded by another field: checked once every field is read
                flag_name = f"p{len(bounded)}"
                bounded.append((flag_name, path, spec_name))
                if spec.type == "count" and spec.min is None:
                    # A plain count: only the largest one per bounding field is compared at the end.
                    top = tops.setdefault(str(spec.max)[1:], f"t{len(tops)}")
                    lines.append(f"{pad}elif type(raw) is int and raw >= 0:")
                    lines.append(f"{pad}    values[{path!r}] = raw")
                    lines.append(f"{pad}    if raw > {top}:")
                    lines.append(f"{pad}        {top} = raw")
                lines.append(f"{pad}else:")
                lines.append(f"{pad}    values[{path!r}] = raw")
                lines.append(f"{pad}    {flag_name} = True")
                continue
            if flag:
                lines.append(f"{pad}elif type(raw) is bool:")
                lines.append(f"{pad}    {target} = raw")
            number = _number_tests(defn, spec, const)
            if number is not None:  # a plain number within fixed bounds: inputs.number_of's exact value
                whole, decimal = number
                lines.append(f"{pad}elif {whole}:")
                lines.append(f"{pad}    {target} = Fraction(raw)")
                lines.append(f"{pad}elif {decimal}:")
                lines.append(f"{pad}    {target} = q")
            if spec.type == "enum" and spec.values:  # a coded value as it is (FieldSpec.value_of)
                lines.append(f"{pad}elif type(raw) is str and raw in {const(frozenset(spec.values))}:")
                lines.append(f"{pad}    {target} = raw")
            if spec.type == "text":  # inputs._check: str(value)
                lines.append(f"{pad}elif type(raw) is str:")
                lines.append(f"{pad}    {target} = raw")
            if spec.type == "records" and spec.fields:
                rows = Reader(defn, spec.fields)
                if rows.usable:
                    lines.append(
                        f"{pad}elif type(raw) is list and (q := quick_records({const(rows)}, raw)) is not None:"
                    )
                    lines.append(f"{pad}    {target} = q")
            if spec.type == "votes" and spec.values:
                lines.append(
                    f"{pad}elif type(raw) is dict and (q := quick_votes({const(tuple(spec.values))}, raw)):"
                )
                lines.append(f"{pad}    {target} = q")
            lines.append(f"{pad}else:")
            lines.append(f"{pad}    try:")
            lines.append(f"{pad}        {target} = check_value(defn, {spec_name}, raw, values.get)")
            lines.append(f"{pad}    except InputProblem:")
            lines.append(f"{pad}        return False")
        lines.append(f"{pad}if {seen} != len({node}):")
        lines.append(f"{pad}    return False")

    lines.append("    if type(n0) is not dict:")
    lines.append("        return False")
    level(tree, 0, "    ")
    for name, top in tops.items():  # a plain count above its bound (or an odd bound): read_fields says
        lines.append(f"    b = given.get({name!r})")
        lines.append(f"    if b is not None and (type(b) is not int or {top} > b):")
        lines.append("        return False")
    for flag_name, path, spec_name in bounded:
        spec = env[spec_name]
        lines += [f"    if {flag_name}:", f"        v = values[{path!r}]"]
        if spec.type == "count" and spec.min is None:  # inputs.within_named_bound, written out
            lines += [
                f"        b = given.get({str(spec.max)[1:]!r})",
                "        ok = type(v) is int and v >= 0 and (b is None or (type(b) is int and v <= b))",
            ]
        else:
            lines.append(f"        ok = within_named_bound({spec_name}, v, given)")
        lines += [
            "        if not ok:",
            "            try:",
            f"                values[{path!r}] = check_value(defn, {spec_name}, v, given.get)",
            "            except InputProblem:",
            "                return False",
        ]
    lines.append("    return True")
    head = ["def walk(n0, values, given):", *(f"    {f} = False" for f, _, _ in bounded)]
    head += [f"    {top} = 0" for top in tops.values()]
    exec(compile("\n".join(head + lines), f"<reader of {defn.id}>", "exec"), env)
    return env["walk"]  # type: ignore[no-any-return]


def _number_tests(
    defn: RubricDefinition, spec: FieldSpec, const: Callable[[Any], str]
) -> tuple[str, str] | None:
    """For a `number` input with fixed bounds, two tests on `raw` that inputs._check would accept as it
    is: a whole number (an int of at most 30 digits; its value Fraction(raw)) and a float written
    without an exponent (inputs.number_of reads its shortest repr; here `_plain_decimal`, kept in
    `q`), each within the bounds. None for any other input."""
    from lxbz_xl.inputs import _LIMIT, _is_static, resolve_num

    if spec.type != "number" or not (_is_static(spec.min) and _is_static(spec.max)):
        return None
    whole = f"type(raw) is int and {-_LIMIT} < raw < {_LIMIT}"
    # repr(x) has no exponent for 1e-4 <= |x| < 1e16: a plain decimal, as a clerk would type it.
    decimal = "type(raw) is float and (raw == 0.0 or 0.0001 <= abs(raw) < 1e16)"
    exact = " and (q := plain_decimal(raw)) is q"
    for bound, op in ((spec.min, ">="), (spec.max, "<=")):
        value = resolve_num(defn, bound) if bound is not None else None
        if value is not None:
            whole += f" and raw {op} {const(value)}"
            if type(value) is int and abs(value) < 2**53:
                # A whole bound is a float exactly, and rounding to the nearest float keeps order: the
                # float compares with it as its shortest repr does (one equal to it reads as it).
                decimal += f" and raw {op} {value}"
            else:
                exact += f" and q {op} {const(value)}"
    return whole, decimal + exact


def _plain_decimal(raw: float) -> Fraction:
    """The exact value of a float's shortest repr written without an exponent ("0.75" → 3/4)."""
    whole, _, decimals = repr(raw).partition(".")
    return Fraction(int(whole + decimals), 10 ** len(decimals))


def _quick_records(rows: Reader, raw: list[Any]) -> list[dict[str, Any]] | None:
    """inputs._records of records that each read soundly (their fields' reading plan): the same parsed
    records; None sends any other list to inputs._records (and its message)."""
    out = []
    for record in raw:
        if type(record) is not dict:
            return None
        parsed = rows.read(record)
        if parsed is None:
            return None
        out.append(parsed)
    return out


def _quick_votes(tiers: tuple[str, ...], raw: dict[Any, Any]) -> dict[str, int] | None:
    """inputs._votes of the plain vote table: each tier once as a whole non-negative count, no other key
    (no 无效 count), some votes cast. None sends any other table to inputs._votes (and its message)."""
    from lxbz_xl.inputs import _LIMIT

    if len(raw) != len(tiers):
        return None
    out: dict[str, int] = {}
    total = 0
    for tier in tiers:
        count = raw.get(tier)
        if type(count) is not int or not 0 <= count < _LIMIT:
            return None
        out[tier] = count
        total += count
    return out if total else None


def _bound_names(plan: list[Any], out: set[str]) -> None:
    for _, _, leaf, payload in plan:
        if not leaf:
            _bound_names(payload, out)
        elif payload[5]:  # bounded by the field its `max` names
            out.add(str(payload[2].max)[1:])


def _is_at(bound: Any) -> bool:
    return isinstance(bound, str) and bound.startswith("@")


def _number(part: str) -> int | None:
    # Item keys may be ints in YAML (`1:`) or strings in JSON ("1"): both are read.
    return int(part) if part.isdigit() else None


def _absent(plan: list[Any], values: dict[str, Any]) -> bool:
    """A whole group is missing: its optional fields take their defaults; a required one fails."""
    for _, _, leaf, payload in plan:
        if not leaf:
            if not _absent(payload, values):
                return False
            continue
        path, _, _, needed, default, *_ = payload
        if needed:
            return False
        if default is not None:
            values[path] = default
    return True


def _leaf_order(plan: list[Any], out: list[str]) -> None:
    for _, _, leaf, payload in plan:
        if leaf:
            out.append(payload[0])
        else:
            _leaf_order(payload, out)
