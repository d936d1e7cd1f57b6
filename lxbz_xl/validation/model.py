"""What validation reports: findings (stable code, severity, sheet, cell, Chinese message) per workbook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["valid", "invalid"]

# code → (severity, category, Chinese title). The catalogue is the contract of the JSON/JUnit/xlsx reports:
# codes never change meaning; docs/validation.md lists them.
CODES: dict[str, tuple[Severity, str, str]] = {
    # guard.py: hostile or unreadable files (checked before anything parses them)
    "unreadable": ("error", "file", "文件无法读取"),
    "too_large": ("error", "file", "文件过大"),
    "not_a_zip": ("error", "file", "不是 Excel 工作簿"),
    "wrong_type": ("error", "file", "文件类型错误"),
    "encrypted": ("error", "file", "文件已加密"),
    "corrupt": ("error", "file", "文件已损坏"),
    "zip_bomb": ("error", "file", "疑似压缩炸弹"),
    "xml_bomb": ("error", "file", "疑似 XML 炸弹"),
    "macros": ("warning", "file", "包含宏"),
    "too_many_rows": ("error", "file", "行数过多"),
    # identity
    "meta_missing": ("error", "identity", "缺少模板标识"),
    "unknown_rubric": ("error", "identity", "未知考评细则"),
    "unknown_version": ("error", "identity", "未知模板版本"),
    "outdated_template": ("error", "identity", "模板版本过旧"),
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
