"""What validation reports: findings (stable code, severity, sheet, cell, Chinese message) per workbook."""

from __future__ import annotations

import pickle
import tempfile
from abc import abstractmethod
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lxbz_xl.lazy_list import Listed

Severity = Literal["error", "warning", "info"]
Status = Literal["valid", "invalid"]

# code → (severity, category, Chinese title). The catalogue is the contract of the JSON/JUnit/xlsx reports:
# codes never change meaning; docs/validation.md lists them.
CODES: dict[str, tuple[Severity, str, str]] = {
    # guard.py: hostile or unreadable files (checked before anything parses them)
    "unreadable": ("error", "file", "文件无法读取"),
    # discover.py: refused from lstat alone, never opened
    "symlink": ("error", "file", "符号链接"),
    "not_a_file": ("error", "file", "不是普通文件"),
    "too_large": ("error", "file", "文件过大"),
    "not_a_zip": ("error", "file", "不是 Excel 工作簿"),
    "wrong_type": ("error", "file", "文件类型错误"),
    "encrypted": ("error", "file", "文件已加密"),
    "corrupt": ("error", "file", "文件已损坏"),
    "zip_bomb": ("error", "file", "疑似压缩炸弹"),
    "xml_bomb": ("error", "file", "疑似 XML 炸弹"),
    "macros": ("warning", "file", "包含宏"),
    "too_many_rows": ("error", "file", "行数过多"),
    # limits and format problems found while streaming a part (xml_stream.py)
    "xml_too_deep": ("error", "file", "XML 嵌套过深"),
    "xml_attribute_too_long": ("error", "file", "XML 标签或属性过长"),
    "xml_too_many_elements": ("error", "file", "XML 元素过多"),
    "xml_text_too_long": ("error", "file", "XML 文本过长"),
    "parse_timeout": ("error", "file", "解析超时"),
    "invalid_utf8": ("error", "file", "文本编码损坏"),
    "bad_crc": ("error", "file", "校验和不符"),
    "unsupported_encoding": ("error", "file", "不支持的字符编码"),
    # package contents a template never has
    "external_link": ("error", "tamper", "含外部链接"),
    "sheet_hidden": ("error", "tamper", "填写表被隐藏"),
    # identity
    "meta_missing": ("error", "identity", "缺少模板标识"),
    "unknown_rubric": ("error", "identity", "未知考评细则"),
    "unknown_version": ("error", "identity", "未知模板版本"),
    "outdated_template": ("error", "identity", "模板版本过旧"),
    "unknown_year": ("error", "identity", "模板年度无效"),
    "unknown_variant": ("error", "identity", "未知模板类型"),
    "fingerprint_mismatch": ("warning", "identity", "模板指纹不符"),
    "rubric_changed": ("error", "identity", "考评细则内容不符"),
    # structure
    "sheet_missing": ("error", "structure", "缺少工作表"),
    "name_missing": ("error", "structure", "缺少定义名称"),
    "name_moved": ("error", "structure", "定义名称位置错误"),
    # inputs
    "input_missing": ("error", "inputs", "缺少必填项"),
    "input_invalid": ("error", "inputs", "填写值不合规"),
    "number_out_of_range": ("error", "inputs", "数值超出范围"),
    "text_too_long": ("error", "inputs", "文字过长"),
    "input_formula": ("error", "tamper", "填写格含公式"),
    "formula_added": ("error", "tamper", "增加了公式"),
    "addin_reference": ("error", "tamper", "公式引用外部加载项或工作簿"),
    "merged_input": ("error", "tamper", "填写格被合并"),
    "items_unfilled": ("warning", "inputs", "有未填写的项目"),
    # tampering
    "formula_replaced": ("error", "tamper", "公式被改为数值"),
    "formula_changed": ("error", "tamper", "公式被修改"),
    "validation_removed": ("error", "tamper", "数据验证被删除"),
    "validation_changed": ("warning", "tamper", "数据验证被修改"),
    "hidden_row": ("error", "tamper", "填写区有隐藏行"),
    "hidden_column": ("error", "tamper", "填写区有隐藏列"),
    "hidden_cell": ("error", "tamper", "填写区有隐藏单元格"),
    # recomputation
    "no_cached_values": ("info", "recompute", "文件无计算结果"),
    "cached_error": ("warning", "recompute", "单元格显示错误值"),
    "value_mismatch": ("error", "recompute", "计算结果不一致"),
    # the run itself
    "timeout": ("error", "internal", "处理超时"),
    "internal_error": ("error", "internal", "内部错误"),
}


