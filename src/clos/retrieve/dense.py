"""Hybrid retrieval: French BM25 fused with dense similarity over the whole collection.

Fusion is linear on normalised scores: BM25 (with coverage) divided by the best one, plus
``dense_weight`` × the cosine rescaled between the lowest and highest of the dense top ``pool``.
Measured against reciprocal-rank fusion on both French development sets, linear fusion ranked
better on both (``bench/bench_eval.py``). Dense search is exact (a matrix product): at 100k chunks
of 384 floats it costs ≈ 10 ms; a binary first pass measured 6–8 ms (top-10 agreement 0.97–0.99),
too little saved for an approximation. On PostgreSQL with pgvector the store ranks instead
(``store.nearest``: exact in SQL, HNSW for large collections, clos.store.pg_vectors), and no
process holds the collection's matrix.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from clos.errors import ModelError
from clos.retrieve.embedders import Embedder, numpy
from clos.retrieve.lexical import LexicalRetriever, diversify
from clos.retrieve.windows import best_window_similarity, window_blobs, window_model
from clos.store.protocol import VectorStore
from clos.types import Hit


class VectorIndex:
    """A collection's chunk vectors, read from the store once and kept while the store is unchanged."""

    def __init__(self, store: VectorStore, model: str) -> None:
        self.store, self.model = store, model
        self._cache: dict[int, tuple] = {}
        self.generation = 0  # bumped by the writer of this process; other writers via data_version

    def invalidate(self) -> None:
        self.generation += 1

    def get(self, collection_id: int):
        """(chunk ids, matrix) of the collection; empty arrays when nothing is embedded yet."""
        np = numpy()
        key = (self.store.data_version(), self.generation)
        cached = self._cache.get(collection_id)
        if cached is None or cached[0] != key:
            ids, blobs = self.store.vectors(collection_id, self.model)
            matrix = (np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(ids), -1)
                      if ids else np.zeros((0, 1), dtype="float32"))
            cached = (key, np.asarray(ids, dtype="int64"), matrix,
                      {cid: row for row, cid in enumerate(ids)})
            self._cache[collection_id] = cached
        return cached[1], cached[2]

    def position(self, collection_id: int) -> dict[int, int]:
        """Chunk id → row of the matrix ``get`` returned (built with it, not per query)."""
        return self._cache[collection_id][3]


def to_blob(vector) -> bytes:
    return numpy().asarray(vector, dtype="<f4").tobytes()


#: Put on the answer (``Answer.warnings``) when the question could not be embedded.
DENSE_FALLBACK_WARNING = ("Recherche sémantique indisponible (le serveur d'embeddings ne répond "
                          "pas) : les passages ont été trouvés par la recherche par mots seule.")


