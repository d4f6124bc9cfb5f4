"""EML reader (stdlib ``email``): headers as a first section, then the body; each attachment is
read as a document of its own (any supported format, by its bytes), with the path
« message.eml#piece-jointe/nom.pdf » and a ``parent`` link, in ``Document.attachments``. An
attachment that cannot be read leaves a ReadingNote on the message, never silence.

Addresses stay in the text, where governance pseudonymises them, and out of ``metadata``.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
import contextvars
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.text import decode_bytes, looks_binary, split_paragraphs
from clos.ingest.web import html_to_sections
from clos.types import Document, ReadingNote, Section

ATTACHMENT = "#piece-jointe/"  # between a message's path and an attachment's name
MAX_DEPTH = 3  # messages forwarded as attachments of attachments: deeper ones are not opened
_DEPTH = contextvars.ContextVar("clos_mail_depth", default=0)

_HEADERS = (("From", "De"), ("To", "À"), ("Cc", "Cc"), ("Date", "Date"), ("Subject", "Objet"))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header must not cost the whole message
        value = ""
    return " ".join(str(value or "").split())


def _part_text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        # An unknown or lying charset: decode the raw bytes as we do for text files.
        payload = part.get_payload(decode=True) or b""
        return decode_bytes(payload)[0]


def read_eml(path: Path) -> Document:
    data = path.read_bytes()
    if looks_binary(data):
        raise IngestError(path, "fichier binaire (ce n'est pas un message électronique)")
    message: EmailMessage = email.message_from_bytes(data, policy=email.policy.default)  # type: ignore
    if not any(message.get(name) for name, _ in _HEADERS):
        raise IngestError(path, "message électronique invalide (aucun en-tête De, À, Date ou Objet)")
    subject = _header(message, "Subject")
    header_lines = [f"{label} : {value}" for name, label in _HEADERS if (value := _header(message, name))]
    sections = [Section("\n".join(header_lines), None, (), "text")]

    body = message.get_body(preferencelist=("plain", "html"))
    metadata: dict[str, Any] = {"attachments": [], "body_format": None}
    if body is not None:
        content = _part_text(body)  # type: ignore[arg-type]
        if body.get_content_subtype() == "html":
            metadata["body_format"] = "html"
            sections.extend(html_to_sections(content)[1])
        else:
            metadata["body_format"] = "plain"
            paragraphs = split_paragraphs(content.replace("\r\n", "\n"))
            sections.extend(Section(p, None, (), "text") for p in paragraphs)
    parts = []
    for part in message.walk():
        if part is body or part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            metadata["attachments"].append(filename or "(sans nom)")
            parts.append(part)

    doc_date = None
    try:
        sent = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
        doc_date = sent.date().isoformat() if sent else None
    except (TypeError, ValueError, IndexError):
        pass
    doc = Document(str(path), subject or path.stem, "eml", sections, doc_date=doc_date, metadata=metadata)
    _read_attachments(doc, path, parts, _DEPTH.get())
    return doc


def attachment_path(message_path: str, name: str) -> str:
    """The path an attachment is indexed and cited under: « dossier/message.eml#piece-jointe/nom »."""
    return f"{message_path}{ATTACHMENT}{name}"


def message_of(path: str) -> str | None:
    """The message an attachment path belongs to (its outermost one), or None for a plain file."""
    return path.split(ATTACHMENT, 1)[0] if ATTACHMENT in path else None


def _safe_name(name: str, taken: set[str]) -> str:
    name = re.sub(r"[\\/\x00-\x1f]+", "_", name).strip(" .") or "piece-jointe"
    stem, dot, suffix = name.rpartition(".")
    candidate, n = name, 1
    while candidate in taken:  # two attachments with one name: both read, under distinct paths
        n += 1
        candidate = f"{stem} ({n}).{suffix}" if dot else f"{name} ({n})"
    taken.add(candidate)
    return candidate


def _read_attachments(doc: Document, path: Path, parts: list[EmailMessage], depth: int) -> None:
    """Read each attachment through the ordinary readers (from a private temporary copy)."""
    from clos.ingest import SUPPORTED_EXTENSIONS, read_document

    taken: set[str] = set()
    mtime = path.stat().st_mtime if path.exists() else 0.0
    for part in parts:
        raw_name = part.get_filename() or ""
        if not raw_name and part.get_content_type() == "message/rfc822":
            raw_name = "message.eml"
        name = _safe_name(raw_name or "sans-nom", taken)
        virtual = attachment_path(doc.path, name)
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            payload = bytes(inner[0]) if isinstance(inner, list) and inner else b""
        else:
            payload = part.get_payload(decode=True) or b""
        suffix = Path(name).suffix.lower()

        def skipped(reason: str) -> None:
            doc.notes.append(ReadingNote("attachment_skipped", f"pièce jointe « {name} » non lue : {reason}",
                                         detail={"attachment": name}))

        if not payload:
            skipped("pièce jointe vide")
            continue
        if suffix not in SUPPORTED_EXTENSIONS:
            skipped(f"format non pris en charge ({suffix or 'sans extension'})")
            continue
        if suffix == ".eml" and depth >= MAX_DEPTH:
            skipped("message imbriqué trop profondément")
            continue
        with tempfile.TemporaryDirectory(prefix="clos-pj-") as tmp:
            copy = Path(tmp) / name  # its own name: a date or a title in it still counts
            copy.write_bytes(payload)
            os.utime(copy, (mtime, mtime))  # the attachment is as old as its message
            token = _DEPTH.set(depth + 1)
            try:
                inner_doc = read_document(copy)
            except IngestError as exc:
                skipped(exc.reason)
                continue
            finally:
                _DEPTH.reset(token)
        _adopt(inner_doc, doc.path, virtual, name, hashlib.sha256(payload).hexdigest(), len(payload))
        doc.notes.append(ReadingNote("attachment_read", f"pièce jointe « {name} » lue comme document"
                                     " à part entière", detail={"attachment": name, "path": virtual}))
        # Attachments of an attached message are the message's attachments too, flattened.
        nested, inner_doc.attachments = inner_doc.attachments, []
        doc.attachments.append(inner_doc)
        doc.attachments.extend(nested)


def _adopt(inner: Document, parent: str, virtual: str, name: str, digest: str, size: int) -> None:
    """Give a document read from a temporary copy its real identity: path, name, parent, hash."""
    old = inner.path
    inner.path, inner.content_hash = virtual, digest
    inner.metadata.update(parent=parent, attachment=name, size=size)
    if not inner.title or inner.title == Path(old).stem:
        inner.title = name
    for nested in inner.attachments:
        nested.path = virtual + nested.path[len(old):]
        nested.metadata["parent"] = virtual
