"""One bounded, streaming expat pass over a zip member: the only way validation parses XML.

expat is a non-backtracking, event-driven parser: every byte is looked at a bounded number of times, so
no input can make it slow the way a backtracking regular expression can. Around it this module enforces,
*while streaming* (never after building anything):

* DTDs, entity declarations and external entities are refused (``xml_bomb``): OOXML never has them.
* nesting depth (``xml_too_deep``), elements per file (``xml_too_many_elements``), the text of one
  element (``xml_text_too_long``) and one unbroken token such as a start tag with its attributes
  (``xml_attribute_too_long``): expat keeps a token in its buffer until the token is complete, so the
  bytes fed since the last event bound what it holds.
* bytes actually inflated per member and per file (``zip_bomb``), and a per-file time budget
  (``parse_timeout``).
* the member is read to its end, so zipfile checks its CRC-32 (``bad_crc``); invalid UTF-8
  (``invalid_utf8``) and encodings expat cannot decode (``unsupported_encoding``) get their own
  findings instead of a generic "corrupt".

Handlers receive qualified names as written; ``local()`` drops a prefix, so ``<x:row>`` reads as ``row``.
"""

from __future__ import annotations

import codecs
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from xml.parsers import expat

FEED = 64 * 1024  # bytes per expat feed: the granularity of the byte and token checks
TIME_CHECK_BYTES = 256 * 1024  # bytes parsed between two readings of the CPU clock (Budget.check_time)