class HybridRetriever:
    """Lexical pool ∪ dense top ``pool``, ranked by BM25 + ``dense_weight`` × rescaled cosine.

    With ``windows``, the candidates' cosines become the best of their own and their sentence
    windows' (``retrieve/windows.py``) before the dense top is chosen.

    When the question cannot be embedded (an embeddings server down or failing: ``ModelError``
    once its retries are spent), ``search`` returns the lexical hits alone and sets
    ``fallback`` to the error's French message (None after a search that used the vectors).
    For ``RETRY_DENSE_AFTER_S`` seconds after such a failure, searches go lexical at once
    instead of waiting for the server again (its retries cost seconds per question)."""

    #: Seconds without asking a failed embedder again: long enough that a queue of questions
    #: does not pay the retries each, short enough that a restarted server is used again soon.
    RETRY_DENSE_AFTER_S = 30.0

    def __init__(self, lexical: LexicalRetriever, embedder: Embedder, *, dense_weight: float = 1.0,
                 pool: int = 100, lexical_pool: int | None = None, fusion: str = "linear",
                 rrf_k: int = 60, windows: bool = False) -> None:
        if dense_weight < 0 or pool < 1 or rrf_k < 1 or fusion not in ("linear", "rrf"):
            raise ValueError("dense_weight ≥ 0, pool and rrf_k positive, fusion linear or rrf")
        self.lexical, self.embedder = lexical, embedder
        # The lexical side ranks as many candidates as it would alone: re-scoring its pool
        # dominates its cost (≈ 2.5× at 100 than at 40 on 100k chunks).
        self.lexical_pool = lexical_pool or lexical.candidates
        self.index = VectorIndex(lexical.store, embedder.name)
        self.dense_weight, self.pool, self.fusion, self.rrf_k = dense_weight, pool, fusion, rrf_k
        self.windows = window_model(embedder) if windows else None
        self._last = None
        self._executor: ThreadPoolExecutor | None = None
        self.fallback: str | None = None  # why the last search was lexical only, if it was
        self._failed: tuple[float, str] | None = None  # (monotonic time, message) of a failure

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clos-embed")
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    @property
    def store(self):
        return self.lexical.store

    @property
    def max_per_doc(self) -> int:
        return self.lexical.max_per_doc

    def query_vector(self, query: str):
        """The query's vector, computed once per question (the grounding check asks again)."""
        if self._last is None or self._last[0] != query:
            self._last = (query, self.embedder.embed_query(query))
        return self._last[1]

    def search(self, collection_id: int, query: str, k: int) -> list[Hit]:
        # The embedder's C code and SQLite both release the GIL: the query is embedded while
        # the lexical search runs, which hides most of the 24–30 ms it costs.
        failed = self._failed
        if failed is not None and time.monotonic() - failed[0] >= self.RETRY_DENSE_AFTER_S:
            failed = self._failed = None
        pending = (self._pool().submit(self.query_vector, query)
                   if self.dense_weight and failed is None else None)
        lexical = self.lexical.search(collection_id, query, max(self.lexical_pool, k),
                                      max_per_doc=0)
        self.fallback = failed[1] if failed is not None else None
        try:
            vector = pending.result() if pending is not None else None
        except ModelError as exc:  # the server is down: the words still find passages
            self.fallback, vector = exc.message, None
            self._failed = (time.monotonic(), exc.message)
        dense = self._dense(collection_id, vector, lexical) if vector is not None else None
        if dense is None:
            return diversify(lexical, k, self.max_per_doc)
        top, sims = dense
        if self.windows:
            top, sims = self._with_windows(lexical, top, sims, vector)
        fused = self._fuse(lexical, top, sims)
        best_lexical = max((h.score for h in lexical), default=0.0) or 1.0
        lexical_part = {h.chunk_id: h.score / best_lexical for h in lexical}
        known = {h.chunk_id: h for h in lexical}
        order = sorted(fused, key=fused.__getitem__, reverse=True)
        # Rows are fetched (and their lexical relevance computed) only for dense hits that rank
        # high enough to be returned: at 100k chunks fetching the whole dense pool cost more
        # than the search itself.
        upto = 0
        while True:
            upto = min(len(order), max(2 * k, upto * 2))
            missing = [c for c in order[:upto] if c not in known]
            if missing:
                found = self.store.hits(missing)
                self.lexical.annotate(query, found)
                known.update((h.chunk_id, h) for h in found)
            ranked = [known[c] for c in order[:upto] if c in known]
            for h in ranked:
                h.score = fused[h.chunk_id]
                h.similarity = sims.get(h.chunk_id)
                # The two parts of the fused score, for the answer's trace (linear fusion).
                h.lexical_score = lexical_part.get(h.chunk_id, 0.0)
                h.dense_score = h.score - h.lexical_score if self.fusion == "linear" else None
            chosen = diversify(ranked, k, self.max_per_doc)
            if len(chosen) == k or upto == len(order):
                return chosen

    def _dense(self, collection_id: int, vector, lexical: list[Hit]):
        """(dense top: up to ``pool`` chunk ids, chunk id → cosine for that top and the lexical
        hits that have a vector), or None when nothing of the collection is embedded. Ranked by
        the store when it can (PostgreSQL with pgvector: ``store.nearest``), else in numpy over
        the collection's matrix (``VectorIndex``); both exact below pgvector's HNSW size."""
        np = numpy()
        nearest = self.store.nearest(collection_id, self.index.model, vector, self.pool)
        if nearest is not None:
            if not nearest:
                return None
            sims = dict(nearest)
            missing = [h.chunk_id for h in lexical if h.chunk_id not in sims]
            sims.update(self.store.similarities(missing, self.index.model, vector))
            return [c for c, _ in nearest], sims
        ids, matrix = self.index.get(collection_id)
        if not len(ids):
            return None
        scores = matrix @ vector
        rows = np.argpartition(-scores, min(self.pool, len(ids)) - 1)[: self.pool]
        position = self.index.position(collection_id)
        rows = np.concatenate([rows, np.asarray([position[h.chunk_id] for h in lexical
                                                 if h.chunk_id in position], dtype="int64")])
        sims = dict(zip(ids[rows].tolist(), scores[rows].tolist()))
        return ids[rows[: min(self.pool, len(ids))]].tolist(), sims

    def _with_windows(self, lexical: list[Hit], top: list[int], sims: dict[int, float], vector):
        """Cosines raised to the best window's for the dense top and the lexical pool, then the
        dense top chosen again among them. Reading these candidates' windows (a few hundred
        vectors) replaces scanning every window of the collection (3.5 per chunk on kb532): a
        chunk outside both pools whose window alone would lift it is missed, which measured no
        worse than the full scan (``bench/bench_tried.py``, windows part)."""
        chunk_ids = sorted(set(top) | {h.chunk_id for h in lexical if h.chunk_id in sims})
        best = best_window_similarity(self.store, self.windows, chunk_ids, vector)
        if not best:
            return top, sims
        sims = {**sims, **{c: max(sims[c], best.get(c, -1.0)) for c in chunk_ids}}
        return sorted(chunk_ids, key=lambda c: -sims[c])[: self.pool], sims

    def _fuse(self, lexical: list[Hit], top: list[int], sims: dict[int, float]) -> dict[int, float]:
        """Fused score of every candidate id: the lexical pool and the dense top ``pool``."""
        if self.fusion == "rrf":  # measured for the ablation table; linear ranks better
            fused = {h.chunk_id: 1 / (self.rrf_k + r) for r, h in enumerate(lexical, 1)}
            for r, c in enumerate(sorted(top, key=lambda c: -sims[c]), 1):
                fused[c] = fused.get(c, 0.0) + self.dense_weight / (self.rrf_k + r)
            return fused
        best = max((h.score for h in lexical), default=0.0) or 1.0
        fused = {h.chunk_id: h.score / best for h in lexical}
        lo, hi = min(sims[c] for c in top), max(sims[c] for c in top)
        span = hi - lo or 1.0
        # Outside the dense top every cosine is ≤ lo: those chunks get no dense part.
        for c in top:
            fused[c] = fused.get(c, 0.0) + self.dense_weight * max(0.0, (sims[c] - lo) / span)
        return fused


