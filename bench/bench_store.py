"""Retrieval latency on SQLite and PostgreSQL over the same ~100k-chunk index (ratio PG/SQLite).

The index is bench_eval's latency index: the shared corpus (Markdown and text) and the contexts
of both development sets, replicated until the target size. Each piece is chunked and analysed
once, then inserted copy after copy into SQLite; PostgreSQL gets the very same rows through
``clos migrate-store`` (clos.store.copy), so both stores hold identical chunks with identical
ids. Measured on 200 questions of the two development sets (10 warm-up queries first):

- ``store.search``: the store's BM25 query alone (top 40), the part a backend changes;
- ``lexical``: the pipeline's lexical retrieval (BM25, coverage re-scoring, diversity), as
  ``clos ask`` runs it without the embedder;
- the top-10 agreement: the share of questions whose 10 best chunks are the same, in order.

Retrieval quality on both stores (``retrieval_quality``): an evaluation set indexed by the real
pipeline with the built-in e5 vectors in each store (vectors from the embeddings cache,
``cache_dir/embeddings.sqlite3``, after the first run), then R@1/R@5/R@10/MRR@10 of the lexical
retriever and of the hybrid one on the same index. PIAF (body only, 300 questions; 100 with
``--quick``) and kb532 (body only, 105 questions; not with ``--quick``).

PostgreSQL runs on the same machine (127.0.0.1:5432), in a scratch schema dropped after.

    python bench/bench_store.py --quick      # ~10k chunks + PIAF 100 questions, a few minutes
    python bench/bench_store.py              # ~100k chunks + both sets
    python bench/bench_store.py --only quality   # one section; the file keeps the other's figures

``--quick`` writes ``bench_store_quick.json``, so the 100k figures stay in ``bench_store.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench_eval import DEV_SETS, corpus_documents, latency_questions
from common import RESULTS, SHARED, percentile, table, write

from clos.eval import load
from clos.eval.metrics import retrieval_summary
from clos.eval.retrieval import COLLECTION, evaluate_questions
from clos.eval.runner import index_set, temporary_clos
from clos.ingest.chunking import chunk_document
from clos.retrieve.analyzer import analyze
from clos.retrieve.dense import HybridRetriever
from clos.retrieve.embedders import E5_SMALL
from clos.retrieve.lexical import LexicalRetriever, match_expression
from clos.settings import Settings
from clos.store import store_at
from clos.store.copy import copy_store
from clos.store.postgres import scratch_schema
from clos.types import Document, Section

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def analysed_pieces(settings: Settings) -> list[tuple[Document, list, list]]:
    """(document, chunks, analysed terms) of every piece, as Clos.index_document makes them."""
    pieces = corpus_documents()
    for path in DEV_SETS.values():
        pieces += load(SHARED / path, body_only=True).documents
    out = []
    for piece in pieces:
        doc = Document(path=piece.id, title=piece.title, format="txt",
                       sections=[Section(piece.text)], content_hash=piece.id)
        chunks = chunk_document(doc, settings.chunk_tokens, settings.chunk_max_tokens)
        title = " ".join(analyze(doc.title))
        terms = [(" ".join(analyze(c.text)),
                  f"{title} {' '.join(analyze(' '.join(c.heading_path)))}".strip())
                 for c in chunks]
        out.append((doc, chunks, terms))
    return out


def build_sqlite(path: Path, pieces: list, target: int) -> tuple[object, float]:
    store = store_at(path)
    cid, copy, total, start = store.collection_id("big"), 0, 0, time.perf_counter()
    while total < target:
        for i, (doc, chunks, terms) in enumerate(pieces):
            doc.path = f"{i}/{doc.content_hash}#{copy}"  # set ids may repeat across sets
            store.replace_document(cid, doc, chunks, terms, size=0)
            total += len(chunks)
            if total >= target:
                break
        copy += 1
        print(f"  sqlite: {total} chunks, {time.perf_counter() - start:.0f} s",
              file=sys.stderr, flush=True)
    return store, time.perf_counter() - start


def measure(store, settings: Settings, questions: list) -> dict:
    cid = store.collection_id("big", create=False)
    lexical = LexicalRetriever(store, candidates=settings.candidates,
                               max_per_doc=settings.max_chunks_per_doc)
    for q in questions[:10]:
        lexical.search(cid, q.question, settings.candidates)
    raw, full, tops = [], [], []
    for q in questions:
        terms = list(dict.fromkeys(analyze(q.question)))
        start = time.perf_counter()
        hits = store.search(cid, match_expression(terms), settings.candidates) if terms else []
        raw.append(time.perf_counter() - start)
        start = time.perf_counter()
        lexical.search(cid, q.question, settings.candidates)
        full.append(time.perf_counter() - start)
        tops.append([h.chunk_id for h in hits[:10]])
    ms = lambda v, p: round(percentile(v, p) * 1000, 1)  # noqa: E731
    return {"search_p50_ms": ms(raw, 0.5), "search_p95_ms": ms(raw, 0.95),
            "lexical_p50_ms": ms(full, 0.5), "lexical_p95_ms": ms(full, 0.95), "tops": tops}


def quality(settings: Settings, path: str, limit: int | None) -> dict:
    """Lexical and hybrid retrieval figures of one evaluation set on each store (own index)."""
    evalset = load(SHARED / path, body_only=True)
    questions = evalset.sample(limit, seed=42)
    out = {}
    for name, store in (("sqlite", ""), ("postgresql", PG_URL)):
        # A temporary data folder, or a scratch schema dropped after (temporary_clos).
        dense = settings.replace(embedder=E5_SMALL, embedding_cache=True, store=store)
        with temporary_clos(dense) as clos:
            start = time.perf_counter()
            mapping = index_set(clos, evalset, COLLECTION)
            index_s = time.perf_counter() - start
            hybrid = clos.retriever
            assert isinstance(hybrid, HybridRetriever)
            figures = {"chunks": clos.store.chunk_count(), "questions": len(questions),
                       "index_s": round(index_s, 1)}
            for mode, retriever in (("lexical", hybrid.lexical), ("hybrid", hybrid)):
                clos.retriever = retriever  # the same index, ranked by one retriever or the other
                ranks, latencies = evaluate_questions(clos, questions, mapping, k=10)
                summary = retrieval_summary(ranks, latencies)
                figures[mode] = {k: round(v, 4) for k, v in summary.items() if k != "questions"}
            clos.retriever = hybrid
            out[name] = figures
        print(f"  {evalset.name} {name}: {figures}", file=sys.stderr, flush=True)
    return out


def quality_section(settings: Settings, quick: bool) -> dict:
    sets = {"PIAF v1.0": ("eval/piaf-v1.0.json", 100 if quick else 300)}
    if not quick:
        sets["service-public kb532"] = ("eval/service-public/spf_qr_test_kb532.json", None)
    results = {name: quality(settings, path, limit) for name, (path, limit) in sets.items()}
    rows = []
    for name, stores in results.items():
        for mode in ("lexical", "hybrid"):
            a, b = stores["sqlite"][mode], stores["postgresql"][mode]
            rows.append([name, mode, stores["sqlite"]["questions"], a["R@1"], b["R@1"], a["R@5"],
                         b["R@5"], a["MRR@10"], b["MRR@10"], a["p50_ms"], b["p50_ms"]])
    table("Retrieval quality on both stores (same index, same questions)",
          ["set", "retriever", "questions", "SQLite R@1", "PG R@1", "SQLite R@5", "PG R@5",
           "SQLite MRR@10", "PG MRR@10", "SQLite p50 ms", "PG p50 ms"], rows)
    same = all(abs(s["sqlite"][m][k] - s["postgresql"][m][k]) < 5e-4
               for s in results.values() for m in ("lexical", "hybrid")
               for k in ("R@1", "R@5", "R@10", "MRR@10"))
    return {"protocol": "body-only contexts indexed by the pipeline with multilingual-e5-small"
                        " vectors in each store; lexical = the BM25 retriever alone, hybrid ="
                        " BM25 + dense fusion (defaults); questions sampled with seed 42",
            "sets": results, "same_figures_to_3_decimals": same}


def latency_section(args: argparse.Namespace) -> dict:
    target = args.chunks or (10_000 if args.quick else 100_000)
    settings = Settings.load().replace(embedder="off")
    questions = latency_questions()
    pieces = analysed_pieces(settings)
    with tempfile.TemporaryDirectory(prefix="clos-bench-store-") as folder, \
            scratch_schema(PG_URL, prefix="clos_bench") as url:
        lite, build_s = build_sqlite(Path(folder) / "clos.sqlite3", pieces, target)
        pg = store_at(url)
        start = time.perf_counter()
        report = copy_store(lite, pg, batch=5000)
        copy_s = time.perf_counter() - start
        chunks = lite.chunk_count()
        results = {"sqlite": measure(lite, settings, questions),
                   "postgresql": measure(pg, settings, questions)}
        pg_has_vector = pg.has_pgvector()
        lite.close()
        pg.close()
    same = sum(a == b for a, b in zip(results["sqlite"].pop("tops"),
                                      results["postgresql"].pop("tops"))) / len(questions)
    a, b = results["sqlite"], results["postgresql"]
    rows = [[name, a[f"{name}_p50_ms"], b[f"{name}_p50_ms"],
             round(b[f"{name}_p50_ms"] / a[f"{name}_p50_ms"], 2), a[f"{name}_p95_ms"],
             b[f"{name}_p95_ms"], round(b[f"{name}_p95_ms"] / a[f"{name}_p95_ms"], 2)]
            for name in ("search", "lexical")]
    table(f"Retrieval latency, SQLite vs PostgreSQL, {chunks} chunks, {len(questions)} questions"
          f" (same top 10 on {same:.1%} of them)",
          ["query", "SQLite p50 ms", "PG p50 ms", "ratio p50", "SQLite p95 ms", "PG p95 ms",
           "ratio p95"], rows)
    copied = sum(r.copied for r in report)
    table("Index copy SQLite → PostgreSQL (clos migrate-store)",
          ["rows copied", "seconds", "rows/s", "tables identical"],
          [[copied, round(copy_s, 1), round(copied / copy_s), all(r.same for r in report)]])
    return {"chunks": chunks, "questions": len(questions), "build_sqlite_s": round(build_s, 1),
            "copy_to_pg_s": round(copy_s, 1), "rows_copied": copied, "same_top10": same,
            "latency": results,
            "ratio_pg_sqlite": {r[0]: {"p50": r[3], "p95": r[6]} for r in rows},
            "pgvector_available": pg_has_vector}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="~10k chunks instead of ~100k, PIAF 100 questions only")
    parser.add_argument("--chunks", type=int, default=None)
    parser.add_argument("--only", choices=("latency", "quality"), default=None,
                        help="run one section; the results file keeps the other's figures")
    args = parser.parse_args()
    name = "bench_store_quick" if args.quick else "bench_store"
    previous = RESULTS / f"{name}.json"
    data = json.loads(previous.read_text()) if args.only and previous.exists() else {}
    data.pop("machine", None)
    if args.only != "quality":
        data.update(latency_section(args))
    if args.only != "latency":
        data["retrieval_quality"] = quality_section(Settings.load(), args.quick)
    write(name, data)


if __name__ == "__main__":
    main()