class StreamError(Exception):
    """A limit or a format problem found while streaming; ``detail`` is Chinese, without the file name."""

    def __init__(self, code: str, detail: str, part: str, cell: str | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.part, self.cell = code, detail, part, cell


class Budget:
    """What one file may still spend: elements, inflated bytes and parse time, shared by all its parts.

    Time is the process's CPU time, so a busy machine does not turn a legitimate file into a finding; a
    hang inside C code (no CPU progress) is the runner's per-file alarm and watchdog's business."""

    def __init__(self, limits: Any) -> None:
        self.limits = limits
        self.deadline = time.process_time() + limits.max_parse_seconds
        self.elements = 0
        self.inflated = 0
        self.unclocked = TIME_CHECK_BYTES  # the first check reads the clock at once

    def check_time(self, part: str, parsed: int = TIME_CHECK_BYTES) -> None:
        """Raise ``parse_timeout`` once the file's parsing has used its CPU time. The clock is read at the
        first call and then after every ``TIME_CHECK_BYTES`` parsed (reading the process's CPU clock is a
        system call that costs more than parsing a small part); expat's cost per byte is bounded, so the
        limit is overshot by milliseconds at most."""
        self.unclocked += parsed
        if self.unclocked < TIME_CHECK_BYTES:
            return
        self.unclocked = 0
        if time.process_time() > self.deadline:
            raise StreamError(
                "parse_timeout",
                f"解析内部文件 {part} 超过单个文件的时间预算 {self.limits.max_parse_seconds:g} 秒(结构异常,疑似恶意文件)",
                part,
            )


def local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


class Handler:
    """Base target: counts depth and elements and bounds text. Subclasses extend ``start``/``end``/``text``
    and call ``self.enter(attrs)`` / ``self.leave()`` (kept tiny: they run once per element)."""

    where: str | None = None  # the cell being read, for messages
    parser: Any = None  # the expat parser feeding this handler (set by parse_member)

    def __init__(self, limits: Any) -> None:
        self.depth = 0
        self.max_depth = limits.max_depth
        self.count = 0
        self.text_len = 0
        self.max_text = limits.max_text_chars
        self.part = ""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.count += 1
        self.text_len = 0
        if self.depth > self.max_depth:
            self.too_deep()

    def end(self, name: str) -> None:
        self.depth -= 1
        self.text_len = 0

    def text(self, data: str) -> None:
        self.text_len += len(data)
        if self.text_len > self.max_text:
            self.too_long_text()

    def too_deep(self) -> None:
        raise StreamError(
            "xml_too_deep",
            f"内部文件 {self.part} 的 XML 嵌套超过允许上限 {self.max_depth} 层(疑似恶意文件)",
            self.part,
        )

    def too_long_text(self) -> None:
        raise StreamError(
            "xml_text_too_long",
            f"内部文件 {self.part} 中单个元素的文本超过允许上限 {self.max_text:,} 个字符",
            self.part,
            self.where,
        )


class _StopAtRoot(Exception):
    pass


def _refuse(part: str) -> Callable[..., None]:
    def handler(*_args: Any) -> None:
        raise StreamError(
            "xml_bomb",
            f"内部文件 {part} 含有 DTD/实体声明(可能是 XML 炸弹或外部实体攻击),出于安全原因拒绝处理。"
            "Excel 文件不允许包含 DTD",
            part,
        )

    return handler


def parse_member(
    archive: zipfile.ZipFile,
    part: str,
    handler: Handler | None,
    budget: Budget,
    *,
    strict: bool = True,
    prolog_only: bool = False,
    data: bytes | None = None,
) -> None:
    """Stream ``part`` through expat into ``handler`` (None: structure and limits only); ``data``: the
    member's bytes when the caller has already read them (:func:`read_member`).

    ``strict``: malformed XML is ``corrupt``; otherwise it only ends the parse (images, VML). The member
    is always read to its end (CRC check). ``prolog_only`` stops feeding expat at the root element: enough
    to refuse a DTD in a part nothing reads.
    """
    limits = budget.limits
    target = handler if handler is not None else Handler(limits)
    target.part = part
    parser = expat.ParserCreate()  # no namespace processing: handlers drop a prefix themselves
    parser.buffer_text = True
    parser.buffer_size = 16 * 1024
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    refuse = _refuse(part)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    target.parser = parser
    if prolog_only:

        def stop(name: str, attrs: dict[str, str]) -> None:
            raise _StopAtRoot

        parser.StartElementHandler = stop
    else:
        parser.StartElementHandler = target.start
        parser.EndElementHandler = target.end
        parser.CharacterDataHandler = target.text
    fed = 0
    parsing = True
    try:
        chunks = _chunks(archive, part, budget) if data is None else _pieces(data)
        for chunk in chunks:
            fed += len(chunk)
            if parsing:
                parsing = _feed(parser, chunk, part, target, strict, text=not prolog_only)
                if parsing and not prolog_only:
                    before = budget.elements
                    budget.elements = before + target.count
                    target.count = 0
                    if budget.elements > limits.max_elements:
                        raise StreamError(
                            "xml_too_many_elements",
                            f"XML 元素总数超过允许上限 {limits.max_elements:,} 个(在内部文件 {part} 中)",
                            part,
                        )
                    index = parser.CurrentByteIndex
                    if fed - max(index, 0) > limits.max_token_bytes:
                        raise StreamError(
                            "xml_attribute_too_long",
                            f"内部文件 {part} 中单个标签(属性值或注释)超过允许上限 "
                            f"{limits.max_token_bytes // 1024:,} KB",
                            part,
                            target.where,
                        )
            budget.check_time(part, len(chunk))
        if parsing:
            _feed(parser, b"", part, target, strict, final=True, text=not prolog_only)
    except StreamError:
        raise
    except zipfile.BadZipFile as exc:
        raise _zip_error(part, exc) from exc
    except (zlib.error, EOFError, OSError, NotImplementedError, ValueError, LookupError, TypeError) as exc:
        # a damaged deflate stream, or a malformed value a handler could not read
        raise StreamError("corrupt", f"内部文件 {part} 已损坏,无法解压或解析", part) from exc
    finally:
        target.parser = None


def _chunks(archive: zipfile.ZipFile, part: str, budget: Budget) -> Iterator[bytes]:
    """The member, inflated chunk by chunk and read to its end (zipfile checks the CRC there)."""
    limits = budget.limits
    cap = limits.max_member_bytes
    produced = 0
    with archive.open(part) as member:
        while chunk := member.read(FEED):
            produced += len(chunk)
            budget.inflated += len(chunk)
            if produced > cap or budget.inflated > limits.max_uncompressed_bytes:
                raise StreamError("zip_bomb", _inflated_message(part, produced, cap, budget), part)
            yield chunk


def _pieces(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), FEED):
        yield data[start : start + FEED]


