"""Techniques measured beside the defaults (issue 3), so the closing note's figures can be rerun.

Not kept:

- dense vectors post-processed with statistics learned on the collection itself (centring on
  the corpus mean, removing its top principal directions, soft whitening);
- LLM query rewriting: the default model writes keywords and synonyms for the question, which
  are added to the lexical query, the dense one or both (costed in seconds per question);
- the answer model's own refusal probability (probability that the first answer token starts
  the refusal sentence, free to read during generation) as one more refusal gate.

Kept as an option (``dense_windows``, off by default for its ingestion cost): sentence windows,
each chunk also embedded as windows of about 40 words and scored by the best of its windows and
itself (max-sim); retrieval on both sets, then end-to-end answers with it.

    python bench/bench_tried.py            # ≈ 50 min here (vector cache warm)
    python bench/bench_tried.py --quick    # smaller samples
    python bench/bench_tried.py --only windows windows_answers

Writes bench/results/tried.json. Same protocol as bench_eval.py (contexts indexed body-only,
ranks per document; unanswerable = the same question against the collection without its context).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_eval import DEV_SETS
from common import RESULTS, SHARED, table, write

from clos.answer.prompts import REFUSAL
from clos.eval import load, run_answers
from clos.eval.answers import FULL, HOLDOUT, strip_markers
from clos.eval.metrics import contains, retrieval_summary
from clos.eval.report import ANSWER_COLUMNS
from clos.eval.retrieval import evaluate_questions
from clos.eval.runner import index_set, temporary_clos
from clos.llm import load_llm
from clos.llm.protocol import Prompt
from clos.retrieve import LexicalRetriever
from clos.retrieve.dense import HybridRetriever, embed_pending
from clos.retrieve.embedders import E5SmallEmbedder, numpy
from clos.retrieve.windows import window_blobs, window_model
from clos.settings import Settings

METRICS = ["R@1", "R@5", "MRR@10"]
TIMES = ["p50_ms", "p95_ms"]


# ------------------------------------------------------------ corpus-adapted dense vectors
def adaptation(matrix, kind: str):
    """A function mapping vectors (rows) into the space learned on ``matrix``, L2-normalised."""
    np = numpy()
    mean = matrix.mean(axis=0)
    _, singular, vt = np.linalg.svd(matrix - mean, full_matrices=False)

    def norm(x):
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype("float32")

    if kind == "centre":
        return lambda x: norm(x - mean)
    if kind.startswith("abtt"):  # « all but the top »: drop the d dominant directions
        top = vt[: int(kind[4:])]
        return lambda x: norm((x - mean) - ((x - mean) @ top.T) @ top)
    if kind.startswith("whiten"):  # scale each principal coordinate by variance^-alpha
        alpha = float(kind[6:])
        scale = vt.T * ((singular ** 2) / len(matrix) + 1e-6) ** -alpha
        return lambda x: norm((x - mean) @ scale)
    raise ValueError(kind)


class AdaptedHybrid(HybridRetriever):
    """The default hybrid retriever with both sides of the dense product adapted to the corpus."""

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self._fit = kind, None
        raw_get = self.index.get

        def get(collection_id):
            ids, matrix = raw_get(collection_id)
            if len(ids) and (self._fit is None or self._fit[0] is not matrix):
                f = adaptation(matrix, kind)
                self._fit = (matrix, f, f(matrix))
            return ids, (self._fit[2] if len(ids) else matrix)

        self.index.get = get

    def search(self, collection_id, query, k):
        self.index.get(collection_id)  # learn before the query is embedded in the worker
        return super().search(collection_id, query, k)

    def query_vector(self, query):
        return self._fit[1](super().query_vector(query)[None, :])[0]


def adapted_dense(settings: Settings, kinds: list[str]) -> dict:
    out = {}
    for name, path in DEV_SETS.items():
        evalset = load(SHARED / path, body_only=True)
        out[name] = {}
        with temporary_clos(settings) as clos:
            mapping = index_set(clos, evalset, "eval")
            for kind in kinds:
                lexical = LexicalRetriever(clos.store, candidates=settings.candidates,
                                           max_per_doc=settings.max_chunks_per_doc)
                options = dict(pool=settings.dense_pool, dense_weight=settings.dense_weight)
                clos.retriever = (HybridRetriever(lexical, clos.embedder, **options)
                                  if kind == "none" else
                                  AdaptedHybrid(lexical, clos.embedder, kind=kind, **options))
                ranks, latencies = evaluate_questions(clos, evalset.questions, mapping, k=10)
                out[name][kind] = retrieval_summary(ranks, latencies)
                clos.retriever.close()
                progress(f"{name} dense {kind}", out[name][kind])
    return out


# ------------------------------------------------------------------- LLM query rewriting
REWRITE_SYSTEM = (
    "Tu aides un moteur de recherche documentaire en français. Pour la question donnée, écris "
    "une seule ligne de mots-clés séparés par des virgules : les termes importants de la "
    "question, leurs synonymes et les mots que contiendrait probablement la réponse. "
    "N'écris pas de phrase.")


REWRITES: dict[str, str] = {}  # question → the model's keywords, filled by rewriting()


class RewrittenLexical(LexicalRetriever):
    """Matches the question plus the model's keywords; relevance still uses the question."""

    def search(self, collection_id, query, k, **kwargs):
        return super().search(collection_id, f"{query} {REWRITES.get(query, '')}", k, **kwargs)


