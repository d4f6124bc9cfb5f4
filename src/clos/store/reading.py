"""How each file of a collection was read (table ``reading_reports``, migration 006): indexed,
partly read, excluded or failed, with French reasons and the reader's notes (issue 12: every file
and page accounted for), and the documents an interrupted ingestion left without their review.

Shared by both backends, like ``GovernanceSQL``: ``?`` placeholders and ``ON CONFLICT``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from clos.store.governance import utc_now


class ReadingSQL:
    """The reading-report part of the ``JournalStore`` role, and ``unreviewed_paths``."""

    conn: Any

    def transaction(self) -> Any:  # provided by the backend
        raise NotImplementedError

    def save_reading_report(self, collection_id: int, path: str, status: str, reasons: list[str],
                            notes: list[dict[str, Any]]) -> None:
        """Record how ``path`` was read (status indexed|partial|excluded|failed, French reasons,
        reader notes as dicts); replaces the file's previous report."""
        values = (collection_id, path, status, json.dumps(reasons, ensure_ascii=False),
                  json.dumps(notes, ensure_ascii=False, default=str), utc_now())
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO reading_reports (collection_id, path, status, reasons, notes, updated_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (collection_id, path) DO UPDATE SET"
                " status = excluded.status, reasons = excluded.reasons, notes = excluded.notes,"
                " updated_at = excluded.updated_at", values)

    def reading_reports(self, collection_id: int) -> list[dict[str, Any]]:
        """Every file's reading report of the collection, by path: {path, status, reasons, notes,
        updated_at}."""
        rows = self.conn.execute(
            "SELECT path, status, reasons, notes, updated_at FROM reading_reports"
            " WHERE collection_id = ? ORDER BY path", (collection_id,)).fetchall()
        return [{"path": r["path"], "status": r["status"], "reasons": json.loads(r["reasons"]),
                 "notes": json.loads(r["notes"]), "updated_at": r["updated_at"]} for r in rows]

    def forget_reading_reports(self, collection_id: int, paths: Iterable[str]) -> int:
        """Drop the reports of files gone from the collection; returns how many were dropped."""
        paths = list(paths)
        with self.transaction() as conn:
            for p in paths:
                conn.execute("DELETE FROM reading_reports WHERE collection_id = ? AND path = ?",
                             (collection_id, p))
        return len(paths)

    def unreviewed_paths(self, collection_id: int) -> list[str]:
        """Paths of indexed documents that have no governance review: an ingestion stopped
        between indexing a file and recording its review (killed) leaves them; they are read again."""
        rows = self.conn.execute(
            "SELECT d.path FROM documents d LEFT JOIN governance_reviews g ON g.document_id = d.id"
            " WHERE d.collection_id = ? AND g.id IS NULL ORDER BY d.path", (collection_id,)).fetchall()
        return [r[0] for r in rows]
