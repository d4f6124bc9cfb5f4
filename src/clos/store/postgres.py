"""PostgreSQL backend: the same roles as SQLiteStore for a department's shared server.

Chosen by ``store = "postgresql://user@host:port/database"`` in the settings (``CLOS_STORE``);
an optional ``?schema=name`` keeps Clos's tables in their own schema (created if missing).
Connections come from a pool (psycopg 3 + psycopg_pool, ``max_size`` connections, 4 by
default), in autocommit for reads; every write is one transaction.

- Lexical search: the analysed terms in a tsvector under a GIN index, ranked by FTS5's own BM25
  computed in SQL, so both stores return the same passages in the same order (see pg_search).
- Vectors (SQL shared with SQLite: store/vectors.py): float32 blobs in ``bytea``; when the
  server has pgvector (``scripts/install_pgvector.sh``), also in a ``vector`` column ranked in
  SQL (exact, HNSW for large collections: store/pg_vectors.py) instead of sending every vector
  to each process for numpy; without it (or with ``?pgvector=off``), searched in numpy as with
  SQLite.
- Journals (answers log, ingestion runs): SQL shared with SQLite, store/journal.py.
- Pseudonyms: encrypted in the table ``pseudonym_vault``, the key outside the database
  (``pg_vault``); never in clear.
- Schema changes: numbered migrations of ``clos.store.pg_migrations``, applied under an advisory
  lock (several processes may open the store at once).

Every public method raises ``StoreError`` (French message, psycopg error chained).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from clos.errors import StoreError
from clos.store import pg_search
from clos.store.accounts import AccountsSQL
from clos.store.pg_connection import (  # noqa: F401  (scratch_schema, with_schema: re-exported)
    _Connection,
    _Pooled,
    _row_factory,
    apply_migrations,
    pgvector_wanted,
    local_zone,
    redact,
    scratch_schema,
    split_url,
    with_schema,
)
from clos.store.base import guard_errors
from clos.store.boilerplate import PostgresBoilerplate, unindex
from clos.store.governance import GovernanceSQL
from clos.store.journal import JournalSQL
from clos.store.ledger import LedgerSQL
from clos.store.pg_vectors import PgVectors, create_extension, ensure_column
from clos.store.reading import ReadingSQL
from clos.store.vault import VaultMixin
from clos.store.vectors import HIT_COLUMNS, VectorsSQL, hit_from_row
from clos.types import Chunk, Document, Hit


class PostgresStore(VaultMixin, AccountsSQL, GovernanceSQL, LedgerSQL, ReadingSQL, PgVectors,
                    VectorsSQL, JournalSQL,
                    PostgresBoilerplate):
    """The shared store on a PostgreSQL server (15 or later). Opens its pool lazily."""

    LOCAL_DAY = "to_char((i.created_at::timestamptz) AT TIME ZONE %s, 'YYYY-MM-DD')"

    def __init__(self, url: str, *, max_size: int = 4) -> None:
        self.url = url
        self.dsn, self.schema = split_url(url)
        self.max_size = max_size
        self._pool: Any = None
        self._lock = threading.Lock()
        # Chunk id → analysed terms of the chunks searches returned: the re-scoring reads them
        # for each hit, one round trip each otherwise. Ids are never reused and a chunk's terms
        # never change (a new version of a document gets new chunks), so entries stay true.
        self._terms: dict[int, tuple[str, str]] = {}
        self._collections: dict[str, int] = {}  # name → id (no collection is ever deleted)
        self._counts: dict[tuple[int, str], tuple[int, int]] = {}  # see PgVectors._vector_count
        self.LOCAL_DAY = self.LOCAL_DAY.replace("%s", "'" + local_zone() + "'")

    # ------------------------------------------------------------ connection
    @property
    def pool(self) -> Any:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._open()
                    if self._pgvector:  # rows written before migration 012, or without it
                        self.fill_embeddings()
        return self._pool

    def _open(self) -> Any:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise StoreError("Le pilote PostgreSQL (psycopg) n'est pas installé.") from exc
        # random_page_cost 1.1 (the index is in memory or on SSD): with the default 4 the
        # planner read the whole chunks_fts table instead of its GIN index for terms held by
        # 5 % of the chunks (90 ms against 25 ms on 8.6k chunks, bench/bench_store.py).
        pool = None
        try:
            # One direct connection first: an unreachable server fails now, not after the
            # pool's wait.
            with psycopg.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
                if self.schema:
                    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
                vector_schema = create_extension(conn) if pgvector_wanted(self.url) else None
            # The extension's schema (public) after the store's, for its type and operators.
            path = ",".join(dict.fromkeys(s for s in (self.schema or "public", vector_schema)
                                          if s))
            options = "-c random_page_cost=1.1" + (f" -c search_path={path}" if self.schema
                                                   or path != "public" else "")
            kwargs = {"autocommit": True, "row_factory": _row_factory, "connect_timeout": 10,
                      "options": options}
            pool = ConnectionPool(self.dsn, min_size=1, max_size=self.max_size, kwargs=kwargs,
                                  open=True, timeout=30, name="clos")
            pool.wait(timeout=10)
            with pool.connection() as raw:
                apply_migrations(raw, frozenset({"vector"} if vector_schema else ()))
                self._pgvector = vector_schema is not None and ensure_column(raw)
        except psycopg.Error as exc:  # PoolTimeout is one too
            if pool is not None:
                pool.close()
            raise StoreError(f"Impossible d'ouvrir la base PostgreSQL « {redact(self.url)} » :"
                             f" {exc}", detail=repr(exc)) from exc
        return pool

    @property
    def conn(self) -> _Pooled:
        return _Pooled(self)

    @contextmanager
    def transaction(self, *, index: bool = True) -> Iterator[_Connection]:
        """One write transaction; it first bumps the change counter (see migration 001) unless
        ``index`` is False: accounts, the audit log and the journals change nothing a search
        reads, and bumping for them made every question reload the collection's vectors."""
        import psycopg

        try:
            with self.pool.connection() as raw, raw.transaction():
                if index:
                    raw.execute("UPDATE store_state SET changes = changes + 1 WHERE id = 1")
                yield _Connection(raw)
        except psycopg.Error as exc:
            raise StoreError(f"Erreur de la base de données : {exc}", detail=repr(exc)) from exc

    @staticmethod
    def _unique_violation(exc: BaseException | None) -> bool:
        import psycopg

        return isinstance(exc, psycopg.errors.UniqueViolation)

    def _open_vault(self, settings: Any) -> Any:
        """The encrypted table ``pseudonym_vault``, under this store's key (see pg_vault)."""
        from clos.store.pg_vault import PgPseudonymVault

        return PgPseudonymVault.open(self, settings)

    def _vault_probe(self, settings: Any) -> tuple[Any, str, bytes | None]:
        from clos.store.pg_vault import probe

        return probe(self, settings)

    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT MAX(number) FROM schema_migrations").fetchone()[0] or 0)

    def has_pgvector(self) -> bool:
        """Whether the server offers the pgvector extension (``uses_pgvector``: whether this
        store ranks vectors with it)."""
        row = self.conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return row.fetchone() is not None

    def close(self) -> None:
        self.close_vault()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # ----------------------------------------------------------- collections
    def collection_id(self, name: str, *, create: bool = True) -> int | None:
        if name in self._collections:
            return self._collections[name]
        row = self.conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None and create:
            with self.transaction() as conn:
                conn.execute("INSERT INTO collections (name) VALUES (?) ON CONFLICT (name)"
                             " DO NOTHING", (name,))
                row = conn.execute("SELECT id FROM collections WHERE name = ?",
                                   (name,)).fetchone()
        if row is None:
            return None
        self._collections[name] = int(row[0])
        return int(row[0])

    def collections(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT c.name, COUNT(d.id) AS documents, c.created_at FROM collections c"
            " LEFT JOIN documents d ON d.collection_id = c.id GROUP BY c.id ORDER BY c.name")
        return [dict(r) for r in rows]

    # ------------------------------------------------------------- documents
    def document_hashes(self, collection_id: int) -> dict[str, tuple[int, str]]:
        rows = self.conn.execute(
            "SELECT path, id, content_hash FROM documents WHERE collection_id = ?", (collection_id,))
        return {r["path"]: (r["id"], r["content_hash"]) for r in rows}

    def replace_document(
        self, collection_id: int, doc: Document, chunks: list[Chunk],
        index_terms: list[tuple[str, str]], size: int,
    ) -> int:
        """Insert or replace one document with its chunks and their analysed index terms."""
        with self.transaction() as conn:
            old = conn.execute("SELECT id FROM documents WHERE collection_id = ? AND path = ?",
                               (collection_id, doc.path)).fetchone()
            if old:
                self._delete(conn, [old[0]])
            doc_id = int(conn.execute(
                "INSERT INTO documents (collection_id, path, title, format, content_hash, size,"
                " mtime, pages, doc_date, metadata) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (collection_id, doc.path, doc.title, doc.format, doc.content_hash, size,
                 doc.mtime, doc.pages, doc.doc_date, json.dumps(doc.metadata, default=str)),
            ).fetchone()[0])
            pairs = list(zip(chunks, index_terms))
            if not pairs:
                return doc_id
            ids = [r[0] for r in conn.execute(
                "SELECT nextval(pg_get_serial_sequence('chunks', 'id')) FROM generate_series(1, ?)",
                (len(pairs),))]
            conn.execute(
                "INSERT INTO chunks (id, document_id, ordinal, text, page, heading_path, tokens,"
                " page_end, page_starts) SELECT u.i, ?, u.o, u.t, u.p, u.h, u.k, u.e, u.s"
                " FROM unnest(?::bigint[], ?::int[], ?::text[], ?::int[], ?::text[], ?::int[],"
                " ?::int[], ?::text[]) AS u(i, o, t, p, h, k, e, s)", (
                    doc_id, ids, [c.ordinal for c, _ in pairs], [c.text for c, _ in pairs],
                    [c.page for c, _ in pairs],
                    [json.dumps(list(c.heading_path), ensure_ascii=False) for c, _ in pairs],
                    [c.tokens for c, _ in pairs], [c.page_end for c, _ in pairs],
                    [json.dumps([list(p) for p in c.page_starts]) for c, _ in pairs]))
            rows = []
            for cid, (chunk, (body, meta)) in zip(ids, pairs):
                chunk.id, chunk.document_id = int(cid), doc_id
                rows.append((cid, collection_id, body, meta, *pg_search.index_row(body, meta)))
            self._index(conn, rows)
        return doc_id

    def _index(self, conn: _Connection, rows: list[tuple]) -> None:
        """Add (chunk id, collection id, body, meta, ntok, tsvector text, tf JSON) rows to the
        lexical index, with their term and size statistics."""
        if not rows:
            return
        conn.execute("INSERT INTO chunks_fts (chunk_id, collection_id, body, meta, ntok, tsv, tf)"
                     " SELECT c, k, b, m, n, t::tsvector, f::jsonb FROM unnest(?::bigint[],"
                     " ?::bigint[], ?::text[], ?::text[], ?::int[], ?::text[], ?::text[])"
                     " AS u(c, k, b, m, n, t, f)", [list(col) for col in zip(*rows)])
        df: dict[str, int] = {}
        for row in rows:
            for term in set(row[2].split()) | set(row[3].split()):
                df[term] = df.get(term, 0) + 1
        terms = sorted(df)  # one lock order for every writer
        conn.execute("WITH t AS (INSERT INTO fts_terms (term, df) SELECT * FROM unnest(?::text[],"
                     " ?::bigint[]) ON CONFLICT (term) DO UPDATE SET df = fts_terms.df"
                     " + excluded.df RETURNING 1) UPDATE store_state SET rows = rows + ?,"
                     " tokens = tokens + ? WHERE id = 1",
                     (terms, [df[t] for t in terms], len(rows), sum(r[4] for r in rows)))

    def delete_documents(self, document_ids: Iterable[int]) -> int:
        ids = [int(i) for i in document_ids]
        with self.transaction() as conn:
            self._delete(conn, ids)
        return len(ids)

    @staticmethod
    def _delete(conn: _Connection, ids: list[int]) -> None:
        if not ids:
            return
        unindex(conn, "USING chunks c WHERE c.id = f.chunk_id AND c.document_id = ANY(?)", ids)
        conn.execute("DELETE FROM documents WHERE id = ANY(?)", (ids,))

    # ------------------------------------------------------------- retrieval
    def search(self, collection_id: int, match: str, limit: int, **_: Any) -> list[Hit]:
        """FTS5's BM25 (weights 1 and 0.5) over the collection, best first (see pg_search).

        Takes the FTS5 query Clos writes; ``NEAR`` groups match within their distance, but their
        terms count every occurrence (FTS5 counts only those near each other)."""
        groups = pg_search.parse_match(match)
        if not groups or limit < 1:
            return []
        terms = [t for g in groups for t in g.terms]
        rows = self.conn.execute(
            "SELECT s.rows, s.tokens, t.term, t.df FROM store_state s LEFT JOIN fts_terms t"
            " ON t.term = ANY(?) WHERE s.id = 1", (list(dict.fromkeys(terms)),)).fetchall()
        n, tokens = int(rows[0][0]), int(rows[0][1])
        df = {r[2]: int(r[3]) for r in rows if r[2] is not None}
        idfs = [pg_search.idf(n, df.get(t, 0)) for t in terms]
        params = {"k1p1": pg_search.K1 + 1.0, "k1": pg_search.K1, "b": pg_search.B,
                  "avgdl": (tokens / n) if n else 1.0, "cid": collection_id, "limit": limit,
                  **{f"idf{i}": w for i, w in enumerate(idfs)}}
        sql = pg_search.rank_sql(terms, HIT_COLUMNS)
        if any(g.distance is not None for g in groups):
            order, bounds, skip = groups, [], 0
        else:  # MaxScore: start from the rarest terms (enough rows for a first top), add
            # common ones only while they can still reach it
            ranked = sorted(zip(groups, idfs), key=lambda p: p[1])
            order = [g for g, _ in ranked]
            bounds = [w * (pg_search.K1 + 1.0) for _, w in ranked]
            skip, found = len(order), 0
            while skip > 0 and found < 2 * limit:
                skip -= 1
                found += df.get(order[skip].terms[0], 0)
        with self.pool.connection() as raw:
            params["query"] = pg_search.tsquery(order[skip:])
            rows = raw.execute(sql, params).fetchall()
            theta = -float(rows[limit - 1]["rank"]) if len(rows) >= limit else None
            if skip and (theta is None or sum(bounds[:skip]) >= theta):
                # Rows without a rare term reach the top only through enough common ones:
                # match those combinations (AND), or every term when there are too many.
                combos = (pg_search.reaching(bounds[:skip], theta, pg_search.MAX_COMBINATIONS)
                          if theta is not None else None)
                params["query"] = (pg_search.tsquery(order) if combos is None else
                                   pg_search.tsquery(order[skip:], [[order[i] for i in c]
                                                                    for c in combos]))
                rows = raw.execute(sql, params).fetchall()
        if len(self._terms) > 100_000:
            self._terms.clear()
        self._terms.update((int(r["id"]), (r["terms_body"], r["terms_meta"])) for r in rows)
        return [hit_from_row(r) for r in rows]

    def _index_size(self) -> tuple[int, int]:
        row = self.conn.execute("SELECT rows, tokens FROM store_state WHERE id = 1").fetchone()
        return int(row[0]), int(row[1])

    def term_document_frequencies(self, terms: list[str]) -> dict[str, int]:
        """How many chunks hold each analysed term (all collections, as FTS5's vocabulary)."""
        if not terms:
            return {}
        rows = self.conn.execute("SELECT term, df FROM fts_terms WHERE term = ANY(?)",
                                 (list(dict.fromkeys(terms)),))
        return {r[0]: int(r[1]) for r in rows}

    def chunk_terms(self, chunk_id: int) -> tuple[str, str]:
        """(body, meta) analysed terms of a chunk; ("", "") when it does not exist."""
        cached = self._terms.get(int(chunk_id))
        if cached is not None:
            return cached
        row = self.conn.execute("SELECT body, meta FROM chunks_fts WHERE chunk_id = ?",
                                (chunk_id,)).fetchone()
        return (row[0], row[1]) if row else ("", "")

    def chunk_count(self, collection_id: int | None = None) -> int:
        if collection_id is None:
            return self._index_size()[0]
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id"
            " WHERE d.collection_id = ?", (collection_id,)).fetchone()[0])

    @staticmethod
    def _id_in(column: str, ids: list[int]) -> tuple[str, list]:
        """``column`` among ``ids`` (one array parameter), for the shared SQL of ``VectorsSQL``."""
        return f"{column} = ANY(?)", [ids]

    def data_version(self) -> int:
        """The change counter: every committed write transaction (any process) increments it."""
        return int(self.conn.execute("SELECT changes FROM store_state WHERE id = 1").fetchone()[0])

    def generation(self) -> tuple[int, int]:
        return self.data_version(), 0

    # ----------------------------------------------------------------- stats
    def stats(self) -> dict[str, Any]:
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "path": redact(self.url),
            "schema_version": self.schema_version(),
            "collections": one("SELECT COUNT(*) FROM collections"),
            "documents": one("SELECT COUNT(*) FROM documents"),
            "chunks": one("SELECT COUNT(*) FROM chunks"),
            "vectors": one("SELECT COUNT(*) FROM chunk_vectors WHERE model NOT LIKE '%+windows'"),
            "answers": one("SELECT COUNT(*) FROM answers"),
            "size_bytes": int(one(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'")),
        }


def _guard_psycopg() -> None:
    try:
        import psycopg
    except ImportError:  # the store then fails on open, with its own message
        return
    guard_errors(PostgresStore, psycopg.Error)


_guard_psycopg()