class RewrittenDense(HybridRetriever):
    def query_vector(self, query):
        return super().query_vector(f"{query} {REWRITES.get(query, '')}")


def rewriting(settings: Settings, sample: int) -> dict:
    llm = load_llm(settings, None)
    out = {}
    for name, path in DEV_SETS.items():
        evalset = load(SHARED / path, body_only=True)
        questions = evalset.sample(sample, seed=11)
        seconds = []
        for q in questions:
            gen = llm.generate(Prompt(system=REWRITE_SYSTEM, user=q.question), max_tokens=32,
                               temperature=0.0)
            REWRITES[q.question] = gen.text.split("\n")[0]
            seconds.append(gen.total_s)
        out[name] = {"questions": len(questions), "seconds_per_rewrite": sum(seconds) / len(seconds),
                     "examples": {q.question: REWRITES[q.question]
                                  for q in questions[:3]}}
        with temporary_clos(settings) as clos:
            mapping = index_set(clos, evalset, "eval")
            for line, lexical_cls, hybrid_cls in (
                    ("question", LexicalRetriever, HybridRetriever),
                    ("keywords in the lexical query", RewrittenLexical, HybridRetriever),
                    ("keywords in the dense query", LexicalRetriever, RewrittenDense),
                    ("keywords in both", RewrittenLexical, RewrittenDense)):
                lexical = lexical_cls(clos.store, candidates=settings.candidates,
                                      max_per_doc=settings.max_chunks_per_doc)
                clos.retriever = hybrid_cls(lexical, clos.embedder, pool=settings.dense_pool,
                                            dense_weight=settings.dense_weight)
                ranks, latencies = evaluate_questions(clos, questions, mapping, k=10)
                out[name][line] = retrieval_summary(ranks, latencies)
                clos.retriever.close()
                progress(f"{name} rewrite: {line}", out[name][line])
    return out


# ------------------------------------------------------------------------ sentence windows
class MaxSim:
    """Stands for the vector matrix: ``@ query`` gives each chunk the best cosine among its own
    vector and all its windows' vectors (every window scanned, unlike the retriever's option)."""

    def __init__(self, chunks, windows, rows) -> None:
        self.chunks, self.windows, self.rows = chunks, windows, rows

    def __matmul__(self, vector):
        np = numpy()
        sims = self.chunks @ vector
        if len(self.rows):
            np.maximum.at(sims, self.rows, self.windows @ vector)
        return sims


def embedding_cost(hits) -> dict:
    """Seconds to embed these chunks, then their windows, without the evaluation vector cache."""
    embedder = E5SmallEmbedder()
    embedder.embed_passages(["échauffement"])  # loading the model is not part of the cost
    start = time.perf_counter()
    embedder.embed_passages([h.text for h in hits])
    chunk_s = time.perf_counter() - start
    start = time.perf_counter()
    window_blobs(embedder, [(h.chunk_id, h.text) for h in hits])
    window_s = time.perf_counter() - start
    embedder.close()
    return {"sample_chunks": len(hits), "chunk_s": round(chunk_s, 1),
            "window_s": round(window_s, 1), "ingest_embedding_ratio":
            round((chunk_s + window_s) / chunk_s, 2)}