def embed_chunks(store: VectorStore, embedder: Embedder, chunks: list[tuple[int, str]], *,
                 windows: bool = False) -> int:
    """Embed (chunk id, text) pairs and store their vectors under the embedder's name (and,
    with ``windows``, their sentence windows' vectors)."""
    vectors = embedder.embed_passages([text for _, text in chunks])
    done = store.add_vectors(embedder.name, ((cid, to_blob(v))
                                             for (cid, _), v in zip(chunks, vectors)))
    if windows:
        store.add_vectors(window_model(embedder), window_blobs(embedder, chunks))
    return done


def embed_pending(store: VectorStore, embedder: Embedder, collection_id: int, *, batch: int = 32,
                  progress=None, windows: bool = False, limit: int | None = None) -> int:
    """Embed every chunk of the collection that has no vector for this embedder yet (and the
    windows of every chunk that has none, when ``windows``: turning them on later works);
    with ``limit``, stop once that many chunks (and as many windows' chunks) are done, so a
    caller can interleave other work; a call that finds no chunk vector to write finishes
    the windows, so "0 returned" means nothing is left. Returns the chunk vectors written."""
    done = 0
    while limit is None or done < limit:
        pending = store.pending_vectors(collection_id, embedder.name, batch)
        if not pending:
            break
        done += embed_chunks(store, embedder, pending, windows=windows)
        if progress is not None:
            progress(done)
    windowed = 0
    while windows and (limit is None or not done or windowed < limit):
        pending = store.pending_vectors(collection_id, window_model(embedder), batch)
        if not pending:
            break
        store.add_vectors(window_model(embedder), window_blobs(embedder, pending))
        windowed += len(pending)
    return done  # chunk vectors: windows are read per search, nothing cached to invalidate
