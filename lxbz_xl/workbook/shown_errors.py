"""Which input error a form cell shows, shared by the worksheet functions (udfs/results.py), the native
formulas' model of themselves (cached_values.py) and the native back end (native_formulas.py).

An error shows where it belongs (RUBRICS.md §0: nothing computable is left blank without a reason, and the
form never disagrees with `lxbz score`):

* a unit-level cell shows the first error of the unit (an error not belonging to one member), else the
  core's value — a member whose own inputs are wrong does not hide the unit's results, which the core
  computes without that member;
* a member row shows the member's own first error, else the unit's first error, else the member's values.

The text is "#LXBZ! " and the core's own message (at most MAX_MESSAGE characters). The native variant can
name only the errors a formula can detect - no valid vote or ballot (`names_in_native`); for any other
error it shows "" where the UDF variant shows the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.inputs import InputError, read_fields
from lxbz_xl.result import MemberResult, Result

ERROR_PREFIX = "#LXBZ! "
MAX_MESSAGE = 200  # a cell message stays short even when it echoes a long value
# The core's words (lxbz_xl.inputs._votes) after a vote table's label: every ballot blank or invalid.
NO_VALID_VOTES = "没有有效票(各档次票数之和为0)"
SHARE_LABEL = "票数"  # the label LXBZ_VOTE_SHARE gives a vote table it knows no name of
# The core's words (lxbz_xl.engine.exprs._ballot_reason) when no ballot, or none rating one member, is valid.
NO_VALID_BALLOT = "没有有效选票"
NO_VALID_BALLOT_FOR = "的有效选票中没有对"
MEMBER_TOTAL_LABEL = "个人得分"  # what the core calls a member's total in its messages (engine.evaluate)


def error_text(message: str) -> str:
    """What a cell shows for an error message: "#LXBZ! " and the message, shortened to MAX_MESSAGE."""
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return ERROR_PREFIX + message


def _member_prefix(defn: RubricDefinition) -> str | None:
    return f"{defn.members.key}." if defn.members is not None else None


def member_of(defn: RubricDefinition, error: InputError) -> int | None:
    """The 0-based member an error belongs to (field `members.<n>…`), None for a unit-level error."""
    prefix = _member_prefix(defn)
    if prefix is None or not error.field.startswith(prefix):
        return None
    number = error.field[len(prefix) :].split(".", 1)[0]
    return int(number) - 1 if number.isdigit() else None


def unit_error(defn: RubricDefinition, result: Result) -> InputError | None:
    """The first error of the unit itself (not one member's); None when the unit has none."""
    return next((e for e in result.errors if member_of(defn, e) is None), None)


def member_error(defn: RubricDefinition, result: Result, index: int) -> InputError | None:
    """The error member `index` (0-based, among the case's members) shows: its own first, else the unit's."""
    own = next((e for e in result.errors if member_of(defn, e) == index), None)
    return own or unit_error(defn, result)


def member_outcomes(
    defn: RubricDefinition, result: Result, records: Sequence[Any]
) -> list[MemberResult | None]:
    """result.members aligned with the case's member records: None for a member the core left out (its
    inputs could not be read). A member with an error computed later (a total it cannot compute) is kept
    in result.members, so the two are told apart by reading the record again, as the core did."""
    spec = defn.members
    if spec is None:
        return []
    with_errors = {i for e in result.errors if (i := member_of(defn, e)) is not None}
    found = iter(result.members)
    out: list[MemberResult | None] = []
    for i, record in enumerate(records):
        skipped = i in with_errors and (
            not isinstance(record, dict) or bool(read_fields(defn, spec.inputs, record)[1])
        )
        out.append(None if skipped else next(found, None))
    return out


def names_in_native(defn: RubricDefinition, error: InputError) -> bool:
    """Whether the native variant's formulas name this error (the core's message, word for word): a vote
    table with no valid vote, no valid ballot at all, no valid ballot rating one member."""
    message = error.message
    field = error.field
    index = member_of(defn, error)
    if index is not None:
        assert defn.members is not None
        path = field.split(".", 2)[2] if field.count(".") >= 2 else ""
        spec = next((s for s in defn.members.inputs if s.path == path), None)
        if spec is None:
            return False
        if spec.type == "votes":
            return message.endswith(f"{spec.label}{NO_VALID_VOTES}")
        return path == defn.members.name_field and NO_VALID_BALLOT_FOR in message
    spec = next((s for s in defn.inputs if s.path == field), None)
    if spec is None:
        return False
    if spec.type == "votes":
        return message == f"{spec.label}{NO_VALID_VOTES}"
    return spec.type == "ballots" and message.startswith(f"{spec.label}{NO_VALID_BALLOT}")


class CellErrors:
    """What the cells of one evaluated form show for the core's errors, in one variant (the rule above).

    `bare`: an untouched form (the functions say nothing about it: every cell ""). `records`: the case's
    member records, in the order of the form's member rows."""

    def __init__(
        self, defn: RubricDefinition, result: Result, variant: str, bare: bool, records: Sequence[Any]
    ) -> None:
        self.defn, self.result, self.variant, self.bare = defn, result, variant, bare
        first = result.errors[0] if result.errors else None
        # An item the core could not score (the case could not be read) shows the case's first error.
        self.items = self.text(first) if variant == "udf" and first is not None else ""
        error = unit_error(defn, result)
        self.unit = None if error is None else self.text(error)  # None: the unit cells show its values
        self.outcomes: list[MemberResult | None] = list(result.members)
        if result.errors and error is None and defn.members is not None:
            self.outcomes = member_outcomes(defn, result, records)

    def text(self, error: InputError) -> str:
        if self.bare or (self.variant != "udf" and not names_in_native(self.defn, error)):
            return ""
        return error_text(error.message)

    def member(self, index: int) -> str | None:
        """The text member `index`'s row shows, None when it shows the member's values."""
        error = member_error(self.defn, self.result, index) if self.result.errors else None
        return None if error is None else self.text(error)

    def outcome(self, index: int) -> MemberResult | None:
        return self.outcomes[index] if 0 <= index < len(self.outcomes) else None