# Warnings that are reported but leave the file valid.
PASSING_WARNINGS = frozenset({"items_unfilled"})


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str  # Chinese: what is wrong and what to do
    sheet: str | None = None
    cell: str | None = None

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell or ""

    @property
    def title(self) -> str:
        return CODES.get(self.code, ("error", "", self.code))[2]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }


def finding(
    code: str,
    message: str,
    sheet: str | None = None,
    cell: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    return Finding(code, severity or CODES[code][0], message, sheet, cell)


@dataclass(slots=True)
class WorkbookReport:
    path: str
    sha256: str | None = None
    rubric: str | None = None
    version: str | None = None
    variant: str | None = None
    unit: str | None = None
    year: int | None = None
    total: float | int | None = None
    total_exact: str | None = None
    tier: str | None = None
    title: str | None = None  # e.g. "学习型党组织:是" for rubrics that award a title instead of a tier
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    # The case read from the input cells (for `lxbz summary`); not part of the JSON report.
    case: dict[str, Any] | None = field(default=None, repr=False)
    # What the file itself shows in its headline output cells ("Sheet!A1" → cached value), for the summary
    # to compare with; read here so the summary never opens a submission again.
    shown: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def status(self) -> Status:
        """Info findings (e.g. no cached values) and the warnings in PASSING_WARNINGS (unfilled items, which
        RUBRICS.md §0 scores as nothing found) do not make a workbook invalid; other warnings and errors do."""
        return (
            "invalid"
            if any(f.severity != "info" and f.code not in PASSING_WARNINGS for f in self.findings)
            else "valid"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "status": self.status,
            "rubric": self.rubric,
            "version": self.version,
            "variant": self.variant,
            "unit": self.unit,
            "year": self.year,
            "total": self.total,
            "total_exact": self.total_exact,
            "tier": self.tier,
            "title": self.title,
            "findings": [f.to_json() for f in self.findings],
        }


STATUS_WORDS = {"valid": "通过", "invalid": "不通过"}
SEVERITY_WORDS = {"error": "错误", "warning": "警告", "info": "提示"}


class LazyReports(Listed[WorkbookReport]):
    """A sequence of reports built one at a time by ``_get`` when asked for, never held."""

    @abstractmethod
    def _get(self, index: int) -> WorkbookReport:
        """The report at `index`, built now (each subclass reads it from where it is kept)."""

    def _item(self, i: int) -> WorkbookReport:
        return self._get(i)


class SpooledReports(LazyReports):
    """Reports kept on disk, not in memory: a sequence in path order whose items are read back one at a
    time (the runner writes each finished report here as it arrives). Only one 8-byte offset per file
    stays in memory, so a 10,000-file batch does not grow the parent process. The spool is an unnamed
    temporary file: nothing is left behind."""

    def __init__(self, count: int) -> None:
        self._file = tempfile.TemporaryFile(prefix="lxbz-reports-")  # noqa: SIM115 (lives with the sequence)
        self._offsets = array("q", [-1]) * count
        self._end = 0

    def put(self, index: int, report: WorkbookReport) -> None:
        self._file.seek(self._end)
        self._offsets[index] = self._end
        pickle.dump(report, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._end = self._file.tell()

    def __len__(self) -> int:
        return len(self._offsets)

    def _get(self, index: int) -> WorkbookReport:
        offset = self._offsets[index]
        if offset < 0:
            raise IndexError(index)
        self._file.seek(offset)
        report: WorkbookReport = pickle.load(self._file)  # our own file, written above
        return report

    def close(self) -> None:
        self._file.close()


class MergedReports(LazyReports):
    """Every entry of a run in entry order: a refused entry (a symlink, a special or oversize file) as a
    report with its one finding, any other entry as the next report of ``checked`` (e.g. a
    :class:`SpooledReports`), read when asked for. Holds one index per entry, never a report."""

    def __init__(
        self, entries: Sequence[Any], refused: Mapping[str, Finding], checked: Sequence[WorkbookReport]
    ) -> None:
        self._entries, self._refused, self._checked = entries, refused, checked
        self._index = array("q")
        k = 0
        for path in entries:
            if str(path) in refused:
                self._index.append(-1)
            else:
                self._index.append(k)
                k += 1
        if k != len(checked):
            raise ValueError(f"{k} files to check, {len(checked)} reports")

    def __len__(self) -> int:
        return len(self._index)

    def _get(self, index: int) -> WorkbookReport:
        k = self._index[index]
        if k >= 0:
            return self._checked[k]
        path = str(self._entries[index])
        return WorkbookReport(path, findings=[self._refused[path]])
