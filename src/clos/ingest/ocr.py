"""OCR of PDF pages without a text layer: Tesseract with its French data, through pytesseract.

    tesseract_status(language)    None when OCR can run, else the French reason it cannot
    ocr_page(page, number, ...)   (lines, mean word confidence 0–100) of one page, read by OCR

Why pytesseract (``image_to_data``): it gives each word's box and Tesseract's confidence, so
OCR'd lines flow through the same layout rules as text lines (headings by size, columns,
paragraphs, the prefecture stamp) and each page's mean confidence is reported. Measured by
bench/bench_reading.py on 9 deliberation pages rasterised at 200 dpi (bench/results/reading.json):
mean character accuracy 0.973 (min 0.914, a page with a table, which a scan has no rules to
find) at 0.048 pages/s for pytesseract read by Clos (against Clos's text-layer reading), and
0.912 (min 0.782) at 0.041 pages/s for PyMuPDF's own hook (``Page.get_textpage_ocr``, plain
text against ``get_text()``), which moreover says nothing of its confidence. ocrmypdf rewrites
the whole file through Ghostscript, far heavier for a page or two, and was not kept.
Pages are rendered at 300 dpi, Tesseract's recommended input resolution (tesseract-ocr
documentation, « Improving the quality of the output »).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import threading
from typing import Any, Iterator

from clos.ingest.normalise import normalise_chars
from clos.ingest.pdf_layout import Line

OCR_DPI = 300
_LOG = logging.getLogger("clos.ingest")
_WARNED: set[str] = set()
_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """Tesseract's OpenMP threads for the time of one call: one.

    On this 2-core machine under load, a page took 31 s with Tesseract's default threads and
    12.7 s with OMP_THREAD_LIMIT=1 (the tesseract-ocr FAQ advises it when pages are read side
    by side). The variable is set only around the subprocess, so OpenMP users in this process
    (llama.cpp) keep theirs.
    """
    with _ENV_LOCK:
        before = os.environ.get("OMP_THREAD_LIMIT")
        os.environ["OMP_THREAD_LIMIT"] = "1"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("OMP_THREAD_LIMIT", None)
            else:
                os.environ["OMP_THREAD_LIMIT"] = before


@functools.lru_cache(maxsize=8)
def tesseract_status(language: str = "fra") -> str | None:
    """None when Tesseract and its ``language`` data are installed, else why not (French)."""
    if shutil.which("tesseract") is None:
        return "Tesseract (OCR) n'est pas installé (paquets Debian tesseract-ocr et tesseract-ocr-fra)"
    try:
        import pytesseract

        languages = set(pytesseract.get_languages(config=""))
    except ImportError:
        return "le module pytesseract n'est pas installé : réinstallez Clos"
    except Exception as exc:  # a broken installation: say so rather than fail the file
        return f"Tesseract ne répond pas ({type(exc).__name__})"
    missing = [lang for lang in language.split("+") if lang not in languages]
    if missing:
        return (f"les données de langue « {'+'.join(missing)} » de Tesseract manquent "
                f"(paquet Debian tesseract-ocr-{missing[0]})")
    return None


def warn_once(reason: str) -> None:
    """Log the French reason OCR cannot run, once per process (each document also notes it)."""
    if reason not in _WARNED:
        _WARNED.add(reason)
        _LOG.warning("OCR impossible : %s. Les pages numérisées ne seront pas lues.", reason)


def ocr_page(page: Any, number: int, language: str = "fra", dpi: int = OCR_DPI) -> tuple[list[Line], float]:
    """Read one page's image by OCR: its lines (PDF points, stream order) and mean confidence.

    Words Tesseract gives a confidence of -1 (layout boxes) are skipped; a page where nothing
    is recognised gives ``([], 0.0)``. Font size is estimated from the line height in pixels.
    """
    import pytesseract
    from PIL import Image

    import pymupdf

    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    with _single_thread():
        data = pytesseract.image_to_data(image, lang=language, output_type=pytesseract.Output.DICT)
    scale = 72.0 / dpi
    grouped: dict[tuple[int, int, int], list[int]] = {}
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if conf < 0 or not word.strip():
            continue
        confidences.append(conf)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        grouped.setdefault(key, []).append(i)
    lines: list[Line] = []
    for (block, par, _), indices in grouped.items():
        left = min(data["left"][i] for i in indices)
        top = min(data["top"][i] for i in indices)
        right = max(data["left"][i] + data["width"][i] for i in indices)
        bottom = max(data["top"][i] + data["height"][i] for i in indices)
        heights = sorted(data["height"][i] for i in indices)
        # A word box spans ascenders to descenders: about 1.0–1.2 × the font size.
        size = round(heights[len(heights) // 2] * scale / 1.1, 1)
        text = normalise_chars(" ".join(data["text"][i] for i in indices))
        spans = [((data["left"][i] * scale, data["top"][i] * scale,
                   (data["left"][i] + data["width"][i]) * scale,
                   (data["top"][i] + data["height"][i]) * scale), data["text"][i]) for i in indices]
        lines.append(Line(" ".join(text.split()), left * scale, top * scale, right * scale,
                          bottom * scale, size, False, number, block * 1000 + par, spans, ocr=True))
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return lines, round(mean, 1)
