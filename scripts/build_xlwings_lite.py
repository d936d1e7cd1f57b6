"""Build the xlwings Lite bundle: the lxbz-xl wheel, main.py and requirements.txt (build/xlwings_lite/).

Same as `lxbz excel lite`, runnable from a checkout without installing the package:

    python scripts/build_xlwings_lite.py [--out DIR] [--wheel-url URL] [--wheel FILE] [--no-build]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxbz_xl.cli_excel import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build_xlwings_lite")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["excel", "lite", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
