"""What a file really is, from its bytes (magic numbers), whatever its extension says.

    sniff(path)            "pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "zip", "ole", "html",
                           "eml", "text", "binary" — or None when the file cannot be read
    pdf_damage(path)       French reason when a PDF is truncated or its cross-reference table is
                           broken (no ``%%EOF``, ``startxref`` pointing nowhere), else None

Only the first and last few kilobytes are read; ZIP packages are identified by their members
(``word/document.xml``, ``xl/workbook.xml``…) or by the ``mimetype`` member of OpenDocument.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_OOXML_PARTS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"),
                ("ppt/presentation.xml", "pptx"))
_HTML = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])",
                   re.IGNORECASE | re.DOTALL)
_MAIL_HEADER = re.compile(rb"^(?:Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|"
                          rb"Delivered-To|X-[\w-]+):[ \t]", re.IGNORECASE)
#: Formats whose bytes say what they are: when the extension disagrees, the bytes win.
BINARY_FORMATS = {"pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp"}
#: Formats read as text (any text content is acceptable for them).
TEXT_FORMATS = {"txt", "md", "csv", "html", "eml"}
LABELS = {"pdf": "du PDF", "docx": "un document Word (DOCX)", "xlsx": "un classeur Excel (XLSX)",
          "pptx": "une présentation PowerPoint (PPTX)", "odt": "un texte OpenDocument (ODT)",
          "ods": "un classeur OpenDocument (ODS)", "odp": "une présentation OpenDocument (ODP)",
          "html": "du HTML", "eml": "un message électronique", "text": "du texte",
          "zip": "une archive ZIP", "ole": "un ancien fichier Office binaire", "csv": "du CSV",
          "md": "du Markdown", "txt": "du texte"}


def sniff(path: Path | str) -> str | None:
    """Identify ``path`` by its first bytes (and ZIP members); never raises on unreadable content."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if _PDF_HEADER.match(head):
        return "pdf"
    if head.startswith(_OLE):
        return "ole"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_format(path)
    from clos.ingest.text import decode_bytes, looks_binary

    if looks_binary(head):
        return "binary"
    text = decode_bytes(head)[0].encode("utf-8", "replace")
    if _HTML.match(text):
        return "html"
    if _MAIL_HEADER.match(text) and re.search(rb"^(?:From|Subject|Date):", text, re.M | re.I):
        return "eml"
    return "text"


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype in _ODF_MIMETYPES:
                    return _ODF_MIMETYPES[mimetype]
    except (zipfile.BadZipFile, OSError, KeyError, EOFError):
        return "zip"
    for part, fmt in _OOXML_PARTS:
        if part in names:
            return fmt
    return "zip"


# Readers accept a PDF header after a few blank bytes or a BOM, not after prose that mentions it.
_PDF_HEADER = re.compile(rb"^[\x00\s\xef\xbb\xbf]{0,64}%PDF-")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s*%%EOF")


def pdf_damage(path: Path | str) -> str | None:
    """French reason when the PDF's end is missing or its cross-reference offset is wrong.

    A complete PDF ends with ``startxref <offset> %%EOF`` and the offset points at ``xref`` or at
    a cross-reference stream object (``n 0 obj``). Incremental updates add more trailers; only
    the last one is checked, as readers do. Returns None for a sound file.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            fh.seek(max(0, size - 2048))
            tail = fh.read()
            # The last trailer counts; some producers leave a few junk bytes after %%EOF.
            matches = list(_STARTXREF.finditer(tail))
            if not matches:
                return "PDF tronqué ou endommagé (fin de fichier absente)"
            match = matches[-1]
            offset = int(match.group(1))
            if offset >= size:
                return "PDF tronqué ou endommagé (table des objets hors du fichier)"
            fh.seek(offset)
            at = fh.read(32).lstrip()
    except OSError:
        return None
    if at.startswith(b"xref") or re.match(rb"\d+\s+\d+\s+obj", at):
        return None
    return "PDF endommagé (table des objets introuvable à l'adresse indiquée)"
