"""Chunk vectors (migration 004) and the chunk rows dense retrieval reads by id, the same SQL on
both backends (mixed into each store, like ``governance`` and ``ledger``).

A backend provides ``conn``, ``transaction()`` and ``_id_in(column, ids)``: the SQL fragment and
parameters that test ``column`` against a list of ids (SQLite ``IN (?, …)``, PostgreSQL
``= ANY(?)`` with one array parameter).

Vectors are float32 little-endian blobs (``BLOB`` / ``bytea``), one row per chunk and embedding
model, gone with their chunk (cascade); clos.retrieve.dense searches them exactly in numpy.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from clos.types import Hit

#: The columns ``hit_from_row`` reads (chunks ``c`` joined to documents ``d``), before ``rank``.
HIT_COLUMNS = ("c.id, c.document_id, c.text, c.page, c.heading_path, c.tokens, d.path, d.title,"
               " d.doc_date, d.mtime, c.page_end, c.page_starts")


def hit_from_row(r: Mapping[str, Any]) -> Hit:
    """A Hit from a row of ``HIT_COLUMNS`` plus ``rank`` (lower is better: score = -rank)."""
    return Hit(chunk_id=int(r["id"]), document_id=int(r["document_id"]), path=r["path"],
               title=r["title"], page=r["page"], heading_path=tuple(json.loads(r["heading_path"])),
               text=r["text"], score=-float(r["rank"]), tokens=r["tokens"],
               doc_date=r["doc_date"], mtime=r["mtime"], page_end=r["page_end"],
               page_starts=tuple(tuple(p) for p in json.loads(r["page_starts"] or "[]")))


class VectorsSQL:
    """The vector role of both stores (``store.protocol.VectorStore``) and ``hits``."""

    def _id_in(self, column: str, ids: list[int]) -> tuple[str, list[Any]]:
        raise NotImplementedError  # each backend says how it matches a list of ids

    def hits(self, chunk_ids: Iterable[int]) -> list[Hit]:
        """The chunks with these ids as hits of score 0 (dense retrieval finds ids, not rows);
        unknown ids are left out, order not kept."""
        ids = [int(i) for i in chunk_ids]
        if not ids:
            return []
        test, params = self._id_in("c.id", ids)
        rows = self.conn.execute(f"SELECT {HIT_COLUMNS}, 0.0 AS rank FROM chunks c"
                                 f" JOIN documents d ON d.id = c.document_id WHERE {test}",
                                 params).fetchall()
        return [hit_from_row(r) for r in rows]

    def pending_vectors(self, collection_id: int, model: str, limit: int) -> list[tuple[int, str]]:
        """(chunk id, text) of at most ``limit`` chunks of the collection that have no vector for
        ``model`` yet, by chunk id."""
        rows = self.conn.execute(
            "SELECT c.id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id"
            " WHERE d.collection_id = ? AND NOT EXISTS (SELECT 1 FROM chunk_vectors v"
            " WHERE v.chunk_id = c.id AND v.model = ?) ORDER BY c.id LIMIT ?",
            (collection_id, model, limit)).fetchall()
        return [(int(r[0]), r[1]) for r in rows]

    def add_vectors(self, model: str, items: Iterable[tuple[int, bytes]]) -> int:
        """Store (chunk id, float32 blob) pairs under ``model`` in one transaction, replacing a
        chunk's earlier vector for that model; returns how many were written."""
        rows = [(int(cid), model, bytes(blob)) for cid, blob in items]
        with self.transaction() as conn:
            conn.executemany("INSERT INTO chunk_vectors (chunk_id, model, vector) VALUES (?,?,?)"
                             " ON CONFLICT (chunk_id, model) DO UPDATE SET vector = excluded.vector",
                             rows)
        return len(rows)

    def vectors(self, collection_id: int, model: str) -> tuple[list[int], list[bytes]]:
        """(chunk ids, blobs) of every vector of the collection for ``model``, by chunk id."""
        rows = self.conn.execute(
            "SELECT v.chunk_id, v.vector FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id"
            " JOIN documents d ON d.id = c.document_id WHERE d.collection_id = ? AND v.model = ?"
            " ORDER BY v.chunk_id", (collection_id, model)).fetchall()
        return [int(r[0]) for r in rows], [bytes(r[1]) for r in rows]

    def nearest(self, collection_id: int, model: str, vector: Any,
                limit: int) -> list[tuple[int, float]] | None:
        """None: this store does not rank vectors itself (PostgreSQL with pgvector does, see
        pg_vectors); clos.retrieve.dense then searches ``vectors`` in numpy."""
        return None

    def similarities(self, chunk_ids: Iterable[int], model: str, vector: Any) -> dict[int, float]:
        """{}: only a store whose ``nearest`` ranks vectors computes similarities."""
        return {}

    def vectors_of(self, chunk_ids: Iterable[int], model: str) -> dict[int, bytes]:
        """Chunk id → stored vector blob for ``model``, for those of ``chunk_ids`` that have one."""
        ids = [int(i) for i in chunk_ids]
        if not ids:
            return {}
        test, params = self._id_in("chunk_id", ids)
        rows = self.conn.execute(f"SELECT chunk_id, vector FROM chunk_vectors WHERE model = ?"
                                 f" AND {test}", [model, *params]).fetchall()
        return {int(r[0]): bytes(r[1]) for r in rows}
