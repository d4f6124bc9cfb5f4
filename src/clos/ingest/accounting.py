"""Every file accounted for: what a reader's notes mean for a file's status, said in French.

    status_of(notes)        "partial" when something was left unread, else "indexed"
    summarise(notes)        short French reasons, one per kind of note (pages grouped)
    FileEntry               one file's outcome in an ingestion: path, status, reasons

Statuses: ``indexed`` (read whole), ``partial`` (indexed, but pages without text, attachments
not read, hidden text or comments set apart, a damaged file read in part), ``excluded``
(governance kept it out), ``failed`` (it could not be read), ``skipped`` (unchanged since the
last ingestion).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from clos.types import ReadingNote

STATUSES = ("indexed", "partial", "excluded", "failed", "skipped")
STATUS_LABELS_FR = {
    "indexed": "indexé", "partial": "lu en partie", "excluded": "exclu", "failed": "en erreur",
    "skipped": "inchangé",
}
#: Notes that only confirm something was read (an attachment read as its own document).
QUIET_KINDS = frozenset({"attachment_read"})
#: Notes that mean some of the file's content is not in the index.
LOSS_KINDS = frozenset({"page_without_text", "attachment_skipped", "hidden_text", "comment",
                        "truncated"})
_GROUPED_FR = {
    "page_without_text": "page(s) sans texte lisible (numérisées, sans OCR), non lue(s)",
    "ocr": "page(s) lue(s) par reconnaissance de caractères (OCR)",
    "truncated": "page(s) illisible(s), partie du fichier perdue",
}


@dataclass
class FileEntry:
    """One file's outcome: ``status`` in STATUSES, ``reasons`` French sentences (empty when clean)."""

    path: str
    status: str
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def status_of(notes: Iterable[ReadingNote]) -> str:
    """``partial`` when a note says content was left out of the index, else ``indexed``."""
    return "partial" if any(n.kind in LOSS_KINDS for n in notes) else "indexed"


def summarise(notes: Iterable[ReadingNote]) -> list[str]:
    """One French reason per kind of note, in the order met; per-page notes are grouped into one
    sentence naming the pages (« page(s) sans texte lisible … : 2, 5 »), so a 100-page scan gives
    one line, not a hundred."""
    reasons: list[str] = []
    pages: dict[str, list[int]] = {}
    for note in notes:
        if note.kind in QUIET_KINDS:
            continue
        if note.kind in _GROUPED_FR and note.page is not None:
            if note.kind not in pages:
                pages[note.kind] = []
                reasons.append(note.kind)  # placeholder, replaced below
            pages[note.kind].append(note.page)
        elif note.message not in reasons:
            reasons.append(note.message)
    out = []
    for reason in reasons:
        if reason in pages:
            numbers = sorted(set(pages[reason]))
            shown = ", ".join(str(n) for n in numbers[:20]) + (" …" if len(numbers) > 20 else "")
            out.append(f"{_GROUPED_FR[reason]} : {shown}")
        else:
            out.append(reason)
    return out


def notes_as_dicts(notes: Iterable[ReadingNote]) -> list[dict[str, Any]]:
    """The notes as plain dicts (for the store and ``--json``)."""
    return [asdict(n) for n in notes]
