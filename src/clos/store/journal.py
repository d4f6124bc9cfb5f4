"""The journals (``store.protocol.JournalStore``): answers log and ingestion runs, the same SQL
on both backends (``?`` placeholders, ``RETURNING id``), mixed into each store."""

from __future__ import annotations

from typing import Any

from clos.store.answers import COLUMNS, AnswersSQL, answer_values
from clos.store.governance import utc_now
from clos.types import Answer

#: The counters ``finish_run`` writes (columns of ``ingest_runs``, migration 001); others ignored.
RUN_COLUMNS = ("files_seen", "files_indexed", "files_skipped", "files_failed", "files_removed",
               "pages", "chunks", "duration_s")


class JournalSQL(AnswersSQL):
    """Writing the answers log and the ingestion runs (reading the log: ``AnswersSQL``)."""

    def log_answer(self, collection_id: int | None, answer: Answer) -> int:
        """Append ``answer`` (with its trace) to the answers log; returns its id. Nothing a
        search reads changes: ``transaction(index=False)`` (the vectors stay cached)."""
        with self.transaction(index=False) as conn:
            return int(conn.execute(
                f"INSERT INTO answers ({', '.join(COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in COLUMNS)}) RETURNING id",
                answer_values(collection_id, answer)).fetchone()[0])

    def start_run(self, collection_id: int) -> int:
        """A new ingestion run of the collection, started now; returns its id."""
        with self.transaction() as conn:
            return int(conn.execute("INSERT INTO ingest_runs (collection_id) VALUES (?)"
                                    " RETURNING id", (collection_id,)).fetchone()[0])

    def finish_run(self, run_id: int, **counts: Any) -> None:
        """Close the run: its counters (``RUN_COLUMNS``; others ignored) and ``finished_at``
        (UTC, ISO 8601 to the second)."""
        cols = [k for k in counts if k in RUN_COLUMNS]
        assignments = "".join(f"{c} = ?, " for c in cols)
        with self.transaction() as conn:
            conn.execute(f"UPDATE ingest_runs SET {assignments}finished_at = ? WHERE id = ?",
                         [counts[c] for c in cols] + [utc_now(), run_id])

    def log_ingest_error(self, run_id: int, path: str, reason: str) -> None:
        """Record that ``path`` could not be read during the run, and why (French)."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO ingest_errors (run_id, path, reason) VALUES (?,?,?)",
                         (run_id, path, reason))
