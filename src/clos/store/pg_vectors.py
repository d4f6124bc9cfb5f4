"""pgvector for the PostgreSQL store: vectors ranked in SQL instead of numpy, when the server has it.

When the server offers the ``vector`` extension (``scripts/install_pgvector.sh`` builds the
vendored third_party/pgvector; Debian's ``postgresql-15-pgvector`` is not in bookworm's sources),
the store creates it (``CREATE EXTENSION IF NOT EXISTS vector``, in ``public``, once per database)
and applies migration 012: a ``vector`` column ``embedding`` on ``chunk_vectors``, of no fixed
dimension (the embedder decides), filled on write from the float32 blob, which stays the source
of truth (SQLite, ``clos migrate-store`` and the sentence windows read it). Window rows
(``…+windows``: several vectors in one blob) get no embedding.

Dense search then ranks in SQL with the cosine distance ``<=>``:

- exactly (a scan of the collection's vectors) while the collection holds fewer than
  ``HNSW_MIN_VECTORS`` vectors of the model: same top as numpy's exact search, same order,
  cosines equal to ~1e-6 (float32 sums in a different order; the embedders give unit vectors,
  so cosine and numpy's dot product agree);
- above it, through an HNSW index per embedding model (an expression index on the column cast to
  the model's dimension, partial on the model), built once the model's vectors reach that size,
  searched with ``hnsw.ef_search = HNSW_EF_SEARCH`` and the strict-order iterative scan
  (pgvector 0.8) so a collection filter still returns ``limit`` rows in distance order.

Without the extension (or with ``?pgvector=off`` in the store URL) nothing of this runs: the
vectors stay float32 ``bytea`` searched in numpy (``nearest`` returns None).
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

#: Vectors of one model in a collection from which the search goes through the HNSW index.
#: Measured (``bench/bench_pgvector.py``, top 100 of 384-float vectors, a loaded 2-core machine;
#: bench/results/bench_pgvector*.json): the exact scan in SQL grows with the collection (p50
#: 12 ms at 2k, 49 ms at 10k, 78 ms at 20k, 237 ms at 100k: 5× numpy's cached product), HNSW
#: stays at 13–16 ms from 20k to 100k (0.4–0.9× numpy) with recall@10 ≥ 0.999; at 10k and below
#: the planner prefers scanning to the index anyway (HNSW times = exact times). So exact, equal
#: to numpy's top, below 20k; the approximation only where it pays 5×. pgvector's README gives
#: no size (exact search by default, "add an index" when speed requires it).
HNSW_MIN_VECTORS = 20_000

#: Candidates HNSW keeps while searching (pgvector's default 40). The retriever asks for a top of
#: 100 (``HybridRetriever.pool``): ef_search below the limit caps the rows returned, and pgvector's
#: README advises raising it for recall; 200 gave recall@10 0.992–0.9995 and recall@100
#: 0.986–0.988 against the exact top from 20k to 100k vectors (``bench/bench_pgvector.py``).
HNSW_EF_SEARCH = 200

#: Build parameters of the HNSW index: pgvector's defaults (m = 16, ef_construction = 64).
HNSW_OPTIONS = "m = 16, ef_construction = 64"

#: Suffix of the sentence windows' model (``clos.retrieve.windows.WINDOWS``): several vectors
#: per blob, never searched whole, so no embedding.
WINDOWS = "+windows"

#: Columns only PostgreSQL has, derived from others (migration 012's from the blob): neither
#: copied by ``clos migrate-store`` (the destination derives its own) nor compared with SQLite's.
DERIVED_COLUMNS = {"chunk_vectors": ("embedding",)}

#: Largest dimension pgvector's ``vector`` type stores.
MAX_DIMENSION = 16_000


def vector_text(blob: bytes) -> str | None:
    """pgvector's text form ``[x,y,…]`` of a float32 little-endian blob; None when the blob is
    not a storable vector (empty, longer than ``MAX_DIMENSION``, NaN or infinite values). Each
    float32 is written with Python's shortest round-trip repr, which pgvector reads back to the
    same float32."""
    import numpy as np

    if not blob or len(blob) % 4 or len(blob) // 4 > MAX_DIMENSION:
        return None
    values = np.frombuffer(blob, dtype="<f4")
    if not np.isfinite(values).all():
        return None
    return "[" + ",".join(map(repr, values.tolist())) + "]"


def index_name(model: str, dimension: int) -> str:
    """The HNSW index of ``model`` at ``dimension`` (a digest: model names hold any character)."""
    return f"chunk_vectors_hnsw_{hashlib.sha1(model.encode()).hexdigest()[:12]}_{dimension}"


def literal(value: str) -> str:
    """``value`` as an SQL string literal (standard_conforming_strings, PostgreSQL's default):
    the partial index's predicate must be written out for the planner to match it."""
    return "'" + value.replace("'", "''") + "'"


def create_extension(raw: Any) -> str | None:
    """Create the extension in ``public`` when the server offers it and it is missing; returns
    the schema holding it, or None when it is not available (or may not be created: the role
    lacks the right). ``raw``: a psycopg connection in autocommit."""
    import psycopg

    def schema() -> str | None:
        row = raw.execute("SELECT extnamespace::regnamespace::text FROM pg_extension"
                          " WHERE extname = 'vector'").fetchone()
        return row[0] if row else None

    found = schema()
    if found is not None:
        return found
    if raw.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone() is None:
        return None
    try:
        # In public, never the store's schema: dropping a scratch schema must not drop it.
        raw.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    except psycopg.Error:  # another process created it meanwhile, or no right to: see below
        pass
    return schema()


def ensure_column(raw: Any) -> bool:
    """Whether migration 012's column exists on ``raw``'s schema, added again when it was
    dropped with the extension (the migration is idempotent)."""
    from clos.store.pg_connection import migrations

    test = ("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = 'chunk_vectors' AND column_name = 'embedding'")
    if raw.execute(test).fetchone() is None:
        raw.execute(next(sql for number, _, sql in migrations() if number == 12))
    return raw.execute(test).fetchone() is not None


class PgVectors:
    """The pgvector side of ``PostgresStore`` (mixed in before ``VectorsSQL``). The store sets
    ``_pgvector`` (True once migration 012's column exists) when it opens its pool."""

    _pgvector = False
    #: How the last ``nearest`` ranked: "exact" or "hnsw" (None before; for tests and benches).
    last_dense: str | None = None
    _counts: dict[tuple[int, str], tuple[int, int]]  # (collection, model) → (version, count)

    def uses_pgvector(self) -> bool:
        """Whether dense search ranks in SQL (the extension and migration 012's column are there)."""
        self.pool  # noqa: B018  (opening the pool decides)
        return self._pgvector

    def add_vectors(self, model: str, items: Iterable[tuple[int, bytes]]) -> int:
        """As ``VectorsSQL.add_vectors``, with the ``embedding`` column filled when pgvector is
        used; the model's HNSW index is built once its vectors reach ``HNSW_MIN_VECTORS``."""
        if not self.uses_pgvector():
            return super().add_vectors(model, items)  # type: ignore[misc]
        rows = [(int(cid), model, bytes(blob)) for cid, blob in items]
        texts = [None if model.endswith(WINDOWS) else vector_text(b) for _, _, b in rows]
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO chunk_vectors (chunk_id, model, vector, embedding) VALUES"
                " (?,?,?,?::vector) ON CONFLICT (chunk_id, model) DO UPDATE SET"
                " vector = excluded.vector, embedding = excluded.embedding",
                [(*row, text) for row, text in zip(rows, texts)])
        if rows and not model.endswith(WINDOWS):
            self.index_vectors(model)
        return len(rows)

    def fill_embeddings(self, batch: int = 2000) -> int:
        """Fill the ``embedding`` of rows written without it (before migration 012, or copied by
        ``clos migrate-store``), then build the HNSW indexes due; returns the rows filled."""
        if not self.uses_pgvector():
            return 0
        filled, after = 0, (-1, "")
        models: set[str] = set()
        while True:
            rows = self.conn.execute(
                "SELECT chunk_id, model, vector FROM chunk_vectors WHERE embedding IS NULL"
                " AND model NOT LIKE ? AND (chunk_id, model) > (?, ?) ORDER BY chunk_id, model"
                " LIMIT ?", ("%" + WINDOWS, after[0], after[1], batch)).fetchall()
            if not rows:
                break
            after = (int(rows[-1][0]), rows[-1][1])
            todo = [(int(r[0]), r[1], vector_text(bytes(r[2]))) for r in rows]
            todo = [t for t in todo if t[2] is not None]
            if todo:
                with self.transaction() as conn:
                    conn.execute("UPDATE chunk_vectors v SET embedding = u.e::vector FROM"
                                 " unnest(?::bigint[], ?::text[], ?::text[]) AS u(c, m, e)"
                                 " WHERE v.chunk_id = u.c AND v.model = u.m",
                                 [list(col) for col in zip(*todo)])
                filled += len(todo)
                models.update(t[1] for t in todo)
        for model in sorted(models):
            self.index_vectors(model)
        return filled

    def index_vectors(self, model: str, *, minimum: int | None = None) -> str | None:
        """Build ``model``'s HNSW index when it has at least ``minimum`` (``HNSW_MIN_VECTORS``)
        vectors and none yet; returns the index's name when it exists after the call. The
        dimension is the model's first vector's (an embedder's vectors all have one)."""
        if not self.uses_pgvector():
            return None
        row = self.conn.execute(
            "SELECT vector_dims(embedding) FROM chunk_vectors WHERE model = ? AND embedding IS"
            " NOT NULL LIMIT 1", (model,)).fetchone()
        if row is None:
            return None
        name = index_name(model, int(row[0]))
        if self._has_index(name):
            return name
        count = int(self.conn.execute("SELECT COUNT(*) FROM chunk_vectors WHERE model = ?"
                                      " AND embedding IS NOT NULL", (model,)).fetchone()[0])
        if count < (HNSW_MIN_VECTORS if minimum is None else minimum):
            return None
        with self.transaction(index=False) as conn:
            # The graph built in memory (≈ 2 KB per 384-float vector): PostgreSQL's default
            # 64 MB would spill past ≈ 30k vectors and build many times slower.
            conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON chunk_vectors USING hnsw"
                         f" ((embedding::vector({int(row[0])})) vector_cosine_ops)"
                         f" WITH ({HNSW_OPTIONS}) WHERE model = {literal(model)}")
        return name

    def _has_index(self, name: str) -> bool:
        return self.conn.execute("SELECT to_regclass(?)", (name,)).fetchone()[0] is not None

    def _vector_count(self, collection_id: int, model: str) -> int:
        """Vectors of ``model`` in the collection, counted once per store change."""
        version = self.data_version()  # type: ignore[attr-defined]
        cached = self._counts.get((collection_id, model))
        if cached is None or cached[0] != version:
            count = int(self.conn.execute(
                "SELECT COUNT(*) FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id JOIN"
                " documents d ON d.id = c.document_id WHERE d.collection_id = ? AND v.model = ?"
                " AND v.embedding IS NOT NULL", (collection_id, model)).fetchone()[0])
            cached = self._counts[(collection_id, model)] = (version, count)
        return cached[1]

    def nearest(self, collection_id: int, model: str, vector: Any,
                limit: int) -> list[tuple[int, float]] | None:
        """The collection's ``limit`` chunks nearest to ``vector`` (float32, the embedder's
        dimension) for ``model``: (chunk id, cosine similarity) best first, ties by chunk id
        (exact search); None when the store does not rank vectors itself (no pgvector), the
        caller then searches in numpy. HNSW (approximate) when the collection has
        ``HNSW_MIN_VECTORS`` vectors of the model or more and the model's index exists."""
        if not self.uses_pgvector() or limit < 1:
            return None
        query = vector_text(memoryview(_float32(vector)).tobytes())
        if query is None:
            return []
        dim = len(_float32(vector))
        name = index_name(model, dim)
        base = ("FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id JOIN documents d"
                " ON d.id = c.document_id WHERE d.collection_id = %(cid)s")
        if self._vector_count(collection_id, model) >= HNSW_MIN_VECTORS and self._has_index(name):
            distance = f"(v.embedding::vector({dim})) <=> %(q)s::vector({dim})"
            # The model written out: a parameter would not prove the partial index's predicate.
            sql = (f"SELECT v.chunk_id, 1 - ({distance}) AS sim {base} AND v.model ="
                   f" {literal(model).replace('%', '%%')} ORDER BY {distance} LIMIT %(limit)s")
            self.last_dense = "hnsw"
            with self.pool.connection() as raw, raw.transaction():
                raw.execute(f"SET LOCAL hnsw.ef_search = {max(HNSW_EF_SEARCH, limit)}")
                raw.execute("SET LOCAL hnsw.iterative_scan = strict_order")
                rows = raw.execute(sql, {"q": query, "cid": collection_id,
                                         "limit": limit}).fetchall()
        else:
            self.last_dense = "exact"
            sql = (f"SELECT v.chunk_id, 1 - (v.embedding <=> %(q)s::vector) AS sim {base} AND"
                   f" v.model = %(model)s AND v.embedding IS NOT NULL"
                   f" ORDER BY v.embedding <=> %(q)s::vector, v.chunk_id LIMIT %(limit)s")
            with self.pool.connection() as raw:
                rows = raw.execute(sql, {"q": query, "cid": collection_id, "model": model,
                                         "limit": limit}).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def similarities(self, chunk_ids: Iterable[int], model: str, vector: Any) -> dict[int, float]:
        """Chunk id → cosine similarity to ``vector`` for those of ``chunk_ids`` that have an
        embedding of ``model`` (pgvector only; {} otherwise)."""
        ids = [int(i) for i in chunk_ids]
        query = vector_text(memoryview(_float32(vector)).tobytes())
        if not ids or query is None or not self.uses_pgvector():
            return {}
        rows = self.conn.execute(
            "SELECT chunk_id, 1 - (embedding <=> ?::vector) FROM chunk_vectors WHERE model = ?"
            " AND chunk_id = ANY(?) AND embedding IS NOT NULL", (query, model, ids)).fetchall()
        return {int(r[0]): float(r[1]) for r in rows}


def _float32(vector: Any) -> Any:
    import numpy as np

    return np.ascontiguousarray(vector, dtype="<f4").reshape(-1)

