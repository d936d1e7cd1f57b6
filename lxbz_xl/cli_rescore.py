"""`lxbz score --from-workbook FILE --write OUT`: a recomputed, clean copy of a submitted workbook.

The submission goes through exactly what `lxbz validate` runs - `discover.admit` (regular file, size from
`stat`), the guard and every check - in one worker process with the same limits (time per file, address
space), so a file `validate` rejects is rejected here with the same finding. The copy is then built from
the official template (the input values read from the submission written into it, fresh cached values and
explanations in every output cell): nothing of the submission's package (macros, extra parts, entry
names) is carried over. It is written next to OUT under a temporary name and renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from rich.console import Console

from lxbz_xl.validation import runner
from lxbz_xl.validation.check_file import Checked, check_file_full
from lxbz_xl.validation.context import releases_dir
from lxbz_xl.validation.discover import admit
from lxbz_xl.validation.guard import DEFAULT_LIMITS
from lxbz_xl.validation.model import PASSING_WARNINGS, WorkbookReport, finding
from lxbz_xl.validation.report_console import print_report
from lxbz_xl.validation.safe_text import console as esc
from lxbz_xl.validation.safe_text import xml


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    with contextlib.suppress(OSError):
        return b.exists() and os.path.samefile(a, b)
    return False


def write_clean_copy(checked: Checked, dst: Path) -> None:
    """The official template of the checked workbook's rubric and variant, with its input values and the
    core's cached values; built here from the definition, so no byte of the submission's package is kept."""
    from lxbz_xl.workbook.build import build_template, template_name
    from lxbz_xl.workbook.cached_values import rewrite_package

    rubric, variant, result = checked.rubric, checked.variant, checked.result
    assert rubric is not None and variant is not None and result is not None
    inputs = {
        (c.sheet, c.ref): _cell(checked.get(c.sheet, c.ref))
        for c in rubric.layout.cells
        if c.role != "output" and checked.get(c.sheet, c.ref) is not None
    }
    cached = rubric.expected_outputs(result, variant, checked.get)
    with tempfile.TemporaryDirectory(prefix="lxbz-rescore-") as tmp:
        build_template(rubric.defn, Path(tmp), variant)
        rewrite_package(Path(tmp) / template_name(rubric.defn.id, variant), dst, cached, inputs)


def _cell(value: Any) -> Any:
    # Text goes back into XML: characters XML cannot hold are written as visible escapes.
    return xml(value) if isinstance(value, str) else value


def _job(src: str, tmp: str) -> tuple[WorkbookReport, bool]:
    """In the worker: check as `validate` does (same time limit), then write the clean copy to ``tmp``."""
    path = Path(src)
    timeout: float = runner._state.get("timeout", runner.FILE_TIMEOUT)
    previous = signal.signal(signal.SIGALRM, runner._on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        checked = check_file_full(path, runner._state["context"], runner._state["limits"], keep_inputs=True)
        result = checked.result
        # Whatever `lxbz validate` rejects is rejected here too, with the same findings (issue 16), stale or
        # edited cached results included: a recomputed copy is made only of a workbook that validates.
        blocking = [
            f for f in checked.report.findings if f.severity != "info" and f.code not in PASSING_WARNINGS
        ]
        usable = (
            result is not None
            and checked.rubric is not None
            and checked.variant is not None
            and result.ok
            and not blocking
        )
        if usable:  # the inputs are valid: formulas and cached values come from the template and the core
            write_clean_copy(checked, Path(tmp))
            return checked.report, True
        return checked.report, False
    except runner._Timeout:
        message = f"文件「{path.name}」处理超过{timeout:g}秒,已跳过。请检查文件是否异常"
        return WorkbookReport(src, findings=[finding("timeout", message)]), False
    except MemoryError:
        message = f"文件「{path.name}」处理时内存不足,已跳过(文件可能异常)"
        return WorkbookReport(src, findings=[finding("internal_error", message)]), False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _contained(src: Path, tmp: Path, timeout: float) -> tuple[WorkbookReport, bool]:
    initargs = (str(releases_dir()), DEFAULT_LIMITS, timeout, runner.MEMORY_LIMIT, ())
    pool = ProcessPoolExecutor(max_workers=1, initializer=runner._init, initargs=initargs)
    try:
        future = pool.submit(_job, str(src), str(tmp))
        return future.result(timeout=2 * timeout + 10)
    except FutureTimeout:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        message = f"文件「{src.name}」处理超过{2 * timeout + 10:g}秒无响应,已终止并跳过(文件可能异常)"
        return WorkbookReport(str(src), findings=[finding("timeout", message)]), False
    except BrokenProcessPool:
        message = f"检查文件「{src.name}」时工作进程意外退出,已跳过(文件可能异常)"
        return WorkbookReport(str(src), findings=[finding("internal_error", message)]), False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def score_workbook(src: Path, out: Path, timeout: float = runner.FILE_TIMEOUT) -> int:
    """Write a recomputed copy of ``src`` to ``out``. The input is only read. Returns 0 when written, 1
    when the workbook cannot be scored (its findings are printed), 2 on a usage error."""
    console = Console(highlight=False, width=160)
    if not os.path.lexists(src):
        console.print(f"[red]{esc(src)}:文件不存在[/]")
        return 2
    if out.is_dir() or not out.parent.is_dir():
        console.print(f"[red]{esc(out)}:目录不存在或目标是文件夹[/]")
        return 2
    refused = admit(src)
    if refused is not None:
        print_report([WorkbookReport(str(src), findings=[refused])], console)
        console.print("[red]无法重新计算:请先按上述问题修改后再试[/]")
        return 1
    if _same_file(src, out):
        console.print(f"[red]输出文件与输入文件相同({esc(out)}):不会覆盖报送的原件,请指定另一个文件名[/]")
        return 2
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        report, written = _contained(src, tmp, timeout)
        report.path = str(src)
        print_report([report], console)
        if not written:
            console.print("[red]无法重新计算:请先按上述问题修改后再试[/]")
            return 1
        os.replace(tmp, out)  # atomic: readers see the old file or the complete new one
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".tmp").unlink(missing_ok=True)  # rewrite_package's own partial file
    total = "—" if report.total is None else report.total
    console.print(f"已写出 {esc(out)}:总分 {total},档次 {esc(report.tier or '—')}")
    return 0
