"""Repeated blocks in the store (migration 017, issue 15): each chunk's spans of lines repeated
across its collection (``chunks.boilerplate``), and its lexical index terms rewritten without
them.

Reading and the span column are SQL shared by both backends (``?`` placeholders, as
``GovernanceSQL``); replacing a chunk's index terms is each backend's own (FTS5 rows for SQLite,
the tsvector row and its term statistics for PostgreSQL).
"""

from __future__ import annotations

import json
from typing import Any, Iterable


class BoilerplateSQL:
    """Chunks with their repeated-block spans, and their index terms replaced."""

    conn: Any

    def transaction(self) -> Any:  # provided by the backend
        raise NotImplementedError

    def _replace_terms(self, conn: Any, collection_id: int,
                       rows: list[tuple[int, str, str]]) -> None:  # provided by the backend
        raise NotImplementedError

    def collection_chunks(self, collection_id: int) -> list[dict[str, Any]]:
        """Every chunk of the collection, by document then ordinal: {id, document_id, text,
        heading_path (tuple), title (the document's), boilerplate (tuple of (start, end))}."""
        rows = self.conn.execute(
            "SELECT c.id, c.document_id, c.text, c.heading_path, c.boilerplate, d.title"
            " FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection_id = ?"
            " ORDER BY c.document_id, c.ordinal", (collection_id,)).fetchall()
        return [{"id": int(r["id"]), "document_id": int(r["document_id"]), "text": r["text"],
                 "heading_path": tuple(json.loads(r["heading_path"] or "[]")),
                 "title": r["title"] or "",
                 "boilerplate": tuple(tuple(s) for s in json.loads(r["boilerplate"] or "[]"))}
                for r in rows]

    def set_chunk_boilerplate(self, collection_id: int,
                              items: Iterable[tuple[int, tuple[tuple[int, int], ...], str, str]]
                              ) -> int:
        """For each (chunk id, spans, body terms, meta terms): record the chunk's repeated-block
        spans and replace its lexical index terms (analysed, space-separated), in one
        transaction. Returns the number of chunks changed."""
        items = list(items)
        if not items:
            return 0
        with self.transaction() as conn:
            for chunk_id, spans, _, _ in items:
                conn.execute("UPDATE chunks SET boilerplate = ? WHERE id = ?",
                             (json.dumps([list(s) for s in spans]), int(chunk_id)))
            self._replace_terms(conn, collection_id,
                                [(int(c), body, meta) for c, _, body, meta in items])
        return len(items)

    def boilerplate_counts(self, collection_id: int) -> dict[str, int]:
        """{chunks, chunks_marked}: the collection's chunks, and those holding repeated blocks."""
        row = self.conn.execute(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN c.boilerplate <> '[]' THEN 1 ELSE 0 END) AS m"
            " FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection_id = ?",
            (collection_id,)).fetchone()
        return {"chunks": int(row["n"] or 0), "chunks_marked": int(row["m"] or 0)}


class SQLiteBoilerplate(BoilerplateSQL):
    """SQLite: the chunks' FTS5 rows are deleted and written again."""

    def _replace_terms(self, conn: Any, collection_id: int,
                       rows: list[tuple[int, str, str]]) -> None:
        conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(c,) for c, _, _ in rows])
        conn.executemany("INSERT INTO chunks_fts (rowid, body, meta) VALUES (?,?,?)", rows)


class PostgresBoilerplate(BoilerplateSQL):
    """PostgreSQL: the chunks' index rows leave with their term statistics, then come back
    through the backend's ``_index`` (tsvector, frequencies, statistics)."""

    _terms: dict[int, tuple[str, str]]

    def _index(self, conn: Any, rows: list[tuple]) -> None:  # provided by PostgresStore
        raise NotImplementedError

    def _replace_terms(self, conn: Any, collection_id: int,
                       rows: list[tuple[int, str, str]]) -> None:
        from clos.store import pg_search

        unindex(conn, "WHERE f.chunk_id = ANY(?)", [c for c, _, _ in rows])
        self._index(conn, [(c, collection_id, body, meta, *pg_search.index_row(body, meta))
                           for c, body, meta in rows])
        for c, _, _ in rows:
            self._terms.pop(c, None)


def unindex(conn: Any, where: str, ids: list[int]) -> int:
    """PostgreSQL: delete the lexical index rows ``where`` selects (``f`` is ``chunks_fts``, one
    ``?`` for ``ids``), keeping the term and size statistics right. Returns the rows deleted."""
    gone = conn.execute(
        f"WITH gone AS (DELETE FROM chunks_fts f {where} RETURNING f.tsv, f.ntok),"
        " terms AS (SELECT t.term, COUNT(*) AS n FROM gone, unnest(tsvector_to_array(gone.tsv))"
        " AS t(term) GROUP BY t.term),"
        " updated AS (UPDATE fts_terms SET df = fts_terms.df - terms.n FROM terms"
        " WHERE fts_terms.term = terms.term)"
        " SELECT COUNT(*), COALESCE(SUM(ntok), 0) FROM gone", (ids,)).fetchone()
    conn.execute("DELETE FROM fts_terms WHERE df <= 0")
    conn.execute("UPDATE store_state SET rows = rows - ?, tokens = tokens - ? WHERE id = 1",
                 (int(gone[0]), int(gone[1])))
    return int(gone[0])
