"""The rubric a form carries: its YAML text in the hidden `_lxbz` sheet, so a template built from a
department's own rubric file computes on any machine (no file path anywhere in the workbook).

`_lxbz` rows: rubric, version, …, `rubric_sha256` (of the YAML text), `definition_sha256` (of the parsed
definition, what the validator compares with the rubric it was given) and, for a custom rubric, the text
in `rubric_yaml` rows from FIRST_CHUNK_ROW on, chunked at line ends into cells of at most CHUNK
characters (Excel's limit is 32,767). The UDF formulas of such a template name that range
(`_lxbz!$B$20:$B$21`); udfs parse it once per text and cache it by hash.
"""

from __future__ import annotations

import hashlib
import json

from lxbz_xl.definition.rubric import RubricDefinition
from lxbz_xl.workbook.model import META_SHEET

CHUNK = 30_000
FIRST_CHUNK_ROW = 20


def chunks(text: str, size: int | None = None) -> list[str]:
    """`text` cut at line ends into pieces of at most `size` (CHUNK) characters (a longer line is cut as
    is). Pieces keep their leading and trailing whitespace: the sheet writes them with xml:space="preserve"."""
    size = size or CHUNK
    out: list[str] = []
    cur = ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            if cur:
                out.append(cur)
                cur = ""
            out.append(line[:size])
            line = line[size:]
        if len(cur) + len(line) > size:
            out.append(cur)
            cur = ""
        cur += line
    if cur:
        out.append(cur)
    return out


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def definition_digest(defn: RubricDefinition) -> str:
    """sha256 of the parsed definition: equal for two files that differ only in comments, layout, the
    form's presentation hints (`form:`), the summary's (`summary:`) or the hints on retired inputs, which
    change no workbook result."""
    data = defn.model_dump(mode="json", warnings=False, exclude={"form", "summary", "retired_inputs"})
    for param in data.get(
        "parameters", {}
    ).values():  # undated parameters hash as before dated values existed
        if param.get("values") is None:
            param.pop("values", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def chunk_range(n: int) -> str:
    """The reference the UDF formulas pass as their rubric argument for an embedded rubric."""
    return f"{META_SHEET}!$B${FIRST_CHUNK_ROW}:$B${FIRST_CHUNK_ROW + max(n, 1) - 1}"


def is_embedded_ref(ref: str) -> bool:
    return ref.startswith(META_SHEET + "!")
