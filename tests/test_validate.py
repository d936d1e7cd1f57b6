"""Workbook validation: each finding type from a real tampered file, with its cell and Chinese message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.validation.check_file import check_file
from lxbz_xl.validation.context import Context
from lxbz_xl.validation.formula_text import book_prefix, normalise
from lxbz_xl.validation.model import CODES, PASSING_WARNINGS, WorkbookReport
from lxbz_xl.validation.read_fast import read_workbook
from lxbz_xl.validation.releases import snapshot

from .test_validate_support import LPO, Factory, shared_factory


@pytest.fixture(scope="session")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    return shared_factory(tmp_path_factory)


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="session")
def context() -> Context:
    """Shared, like a worker's: the good files are checked first, so every tamper test below also shows
    that the cache of checks found clean (keyed by the bytes they read) never hides a change."""
    return Context()


LPO_REF = f"{LPO}@{load_rubric(LPO).version}".encode()  # the rubric argument of built-in templates


def codes(report: WorkbookReport) -> set[str]:
    """Codes of the findings, without items_unfilled (RUBRICS.md §0: a warning that passes; the example
    cases leave items out) unless a test asks for it with `the`."""
    return {f.code for f in report.findings if f.code not in PASSING_WARNINGS}


def the(report: WorkbookReport, code: str):  # type: ignore[no-untyped-def]
    found = [f for f in report.findings if f.code == code]
    assert found, f"no {code} in {report.findings}"
    assert all(CJK.search(f.message) for f in found)
    assert found[0].severity == CODES[code][0]
    return found[0]


# ------------------------------------------------------------------------------------------------ good files


@pytest.mark.parametrize("variant", ["udf", "native"])
def test_good_submission_is_valid_with_result(factory: Factory, context: Context, variant: str) -> None:
    report = check_file(factory.good(LPO, variant), context)
    # The example leaves items out: RUBRICS.md §0 scores them as nothing found, a warning that passes.
    assert codes(report) == set() and {f.code for f in report.findings} == {"items_unfilled"}
    unfilled = the(report, "items_unfilled")
    assert unfilled.message.startswith("第2、4、6、7、9、10项未填写,按未发现问题计") and unfilled.cell
    assert report.status == "valid"
    assert (report.rubric, report.variant, report.unit, report.year) == (LPO, variant, "红星县委", 2025)
    assert report.total == 96 and report.version and report.title == "学习型党组织:是"


def test_tiered_rubric_reports_tier(factory: Factory, context: Context) -> None:
    report = check_file(factory.good("annual_team"), context)
    assert report.status == "valid" and report.tier == "优秀"


def test_fresh_template_without_cached_values_is_info_only(factory: Factory, context: Context) -> None:
    report = check_file(factory.strip_cached_values("nocache.xlsx"), context)
    assert codes(report) == {"no_cached_values"}
    assert report.status == "valid"  # info does not make a workbook invalid


# ------------------------------------------------------------------------------------------------ identity


def test_meta_sheet_deleted_is_reported_and_rubric_guessed(factory: Factory, context: Context) -> None:
    path = factory.via_openpyxl("nometa.xlsx", lambda wb: wb.remove(wb["_lxbz"]))
    report = check_file(path, context)
    assert the(report, "meta_missing").sheet == "_lxbz"
    assert report.rubric == LPO and report.total == 96  # later checks still ran


def test_unknown_rubric(factory: Factory, context: Context) -> None:
    report = check_file(factory.set_meta("rubric.xlsx", "rubric", "no_such_rubric"), context)
    f = the(report, "unknown_rubric")
    assert (f.sheet, f.cell) == ("_lxbz", "B1")


def test_unknown_version(factory: Factory, context: Context) -> None:
    report = check_file(factory.set_meta("version.xlsx", "version", "1999.9"), context)
    assert the(report, "unknown_version").cell == "B2"


def test_outdated_template_names_what_changed(factory: Factory, tmp_path: Path) -> None:
    context = Context(releases_dir=tmp_path)
    old = snapshot(context.rubric(LPO))
    old["version"] = "2009.1"
    first = next(iter(old["parameters"]))
    old["parameters"][first]["value"] = "12345"
    old["items"]["1"]["points"] = "15"
    (tmp_path / f"{LPO}@2009.1.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    report = check_file(factory.set_meta("old.xlsx", "version", "2009.1"), context)
    f = the(report, "outdated_template")
    assert "12345" in f.message and "第1项" in f.message and "15" in f.message
    assert report.version == "2009.1"


def test_unknown_variant_and_fingerprint(factory: Factory, context: Context) -> None:
    assert the(check_file(factory.set_meta("variant.xlsx", "variant", "macro"), context), "unknown_variant")
    report = check_file(factory.set_meta("fp.xlsx", "fingerprint", "deadbeef"), context)
    assert the(report, "fingerprint_mismatch").cell == "B4"


# ------------------------------------------------------------------------------------------------ structure


def test_sheet_missing(factory: Factory, context: Context) -> None:
    path = factory.via_openpyxl(
        "nosheet.xlsx", lambda wb: wb.remove(wb["班子成员明细"]), rubric="learning_team"
    )
    report = check_file(path, context)
    assert the(report, "sheet_missing").sheet == "班子成员明细"


def test_defined_names_missing_and_moved(factory: Factory, context: Context) -> None:
    def change(wb) -> None:  # type: ignore[no-untyped-def]
        del wb.defined_names["LPO_I1_MISSING_PLAN_ELEMENTS"]
        wb.defined_names["LPO_I1_MEMBERS_WITHOUT_PLAN"].attr_text = "'考评表'!$F$7"

    report = check_file(factory.via_openpyxl("names.xlsx", change), context)
    assert the(report, "name_missing").cell == "F5"
    moved = the(report, "name_moved")
    assert moved.cell == "F6" and "F7" in moved.message


# ------------------------------------------------------------------------------------------------ inputs


def test_input_out_of_range_uses_the_core_message(factory: Factory, context: Context) -> None:
    report = check_file(factory.set_cell("range.xlsx", "F5", b"<v>9</v>"), context)
    f = the(report, "input_invalid")
    assert (f.sheet, f.cell) == ("考评表", "F5")
    assert "0–2" in f.message and "9" in f.message
    assert report.total is None  # no result from invalid inputs


def test_input_wrong_type(factory: Factory, context: Context) -> None:
    path = factory.set_cell(
        "type.xlsx", "F5", b"<is><t>\xe4\xb8\x89\xe9\xa1\xb9</t></is>", t="inlineStr"
    )  # 三项
    f = the(check_file(path, context), "input_invalid")
    assert f.cell == "F5" and "三项" in f.message


def test_required_input_missing(factory: Factory, context: Context) -> None:
    report = check_file(factory.set_cell("year.xlsx", "F2", b""), context)
    f = the(report, "input_missing")
    assert f.cell == "F2" and "年度" in f.message


# ------------------------------------------------------------------------------------------------ tampering


def test_formula_replaced_by_typed_value(factory: Factory, context: Context) -> None:
    report = check_file(factory.set_cell("typed.xlsx", "H5", b"<v>10</v>"), context)
    f = the(report, "formula_replaced")
    assert (f.sheet, f.cell) == ("考评表", "H5") and "10" in f.message


def test_formula_text_changed(factory: Factory, context: Context) -> None:
    inner = factory.cell_inner("H5").replace(b"<f>", b"<f>MAX(10,").replace(b"</f>", b")</f>")
    f = the(check_file(factory.set_cell("edited.xlsx", "H5", inner), context), "formula_changed")
    assert f.cell == "H5" and "MAX" in f.message


@pytest.mark.parametrize(
    "spelling",
    [
        b'_xludf.lxbz_item_score("' + LPO_REF + b'", 1, F5, F6)',  # LibreOffice: unknown name, lower case
        b'_xlfn._xludf.LXBZ_ITEM_SCORE("' + LPO_REF + b'",1,F5,F6)',
    ],
)
def test_formula_spellings_of_spreadsheet_programs_are_not_tampering(
    factory: Factory, context: Context, spelling: bytes
) -> None:
    new = b"<f>" + spelling.replace(b'"', b"&quot;") + b"</f>"
    inner = re.sub(rb"<f>.*?</f>", lambda _m: new, factory.cell_inner("H5"))
    report = check_file(factory.set_cell("spelling.xlsx", "H5", inner), context)
    assert codes(report) == set()


@pytest.mark.parametrize(
    "spelling",
    [
        b'[1]!LXBZ_ITEM_SCORE("learning_party_org",1,F5,F6)',  # via an external link
        b"'C:\\Program Files\\lxbz\\lxbz.xlam'!LXBZ_ITEM_SCORE(\"learning_party_org\",1,F5,F6)",
        b"'\\\\host\\x.xlam'!LXBZ_ITEM_SCORE(\"learning_party_org\",1,F5,F6)",  # a UNC add-in
    ],
)
def test_addin_or_workbook_prefix_is_a_finding(factory: Factory, context: Context, spelling: bytes) -> None:
    """Issue 16: the comparison never strips a prefix to make two formulas equal."""
    new = b"<f>" + spelling.replace(b'"', b"&quot;") + b"</f>"
    inner = re.sub(rb"<f>.*?</f>", lambda _m: new, factory.cell_inner("H5"))
    report = check_file(factory.set_cell("prefixed.xlsx", "H5", inner), context)
    f = the(report, "addin_reference")
    assert (f.sheet, f.cell) == ("考评表", "H5") and "!" in f.message


def test_validation_removed(factory: Factory, context: Context) -> None:
    path = factory.edit_sheet(
        "nodv.xlsx", lambda d: d.replace(b'<dataValidation sqref="F5"', b'<dataValidation sqref="Z99"')
    )
    f = the(check_file(path, context), "validation_removed")
    assert (f.sheet, f.cell) == ("考评表", "F5")


def test_validation_loosened(factory: Factory, context: Context) -> None:
    def edit(d: bytes) -> bytes:
        return re.sub(
            rb'(<dataValidation sqref="F5".*?<formula2>)2(</formula2>)', rb"\g<1>99\2", d, count=1, flags=re.S
        )

    f = the(check_file(factory.edit_sheet("loose.xlsx", edit), context), "validation_changed")
    assert f.cell == "F5"


def test_hidden_row_and_column_in_input_area(factory: Factory, context: Context) -> None:
    def edit(d: bytes) -> bytes:
        d = d.replace(b'<row r="6" ', b'<row r="6" hidden="1" ', 1)
        return d.replace(b'min="6" max="6" />', b'min="6" max="6" hidden="1" />', 1)

    report = check_file(factory.edit_sheet("hidden.xlsx", edit), context)
    assert the(report, "hidden_row").cell == "F6"
    assert the(report, "hidden_column").cell.startswith("F")


def test_hidden_cell_number_format(factory: Factory, context: Context) -> None:
    def change(wb) -> None:  # type: ignore[no-untyped-def]
        wb["考评表"]["F6"].number_format = ";;;"

    report = check_file(factory.via_openpyxl("hidecell.xlsx", change), context)
    assert the(report, "hidden_cell").cell == "F6"


# ------------------------------------------------------------------------------------------------ recomputation


def test_cached_value_mismatch(factory: Factory, context: Context) -> None:
    inner = re.sub(rb"<v>[^<]*</v>", b"<v>10</v>", factory.cell_inner("H5"))
    f = the(check_file(factory.set_cell("stale.xlsx", "H5", inner), context), "value_mismatch")
    assert f.cell == "H5" and "10" in f.message and "8" in f.message


def test_cached_error_value(factory: Factory, context: Context) -> None:
    inner = re.sub(rb"<v>[^<]*</v>", b"<v>#NAME?</v>", factory.cell_inner("H5"))
    f = the(check_file(factory.set_cell("name.xlsx", "H5", inner, t="e"), context), "cached_error")
    assert f.cell == "H5" and "#NAME?" in f.message


# ------------------------------------------------------------------------------------------------ reader


def test_fast_reader_matches_openpyxl(factory: Factory) -> None:
    """The streaming reader sees the same formulas, values and validations as openpyxl."""
    import openpyxl

    path = factory.good("learning_team", "native")
    fast = read_workbook(path)
    formulas = openpyxl.load_workbook(path)
    for name, sheet in fast.sheets.items():
        ws = formulas[name]
        for row in ws.iter_rows():
            for c in row:
                cell = sheet.cells.get(c.coordinate)
                if isinstance(c.value, str) and c.value.startswith("="):
                    assert cell is not None and "=" + (cell.formula or "") == c.value, c.coordinate
                elif c.value is not None:
                    assert cell is not None and cell.value == c.value, c.coordinate
        expected = {(str(dv.sqref), dv.type or "none") for dv in ws.data_validations.dataValidation}
        assert {(" ".join(v.sqref), v.type) for v in sheet.validations} == expected
    wb = formulas
    assert fast.sheet_names == wb.sheetnames
    workbook_scope = {
        k: v for k, v in fast.defined_names.items() if "!" not in k
    }  # sheet-scope: Print_Titles
    assert workbook_scope == {name: dn.attr_text for name, dn in wb.defined_names.items()}


def test_normalise_formula_text() -> None:
    # A workbook/add-in prefix is never normalised away (issue 16): it runs code from another file.
    assert normalise('=[1]!lxbz_tier("a", A1)') != normalise('LXBZ_TIER("a",A1)')
    assert book_prefix("[1]!LXBZ_TIER(1)") == "[1]!"
    assert book_prefix('IF(A1="x!Y(",1)') is None
    assert normalise("IF(TRUE(),'考评表'!C3)") == normalise("IF(TRUE,考评表!c3)")
    assert normalise('"Ab"') != normalise('"AB"')  # string literals keep their case


# ------------------------------------------------------------------------------------------------ a real spreadsheet program


@pytest.mark.libreoffice
def test_libreoffice_saved_workbooks(factory: Factory, context: Context, tmp_path: Path) -> None:
    """LibreOffice rewrites formulas (lower-cased unknown names, quotes) and validations (formula2 "0"):
    none of that is tampering. Without the add-in the LXBZ_* cells show #NAME?, reported as such."""
    from lxbz_xl.office import LibreOfficeNotFoundError, recalculate_many

    sources = [factory.copy(f"lo_{v}.xlsx", variant=v) for v in ("udf", "native")]
    try:
        udf, native = recalculate_many(sources, tmp_path)
    except LibreOfficeNotFoundError:
        pytest.skip("LibreOffice not installed")
    assert codes(check_file(native, context)) == set()
    report = check_file(udf, context)
    assert codes(report) == {"cached_error"}
    assert report.total == 96


