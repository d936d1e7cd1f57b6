"""Identity: the hidden _lxbz sheet says which rubric, version and variant a workbook was built from."""

from __future__ import annotations

from dataclasses import dataclass

from lxbz_xl.validation.context import VARIANTS, Context, RubricContext
from lxbz_xl.validation.model import Finding, finding
from lxbz_xl.validation.read_fast import FastBook
from lxbz_xl.validation.releases import changes, snapshot

META_SHEET = "_lxbz"  # lxbz_xl.workbook.layout.META_SHEET (not imported: identity must work without it)
RENEW = "请从组织部下载当前版本的模板重新填写"


@dataclass
class Identity:
    rubric: RubricContext | None
    rubric_id: str | None = None
    version: str | None = None
    variant: str | None = None
    fingerprint: str | None = None
    rubric_ref: str | None = None  # a custom rubric's template names its file in the LXBZ_* calls

    @property
    def usable(self) -> bool:
        """Later checks need the current layout of a known rubric and a known variant."""
        return self.rubric is not None and self.variant in VARIANTS


_META_ROWS = {f"A{row}": row for row in range(1, 201)}  # the key cells _lxbz may use, by row


def read_meta(book: FastBook) -> dict[str, str] | None:
    sheet = book.sheet(META_SHEET, max_row=200)
    if sheet is None:
        return None
    meta: dict[str, str] = {}
    cells = sheet.cells
    for ref in sorted(_META_ROWS.keys() & cells.keys(), key=_META_ROWS.__getitem__):  # by row
        key = cells[ref]
        if key.value in (None, ""):
            continue
        value = cells.get(f"B{ref[1:]}")
        meta[str(key.value).strip()] = (
            "" if value is None or value.value is None else str(value.value).strip()
        )
    return meta


def identify(book: FastBook, context: Context) -> tuple[Identity, list[Finding]]:
    meta = read_meta(book)
    if meta is None or not meta.get("rubric"):
        guess = context.guess(book.sheet_names, book.defined_names)
        where = (
            "缺少隐藏的模板标识工作表“_lxbz”" if meta is None else "模板标识工作表“_lxbz”中缺少考评细则标识"
        )
        if guess is None:
            return Identity(None), [
                finding("meta_missing", f"{where},且无法识别为任何考评细则模板。{RENEW}", META_SHEET)
            ]
        variant = _guess_variant(book, guess)
        message = (
            f"{where}(可能被删除或另存时丢失),按定义名称识别为“{guess.defn.short_name}”"
            f"({guess.defn.id})继续检查。{RENEW}"
        )
        return (Identity(guess, guess.defn.id, None, variant), [finding("meta_missing", message, META_SHEET)])
    rubric_id, version, variant = meta.get("rubric", ""), meta.get("version", ""), meta.get("variant", "")
    rubric = context.rubric(rubric_id)
    ref = meta.get("rubric_ref") or None
    identity = Identity(
        rubric,
        rubric_id,
        version,
        variant,
        meta.get("fingerprint"),
        ref if rubric and rubric.custom else None,
    )
    if rubric is None:
        return identity, [
            finding(
                "unknown_rubric",
                f"模板标识中的考评细则“{rubric_id}”不是已知的考评细则。{RENEW}",
                META_SHEET,
                _meta_cell(book, "rubric"),
            )
        ]
    out: list[Finding] = []
    current = rubric.defn.version
    if version != current:
        identity.rubric = None  # the current layout does not describe an old template: stop here
        release = context.release(rubric_id, version)
        if release is None:
            message = (
                f"模板版本“{version}”不是“{rubric.defn.short_name}”的已知版本(当前版本{current})。{RENEW}"
            )
            return identity, [finding("unknown_version", message, META_SHEET, _meta_cell(book, "version"))]
        diff = changes(release, snapshot(rubric))
        what = ";".join(diff) if diff else "无实质变化"
        message = f"使用的是旧版模板(版本{version},当前版本{current}),主要变化:{what}。{RENEW}"
        return identity, [finding("outdated_template", message, META_SHEET, _meta_cell(book, "version"))]
    if rubric.defn.dated:  # the rules of the form's own year (dated parameters), as it was built
        if "year" not in meta:  # no year row: the year the form's 年度 cell gives
            meta["year"] = _year_cell(book, rubric)
        rubric, problem = _rules_of_year(context, rubric, meta.get("year", ""))
        identity.rubric = rubric
        if problem:
            identity.rubric = None
            return identity, [
                finding("unknown_year", f"{problem}。{RENEW}", META_SHEET, _meta_cell(book, "year"))
            ]
        if not rubric.custom:
            from lxbz_xl.workbook.build import rubric_ref_for

            identity.rubric_ref = rubric_ref_for(
                rubric.whole or rubric.defn, None, _year(meta.get("year", ""))
            )
    if variant not in VARIANTS:
        out.append(
            finding(
                "unknown_variant",
                f"模板类型“{variant}”未知(应为udf或native)。{RENEW}",
                META_SHEET,
                _meta_cell(book, "variant"),
            )
        )
        identity.variant = _guess_variant(book, rubric)
    if identity.fingerprint and identity.variant in VARIANTS:
        try:
            expected = rubric.fingerprint(identity.variant or "udf", identity.rubric_ref)
        except Exception:
            expected = None
        if expected is not None and identity.fingerprint != expected:
            out.append(
                finding(
                    "fingerprint_mismatch",
                    "模板标识中的公式指纹与官方模板不一致(模板可能由他人改制或已被修改),已逐格核对公式",
                    META_SHEET,
                    _meta_cell(book, "fingerprint"),
                )
            )
    digest = meta.get("definition_sha256")
    if digest and digest != rubric.definition_sha256:
        # The embedded rubric is data: only its hash is compared, no path it names is ever opened.
        given = "所给的考评细则文件" if rubric.custom else "内置考评细则"
        out.append(
            finding(
                "rubric_changed",
                f"模板中的“{rubric.defn.short_name}”(版本{version})与{given}内容不同"
                f"(同一版本号,规则不一致):请确认使用的考评细则文件,或重新生成模板。{RENEW}",
                META_SHEET,
                _meta_cell(book, "definition_sha256"),
            )
        )
    return identity, out