def windows(settings: Settings) -> dict:
    """Chunk vectors alone (the default), the retriever's ``windows`` option (windows read for the
    candidates only), and every window scanned (the exact max-sim the option approximates)."""
    np = numpy()
    out = {}
    for name, path in DEV_SETS.items():
        evalset = load(SHARED / path, body_only=True)
        with temporary_clos(settings.replace(dense_windows=False)) as clos:
            mapping = index_set(clos, evalset, "eval")
            cid = clos.store.collection_id("eval")
            lines = out[name] = {}

            def run(label, windows=False, scan=None):
                lexical = LexicalRetriever(clos.store, candidates=settings.candidates,
                                           max_per_doc=settings.max_chunks_per_doc)
                clos.retriever = HybridRetriever(
                    lexical, clos.embedder, pool=settings.dense_pool,
                    dense_weight=settings.dense_weight, windows=windows)
                if scan is not None:
                    clos.retriever.index.get(cid)  # fills the chunk id → row map
                    clos.retriever.index.get = lambda _cid: scan
                ranks, latencies = evaluate_questions(clos, evalset.questions, mapping, k=10)
                lines[label] = retrieval_summary(ranks, latencies)
                clos.retriever.close()
                progress(f"{name} {label}", lines[label])

            run("chunk vectors (default)")
            embed_pending(clos.store, clos.embedder, cid, windows=True)
            ids, matrix = clos.retriever.index.get(cid)
            blobs = clos.store.vectors_of(ids.tolist(), window_model(clos.embedder))
            rows = [(i, np.frombuffer(blobs[int(c)], dtype="<f4").reshape(-1, matrix.shape[1]))
                    for i, c in enumerate(ids) if blobs.get(int(c))]
            lines["vectors"] = {"chunks": len(ids), "windows": sum(len(w) for _, w in rows),
                                **embedding_cost(clos.store.hits(ids[:100].tolist()))}
            run("windows option: candidates re-scored", windows=True)
            scan = MaxSim(matrix, np.concatenate([w for _, w in rows]),
                          np.concatenate([np.full(len(w), i) for i, w in rows]))
            run("every window scanned", scan=(ids, scan))
    return out


def windows_answers(settings: Settings, sample: int) -> dict:
    """End-to-end answers with the windows option, on bench_eval.py's sample (seed 42): compare
    with its eval_answers.json (answers are deterministic, times are not)."""
    evalset = load(SHARED / DEV_SETS["PIAF v1.0"])
    result = run_answers(evalset, settings.replace(dense_windows=True), sample=sample, seed=42)
    return result.to_dict()


# --------------------------------------------------------- the model's refusal probability
def refusal_probability(settings: Settings, sample: int, seed: int,
                        thresholds=(0.005, 0.01, 0.02, 0.05, 0.1)) -> dict:
    """Ask each question against the full and the holdout collections through the real pipeline,
    reading the first-token distribution with a logits processor (it changes nothing)."""
    np = numpy()
    evalset = load(SHARED / DEV_SETS["PIAF v1.0"])
    questions = evalset.sample(sample, seed=seed, with_answers=True)
    removed = {q.doc_id for q in questions}
    llm = load_llm(settings, None)
    first_token = llm.llm.tokenize(REFUSAL.encode(), add_bos=False)[0]
    generate, seen = llm.llm.create_completion, []

    def create_completion(*args, **kwargs):
        def capture(_ids, scores):
            if not seen:
                z = np.asarray(scores, dtype="float64")
                p = np.exp(z - z.max())
                seen.append(float(p[first_token] / p.sum()))
            return scores
        kwargs["logits_processor"] = [capture]
        return generate(*args, **kwargs)

    llm.llm.create_completion = create_completion
    rows = {FULL: [], HOLDOUT: []}
    try:
        with temporary_clos(settings) as clos:
            index_set(clos, evalset, FULL)
            index_set(clos, evalset, HOLDOUT, [d for d in evalset.documents if d.id not in removed])
            for q in questions:
                for collection in (FULL, HOLDOUT):
                    seen.clear()
                    a = clos.ask(q.question, collection=collection, meter=False, log=False)
                    rows[collection].append({
                        "refused": a.refused, "p": seen[0] if seen else None,
                        "gold": not a.refused and contains(strip_markers(a.answer), q.answers)})
    finally:
        llm.llm.create_completion = generate

    def rates(gate) -> dict:
        full, hold = rows[FULL], rows[HOLDOUT]
        return {"refusal_answerable": sum(r["refused"] or gate(r) for r in full) / len(full),
                "refusal_unanswerable": sum(r["refused"] or gate(r) for r in hold) / len(hold),
                "contains_gold": sum(r["gold"] and not gate(r) for r in full) / len(full)}

    pos = [r["p"] for r in rows[HOLDOUT] if r["p"] is not None]
    neg = [r["p"] for r in rows[FULL] if r["p"] is not None]
    auc = (sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
           if pos and neg else float("nan"))
    out = {"questions": len(questions), "seed": seed, "auc_unanswerable": auc,
           "current gates": rates(lambda r: False)}
    for t in thresholds:
        out[f"+ refusal probability > {t}"] = rates(lambda r, t=t: r["p"] is not None and r["p"] > t)
    return out