def test_shared_formulas_as_excel_saves_fill_down(factory: Factory, context: Context) -> None:
    """Excel may save a filled-down run as one shared formula; the followers carry only its id."""
    from openpyxl.formula.translate import Translator

    part = "xl/worksheets/sheet2.xml"  # 班子成员明细: one formula per roster row
    good = factory.good("learning_team", "native")
    import zipfile

    data = zipfile.ZipFile(good).read(part).decode()
    cells = dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*><f>([^<]*)</f>', data))
    master = next(
        r
        for r in cells
        if (r[0] + str(int(r[1:]) + 1)) in cells
        and Translator("=" + cells[r], origin=r).translate_formula(r[0] + str(int(r[1:]) + 1))[1:]
        == cells[r[0] + str(int(r[1:]) + 1)]
    )
    follower = master[0] + str(int(master[1:]) + 1)

    def edit(d: bytes) -> bytes:
        text = d.decode()
        text = text.replace(f'<c r="{master}"', f'<c r="{master}"', 1)
        text = re.sub(
            rf'(<c r="{master}"[^>]*>)<f>',
            rf'\1<f t="shared" ref="{master}:{follower}" si="0">',
            text,
            count=1,
        )
        text = re.sub(rf'(<c r="{follower}"[^>]*>)<f>[^<]*</f>', r'\1<f t="shared" si="0"/>', text, count=1)
        return text.encode()

    path = factory.edit_sheet("shared.xlsx", edit, part=part, rubric="learning_team", variant="native")
    assert codes(check_file(path, context)) == set()


def test_every_rubric_has_a_release_snapshot_of_its_current_version(context: Context) -> None:
    from lxbz_xl.definition.loader import builtin_ids
    from lxbz_xl.validation.context import RELEASES_DIR

    for rid in builtin_ids():
        rubric = context.rubric(rid)
        assert rubric is not None
        assert (RELEASES_DIR / f"{rid}@{rubric.defn.version}.json").is_file(), rid


def test_malformed_sheet_xml_is_corrupt_not_slow(factory: Factory, context: Context) -> None:
    """Unclosed cells pass the guard (it parses prologs only); the reader must neither hang nor crash."""
    import time

    junk = b'<row r="40">' + b'<c r="A40"><v>1</v>' * 20000 + b"</row></sheetData>"
    path = factory.edit_sheet("unclosed.xlsx", lambda d: d.replace(b"</sheetData>", junk, 1))
    started = time.perf_counter()
    report = check_file(path, context)
    assert time.perf_counter() - started < 2
    # 20,000 unclosed cells nest: the streaming parse stops at the depth limit before the end tag mismatch.
    assert {f.code for f in report.findings} & {"corrupt", "xml_too_deep"}
