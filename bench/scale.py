"""`lxbz validate` at scale: wall time and peak memory for 1,000 and 10,000 submissions.

Usage: python bench/scale.py [--sizes 1000 10000] [--jobs N] [--keep DIR]

1. Builds filled submissions of six rubrics, both template variants (bench/validate.py), and copies them
   to N files, each with its own unit name (an input cell), so no two files are identical.
2. Runs ``lxbz validate FOLDER --json report.json`` as a child process (the real command, report
   written), with TMPDIR pointed at an empty folder that must be empty again afterwards.
3. Reports wall time, files per second, the peak RSS of the validate process itself (its VmHWM, read
   from /proc/self/status as it finishes) and the peak of the whole process tree, parent and workers
   (sampled from /proc every 20 ms), then the ratios between the sizes: flat memory means a ratio near 1.

Measured 2026-12-02 on the 2-core development machine, shared with other engineers' jobs, default --jobs:
  1,000 files  (load 2.4-4.6): 11.3-21.8 s, peak RSS validate process 62-65 MiB, whole tree 179-183 MiB
  10,000 files (load 2.1-3.1): 65.0-88.6 s, peak RSS validate process 66-67 MiB, whole tree 194 MiB
  10,000 vs 1,000, same run: peak process RSS x1.07, peak tree RSS x1.09 (flat); TMPDIR empty.
See docs/validation.md, "Speed".
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from validate import make_submissions  # noqa: E402  (bench/validate.py, needs the sys.path entries)

MiB = 1024 * 1024


def _tree_rss(pid: int) -> int:
    """RSS in bytes of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, pages = int(fields[1]), int(fields[21])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


# `lxbz validate ...` in a fresh interpreter that reports its own high-water mark (ru_maxrss of a child
# would include the mark it inherits from this process).
CHILD = """
import json, sys
from lxbz_xl.cli import main
code = main(json.loads(sys.argv[1]))
with open("/proc/self/status") as fh:
    print(next(line for line in fh if line.startswith("VmHWM:")).strip(), file=sys.stderr)
sys.exit(code)
"""


def run_validate(folder: Path, jobs: int | None) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="lxbz-scale-tmp-"))
    report = folder.parent / f"{folder.name}.json"
    argv = ["validate", str(folder), "--json", str(report)]
    if jobs:
        argv += ["--jobs", str(jobs)]
    command = [sys.executable, "-c", CHILD, json.dumps(argv)]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": str(tmp)}
    )
    peak_tree = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.is_set():
            peak_tree = max(peak_tree, _tree_rss(child.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _out, err = child.communicate()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    lines = [line for line in err.decode().splitlines() if line.startswith("VmHWM:")]
    peak_one = int(lines[-1].split()[1]) if lines else 0
    leftovers = list(tmp.iterdir())
    os.rmdir(tmp) if not leftovers else None
    if child.returncode not in (0, 1) or b"Traceback" in err:
        raise SystemExit(f"lxbz validate failed ({child.returncode}): {err.decode()[-2000:]}")
    return {
        "seconds": elapsed,
        "peak_process_mib": peak_one / 1024,  # VmHWM is in kB
        "peak_tree_mib": peak_tree / MiB,
        "leftovers": float(len(leftovers)),
        "exit": float(child.returncode),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", type=Path, help="build the submissions here instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lxbz-scale-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        results: dict[int, dict[str, float]] = {}
        for n in args.sizes:
            folder = root / f"n{n}"
            submissions = folder / "submissions"
            if not submissions.is_dir():  # a kept folder (--keep) is reused as it is
                folder.mkdir(exist_ok=True)
                started = time.perf_counter()
                make_submissions(folder, n)
                print(f"{n:,} submissions built in {time.perf_counter() - started:.1f} s", flush=True)
            r = run_validate(submissions, args.jobs)
            results[n] = r
            print(
                f"  lxbz validate: {r['seconds']:.1f} s ({n / r['seconds']:.0f} files/s, exit {r['exit']:.0f}); "
                f"peak RSS one process {r['peak_process_mib']:.0f} MiB, whole tree {r['peak_tree_mib']:.0f} MiB; "
                f"TMPDIR leftovers {r['leftovers']:.0f}; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        sizes = sorted(results)
        for a, b in itertools.pairwise(sizes):
            ra, rb = results[a], results[b]
            print(
                f"{b:,} vs {a:,} files: time x{rb['seconds'] / ra['seconds']:.1f} (files x{b / a:.0f}), "
                f"peak process RSS x{rb['peak_process_mib'] / ra['peak_process_mib']:.2f}, "
                f"peak tree RSS x{rb['peak_tree_mib'] / ra['peak_tree_mib']:.2f}"
            )


if __name__ == "__main__":
    main()
