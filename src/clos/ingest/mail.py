"""EML reader (stdlib ``email``): headers as a first section, then the body; attachments are listed only.

Addresses stay in the text, where governance pseudonymises them, and out of ``metadata``.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.text import decode_bytes, looks_binary, split_paragraphs
from clos.ingest.web import html_to_sections
from clos.types import Document, Section

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
    for part in message.walk():
        if part is body or part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            metadata["attachments"].append(filename or "(sans nom)")

    doc_date = None
    try:
        sent = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
        doc_date = sent.date().isoformat() if sent else None
    except (TypeError, ValueError, IndexError):
        pass
    return Document(str(path), subject or path.stem, "eml", sections, doc_date=doc_date, metadata=metadata)
