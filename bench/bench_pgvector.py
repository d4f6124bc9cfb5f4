"""Dense search on PostgreSQL: pgvector exact (SQL ``<=>``) and HNSW against numpy's exact search.

One PostgreSQL store (scratch schema, dropped after) grows to each size of ``--sizes``; at each,
200 query vectors ask for the dense top 100 (``HybridRetriever.pool``), measured three ways on
the same rows (10 warm-up queries first):

- ``numpy``: what the retriever does without pgvector: the collection's matrix read once per
  store change (``VectorIndex``, the read not timed), then per query the change check, the
  product and the top (argpartition, sorted);
- ``pg_exact``: ``store.nearest`` forced exact (``HNSW_MIN_VECTORS`` raised), the cosine ranked in
  SQL: same top as numpy (checked: share of identical top-100 lists in order, largest cosine gap);
- ``pg_hnsw``: ``store.nearest`` through the model's HNSW index (built once the model reaches
  ``HNSW_MIN_VECTORS`` vectors, here forced from the first size), ``hnsw.ef_search`` =
  ``HNSW_EF_SEARCH``: recall@10 and recall@100 against the exact top.

Vectors (``--vectors``): ``e5`` (default) draws each chunk around one of the real
multilingual-e5-small vectors of the embeddings cache (``cache_dir/embeddings.sqlite3``) plus
Gaussian noise, renormalised, so neighbours cluster as real embeddings do; ``random``: unit
vectors drawn uniformly (bench_eval's latency index; the hardest case for HNSW's recall).
Queries are drawn the same way. Embedding 100k real chunks takes hours on this CPU.

    python bench/bench_pgvector.py                       # 10k, 20k, 50k, 100k chunks
    python bench/bench_pgvector.py --sizes 5000 --out bench_pgvector_quick
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time

import numpy as np
from common import percentile, table, write

import clos.store.pg_vectors as pg_vectors
from clos.retrieve.analyzer import analyze
from clos.retrieve.dense import VectorIndex, to_blob
from clos.retrieve.embedders import E5_SMALL
from clos.settings import Settings
from clos.store import store_at
from clos.store.postgres import scratch_schema
from clos.types import Chunk, Document, Section

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
POOL, QUERIES, WARM, DIM = 100, 200, 10, 384


class Draw:
    """Unit vectors: around real e5 vectors (``e5``) or uniform (``random``)."""

    def __init__(self, kind: str, seed: int = 0) -> None:
        self.rng, self.centres = np.random.default_rng(seed), None
        if kind == "e5":
            path = Settings.load().cache_dir / "embeddings.sqlite3"
            with sqlite3.connect(path) as db:
                rows = db.execute("SELECT vector FROM vectors WHERE model = ?", (E5_SMALL,))
                self.centres = np.stack([np.frombuffer(r[0], "<f4") for r in rows])

    def __call__(self, n: int) -> np.ndarray:
        if self.centres is None:
            v = self.rng.standard_normal((n, DIM)).astype("f4")
        else:
            picks = self.centres[self.rng.integers(0, len(self.centres), n)]
            v = (picks + self.rng.normal(0, 0.02, (n, DIM))).astype("f4")
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def grow(store, cid: int, draw: Draw, start: int, stop: int) -> None:
    """Chunks ``start``..``stop`` (documents of 1000) with their vectors, as Clos writes them."""
    for first in range(start, stop, 1000):
        texts = [f"passage {i}" for i in range(first, min(first + 1000, stop))]
        doc = Document(path=f"/d{first}.txt", title="T", format="txt",
                       sections=[Section(t) for t in texts], content_hash=str(first))
        chunks = [Chunk(text=t, ordinal=i, page=1, heading_path=(), tokens=2)
                  for i, t in enumerate(texts)]
        store.replace_document(cid, doc, chunks, [(" ".join(analyze(t)), "t") for t in texts],
                               size=10)
        store.add_vectors(E5_SMALL, zip([c.id for c in chunks], map(to_blob, draw(len(chunks)))))


def timed(fn, queries) -> tuple[list, list[float]]:
    for q in queries[:WARM]:
        fn(q)
    out, times = [], []
    for q in queries:
        t = time.perf_counter()
        out.append(fn(q))
        times.append((time.perf_counter() - t) * 1000)
    return out, times


def measure(store, cid: int, queries) -> dict:
    index = VectorIndex(store, E5_SMALL)
    index.get(cid)  # the read, once per store change: not per query

    def numpy_top(q):
        ids, matrix = index.get(cid)
        sims = matrix @ q
        top = np.argpartition(-sims, POOL - 1)[:POOL]
        top = top[np.argsort(-sims[top], kind="stable")]
        return list(zip(ids[top].tolist(), sims[top].tolist()))

    saved = pg_vectors.HNSW_MIN_VECTORS
    pg_vectors.HNSW_MIN_VECTORS = 10**12
    try:
        exact, t_exact = timed(lambda q: store.nearest(cid, E5_SMALL, q, POOL), queries)
    finally:
        pg_vectors.HNSW_MIN_VECTORS = 0
    try:
        hnsw, t_hnsw = timed(lambda q: store.nearest(cid, E5_SMALL, q, POOL), queries)
    finally:
        pg_vectors.HNSW_MIN_VECTORS = saved
    ref, t_numpy = timed(numpy_top, queries)
    same = sum([c for c, _ in a] == [c for c, _ in b] for a, b in zip(ref, exact)) / len(ref)
    gap = max(abs(x[1] - y[1]) for a, b in zip(ref, exact) for x, y in zip(a, b))

    def recall(k):
        return float(np.mean([len({c for c, _ in a[:k]} & {c for c, _ in b[:k]}) / k
                              for a, b in zip(exact, hnsw)]))

    p = {name: {"p50_ms": round(percentile(t, 0.5), 2), "p95_ms": round(percentile(t, 0.95), 2)}
         for name, t in (("numpy", t_numpy), ("pg_exact", t_exact), ("pg_hnsw", t_hnsw))}
    return {**p, "ratio_to_numpy": {
                name: {k: round(p[name][k] / p["numpy"][k], 2) for k in ("p50_ms", "p95_ms")}
                for name in ("pg_exact", "pg_hnsw")},
            "exact_same_top100_as_numpy": same, "exact_max_cosine_gap": gap,
            "hnsw_recall@10": round(recall(10), 4), "hnsw_recall@100": round(recall(POOL), 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,20000,50000,100000")
    parser.add_argument("--vectors", choices=("e5", "random"), default="e5")
    parser.add_argument("--out", default="bench_pgvector")  # bench/results/<out>.json
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    draw = Draw(args.vectors)
    queries = list(Draw(args.vectors, seed=1)(QUERIES))
    results, rows = {}, []
    with scratch_schema(PG_URL, "clos_bench") as url:
        store = store_at(url)
        if not store.uses_pgvector():
            sys.exit("pgvector absent : lancez scripts/install_pgvector.sh")
        cid, have, build = store.collection_id("big"), 0, {}
        for size in sizes:
            t = time.perf_counter()
            grow(store, cid, draw, have, size)
            have = size
            t_index = time.perf_counter()
            store.index_vectors(E5_SMALL, minimum=0)  # forced from the first size
            build[size] = {"write_s": round(t_index - t, 1),
                           "hnsw_build_s": round(time.perf_counter() - t_index, 1)}
            m = results[str(size)] = {**measure(store, cid, queries), **build[size]}
            rows.append([size, m["numpy"]["p50_ms"], m["pg_exact"]["p50_ms"],
                         m["pg_hnsw"]["p50_ms"], m["numpy"]["p95_ms"], m["pg_exact"]["p95_ms"],
                         m["pg_hnsw"]["p95_ms"], m["exact_same_top100_as_numpy"],
                         m["hnsw_recall@100"]])
            print(table(f"Recherche dense, top {POOL} ({args.vectors})",
                        ["chunks", "numpy p50", "exact p50", "hnsw p50", "numpy p95",
                         "exact p95", "hnsw p95", "exact = numpy", "rappel hnsw@100"], rows),
                  flush=True)
            write(args.out, {"vectors": args.vectors, "dimension": DIM, "queries": QUERIES,
                             "pool": POOL, "ef_search": pg_vectors.HNSW_EF_SEARCH,
                             "hnsw_options": pg_vectors.HNSW_OPTIONS, "sizes": results})
        store.close()


if __name__ == "__main__":
    main()
