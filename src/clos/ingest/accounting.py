"""Every file accounted for: what a reader's notes mean for a file's status, said in French.

    status_of(notes)        "partial" when something was left unread, else "indexed"
    summarise(notes)        short French reasons, one per kind of note (pages grouped)
    FileEntry               one file's outcome in an ingestion: path, status, reasons
    IngestReport            one ingestion run's counts, errors and files (``Clos.ingest``)

Statuses: ``indexed`` (read whole), ``partial`` (indexed, but pages without text, attachments
not read, hidden text or comments set apart, a damaged file read in part), ``excluded``
(governance kept it out), ``failed`` (it could not be read), ``skipped`` (unchanged since the
last ingestion).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Protocol

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
# Notes counted into one line each: per-page OCR notes, hidden passages (never quoted here:
# reports hold no document text), comments.
_COUNTED_FR = {
    "ocr": "page(s) lue(s) par reconnaissance de caractères (OCR)",
    "hidden_text": "passage(s) de texte masqué, non indexé(s)",
    "comment": "commentaire(s) de relecture, non indexé(s)",
}
# Detail keys safe to keep with a stored note: facts about the reading, never document text.
_SAFE_DETAIL = {"pages", "confidence", "language", "attachment", "path", "extension", "content",
                "count", "reason"}


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


def _pages(note: ReadingNote) -> list[int]:
    pages = note.detail.get("pages") if isinstance(note.detail, dict) else None
    return list(pages) if pages else ([note.page] if note.page is not None else [])


def summarise(notes: Iterable[ReadingNote]) -> list[str]:
    """Short French reasons, in the order met: OCR pages, hidden passages and comments counted
    into one line each (« passage(s) de texte masqué, non indexé(s) : 2 (pages 3, 4) »), other
    notes by their message, each once. A 100-page scan gives one line, not a hundred."""
    reasons: list[str] = []
    counted: dict[str, tuple[int, list[int]]] = {}
    for note in notes:
        if note.kind in QUIET_KINDS:
            continue
        if note.kind in _COUNTED_FR:
            n, pages = counted.get(note.kind, (0, []))
            count = note.detail.get("count", 1) if isinstance(note.detail, dict) else 1
            if note.kind not in counted:
                reasons.append(note.kind)  # placeholder, written below
            counted[note.kind] = (n + int(count), pages + _pages(note))
        elif note.message not in reasons:
            reasons.append(note.message)
    out = []
    for reason in reasons:
        if reason in counted:
            n, pages = counted[reason]
            numbers = sorted(set(pages))
            shown = ", ".join(str(p) for p in numbers[:20]) + (" …" if len(numbers) > 20 else "")
            where = f" (page(s) {shown})" if numbers and reason != "ocr" else ""
            out.append(f"{_COUNTED_FR[reason]} : {shown if reason == 'ocr' else n}{where}")
        else:
            out.append(reason)
    return out


def notes_as_dicts(notes: Iterable[ReadingNote]) -> list[dict[str, Any]]:
    """The notes as plain dicts for the store and ``--json``, without document text: a hidden
    passage or a comment is said to exist, not quoted (governance's flag shows it, with personal
    data masked)."""
    out = []
    for note in notes:
        message = note.message
        if note.kind in ("hidden_text", "comment"):
            message = _COUNTED_FR[note.kind] + (f" (page {note.page})" if note.page else "")
        detail = {k: v for k, v in (note.detail or {}).items() if k in _SAFE_DETAIL}
        out.append({"kind": note.kind, "message": message, "page": note.page, "detail": detail})
    return out


def exclusion_reasons(doc: Any, review: Any) -> list[str]:
    """Why governance kept a file out, in French: a scan without OCR says so, not « no text ».
    ``doc``: the Document read; ``review``: its governance Review (``warnings``, ``chars``)."""
    reasons = [w.removeprefix("Document exclu : ") for w in review.warnings]
    if review.chars == 0:
        damaged = doc.metadata.get("damaged")
        scan = next((n for n in doc.notes if n.kind == "page_without_text"), None)
        why = (scan.detail or {}).get("reason") if scan else None  # the PDF reader's: OCR off, nothing read…
        empty = next((w for w in reasons if w.startswith("aucun texte")), None)
        better = (f"{damaged} : aucun texte récupérable" if damaged else
                  f"aucun texte lisible (page(s) numérisée(s) : {why})" if scan and why else
                  "aucun texte lisible (page(s) numérisée(s) sans OCR)" if scan else None)
        if better:
            reasons = [better if w == empty else w for w in reasons] if empty else [better, *reasons]
    return reasons or ["exclu par la politique de la collection"]


class IngestProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, path: str, *, pages: int = 0, error: str | None = None) -> None: ...


@dataclass
class IngestReport:
    collection: str
    run_id: int
    files_seen: int = 0
    indexed: int = 0
    skipped: int = 0
    failed: int = 0
    removed: int = 0
    excluded: int = 0
    pages: int = 0
    chunks: int = 0
    vectors: int = 0  # chunks embedded (with their document, or left from an earlier run)
    duration_s: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)
    impact: dict | None = None
    repeats: dict | None = None  # repeated blocks left out of the index (retrieve/repeats.py)
    # Every file met, with its status (indexed | partial | excluded | failed | skipped) and French
    # reasons; e-mail attachments appear under « message.eml#piece-jointe/nom ».
    files: list[FileEntry] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready: ``errors`` as {path, reason}, ``files`` as {path, status, reasons}."""
        data = {k: v for k, v in vars(self).items() if k not in ("errors", "files")}
        data["errors"] = [{"path": p, "reason": r} for p, r in self.errors]
        data["files"] = [e.to_dict() for e in self.files]
        return data

    def to_check(self) -> list[FileEntry]:
        """Files a person should know about: anything but indexed-whole and unchanged."""
        return [e for e in self.files if e.status not in ("indexed", "skipped") or e.reasons]
