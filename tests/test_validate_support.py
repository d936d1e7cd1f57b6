"""Shared builders for the validation tests (no tests here): real templates, filled submissions, and
tampered copies made by editing the saved package the way a spreadsheet program or a user would."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from lxbz_xl import load_rubric
from lxbz_xl.case import read_case_file
from lxbz_xl.workbook.build import build_template, template_name
from lxbz_xl.workbook.fill import fill_case

try:  # tests/ on sys.path (plain pytest) or the tests package (tests/__init__.py)
    import hostile_files as hf
except ImportError:  # pragma: no cover
    from tests import hostile_files as hf  # type: ignore[no-redef]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cases"
LPO = "learning_party_org"
MAIN = "xl/worksheets/sheet1.xml"  # 考评表, the first sheet of every template

__all__ = ["LPO", "MAIN", "Factory", "hf", "sha256", "shared_factory", "tree_hashes"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _read(path: Path, part: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(part)


def repack(
    src: Path, dst: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> Path:
    replace = dict(replace or {})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.pop(info.filename, None) or zin.read(info))
        for name, data in {**replace, **(add or {})}.items():
            zout.writestr(name, data)
    return dst


def _cell_pattern(ref: str) -> re.Pattern[bytes]:
    return re.compile(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?:/>|>(.*?)</c>)', re.S)


class Factory:
    """Builds templates once per session, then good and tampered submissions on demand."""

    def __init__(self, root: Path):
        self.root = root
        self.templates = root / "templates"
        self.out = root / "files"
        self.out.mkdir(parents=True, exist_ok=True)
        self._good: dict[tuple[str, str], Path] = {}

    def template(self, rubric: str, variant: str = "udf") -> Path:
        path = self.templates / template_name(rubric, variant)
        if not path.exists():
            build_template(load_rubric(rubric), self.templates, variant)
        return path

    def good(self, rubric: str = LPO, variant: str = "udf") -> Path:
        """A correctly filled submission (inputs and cached values as the core computes them)."""
        key = (rubric, variant)
        if key not in self._good:
            case_file = sorted(EXAMPLES.glob(f"{rubric}_*.yaml"))[0]
            case = read_case_file(case_file)[0]
            dst = self.out / f"good_{rubric}_{variant}.xlsx"
            fill_case(load_rubric(rubric), case, dst, variant, self.template(rubric, variant))
            self._good[key] = dst
        return self._good[key]

    def copy(self, name: str, rubric: str = LPO, variant: str = "udf") -> Path:
        dst = self.out / name
        dst.write_bytes(self.good(rubric, variant).read_bytes())
        return dst

    # ---------------------------------------------------------------- raw sheet edits (no program round trip)

    def edit_sheet(
        self,
        name: str,
        edit: Callable[[bytes], bytes],
        part: str = MAIN,
        rubric: str = LPO,
        variant: str = "udf",
    ) -> Path:
        src = self.good(rubric, variant)
        data = _read(src, part)
        new = edit(data)
        assert new != data, "the edit changed nothing"
        return repack(src, self.out / name, replace={part: new})

    def set_cell(self, name: str, ref: str, inner: bytes, t: str | None = None, **kw: str) -> Path:
        """Replace a cell's content (keeping its style), e.g. inner=b"<v>9</v>"."""

        def edit(data: bytes) -> bytes:
            def one(m: re.Match[bytes]) -> bytes:
                attrs = re.sub(rb'\s+t="[^"]*"', b"", m.group(1))
                if t:
                    attrs += b' t="' + t.encode() + b'"'
                return b'<c r="' + ref.encode() + b'"' + attrs + b">" + inner + b"</c>"

            return _cell_pattern(ref).sub(one, data, count=1)

        return self.edit_sheet(name, edit, **kw)

    def cell_inner(self, ref: str, rubric: str = LPO, variant: str = "udf") -> bytes:
        match = _cell_pattern(ref).search(_read(self.good(rubric, variant), MAIN))
        assert match is not None, ref
        return match.group(2) or b""

    def strip_cached_values(self, name: str) -> Path:
        """As written by a program that never calculated: formulas without <v>."""
        return self.edit_sheet(name, lambda d: re.sub(rb"(</f>|<f [^>]*/>)<v>[^<]*</v>", rb"\1", d))

    def add_macro(self, name: str) -> Path:
        src = self.good()
        return repack(src, self.out / name, add={"xl/vbaProject.bin": hf._cfb(["VBA", "PROJECT"])})

    # ---------------------------------------------------------------- program round trips (openpyxl)

    def via_openpyxl(
        self, name: str, change: Callable[[openpyxl.Workbook], None], rubric: str = LPO, variant: str = "udf"
    ) -> Path:
        wb = openpyxl.load_workbook(self.good(rubric, variant))
        change(wb)
        buffer = io.BytesIO()
        wb.save(buffer)
        dst = self.out / name
        dst.write_bytes(buffer.getvalue())
        return dst

    def set_meta(self, name: str, key: str, value: str) -> Path:
        def change(wb: openpyxl.Workbook) -> None:
            ws = wb["_lxbz"]
            for row in ws.iter_rows(min_col=1, max_col=2):
                if row[0].value == key:
                    row[1].value = value

        return self.via_openpyxl(name, change)


_shared: list[Factory] = []


def shared_factory(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    """One factory (templates built once) for all validation test modules of a session."""
    if not _shared:
        _shared.append(Factory(tmp_path_factory.mktemp("validate")))
    return _shared[0]
