"""Rubrics named by data from outside (a case file, a submission's `_lxbz` sheet): by id, never by path.

`load_rubric` also opens a YAML path, which is right for a file the user names on the command line
(`--rubric my.yaml`) and wrong for a name read from a case file or a submitted workbook: there,
`../../etc/passwd` or a 30 GiB `.yml` is just an unknown id. Nothing here touches the file system beyond
the built-in rubric folder.
"""

from __future__ import annotations

from lxbz_xl.definition.loader import DefinitionError, builtin_ids, load_rubric
from lxbz_xl.definition.rubric import RubricDefinition


def by_id(
    ref: str, custom: dict[str, RubricDefinition] | None = None, names: bool = False
) -> RubricDefinition:
    """A `--rubric` file's definition by id, a built-in by id, or (``names``) by Chinese (short) name.

    Raises DefinitionError with a Chinese message (the reference cut to 40 characters) otherwise.
    """
    if custom and ref in custom:
        return custom[ref]
    if ref in builtin_ids():
        return load_rubric(ref)
    if names:
        for defn in [*(custom or {}).values(), *(load_rubric(rid) for rid in builtin_ids())]:
            if ref in (defn.name, defn.short_name):
                return defn
    shown = ref if len(ref) <= 40 else ref[:40] + "…"
    raise DefinitionError(shown, [f"未知的考评细则:{shown};可用:{', '.join(builtin_ids())}"])
