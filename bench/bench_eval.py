"""Answer quality, measured: retrieval before/after and ablations on the two French development
sets, retrieval latency on a ~100k-chunk index, and end-to-end answers with the default model.

    python bench/bench_eval.py                  # everything (answers: 100 PIAF questions, ~1 h)
    python bench/bench_eval.py --quick          # smaller index and sample
    python bench/bench_eval.py --sample 20 --skip-latency

Writes bench/results/eval_retrieval.json and bench/results/eval_answers.json.
Protocol: each context is one document, indexed without its title (--body-only), so a question
cannot find its document by the title it was written from; ranks are per document.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, SHARED, table, write

from clos.eval import load, run_answers
from clos.eval.datasets import EvalDocument, EvalSet
from clos.eval.metrics import retrieval_summary
from clos.eval.report import ANSWER_COLUMNS
from clos.eval.retrieval import evaluate_questions
from clos.eval.runner import index_set, temporary_clos
from clos.retrieve import (
    LexicalRetriever,
    analyzer,
)
from clos.retrieve.dense import HybridRetriever
from clos.settings import Settings

DEV_SETS = {
    "service-public kb532": "eval/service-public/spf_qr_test_kb532.json",
    "PIAF v1.0": "eval/piaf-v1.0.json",
}
GOAL = {"service-public kb532": "R@1", "PIAF v1.0": "R@5"}

# The analyzer as it was before this work: elisions only, the shorter stop list.
_LEGACY_STOP = analyzer.STOP_WORDS - set(
    "pourquoi elles celui celle celles ceux si donc ainsi alors puis afin lorsque".split())
_LEGACY_TOKEN = re.compile(r"\d+(?:[.,\-/]\d+)*|[^\W\d_]+", re.UNICODE)


@contextlib.contextmanager
def legacy_analyzer():
    saved = analyzer._normalise, analyzer._TOKEN, analyzer.STOP_WORDS
    analyzer._normalise = lambda text: analyzer._ELISION.sub(" ", text.lower())
    analyzer._TOKEN, analyzer.STOP_WORDS = _LEGACY_TOKEN, _LEGACY_STOP
    try:
        yield
    finally:
        analyzer._normalise, analyzer._TOKEN, analyzer.STOP_WORDS = saved


BASE = {"coverage_weight": 0.0}
FINAL_LEXICAL = "lexical final: analyzer + coverage"
FINAL = "final: lexical final + e5 dense, linear fusion (weight 1)"
# (label, analyzer, chunking (target, max) or None, lexical options, hybrid options or None)
ABLATIONS = [
    ("baseline: BM25 (FTS5 1.2/0.75), Snowball, elisions", "legacy", None, BASE, None),
    ("+ analyzer: acronyms, digit groups, L.2121-29, stop words", "new", None, BASE, None),
    ("+ coverage re-scoring (0.5)", "legacy", None, {}, None),
    ("+ BM25 k1=0.9 b=0.4 (Python re-score of 100)", "legacy", None,
     {**BASE, "pool": 100, "k1": 0.9, "b": 0.4}, None),
    ("+ pseudo-relevance feedback (10 terms, 1 doc)", "legacy", None,
     {**BASE, "prf_terms": 10, "prf_docs": 1}, None),
    ("+ term proximity (NEAR 3, 0.3)", "legacy", None, {**BASE, "proximity_weight": 0.3}, None),
    ("+ document context (0.1 of sibling chunks)", "legacy", None,
     {**BASE, "pool": 100, "doc_weight": 0.1}, None),
    ("chunks of 200 tokens (max 260)", "legacy", (200, 260), BASE, None),
    ("chunks of 800 tokens (max 1000)", "legacy", (800, 1000), BASE, None),
    (FINAL_LEXICAL, "new", None, {}, None),
    ("final + BM25 k1=0.9 b=0.4", "new", None, {"pool": 100, "k1": 0.9, "b": 0.4}, None),
    ("final + pseudo-relevance feedback", "new", None, {"prf_terms": 10, "prf_docs": 1}, None),
    ("final, matching only terms in ≤ 10 % of chunks (max_df 0.1)", "new", None,
     {"max_df": 0.1}, None),
    ("e5 dense alone", "new", None, {}, {"dense_weight": 1000.0}),
    ("lexical final + e5, RRF (k 60, weight 1)", "new", None, {}, {"fusion": "rrf"}),
    ("lexical final + e5, RRF (k 60, weight 2)", "new", None, {},
     {"fusion": "rrf", "dense_weight": 2.0}),
    ("lexical final + e5, linear (weight 0.5)", "new", None, {}, {"dense_weight": 0.5}),
    (FINAL, "new", None, {}, {"dense_weight": 1.0}),
    ("lexical final + e5, linear (weight 1), lexical pool 100", "new", None, {},
     {"dense_weight": 1.0, "lexical_pool": 100}),
    ("lexical final + e5, linear (weight 1), max_df 0.1", "new", None, {"max_df": 0.1},
     {"dense_weight": 1.0}),
    ("lexical final + e5, linear (weight 1.5)", "new", None, {}, {"dense_weight": 1.5}),
    ("lexical final + e5, linear (weight 2)", "new", None, {}, {"dense_weight": 2.0}),
]


def measure(evalset: EvalSet, settings: Settings, variants: list[tuple], k: int = 10) -> dict:
    """{label: metrics} for each variant; one index per (analyzer, chunking, vectors or not)."""

    results: dict[str, dict] = {}
    groups: dict[tuple, list] = {}
    for label, an, chunking, options, hybrid in variants:
        groups.setdefault((an, chunking, hybrid is not None), []).append((label, options, hybrid))
    for (an, chunking, vectors), members in groups.items():
        # Only the group that fuses needs vectors: embedding costs ~0.25 s per chunk here.
        s = settings if vectors else settings.replace(embedder="off")
        if chunking is not None:
            s = s.replace(chunk_tokens=chunking[0], chunk_max_tokens=chunking[1])
        with (legacy_analyzer() if an == "legacy" else contextlib.nullcontext(),
              temporary_clos(s) as clos):
            start = time.perf_counter()
            mapping = index_set(clos, evalset, "eval")
            print(f"  {evalset.name:<20} indexed in {time.perf_counter() - start:.0f} s"
                  f"{' with vectors' if vectors else ''}", file=sys.stderr, flush=True)
            for label, options, hybrid in members:
                lexical = LexicalRetriever(
                    clos.store, candidates=s.candidates, max_per_doc=s.max_chunks_per_doc,
                    **options)
                clos.retriever = lexical if hybrid is None else HybridRetriever(
                    lexical, clos.embedder, pool=s.dense_pool, **hybrid)
                ranks, lat = evaluate_questions(clos, evalset.questions, mapping, k=k)
                results[label] = retrieval_summary(ranks, lat)
                print(f"  {evalset.name:<20} {label:<60} "
                      f"R@1 {results[label]['R@1']:.3f} R@5 {results[label]['R@5']:.3f} "
                      f"MRR {results[label]['MRR@10']:.3f}", file=sys.stderr, flush=True)
    return results


def retrieval_tables(settings: Settings) -> dict:
    sets = {name: load(SHARED / path, body_only=True) for name, path in DEV_SETS.items()}
    by_set = {name: measure(es, settings, ABLATIONS) for name, es in sets.items()}
    base, final = ABLATIONS[0][0], FINAL

    rows = []
    for which, label in (("before", base), ("after", final)):
        for name in DEV_SETS:
            m = by_set[name][label]
            rows.append([f"{name} ({which})", m["R@1"], m["R@5"], m["R@10"], m["MRR@10"],
                         m["nDCG@10"], m["p50_ms"], m["p95_ms"]])
    table("Retrieval, body only (before → after)",
          ["set", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "p50 ms", "p95 ms"], rows)

    ab_rows = []
    for label, *_ in ABLATIONS:
        kb, piaf = (by_set[n][label] for n in DEV_SETS)
        reference = base if label.startswith(("+", "chunks", "lexical final:")) else FINAL_LEXICAL
        ref = [by_set[n][reference] for n in DEV_SETS]
        both = all(m["MRR@10"] > r["MRR@10"] and m[GOAL[n]] >= r[GOAL[n]]
                   for m, r, n in zip((kb, piaf), ref, DEV_SETS))
        verdict = "—" if label == base else ("improves both" if both else "no")
        ab_rows.append([label, kb["R@1"], kb["R@5"], kb["MRR@10"], piaf["R@1"], piaf["R@5"],
                        piaf["MRR@10"], max(kb["p95_ms"], piaf["p95_ms"]), verdict])
    table("Ablation (kb532 body-only | PIAF v1.0 body-only; « + », chunk and « lexical final » "
          "lines against the baseline, the others against the lexical final)",
          ["technique", "kb R@1", "kb R@5", "kb MRR", "PIAF R@1", "PIAF R@5", "PIAF MRR",
           "p95 ms", "verdict"], ab_rows)
    return {"protocol": "body-only, one document per context, ranks per document",
            "sets": {n: str(SHARED / p) for n, p in DEV_SETS.items()},
            "results": by_set, "baseline": base, "final": final}


# ------------------------------------------------------------------------------- latency
def corpus_documents(limit_chars: int | None = None) -> list[EvalDocument]:
    """Every text of the shared corpus read as plain text (Markdown and .txt), one per file."""
    docs, total = [], 0
    for folder in ("service-public-fiches", "cgct", "guides-etalab", "cnil-guide-rgpd-developpeur",
                   "rgaa"):
        for path in sorted((SHARED / "corpus" / folder).rglob("*")):
            if path.suffix.lower() not in (".md", ".txt") or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            docs.append(EvalDocument(f"{folder}/{path.name}", path.stem, text))
            total += len(text)
            if limit_chars and total >= limit_chars:
                return docs
    return docs


class SequentialHybrid(HybridRetriever):
    """The hybrid search as first written: embed the query, then search (the baseline line)."""

    def search(self, collection_id, query, k):
        self.query_vector(query)
        return super().search(collection_id, query, k)


# label → (lexical options, store prefetch, hybrid: None or (retriever class, lexical pool,
# e5 threads)). prefetch=0 is the store's former query, which joined every match before sorting.
LATENCY_LINES = {
    "before: BM25, join then rank": (BASE, 0, None),
    "lexical final: rank then join, coverage": ({}, 4, None),
    "lexical final, matching only terms in ≤ 10 % of chunks (max_df 0.1)": ({"max_df": 0.1}, 4, None),
    "hybrid, session 2: lexical pool 100, query embedded before the search, e5 on 2 threads":
        ({}, 4, (SequentialHybrid, 100, 2)),
    "hybrid, session 3: lexical pool 40, query embedded during the search, e5 on 2 threads":
        ({}, 4, (HybridRetriever, None, 2)),
    "final: hybrid, e5 on 1 thread": ({}, 4, (HybridRetriever, None, 1)),
}
# Measured again in a child process with OpenBLAS as numpy ships it (its threads spin ≈ 0.1 s
# after each product): `import clos` changes that only before numpy loads, so not in this process.
SPINNING = ["lexical final: rank then join, coverage",
            "hybrid, session 2: lexical pool 100, query embedded before the search, e5 on 2 threads",
            "hybrid, session 3: lexical pool 40, query embedded during the search, e5 on 2 threads",
            "final: hybrid, e5 on 1 thread"]


def latency_questions() -> list:
    return [q for path in DEV_SETS.values()
            for q in load(SHARED / path, body_only=True).sample(100, seed=1)]


def latency_lines(clos, settings: Settings, labels: list[str]) -> dict:
    """p50/p95 of each line's search over the « big » collection of ``clos``, one line after
    the other with one retriever alive at a time, as in use. (Taking turns question by question
    hid the OpenBLAS effect: with three vector matrices alive, every line paid about the same.)"""
    from clos.retrieve.embedders import E5SmallEmbedder

    questions, out, search = latency_questions(), {}, clos.store.search
    for label in labels:
        options, prefetch, hybrid = LATENCY_LINES[label]
        clos.store.search = functools.partial(search, prefetch=prefetch)
        lexical = LexicalRetriever(clos.store, candidates=settings.candidates,
                                   max_per_doc=settings.max_chunks_per_doc, **options)
        load_s, clos.retriever = time.perf_counter(), lexical
        if hybrid:
            kind, pool, threads = hybrid
            clos.retriever = kind(lexical, E5SmallEmbedder(n_threads=threads), lexical_pool=pool)
            clos.retriever.index.get(clos.store.collection_id("big"))
        load_s = time.perf_counter() - load_s
        for q in questions[:10]:  # warm the page cache
            clos.retrieve(q.question, collection="big")
        _, lat = evaluate_questions(clos, questions, {}, k=10, collection="big")
        m = retrieval_summary([None] * len(lat), lat)
        out[label] = {"p50_ms": m["p50_ms"], "p95_ms": m["p95_ms"], "queries": len(lat)}
        if hybrid:
            out[label]["vectors_load_s"] = round(load_s, 2)
            clos.retriever.close()
            clos.retriever.embedder.close()
    clos.store.search = search
    return out


def latency(settings: Settings, target_chunks: int) -> dict:
    """Index the corpus, the PIAF and kb532 contexts, replicated until ``target_chunks``.

    The hybrid lines need a vector per chunk: embedding 100k chunks takes hours on this CPU, so
    they get random unit vectors. The cost measured (query embedding, one exact matrix product,
    fusion, fetching dense-only hits) does not depend on the values."""
    import subprocess

    import numpy as np

    from clos.retrieve.dense import to_blob
    from clos.retrieve.embedders import E5_SMALL

    pieces = corpus_documents()
    for path in DEV_SETS.values():
        pieces += load(SHARED / path, body_only=True).documents
    with temporary_clos(settings.replace(embedder="off")) as clos:
        start, copy = time.perf_counter(), 0
        while clos.store.chunk_count() < target_chunks:
            batch = EvalSet(f"copy{copy}", "squad",
                            [EvalDocument(f"{d.id}#{copy}", d.title, d.text) for d in pieces], [])
            index_set(clos, batch, "big")
            copy += 1
            print(f"  index: {clos.store.chunk_count()} chunks, {time.perf_counter() - start:.0f} s",
                  file=sys.stderr, flush=True)
        index_s = time.perf_counter() - start
        chunks = clos.store.chunk_count()
        rng = np.random.default_rng(0)
        big = clos.store.collection_id("big")
        while pending := clos.store.pending_vectors(big, E5_SMALL, 5000):
            ids = [cid for cid, _ in pending]
            vec = rng.standard_normal((len(ids), 384)).astype("float32")
            vec /= np.linalg.norm(vec, axis=1, keepdims=True)
            clos.store.add_vectors(E5_SMALL, zip(ids, map(to_blob, vec)))
        out = latency_lines(clos, settings, list(LATENCY_LINES))
        env = {**os.environ, "OPENBLAS_THREAD_TIMEOUT": "28"}  # OpenBLAS's own default
        child = subprocess.run(
            [sys.executable, __file__, "--latency-child", str(clos.settings.data_dir)],
            env=env, capture_output=True, text=True, check=True)
        spinning = json.loads(child.stdout.strip().splitlines()[-1])
    rows = [[k, "this one", v["p50_ms"], v["p95_ms"]] for k, v in out.items()]
    rows += [[k, "child, OpenBLAS default", v["p50_ms"], v["p95_ms"]] for k, v in spinning.items()]
    questions = next(iter(out.values()))["queries"]
    table(f"Retrieval latency on {chunks} chunks ({questions} questions)",
          ["retriever", "process", "p50 ms", "p95 ms"], rows)
    return {"chunks": chunks, "index_s": round(index_s, 1), "latency": out,
            "latency_openblas_default": spinning}


def latency_child(settings: Settings, folder: str) -> None:
    """The SPINNING lines over an index built by ``latency``, printed as JSON."""
    with temporary_clos(settings.replace(embedder="off"), data_dir=Path(folder)) as clos:
        print(json.dumps(latency_lines(clos, settings, SPINNING)))


# ------------------------------------------------------------------------------- answers
def answers(settings: Settings, sample: int, model: str | None, seed: int) -> dict:
    evalset = load(SHARED / DEV_SETS["PIAF v1.0"])
    result = run_answers(evalset, settings, sample=sample, model=model, seed=seed,
                         progress=lambda i, n: print(f"  answers {i}/{n}", file=sys.stderr,
                                                     flush=True))
    m = result.metrics
    table(f"Answers, PIAF v1.0, {result.sample} questions (seed {seed}), model {result.model}",
          ["metric", "value"], [[c, m[c]] for c in ANSWER_COLUMNS + ("ttft_p95_s",)])
    return result.to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k-chunk index, 10 answers")
    parser.add_argument("--sample", type=int, default=None, help="PIAF questions answered")
    parser.add_argument("--model", default=None, help="answer model (default: settings)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunks", type=int, default=None, help="latency index size")
    parser.add_argument("--skip-retrieval", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-answers", action="store_true")
    parser.add_argument("--latency-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.latency_child:
        latency_child(Settings.load(), args.latency_child)
        return
    if not (SHARED / "eval").is_dir():
        print(f"Dossier partagé absent ({SHARED}) : banc ignoré.")
        return
    settings = Settings.load()
    retrieval: dict = {}
    if not args.skip_retrieval:
        retrieval.update(retrieval_tables(settings))
    if not args.skip_latency:
        retrieval["latency"] = latency(settings, args.chunks or (20_000 if args.quick else 100_000))
    if retrieval:
        # A partial run (--skip-…) keeps the other sections of the previous results.
        previous = RESULTS / "eval_retrieval.json"
        if previous.exists():
            kept = {k: v for k, v in json.loads(previous.read_text()).items() if k != "machine"}
            retrieval = {**kept, **retrieval}
        write("eval_retrieval", retrieval)
    if not args.skip_answers:
        sample = args.sample or (10 if args.quick else 100)
        write("eval_answers", answers(settings, sample, args.model, args.seed))
    print(f"\nRésultats dans {RESULTS}")


if __name__ == "__main__":
    main()
