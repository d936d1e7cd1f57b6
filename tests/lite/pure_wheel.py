"""Build a pure-Python wheel (py3-none-any) from an sdist whose C extension is optional, e.g. PyYAML.

PyPI has no Pyodide (pyemscripten) wheel of PyYAML and Pyodide's own package CDN is not reachable here, so
scripts/test-lite.sh packs the sdist's pure-Python sources (`lib/yaml`, which falls back to its Python
loader when `yaml._yaml` is absent) into a wheel:

    python tests/lite/pure_wheel.py SDIST.tar.gz OUTDIR [--package-dir lib] [--package yaml]
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def _metadata(sdist: tarfile.TarFile, root: str) -> tuple[str, str, str]:
    member = sdist.extractfile(f"{root}/PKG-INFO")
    assert member is not None
    pkg_info = member.read().decode()
    name = re.search(r"^Name: (.+)$", pkg_info, re.MULTILINE)
    version = re.search(r"^Version: (.+)$", pkg_info, re.MULTILINE)
    assert name and version, "PKG-INFO without Name/Version"
    # Only the header block: the description after the blank line is not needed.
    return name.group(1).strip(), version.group(1).strip(), pkg_info.split("\n\n", 1)[0] + "\n"


def build(
    sdist_path: Path, out: Path, package_dir: str = "lib", packages: tuple[str, ...] = ("yaml",)
) -> Path:
    with tarfile.open(sdist_path) as sdist:
        root = sdist.getnames()[0].split("/", 1)[0]
        name, version, pkg_info = _metadata(sdist, root)
        dist = re.sub(r"[-_.]+", "_", name).lower()
        files: dict[str, bytes] = {}
        for member in sdist.getmembers():
            for package in packages:
                prefix = f"{root}/{package_dir}/{package}/"
                if member.isfile() and member.name.startswith(prefix) and member.name.endswith(".py"):
                    extracted = sdist.extractfile(member)
                    assert extracted is not None
                    files[f"{package}/{member.name[len(prefix) :]}"] = extracted.read()
    if not files:
        raise SystemExit(f"{sdist_path}: no Python files under {package_dir}/{'|'.join(packages)}")
    info = f"{dist}-{version}.dist-info"
    files[f"{info}/METADATA"] = pkg_info.encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: lxbz-xl tests/lite/pure_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/top_level.txt"] = "".join(f"{p}\n" for p in packages).encode()
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for file_name, data in files.items():
        writer.writerow(_record_line(file_name, data))
    writer.writerow([f"{info}/RECORD", "", ""])
    files[f"{info}/RECORD"] = record.getvalue().encode()
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for file_name, data in files.items():
            zf.writestr(file_name, data)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sdist", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--package-dir", default="lib")
    parser.add_argument("--package", action="append", dest="packages")
    args = parser.parse_args()
    print(build(args.sdist, args.out, args.package_dir, tuple(args.packages or ["yaml"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
