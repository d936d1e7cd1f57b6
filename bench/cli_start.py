"""Start-up cost of the CLI: `lxbz score examples/cases/<one>.yaml` against `python -c pass`, same run.

Both commands are started as fresh processes, interleaved, N times each after one warm-up run (which
also fills the rubric cache, as any earlier use of the command would); the medians and their ratio are
printed, for wall time and for CPU time (user + system of the child process: steadier than wall time on
a shared machine). Target (issue 14): the ratio is at most 5.

    .venv/bin/python bench/cli_start.py [-n 21] [--case examples/cases/learning_team_红星县委.yaml]

The children run without PYTHONDONTWRITEBYTECODE, so the warm-up writes the package's .pyc files as an
installed package has them (with it set, every run would compile lxbz_xl's sources again, ~50 ms).
The load average is printed with the figures: on the shared 2-core machine they vary with it.

Measured (2026-12-02, 2-core machine shared with other engineers' test runs; medians of 21 runs):
  before issue 14's changes:  11–12× (lxbz score ≈ 300–400 ms CPU against 30–37 ms, load 3–6.5)
  after, three runs in a row at load 6.3–6.6: CPU 3.61×, 3.68×, 3.76×; wall 3.59×, 3.20×, 3.66×
  and at load 5.0–5.1: CPU 3.77×, 3.52×, 3.34×; wall 4.09×, 3.37×, 3.33×
  the same without the light path (LXBZ_LITE=0, i.e. importing pydantic): ≈ 6.3×
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CASE = ROOT / "examples" / "cases" / "learning_team_红星县委.yaml"
TARGET = 5.0
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def lxbz_command() -> list[str]:
    script = Path(sys.executable).with_name("lxbz")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "lxbz_xl.cli"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `cmd`."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=CHILD_ENV
    )
    elapsed, used = time.perf_counter() - start, _cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed, used


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=21, help="runs of each command (default 21)")
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE)
    args = parser.parse_args()
    baseline_cmd = [sys.executable, "-c", "pass"]
    score_cmd = [*lxbz_command(), "score", str(args.case)]
    timed(score_cmd)  # warm-up: OS file cache, .pyc files, the rubric cache
    timed(baseline_cmd)
    base, score = [], []
    for _ in range(args.n):
        base.append(timed(baseline_cmd))
        score.append(timed(score_cmd))
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.n} runs each; lxbz score {args.case.name}; load average {load}")
    for i, kind in enumerate(("wall", "CPU")):
        b = statistics.median(r[i] for r in base)
        s = statistics.median(r[i] for r in score)
        ratio = s / b
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(
            f"{kind:>4}: python -c pass {b * 1000:6.1f} ms, lxbz score {s * 1000:6.1f} ms (medians)"
            f" → {ratio:.2f}× (target ≤ {TARGET:g}×: {verdict})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
