"""Ingest: find the files to read, read each into a ``Document``, cut documents into ``Chunk``s.

    iter_files(paths, skipped=[])   supported files under folders, sorted; unsupported named files → skipped
    file_hash(path)                 sha256 of the bytes
    read_document(path)             Document, or IngestError with a French reason naming the file
    chunk_document(doc)             Chunks of ~300 tokens following pages and headings

Readers import their heavy libraries (PyMuPDF, python-docx, odfpy…) only when first used.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import zipfile
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping

from clos.errors import IngestError
from clos.ingest.chunking import chunk_document, count_tokens
from clos.ingest.dates import anchored_date, date_from_filename, find_french_date, plausible_property_date
from clos.ingest.sniff import LABELS, TEXT_FORMATS, pdf_damage, sniff
from clos.types import Document, ReadingNote

__all__ = [
    "SUPPORTED_EXTENSIONS", "iter_files", "file_hash", "read_document", "chunk_document",
    "count_tokens", "find_french_date",
]

#: File extension (lower case, with the dot) → ``Document.format``.
SUPPORTED_EXTENSIONS: Mapping[str, str] = MappingProxyType({
    ".pdf": "pdf", ".docx": "docx", ".odt": "odt", ".xlsx": "xlsx", ".ods": "ods", ".csv": "csv",
    ".tsv": "csv", ".pptx": "pptx", ".odp": "odp", ".html": "html", ".htm": "html", ".md": "md",
    ".markdown": "md", ".txt": "txt", ".eml": "eml",
})

_READERS = {
    "pdf": ("clos.ingest.pdf", "read_pdf"),
    "docx": ("clos.ingest.word", "read_docx"),
    "odt": ("clos.ingest.opendocument", "read_odt"),
    "xlsx": ("clos.ingest.office", "read_xlsx"),
    "ods": ("clos.ingest.opendocument", "read_ods"),
    "csv": ("clos.ingest.office", "read_csv"),
    "pptx": ("clos.ingest.office", "read_pptx"),
    "odp": ("clos.ingest.opendocument", "read_odp"),
    "html": ("clos.ingest.web", "read_html"),
    "md": ("clos.ingest.text", "read_md"),
    "txt": ("clos.ingest.text", "read_txt"),
    "eml": ("clos.ingest.mail", "read_eml"),
}
_TABLE_FORMATS = {"csv", "xlsx", "ods"}
_DATE_WINDOW = 2000  # a document states its own date near the top; later dates are about other things


def _ignored(name: str) -> bool:
    # Hidden files and Office's « ~$rapport.docx » lock files are never documents.
    return name.startswith(".") or name.startswith("~$")


def _unsupported(path: Path) -> IngestError:
    suffix = path.suffix.lower() or "sans extension"
    return IngestError(path, f"format non pris en charge ({suffix})")


def iter_files(paths: Iterable[Path | str], *, skipped: list[IngestError] | None = None) -> Iterator[Path]:
    """Yield supported files: folders are walked recursively in sorted order, hidden entries skipped.

    Files named explicitly are yielded as given when supported; when not (or missing), an
    ``IngestError`` explaining why is appended to ``skipped`` if a list is passed.
    """
    seen: set[Path] = set()

    def fresh(path: Path) -> bool:
        key = path.resolve()
        if key in seen:
            return False
        seen.add(key)
        return True

    for given in paths:
        given = Path(given)
        if given.is_dir():
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not _ignored(d))
                for name in sorted(files):
                    path = Path(root) / name
                    if not _ignored(name) and path.suffix.lower() in SUPPORTED_EXTENSIONS and fresh(path):
                        yield path
        elif given.is_file():
            if given.suffix.lower() in SUPPORTED_EXTENSIONS:
                if fresh(given):
                    yield given
            elif skipped is not None:
                skipped.append(_unsupported(given))
        elif skipped is not None:
            skipped.append(IngestError(given, "fichier ou dossier introuvable"))


def file_hash(path: Path | str) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_document(path: Path | str) -> Document:
    """Read one file into a Document (sections with pages and headings, date, reader facts).

    Raises ``IngestError`` whose French reason says what is wrong with the file.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise IngestError(path, "fichier introuvable") from exc
    except OSError as exc:
        raise IngestError(path, "fichier inaccessible", detail=str(exc)) from exc
    if path.is_dir():
        raise IngestError(path, "c'est un dossier, pas un fichier")
    fmt = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise _unsupported(path)
    if stat.st_size == 0:
        raise IngestError(path, "fichier vide")
    named, (fmt, notes, wrong) = fmt, _content_format(path, fmt)
    damage = pdf_damage(path) if fmt == "pdf" else None
    module, name = _READERS[fmt]
    try:
        reader = getattr(importlib.import_module(module), name)
        doc: Document = reader(path)
    except IngestError as exc:
        # The bytes explain the failure better than the reader can: say what the file really is.
        better = wrong or (damage if exc.reason != "PDF chiffré (mot de passe requis)" else None)
        if better:
            raise IngestError(path, better, detail=exc.reason) from exc
        raise
    except ImportError as exc:
        reason = f"bibliothèque manquante pour lire ce format ({exc.name}) : réinstallez Clos"
        raise IngestError(path, reason, detail=str(exc)) from exc
    except PermissionError as exc:
        raise IngestError(path, "accès refusé (droits insuffisants)", detail=str(exc)) from exc
    except zipfile.BadZipFile as exc:  # a damaged member found while reading, past the first checks
        raise IngestError(path, f"fichier {fmt.upper()} corrompu (archive ZIP invalide)") from exc
    except MemoryError as exc:
        raise IngestError(path, "fichier trop volumineux pour la mémoire disponible") from exc
    except RecursionError as exc:
        raise IngestError(path, f"structure {fmt.upper()} trop imbriquée pour être lue") from exc
    except Exception as exc:
        raise IngestError(path, damage or f"fichier {fmt.upper()} illisible ou endommagé",
                          detail=f"{type(exc).__name__}: {exc}") from exc
    doc.notes[:0] = notes
    if named != fmt:
        doc.metadata["extension_format"] = named
    if damage:
        if not any(s.text.strip() for s in doc.sections):
            raise IngestError(path, f"{damage} : aucun texte récupérable")
        doc.metadata["damaged"] = damage
        doc.notes.insert(0, ReadingNote("truncated", f"{damage} : lu en partie, du texte peut manquer"))
        _lost_pages(doc)
    return _finish(doc, path, fmt, stat.st_mtime)