def read_member(archive: zipfile.ZipFile, part: str, budget: Budget) -> bytes:
    """A small member read whole (bounded, CRC checked), for :func:`parse_member` with ``data=``."""
    try:
        return b"".join(_chunks(archive, part, budget))
    except StreamError:
        raise
    except zipfile.BadZipFile as exc:
        raise _zip_error(part, exc) from exc
    except (zlib.error, EOFError, OSError, NotImplementedError, ValueError) as exc:
        # NotImplementedError: zipfile's answer to a compression method it cannot inflate
        raise StreamError("corrupt", f"内部文件 {part} 已损坏,无法解压", part) from exc


def _zip_error(part: str, exc: Exception) -> StreamError:
    if "CRC" in str(exc):
        return StreamError("bad_crc", f"内部文件 {part} 的校验和(CRC)不符,文件已损坏或被篡改", part)
    return StreamError("corrupt", f"内部文件 {part} 已损坏,无法解压", part)


def _inflated_message(part: str, fed: int, cap: int, budget: Budget) -> str:
    from lxbz_xl.validation.guard import fmt_bytes

    if fed > cap:
        return f"内部文件 {part} 解压后超过允许上限 {fmt_bytes(cap)}(疑似压缩炸弹)"
    return (
        f"解压后总大小(读到内部文件 {part} 时)超过允许上限 "
        f"{fmt_bytes(budget.limits.max_uncompressed_bytes)}(疑似压缩炸弹)"
    )


def _feed(
    parser: Any,
    chunk: bytes,
    part: str,
    target: Handler,
    strict: bool,
    final: bool = False,
    text: bool = True,
) -> bool:
    """Feed one chunk; False once the parse has ended (root reached, or a tolerated error)."""
    try:
        parser.Parse(chunk, final)
    except _StopAtRoot:
        return False
    except ValueError as exc:  # "multi-byte encodings are not supported" (e.g. encoding="GBK")
        if not text:
            return False
        raise StreamError(
            "unsupported_encoding",
            f"内部文件 {part} 使用了不支持的字符编码({exc});Excel 文件应为 UTF-8 或 UTF-16",
            part,
        ) from exc
    except expat.ExpatError as exc:
        code = getattr(exc, "code", None)
        if text and code in _ENCODING_ERRORS:
            raise StreamError(
                "unsupported_encoding",
                f"内部文件 {part} 的字符编码无法识别或与声明不符;Excel 文件应为 UTF-8 或 UTF-16",
                part,
            ) from exc
        if (
            text
            and code == expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]
            and _bad_utf8(chunk, parser)
        ):
            where = f"(单元格 {target.where} 附近)" if target.where else ""
            raise StreamError(
                "invalid_utf8",
                f"内部文件 {part} 含有无效的 UTF-8 字节{where},文本已损坏",
                part,
                target.where,
            ) from exc
        if strict:
            raise StreamError("corrupt", f"内部文件 {part} 不是有效的 XML(第 {exc.lineno} 行)", part) from exc
        return False
    return True


_ENCODING_ERRORS = (
    expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING],
    expat.errors.codes[expat.errors.XML_ERROR_INCORRECT_ENCODING],
)


def _bad_utf8(chunk: bytes, parser: Any) -> bool:
    """Whether the bytes around expat's error position are not UTF-8 (only UTF-8 parts are decoded so)."""
    if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:2] in (b"<\x00", b"\x00<"):
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(chunk, final=False)
    except UnicodeDecodeError:
        return True
    return False
