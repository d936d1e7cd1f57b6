"""Office-suite integration (LibreOffice headless): real-engine recalculation and previews."""

from lxbz_xl.office.libreoffice import (
    LibreOfficeError,
    LibreOfficeNotFoundError,
    LibreOfficeTimeoutError,
    find_soffice,
    pdf_to_png,
    recalculate,
    recalculate_many,
    to_pdf,
)

__all__ = [
    "LibreOfficeError",
    "LibreOfficeNotFoundError",
    "LibreOfficeTimeoutError",
    "find_soffice",
    "pdf_to_png",
    "recalculate",
    "recalculate_many",
    "to_pdf",
]
