"""Running the checks over many files: worker processes, chunks, time limits and crash containment.

Each worker loads rubric definitions, layouts and formulas once (Context) and checks a chunk of files per
task, so inter-process traffic is one small message per chunk. Whatever goes wrong with one file - an
exception, a time-out, a worker that dies - becomes a finding on that file; the batch always finishes.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lxbz_xl.definition.loader import load_rubric
from lxbz_xl.validation.check_file import check_file, sha256_of
from lxbz_xl.validation.context import Context, releases_dir
from lxbz_xl.validation.guard import DEFAULT_LIMITS, GuardLimits
from lxbz_xl.validation.model import SpooledReports, WorkbookReport, finding

FILE_TIMEOUT = 60.0  # seconds per file; a form takes milliseconds
MEMORY_LIMIT = 1024**3  # extra address space per worker: a runaway parse becomes MemoryError, not OOM

_state: dict[str, Any] = {}


class _Timeout(BaseException):
    """Raised by SIGALRM anywhere, even inside a parser callback: a BaseException, so that no
    ``except Exception`` on the way (a reader turning errors into findings) can swallow it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def _init(
    releases_dir: str, limits: GuardLimits, timeout: float, memory: int | None, rubrics: tuple[str, ...] = ()
) -> None:
    custom = {d.id: d for d in (load_rubric(Path(p)) for p in rubrics)}
    _state.update(context=Context(Path(releases_dir), custom=custom), limits=limits, timeout=timeout)
    if memory:
        try:
            import resource

            # On top of what the (forked) process already maps, so the cap never bites at start-up.
            with open("/proc/self/statm") as fh:
                mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            cap = mapped + memory
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        except (ImportError, ValueError, OSError):
            pass


def check_one(path: Path) -> WorkbookReport:
    """One file, contained: an exception or a time-out is a finding, never an abort."""
    context: Context = _state.setdefault("context", Context())
    timeout: float = _state.get("timeout", FILE_TIMEOUT)
    use_alarm = timeout > 0 and _can_alarm()
    # The handler is installed for this file unless a batch (_alarms) installed it for all its files.
    installed = use_alarm and not _alarms_on()
    previous = signal.signal(signal.SIGALRM, _on_alarm) if installed else None
    try:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        return check_file(path, context, _state.get("limits", DEFAULT_LIMITS))
    except _Timeout:
        return _failed(
            path, "timeout", f"文件「{path.name}」处理超过{timeout:g}秒,已跳过。请检查文件是否异常"
        )
    except MemoryError:
        return _failed(path, "internal_error", f"文件「{path.name}」处理时内存不足,已跳过(文件可能异常)")
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return _failed(path, "internal_error", f"检查文件「{path.name}」时发生内部错误,已跳过:{detail}")
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if installed:
                signal.signal(signal.SIGALRM, previous)