def progress(label: str, metrics: dict) -> None:
    print(f"  {label:<60} " + " ".join(f"{m} {metrics[m]:.3f}" for m in METRICS),
          file=sys.stderr, flush=True)


PARTS = ("adapted_dense", "rewriting", "refusal_probability", "windows", "windows_answers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument("--only", nargs="*", choices=PARTS, help="run these parts only")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        print(f"Dossier partagé absent ({SHARED}) : banc ignoré.")
        return
    settings = Settings.load()
    parts = args.only or PARTS
    previous = RESULTS / "tried.json"
    # A partial run keeps the other parts of the previous results.
    results = ({k: v for k, v in json.loads(previous.read_text()).items()
                if k in PARTS and k not in parts} if args.only and previous.exists() else {})
    start = time.perf_counter()
    if "adapted_dense" in parts:
        results["adapted_dense"] = adapted_dense(
            settings, ["none", "centre"] if args.quick else
            ["none", "centre", "abtt1", "abtt3", "whiten0.25", "whiten0.5"])
    if "rewriting" in parts:
        results["rewriting"] = rewriting(settings, 20 if args.quick else 100)
    if "refusal_probability" in parts:
        results["refusal_probability"] = refusal_probability(
            settings, 10 if args.quick else 40, seed=7)
    if "windows" in parts:
        results["windows"] = windows(settings)
    if "windows_answers" in parts:
        results["windows_answers"] = windows_answers(settings, 10 if args.quick else 100)
    tables(results)
    results["seconds"] = round(time.perf_counter() - start)
    write("tried", results)


def tables(results: dict) -> None:
    for name, lines in results.get("adapted_dense", {}).items():
        table(f"Corpus-adapted dense vectors, hybrid retrieval, {name}", ["dense vectors"] + METRICS,
              [[kind] + [m[c] for c in METRICS] for kind, m in lines.items()])
    for name, lines in results.get("rewriting", {}).items():
        table(f"LLM query rewriting, {name}, {lines['questions']} questions (seed 11), "
              f"{lines['seconds_per_rewrite']:.2f} s per rewrite", ["query"] + METRICS,
              [[k] + [m[c] for c in METRICS] for k, m in lines.items()
               if isinstance(m, dict) and "R@1" in m])
    if "refusal_probability" in results:
        r = results["refusal_probability"]
        table(f"The model's refusal probability as a gate, PIAF v1.0, {r['questions']} questions "
              f"(seed {r['seed']}), AUC unanswerable vs answerable {r['auc_unanswerable']:.3f}",
              ["gates", "refusal answerable", "refusal unanswerable", "gold contained"],
              [[k, v["refusal_answerable"], v["refusal_unanswerable"], v["contains_gold"]]
               for k, v in r.items() if isinstance(v, dict)])
    for name, lines in results.get("windows", {}).items():
        v = lines["vectors"]
        table(f"Sentence windows, hybrid retrieval, {name}: {v['windows']} window vectors beside "
              f"{v['chunks']} chunk vectors; embedding {v['sample_chunks']} chunks took "
              f"{v['chunk_s']} s, their windows {v['window_s']} s more "
              f"(ingestion embedding × {v['ingest_embedding_ratio']})",
              ["dense side"] + METRICS + TIMES,
              [[k] + [m[c] for c in METRICS + TIMES] for k, m in lines.items() if "R@1" in m])
    if "windows_answers" in results:
        r = results["windows_answers"]
        baseline = RESULTS / "eval_answers.json"
        before = json.loads(baseline.read_text())["metrics"] if baseline.exists() else {}
        table(f"Answers with the windows option, PIAF v1.0, {r['sample']} questions (seed 42), "
              f"against bench_eval.py's default run", ["metric", "default", "windows"],
              [[c, before.get(c, float("nan")), r["metrics"][c]] for c in ANSWER_COLUMNS])


if __name__ == "__main__":
    main()