def _content_format(path: Path, fmt: str) -> tuple[str, list[ReadingNote], str | None]:
    """(format to read ``path`` as, notes, reason to give if that reading fails), from its bytes.

    Bytes that identify a format (PDF, Office and OpenDocument packages, HTML, e-mail) win over
    the extension, with a ``format_mismatch`` note; plain text keeps the extension's reading (CSV,
    Markdown, TXT…). Content no reader takes under that name (a plain ZIP archive named .docx)
    is still tried, and its failure explained by what the bytes are.
    """
    actual = sniff(path)
    if actual is None or actual == fmt:
        return fmt, [], None
    if fmt in TEXT_FORMATS and actual in ("text", "html", "eml"):
        return fmt, [], None  # text is read as the user named it (Markdown may hold HTML…)
    if actual == "binary" or actual == "ole" and fmt in ("docx", "xlsx", "pptx"):
        return fmt, [], None  # the reader says why, in its own words (corrupt, encrypted, old format)
    if actual in ("zip", "ole"):
        return fmt, [], f"le contenu est {LABELS[actual]}, pas {LABELS[fmt]}"
    reader = "txt" if actual == "text" else actual
    message = f"le contenu est {LABELS[actual]}, pas {LABELS[fmt]} : lu comme tel"
    return reader, [ReadingNote("format_mismatch", message, detail={"extension": fmt, "content": reader})], None


def _finish(doc: Document, path: Path, fmt: str, mtime: float) -> Document:
    """Facts every reader shares: path as given, mtime, a title, the best date found, garbled text."""
    from clos.ingest.text import looks_garbled

    doc.path, doc.format, doc.mtime = str(path), fmt, mtime
    for key in ("created", "modified"):
        if doc.metadata.get(key) is None:
            doc.metadata.pop(key, None)  # readers pass None when the file records no such date
    doc.sections = [s for s in doc.sections if s.text.strip()]
    doc.title = " ".join((doc.title or "").split())
    if not doc.title:  # the reader found no title: the first heading, else the first line
        headings = (s for s in doc.sections if s.kind == "heading")
        first = next(headings, doc.sections[0] if doc.sections else None)
        doc.title = first.text.strip().split("\n")[0][:150].strip() if first else path.stem
    sample, size = [], 0
    for section in doc.sections:
        sample.append(section.text)
        size += len(section.text)
        if size > 200_000:
            break
    text = "\n\n".join(sample)
    tables = fmt in _TABLE_FORMATS  # the first date in a spreadsheet is a data cell, not the file's
    properties = (doc.metadata.get("created"), doc.metadata.get("modified"))
    candidates = (
        ("document", doc.doc_date),  # the reader's: an e-mail's Date header, front matter…
        ("content", None if tables else anchored_date(text)),  # « Séance du … », « Fait à … le … »
        ("filename", date_from_filename(path.name)),
        ("text", None if tables else find_french_date(text[:_DATE_WINDOW])),
        # File properties last, and only when believable: a template's creation date is not
        # the document's (issue 12: « les sources citées datent de 2013 » for a 2024 file).
        ("metadata", next(filter(None, (plausible_property_date(d, mtime) for d in properties)), None)),
    )
    source, doc.doc_date = next(((s, d) for s, d in candidates if d), (None, None))
    if source:
        doc.metadata["date_source"] = source
    doc.metadata["mojibake"] = looks_garbled(text)
    doc.metadata["no_text"] = not doc.sections
    return doc


def _lost_pages(doc: Document) -> None:
    """In a damaged PDF, pages without text were lost with the file's end, not scanned: one
    ``truncated`` note names them (the PDF reader's own notes on such pages are turned into it).

    Elsewhere the PDF reader accounts for its pages itself (OCR read, or why not); a page with
    neither text nor image is blank, not a loss, and gets no note."""
    lost: list[int] = []
    for note in list(doc.notes):
        if note.kind == "page_without_text":
            lost += note.detail.get("pages") or [note.page]
            doc.notes.remove(note)
    told = {p for n in doc.notes if n.kind in ("ocr", "truncated") for p in (n.detail.get("pages") or [n.page])}
    lost += [p for p in doc.metadata.get("pages_without_text") or () if p not in told and p not in lost]
    if lost:
        pages = sorted(set(lost))
        doc.notes.append(ReadingNote(
            "truncated", f"Page(s) illisible(s) : {', '.join(str(p) for p in pages)} — partie du"
            " fichier perdue ou endommagée.", page=pages[0], detail={"pages": pages}))
