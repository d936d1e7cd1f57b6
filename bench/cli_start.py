"""Start-up cost of the CLI: `lxbz score examples/cases/<one>.yaml` against `python -c pass`, same run.

Both commands are started as fresh processes, interleaved, N times each after one warm-up run (which
also fills the rubric cache, as any earlier use of the command would); the medians and their ratio are
printed. Target (issue 14): the ratio is at most 5.

    .venv/bin/python bench/cli_start.py [-n 21] [--case examples/cases/learning_team_红星县委.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CASE = ROOT / "examples" / "cases" / "learning_team_红星县委.yaml"
TARGET = 5.0


def lxbz_command() -> list[str]:
    script = Path(sys.executable).with_name("lxbz")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "lxbz_xl.cli"]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=21, help="runs of each command (default 21)")
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE)
    args = parser.parse_args()
    baseline_cmd = [sys.executable, "-c", "pass"]
    score_cmd = [*lxbz_command(), "score", str(args.case)]
    wall(score_cmd)  # warm-up: OS file cache, .pyc files, the rubric cache
    wall(baseline_cmd)
    base, score = [], []
    for _ in range(args.n):
        base.append(wall(baseline_cmd))
        score.append(wall(score_cmd))
    b, s = statistics.median(base), statistics.median(score)
    ratio = s / b
    print(f"python -c pass          median {b * 1000:7.1f} ms  (min {min(base) * 1000:.1f}, n={args.n})")
    print(
        f"lxbz score {args.case.name}  median {s * 1000:7.1f} ms  (min {min(score) * 1000:.1f}, n={args.n})"
    )
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"ratio {ratio:.2f}× python -c pass (target ≤ {TARGET:g}×: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
