"""LibreOffice headless: recalculate .xlsx in a real spreadsheet engine and render previews.

Every soffice run gets its own throw-away user profile (``-env:UserInstallation``) because:

* LibreOffice keeps the cached ``<v>`` values of an .xlsx/.ods unless the profile sets
  ``OOXMLRecalcMode``/``ODFRecalcMode`` to 0 ("always recalculate"); the default never recalculates
  a file that already has cached values, so stale values would silently survive.
* A shared profile lets a second soffice hand its job to an already running instance (or block on
  the profile lock); a private one keeps runs independent and parallel-safe.

Behaviour worth knowing when reading LibreOffice output (measured with LibreOffice 7.4):

* Known functions are written back upper case; **unknown functions (UDFs such as ``LXBZ_TIER``)
  are written back lower case** (``lxbz_tier(A1)``, ``_xludf.lxbz_tier(A1)``) and, when
  recalculated, evaluate to ``#NAME?`` (so ``IFERROR(LXBZ_TIER(..),x)`` yields ``x``).
* Excel-2010+ functions need their ``_xlfn.`` prefix in the file (``_xlfn.CONCAT``); a bare
  ``CONCAT`` is an unknown function to LibreOffice.
* ``TRUE`` is written as ``TRUE()``; booleans are cached as ``t="b"`` (openpyxl reads True/False).
* A formula returning ``""`` is cached as ``t="str"`` with an empty ``<v>``; openpyxl
  ``data_only=True`` then reads ``None`` (indistinguishable from a blank cell by value alone).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "XLSX_FILTER",
    "LibreOfficeError",
    "LibreOfficeNotFoundError",
    "LibreOfficeTimeoutError",
    "find_soffice",
    "pdf_to_png",
    "recalculate",
    "recalculate_many",
    "to_pdf",
]

# argv, not a shell: no quotes around the filter name (a shell would strip them).
XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"
PDF_FILTER = "pdf:calc_pdf_Export"

# 0 = always recalculate on load (1 = never, 2 = prompt). Applies to OOXML (.xlsx) and ODF (.ods).
_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_CANDIDATES = (
    "/usr/bin/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/snap/bin/libreoffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


class LibreOfficeError(RuntimeError):
    """soffice failed or did not produce the expected output."""


class LibreOfficeNotFoundError(LibreOfficeError):
    """No soffice binary (run scripts/install-system-deps.sh)."""


class LibreOfficeTimeoutError(LibreOfficeError, TimeoutError):
    """soffice did not finish in time and was killed."""


def find_soffice() -> str | None:
    """Path of the LibreOffice ``soffice`` binary, or None. ``LXBZ_SOFFICE`` overrides the search."""
    env = os.environ.get("LXBZ_SOFFICE")
    if env:
        return env if Path(env).is_file() else shutil.which(env)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for cand in _CANDIDATES:
        if Path(cand).is_file():
            return cand
    opt = sorted(Path("/opt").glob("libreoffice*/program/soffice"), reverse=True)
    return str(opt[0]) if opt else None


def recalculate(src: Path, dst_dir: Path, timeout: float = 120, *, soffice: str | None = None) -> Path:
    """Recompute every formula of ``src`` in LibreOffice and write ``dst_dir/<name>.xlsx``.

    ``src`` is never modified (LibreOffice works on a private copy). Returns the output path.
    """
    return recalculate_many([src], dst_dir, timeout, soffice=soffice)[0]


def recalculate_many(
    srcs: Iterable[Path], dst_dir: Path, timeout: float = 120, *, soffice: str | None = None
) -> list[Path]:
    """Batch form of :func:`recalculate`: one soffice start (~1.5 s) for all files.

    ``timeout`` covers the whole batch. Output names are ``<stem>.xlsx``; stems must be unique.
    """
    return _convert(list(srcs), Path(dst_dir), XLSX_FILTER, ".xlsx", timeout, soffice)


def to_pdf(src: Path, dst_dir: Path, timeout: float = 120, *, soffice: str | None = None) -> Path:
    """Render ``src`` (recalculated first) to ``dst_dir/<stem>.pdf`` for previews."""
    return _convert([Path(src)], Path(dst_dir), PDF_FILTER, ".pdf", timeout, soffice)[0]


def pdf_to_png(pdf: Path, dst_dir: Path, dpi: int = 80, timeout: float = 60) -> list[Path]:
    """Rasterise every page of ``pdf`` with pdftoppm; returns ``dst_dir/<stem>-<page>.png`` sorted."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise LibreOfficeNotFoundError("pdftoppm not found (apt-get install poppler-utils)")
    pdf, dst_dir = Path(pdf), Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    prefix = dst_dir / pdf.stem
    # pdftoppm zero-pads the page number to the page count's width; clear old pages so the glob
    # below cannot pick up a stale "-01.png" next to a new "-1.png".
    for old in dst_dir.glob(f"{_glob_escape(pdf.stem)}-*.png"):
        old.unlink()
    _run([pdftoppm, "-png", "-r", str(dpi), str(pdf), str(prefix)], timeout, what=f"pdftoppm ({pdf.name})")
    pages = sorted(
        dst_dir.glob(f"{_glob_escape(pdf.stem)}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])
    )
    if not pages:
        raise LibreOfficeError(f"pdftoppm produced no pages for {pdf}")
    return pages


# --------------------------------------------------------------------------------------------------


def _glob_escape(s: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in s)


def _convert(
    srcs: Sequence[Path], dst_dir: Path, filt: str, suffix: str, timeout: float, soffice: str | None
) -> list[Path]:
    if not srcs:
        return []
    exe = soffice or find_soffice()
    if exe is None:
        raise LibreOfficeNotFoundError(
            "LibreOffice (soffice) not found; run scripts/install-system-deps.sh or set LXBZ_SOFFICE"
        )
    stems = [Path(s).stem for s in srcs]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise ValueError(f"output names would collide (same file stem): {dupes}")
    for s in srcs:
        if not Path(s).is_file():
            raise FileNotFoundError(s)
        if (dst_dir / f"{Path(s).stem}{suffix}").resolve() == Path(s).resolve():
            raise ValueError(f"output would overwrite the source {s}: choose another dst_dir")

    dst_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lxbz-soffice-") as tmp:
        tmpd = Path(tmp)
        profile, indir, outdir = tmpd / "profile", tmpd / "in", tmpd / "out"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
        indir.mkdir()
        outdir.mkdir()
        # Work on copies: soffice drops .~lock files beside its input, and an output with the
        # input's own name in the same directory would overwrite the source.
        inputs = []
        for s in srcs:
            copy = indir / Path(s).name
            shutil.copyfile(s, copy)
            inputs.append(str(copy))
        cmd = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            filt,
            "--outdir",
            str(outdir),
            *inputs,
        ]
        names = ", ".join(Path(x).name for x in srcs[:3]) + (", ..." if len(srcs) > 3 else "")
        out = _run(cmd, timeout, what=f"soffice --convert-to {filt.split(':')[0]} ({names})")
        results: list[Path] = []
        missing: list[str] = []
        for stem in stems:
            produced = outdir / f"{stem}{suffix}"
            if not produced.is_file():
                missing.append(stem)
                continue
            final = dst_dir / produced.name
            shutil.move(produced, final)
            results.append(final)
        if missing:
            # soffice exits 0 even when it cannot load a file; the missing output is the only signal.
            raise LibreOfficeError(f"soffice produced no output for {missing}; output was:\n{out}")
        return results


def _run(cmd: list[str], timeout: float, *, what: str) -> str:
    """Run ``cmd`` in its own process group; on timeout kill the whole group (soffice forks)."""
    posix = os.name == "posix"
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=posix,
        creationflags=0 if posix else subprocess.CREATE_NEW_PROCESS_GROUP,  # type: ignore[attr-defined]
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, posix)
        # A grandchild that left the group could still hold the pipe open: do not wait forever.
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=10)
        raise LibreOfficeTimeoutError(
            f"{what} did not finish within {timeout:g}s and was killed (a hanging formula or a "
            "dialog waiting for input?)"
        ) from None
    except BaseException:
        _kill_group(proc, posix)  # e.g. KeyboardInterrupt: do not leave soffice.bin behind
        raise
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise LibreOfficeError(f"{what} exited with {proc.returncode}:\n{text}")
    return text


def _kill_group(proc: subprocess.Popen[bytes], posix: bool) -> None:
    if posix:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
