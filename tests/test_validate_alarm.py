"""The per-file time limit in one process: the SIGALRM handler is installed once for a batch of files,
each file still gets its own limit, and the handler found before the batch is put back after it."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from lxbz_xl.validation import runner
from lxbz_xl.validation.model import WorkbookReport

pytestmark = pytest.mark.workbook


def test_each_file_of_a_batch_has_its_own_time_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[Any] = []

    def check_file(path: Path, context: Any, limits: Any) -> WorkbookReport:
        seen.append(signal.getsignal(signal.SIGALRM))
        if path.name.startswith("slow"):
            time.sleep(5)  # interrupted by the file's alarm
        return WorkbookReport(str(path))

    monkeypatch.setattr(runner, "check_file", check_file)
    paths = [tmp_path / name for name in ("a.xlsx", "slow1.xlsx", "b.xlsx", "slow2.xlsx", "c.xlsx")]

    def mine(signum: int, frame: Any) -> None:
        raise AssertionError("the batch's own handler must be in place while files run")

    before = signal.signal(signal.SIGALRM, mine)
    try:
        started = time.perf_counter()
        reports = runner.run(paths, jobs=1, timeout=0.2)
        elapsed = time.perf_counter() - started
        assert signal.getsignal(signal.SIGALRM) is mine  # put back after the batch
    finally:
        signal.signal(signal.SIGALRM, before)
    codes = [[f.code for f in r.findings] for r in reports]
    assert codes == [[], ["timeout"], [], ["timeout"], []]
    assert elapsed < 3  # each slow file stopped at its own limit, not the sleep's end
    assert all(handler is runner._on_alarm for handler in seen)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no alarm left armed


def test_a_single_file_installs_and_restores_the_handler(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(runner, "check_file", lambda path, context, limits: time.sleep(5))
    previous = signal.getsignal(signal.SIGALRM)
    monkeypatch.setitem(runner._state, "timeout", 0.2)
    report = runner.check_one(tmp_path / "slow.xlsx")
    assert [f.code for f in report.findings] == ["timeout"]
    assert signal.getsignal(signal.SIGALRM) is previous