def _meta_cell(book: FastBook, key: str) -> str | None:
    sheet = book.sheet(META_SHEET, max_row=200)
    if sheet is None:
        return None
    for row in range(1, 201):
        cell = sheet.cells.get(f"A{row}")
        if cell is not None and str(cell.value).strip() == key:
            return f"B{row}"
    return None


def _guess_variant(book: FastBook, rubric: RubricContext) -> str:
    """udf templates call LXBZ_* functions; native ones do not."""
    sheet = book.sheet(rubric.layout.main_sheet, rubric.max_rows.get(rubric.layout.main_sheet))
    if sheet is not None:
        for ref in list(sheet.cells.refs())[:2000]:
            cell = sheet.cells.get(ref)
            if cell is not None and cell.formula and "LXBZ_" in cell.formula.upper():
                return "udf"
    return "native"


def _year(text: str) -> int | None:
    return int(text) if len(text) == 4 and text.isascii() and text.isdigit() else None


def _rules_of_year(context: Context, rubric: RubricContext, text: str) -> tuple[RubricContext, str | None]:
    """The rubric's rules for the year `_lxbz` records (最新 or absent: the latest values)."""
    year = _year(text)
    if year is None and text not in ("", "最新"):
        shown = text if len(text) <= 20 else text[:20] + "…"
        return rubric, f"模板标识中的年度“{shown}”无效(应为四位年份或“最新”)"
    try:
        return context.for_year(rubric, year), None
    except ValueError as exc:
        return rubric, f"模板年度不适用:{exc}"


def _year_cell(book: FastBook, rubric: RubricContext) -> str:
    """The 年度 the form's own year cell holds ("" when blank or unreadable: the latest values)."""
    spec = next((c for c in rubric.layout.cells if c.path == "year"), None)
    sheet = book.sheet(spec.sheet) if spec is not None else None
    cell = sheet.cells.get(spec.ref) if sheet is not None and spec is not None else None
    value = None if cell is None else cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