def _can_alarm() -> bool:
    """SIGALRM can only be handled in the main thread; elsewhere files run without a time limit."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _alarms_on() -> bool:
    return signal.getsignal(signal.SIGALRM) is _on_alarm


@contextmanager
def _alarms() -> Iterator[None]:
    """The SIGALRM handler installed once for a batch of files (not twice per file), then restored."""
    if not _can_alarm() or _alarms_on():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, previous)


def _preload() -> None:
    """Import what every worker needs once, here: forked workers inherit it instead of each paying ~0.5 s."""
    import importlib

    for name in (
        "lxbz_xl.engine.evaluate",
        "lxbz_xl.workbook.layout",
        "lxbz_xl.workbook.form",
        "lxbz_xl.workbook.cases",
        "lxbz_xl.workbook.cached_values",
        "lxbz_xl.workbook.udf_formulas",
        "lxbz_xl.workbook.native_formulas",
        "openpyxl.formula.translate",
    ):
        try:
            importlib.import_module(name)
        except ImportError:  # a module that is not there is simply not preloaded
            continue


def _failed(path: Path, code: str, message: str) -> WorkbookReport:
    return WorkbookReport(str(path), sha256=sha256_of(path), findings=[finding(code, message)])


def _check_chunk(chunk_id: int, paths: list[str], markers: str) -> list[WorkbookReport]:
    # The marker says "this chunk started": after a worker dies, chunks without one were only queued.
    marker = Path(markers, str(chunk_id))
    marker.touch()
    with _alarms():
        reports = [check_one(Path(p)) for p in paths]
    marker.unlink(missing_ok=True)
    return reports


def run(
    paths: Sequence[Path],
    *,
    jobs: int | None = None,
    limits: GuardLimits = DEFAULT_LIMITS,
    releases: Path | None = None,
    timeout: float = FILE_TIMEOUT,
    memory: int | None = MEMORY_LIMIT,
    watchdog: float | None = None,
    on_done: Callable[[WorkbookReport], None] | None = None,
    rubrics: Sequence[Path] = (),
    spool: bool = False,
) -> Sequence[WorkbookReport]:
    """Reports in the order of ``paths``: a list, or with ``spool=True`` a :class:`SpooledReports` that
    keeps each finished report on disk (read back one at a time), so the parent's memory stays flat
    however many files there are. ``on_done`` sees every report as it arrives either way.

    ``rubrics`` are a department's own rubric files, checked instead of the built-in of the same id.
    ``jobs=1`` runs in this process (no pool, no watchdog). Otherwise files run in worker processes;
    when no chunk finishes for ``watchdog`` seconds (default 2 × timeout + 10: a hang inside C code,
    which the per-file SIGALRM cannot interrupt), the workers are killed and the running files retried
    one by one; the one that hangs alone is reported as ``timeout``.
    """
    jobs = max(1, jobs or os.cpu_count() or 1)
    spooled = SpooledReports(len(paths)) if spool else None
    results: list[WorkbookReport | None] = [] if spool else [None] * len(paths)
    # Custom rubric files travel as paths: each worker loads them once (definitions are cached by file).
    initargs = (str(releases or releases_dir()), limits, timeout, memory, tuple(str(p) for p in rubrics))
    watchdog = watchdog or 2 * timeout + 10

    def done(i: int, report: WorkbookReport) -> None:
        report.path = str(paths[i])
        if spooled is not None:
            spooled.put(i, report)
        else:
            results[i] = report
        if on_done:
            on_done(report)

    if jobs == 1:
        _init(initargs[0], limits, timeout, None, initargs[4])
        with _alarms():
            for i, path in enumerate(paths):
                done(i, check_one(path))
        return spooled if spooled is not None else results  # type: ignore[return-value]
    jobs = min(jobs, max(1, len(paths)))
    _preload()
    size = max(1, min(32, len(paths) // (jobs * 8)))
    # (indices, isolated): isolated chunks are single files run alone, to tell which one kills a worker.
    queue: deque[tuple[list[int], bool]] = deque(
        (list(range(start, min(start + size, len(paths)))), False) for start in range(0, len(paths), size)
    )
    with tempfile.TemporaryDirectory(prefix="lxbz-validate-") as markers:
        while queue:
            isolated = all(iso for _, iso in queue)
            batch = [item for item in queue if item[1] == isolated]
            queue = deque(item for item in queue if item[1] != isolated)
            progress = False
            killed = False
            with ProcessPoolExecutor(
                max_workers=1 if isolated else jobs, initializer=_init, initargs=initargs
            ) as pool:
                futures = {}
                for n, (chunk, _iso) in enumerate(batch):
                    try:
                        futures[pool.submit(_check_chunk, n, [str(paths[i]) for i in chunk], markers)] = (
                            n,
                            chunk,
                        )
                    except BrokenProcessPool:  # a worker died while we were still submitting
                        queue.extend(batch[n:])  # never submitted, so not suspect
                        break
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, timeout=watchdog, return_when=FIRST_COMPLETED)
                    if not finished:
                        killed = True
                        for process in list(getattr(pool, "_processes", {}).values()):
                            process.kill()  # the executor then fails every pending future as broken
                        continue
                    for future in finished:
                        # Popped: a finished future holds its chunk's reports until it is dropped.
                        n, chunk = futures.pop(future)
                        try:
                            reports = future.result()
                        except BrokenProcessPool:
                            # A worker died (killed, or crashed in C code): whatever it was running is suspect.
                            marker = Path(markers, str(n))
                            started = marker.exists()
                            marker.unlink(missing_ok=True)
                            if not started:
                                queue.append((chunk, isolated))
                            elif isolated:
                                progress = True
                                done(chunk[0], _crashed(paths[chunk[0]], killed, watchdog))
                            else:
                                progress = True
                                queue.extend(([i], True) for i in chunk)
                            continue
                        except Exception as exc:  # e.g. a report that cannot be pickled
                            reports = [
                                _failed(paths[i], "internal_error", f"检查时发生内部错误:{exc!r}")
                                for i in chunk
                            ]
                        progress = True
                        for i, report in zip(chunk, reports, strict=True):
                            done(i, report)
            if not progress:  # the pool cannot even start: report instead of looping
                for chunk, _ in queue:
                    for i in chunk:
                        done(i, _failed(paths[i], "internal_error", "无法启动检查进程"))
                queue.clear()
    return spooled if spooled is not None else results  # type: ignore[return-value]


def _crashed(path: Path, killed: bool, watchdog: float) -> WorkbookReport:
    if killed:
        return _failed(
            path, "timeout", f"文件「{path.name}」处理超过{watchdog:g}秒无响应,已终止并跳过(文件可能异常)"
        )
    return _failed(path, "internal_error", f"检查文件「{path.name}」时工作进程意外退出,已跳过(文件可能异常)")
