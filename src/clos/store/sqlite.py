"""SQLite backend: one database per data folder, WAL mode, numbered migrations, FTS5/BM25."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

from contextlib import closing, contextmanager

from clos.errors import StoreError
from clos.store.accounts import AccountsSQL
from clos.store.boilerplate import SQLiteBoilerplate
from clos.store.base import guard_errors
from clos.store.governance import GovernanceSQL
from clos.store.ledger import LedgerSQL
from clos.store.journal import JournalSQL
from clos.store.reading import ReadingSQL
from clos.store.sqlite_open import connect, migrations  # noqa: F401  (migrations: re-exported)
from clos.store.vault import PseudonymVault, VaultMixin, new_key
from clos.store.vectors import HIT_COLUMNS, VectorsSQL, hit_from_row
from clos.types import Chunk, Document, Hit


class SQLiteStore(VaultMixin, AccountsSQL, GovernanceSQL, LedgerSQL, ReadingSQL,
                  VectorsSQL, JournalSQL, SQLiteBoilerplate):
    """The embedded store. Opens lazily, one connection per thread (SQLite's rule).

    Governance records, the impact ledger, accounts (migration 008), vectors (``vectors``) and
    the journals (``journal``) come from the mixins shared with PostgreSQL, the pseudonym
    mapping from ``vault`` (its own encrypted
    file, ahead of the governance mixin's in-index table); every public method
    raises ``StoreError`` (French message) on a database error (see ``guard_errors`` below)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()

    # ------------------------------------------------------------ connection
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        return connect(self.path)

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT MAX(number) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    @contextmanager
    def transaction(self, *, index: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction (``index``: as PostgresStore's; SQLite counts changes itself)."""
        try:
            with self.conn as conn:
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"Erreur de la base de données : {exc}", detail=repr(exc)) from exc

    @staticmethod
    def _unique_violation(exc: BaseException | None) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)

    def _open_vault(self, settings: Any) -> PseudonymVault:
        """The vault file beside the index, under ``cache_dir/secrets/pseudonyms.key``."""
        from clos.accounts import secret_file

        vault = PseudonymVault(self.path.parent / "pseudonyms.sqlite3",
                               secret_file(settings, "pseudonyms.key", new_key))
        vault.key_path = Path(settings.cache_dir) / "secrets" / "pseudonyms.key"
        return vault

    def _vault_probe(self, settings: Any) -> tuple[Path, str, bytes | None]:
        path = self.path.parent / "pseudonyms.sqlite3"
        token = None
        if path.exists():
            with closing(sqlite3.connect(path, timeout=30)) as conn:
                found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pseudonyms'")
                if found.fetchone() is not None:
                    row = conn.execute("SELECT secret FROM pseudonyms LIMIT 1").fetchone()
                    token = bytes(row[0]) if row else None
        return Path(settings.cache_dir) / "secrets" / "pseudonyms.key", str(path), token

    def close(self) -> None:
        self.close_vault()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ----------------------------------------------------------- collections
    def collection_id(self, name: str, *, create: bool = True) -> int | None:
        row = self.conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row[0])
        if not create:
            return None
        with self.transaction() as conn:  # another connection may create it meanwhile
            conn.execute("INSERT INTO collections (name) VALUES (?) ON CONFLICT (name)"
                         " DO NOTHING", (name,))
            return int(conn.execute("SELECT id FROM collections WHERE name = ?",
                                    (name,)).fetchone()[0])

    def collections(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT c.name, COUNT(d.id) AS documents, c.created_at FROM collections c"
            " LEFT JOIN documents d ON d.collection_id = c.id GROUP BY c.id ORDER BY c.name"
        )
        return [dict(r) for r in rows]

    # ------------------------------------------------------------- documents
    def document_hashes(self, collection_id: int) -> dict[str, tuple[int, str]]:
        rows = self.conn.execute(
            "SELECT path, id, content_hash FROM documents WHERE collection_id = ?", (collection_id,)
        )
        return {r["path"]: (r["id"], r["content_hash"]) for r in rows}

    def replace_document(
        self, collection_id: int, doc: Document, chunks: list[Chunk],
        index_terms: list[tuple[str, str]], size: int,
    ) -> int:
        """Insert or replace one document with its chunks and their analysed index terms."""
        with self.transaction() as conn:
            old = conn.execute(
                "SELECT id FROM documents WHERE collection_id = ? AND path = ?",
                (collection_id, doc.path),
            ).fetchone()
            if old:
                self._delete(conn, [old[0]])
            cur = conn.execute(
                "INSERT INTO documents (collection_id, path, title, format, content_hash, size,"
                " mtime, pages, doc_date, metadata) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (collection_id, doc.path, doc.title, doc.format, doc.content_hash, size,
                 doc.mtime, doc.pages, doc.doc_date, json.dumps(doc.metadata, default=str)),
            )
            doc_id = int(cur.lastrowid)
            for chunk, (body, meta) in zip(chunks, index_terms):
                cur = conn.execute(
                    "INSERT INTO chunks (document_id, ordinal, text, page, heading_path, tokens,"
                    " page_end, page_starts) VALUES (?,?,?,?,?,?,?,?)",
                    (doc_id, chunk.ordinal, chunk.text, chunk.page,
                     json.dumps(list(chunk.heading_path), ensure_ascii=False), chunk.tokens,
                     chunk.page_end, json.dumps([list(p) for p in chunk.page_starts])),
                )
                chunk.id, chunk.document_id = int(cur.lastrowid), doc_id
                conn.execute(
                    "INSERT INTO chunks_fts (rowid, body, meta) VALUES (?,?,?)",
                    (chunk.id, body, meta),
                )
        return doc_id

    def delete_documents(self, document_ids: Iterable[int]) -> int:
        ids = list(document_ids)
        with self.transaction() as conn:
            self._delete(conn, ids)
        return len(ids)

    @staticmethod
    def _delete(conn: sqlite3.Connection, ids: list[int]) -> None:
        for doc_id in ids:
            conn.execute(
                "DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)",
                (doc_id,),
            )
            conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    # ------------------------------------------------------------- retrieval
    def search(self, collection_id: int, match: str, limit: int, *, prefetch: int = 4) -> list[Hit]:
        """BM25 over the analysed body (weight 1) and title/headings (weight 0.5).

        The best ``prefetch × limit`` chunks of the whole index are ranked before being joined
        to their documents: joining every match first cost 3× more on 100k chunks (p95 105 ms
        against 48 ms). When other collections crowd this one out of them, the full query runs.
        """
        top = (
            "WITH top AS (SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS rank FROM chunks_fts"
            " WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?)"
            f" SELECT {HIT_COLUMNS}, top.rank FROM top JOIN chunks c ON c.id = top.rowid"
            " JOIN documents d ON d.id = c.document_id"
            " WHERE d.collection_id = ? ORDER BY top.rank LIMIT ?"
        )
        full = (
            f"SELECT {HIT_COLUMNS}, bm25(chunks_fts, 1.0, 0.5) AS rank"
            " FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid"
            " JOIN documents d ON d.id = c.document_id"
            " WHERE chunks_fts MATCH ? AND d.collection_id = ? ORDER BY rank LIMIT ?"
        )
        try:
            rows = []
            if prefetch > 0:
                rows = self.conn.execute(top, (match, limit * prefetch, collection_id, limit)).fetchall()
            if len(rows) < limit:
                rows = self.conn.execute(full, (match, collection_id, limit)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"La recherche a échoué : {exc}", detail=match) from exc
        return [hit_from_row(r) for r in rows]

    def term_document_frequencies(self, terms: list[str]) -> dict[str, int]:
        """How many chunks hold each analysed term (FTS5 vocabulary, all collections)."""
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        rows = self.conn.execute(
            f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", list(terms)
        )
        return {r[0]: int(r[1]) for r in rows}

    def chunk_terms(self, chunk_id: int) -> tuple[str, str]:
        row = self.conn.execute(
            "SELECT body, meta FROM chunks_fts WHERE rowid = ?", (chunk_id,)
        ).fetchone()
        return (row[0], row[1]) if row else ("", "")

    def chunk_count(self, collection_id: int | None = None) -> int:
        if collection_id is None:
            # Every search asks (for IDF): counting 100k rows costs ≈ 1.7 ms, so it is kept
            # until this connection or another one writes (per thread, as connections are).
            key, cached = self.generation(), getattr(self._local, "count", None)
            if cached is None or cached[0] != key:
                cached = (key, int(self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]))
                self._local.count = cached
            return cached[1]
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id"
            " WHERE d.collection_id = ?", (collection_id,)).fetchone()[0])

    @staticmethod
    def _id_in(column: str, ids: list[int]) -> tuple[str, list[int]]:
        """``column`` among ``ids``, for the shared SQL of ``VectorsSQL``."""
        return f"{column} IN ({','.join('?' * len(ids))})", ids

    def data_version(self) -> int:
        """Changes when another connection has committed (this process tracks its own writes)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def generation(self) -> tuple[int, int]:
        """Changes whenever the database may have changed: another connection committed, or
        this one wrote anything."""
        return self.data_version(), self.conn.total_changes

    # ------------------------------------------------------------- checks
    def consistency(self) -> dict[str, Any]:
        """What an interrupted write could have broken, for the kill test and bench:
        ``integrity`` (PRAGMA integrity_check, "ok" when sound), ``foreign_keys`` (violations),
        ``documents_without_chunks`` (paths: a half-indexed document), ``chunks_without_terms`` /
        ``terms_without_chunks`` (the lexical index out of step), ``duplicate_paths``, and
        ``documents_without_review`` (paths; left by a kill between indexing and review, read
        again by the next ingestion, so not an error in itself)."""
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        column = lambda sql: [r[0] for r in self.conn.execute(sql)]  # noqa: E731
        return {
            "integrity": "; ".join(column("PRAGMA integrity_check")),
            "foreign_keys": len(self.conn.execute("PRAGMA foreign_key_check").fetchall()),
            "documents_without_chunks": column(
                "SELECT path FROM documents d WHERE NOT EXISTS"
                " (SELECT 1 FROM chunks c WHERE c.document_id = d.id)"),
            "chunks_without_terms": one(
                "SELECT COUNT(*) FROM chunks c WHERE c.id NOT IN (SELECT rowid FROM chunks_fts)"),
            "terms_without_chunks": one(
                "SELECT COUNT(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)"),
            "duplicate_paths": column(
                "SELECT path FROM documents GROUP BY collection_id, path HAVING COUNT(*) > 1"),
            "documents_without_review": column(
                "SELECT d.path FROM documents d LEFT JOIN governance_reviews g"
                " ON g.document_id = d.id WHERE g.id IS NULL"),
        }

    def stats(self) -> dict[str, Any]:
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "path": str(self.path),
            "schema_version": self.schema_version(),
            "collections": one("SELECT COUNT(*) FROM collections"),
            "documents": one("SELECT COUNT(*) FROM documents"),
            "chunks": one("SELECT COUNT(*) FROM chunks"),
            # Chunk vectors only: a chunk's sentence windows are one more row under another model.
            "vectors": one("SELECT COUNT(*) FROM chunk_vectors WHERE model NOT LIKE '%+windows'"),
            "answers": one("SELECT COUNT(*) FROM answers"),
            "size_bytes": sum(
                p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.exists()
            ),
        }


guard_errors(SQLiteStore, sqlite3.Error)
