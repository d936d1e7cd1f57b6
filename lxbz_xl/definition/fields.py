"""Input fields: what a case must supply, with Chinese labels, types and allowed ranges."""

from __future__ import annotations

from typing import Any, Literal

from lxbz_xl.definition.base import NumLike, Strict
from lxbz_xl.definition.pydantic_api import Field, model_validator

FieldType = Literal["count", "bool", "number", "enum", "votes", "numbers", "records", "text", "ballots"]

TYPE_WORDS: dict[str, str] = {
    "count": "非负整数",
    "bool": "是/否",
    "number": "数值",
    "enum": "选项",
    "votes": "票数表",
    "numbers": "数值列表",
    "records": "记录列表",
    "text": "文本",
    "ballots": "选票列表",
}


class FieldSpec(Strict):
    """One input. `path` is dotted from the case root (or the member record), e.g. `findings.major_failure`."""

    path: str
    label: str
    type: FieldType
    unit: str = ""
    min: NumLike | None = None
    # An upper bound: a number, "$parameter", or "@other.path" (e.g. members_lectured <= members).
    max: NumLike | None = None
    values: list[str] = Field(default_factory=list)
    # Chinese labels of coded enum values (county → 县区); either form is accepted as input. The one source
    # of what dropdowns, the CLI and the worksheet functions show and accept.
    value_labels: dict[str, str] = Field(default_factory=dict)
    # Further words accepted for a value (older labels that no longer collide): text → value.
    value_aliases: dict[str, str] = Field(default_factory=dict)
    # None: required for case-level inputs; for item clause inputs, absent means 'nothing found'.
    required: bool | None = None
    default: Any = None
    description: str | None = None
    fields: list[FieldSpec] = Field(default_factory=list)  # for `records`

    @model_validator(mode="after")
    def _check(self) -> FieldSpec:
        if self.type in ("enum", "votes") and not self.values:
            raise ValueError(f"字段 {self.path}:类型 {self.type} 需要 values(可选值)")
        if self.type == "records" and not self.fields:
            raise ValueError(f"字段 {self.path}:类型 records 需要 fields(记录字段)")
        if self.type == "records" and [f.type for f in self.fields] != ["number", "text"]:
            # Forms, worksheet functions and validation all lay a record out as (分值, 理由): another shape
            # would be read differently by some of them, so it is refused here.
            raise ValueError(
                f"字段 {self.path}:记录列表(records)的 fields 须为两个字段:先 number(分值),后 text(理由);"
                f"实为 {'、'.join(f'{f.path}({f.type})' for f in self.fields)}"
            )
        if self.fields and self.type != "records":
            raise ValueError(f"字段 {self.path}:只有类型 records 可以写 fields(记录字段)")
        if self.default is not None and self.required is True:
            raise ValueError(f"字段 {self.path}:有默认值(default)的字段不能是必填(required)")
        self._check_enum_words()
        return self

    def _check_enum_words(self) -> None:
        """Every word (value, label, alias) names exactly one value, so a typed word is never ambiguous."""
        if not (self.value_labels or self.value_aliases):
            return
        seen: dict[str, str] = {v: v for v in self.values}
        for where, mapping in (("value_labels", self.value_labels), ("value_aliases", self.value_aliases)):
            pairs = mapping.items() if where == "value_labels" else ((v, k) for k, v in mapping.items())
            for value, word in pairs:
                if value not in self.values:
                    raise ValueError(
                        f"字段 {self.path}:{where} 中的 {value!r} 不是选项之一;可用:{'、'.join(self.values)}"
                    )
                if seen.setdefault(word, value) != value:
                    raise ValueError(
                        f"字段 {self.path}:{where}:{word!r} 会同时表示 {seen[word]!r} 和 {value!r}(would mean both)"
                    )

    def label_of(self, value: str) -> str:
        """The Chinese a form or a report shows for a coded enum value (the value itself if unlabelled)."""
        return self.value_labels.get(value, value)

    def value_of(self, shown: str) -> str | None:
        """The coded value a typed or picked word means: the value, its label, or an alias; else None."""
        text = shown.strip()
        if text in self.values:
            return text
        for value, label in self.value_labels.items():
            if text == label:
                return value
        return self.value_aliases.get(text)

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]
