"""Foundation bench: ingestion speed vs raw PyMuPDF, retrieval latency on the whole shared corpus,
time to first token vs bare llama.cpp on the same prompt."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED, percentile, table, write  # noqa: E402

from clos.answer.prompts import build_prompt, select_excerpts  # noqa: E402
from clos.pipeline import Clos  # noqa: E402
from clos.settings import Settings  # noqa: E402


def bench_ingestion(pdf_dir: Path) -> dict:
    import pymupdf

    pdfs = sorted(pdf_dir.glob("*.pdf"))
    start = time.perf_counter()
    pages = 0
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            for page in doc:
                page.get_text()
                pages += 1
    raw_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        with Clos(Settings.load(flags={"data_dir": tmp})) as clos:
            start = time.perf_counter()
            report = clos.ingest([pdf_dir], collection="bench")
            clos_s = time.perf_counter() - start
            start = time.perf_counter()
            again = clos.ingest([pdf_dir], collection="bench")
            skip_s = time.perf_counter() - start
    return {"files": len(pdfs), "pages": pages, "raw_pymupdf_s": raw_s, "clos_ingest_s": clos_s,
            "raw_pages_per_s": pages / raw_s, "clos_pages_per_s": pages / clos_s,
            "ratio_clos_over_raw": clos_s / raw_s, "second_run_s": skip_s,
            "second_run_skipped": again.skipped, "indexed": report.indexed,
            "failed": report.failed}


def bench_retrieval(data_dir: Path, questions: list[str]) -> dict:
    settings = Settings.load(flags={"data_dir": str(data_dir)})
    with Clos(settings) as clos:
        start = time.perf_counter()
        report = clos.ingest([SHARED / "corpus"], collection="corpus")
        ingest_s = time.perf_counter() - start
        chunks = clos.store.chunk_count()
        for q in questions[:20]:  # warm the page cache and the stemmer cache
            clos.retrieve(q, collection="corpus")
        lat = []
        for q in questions:
            t = time.perf_counter()
            clos.retrieve(q, collection="corpus")
            lat.append(time.perf_counter() - t)
    return {"files_indexed_this_run": report.indexed, "files_skipped": report.skipped,
            "files_failed": report.failed, "errors": report.errors[:50],
            "ingest_s": ingest_s, "chunks": chunks, "queries": len(questions),
            "p50_ms": percentile(lat, 0.5) * 1000, "p95_ms": percentile(lat, 0.95) * 1000}


def bench_ttft(data_dir: Path, model: str, questions: list[str], repeats: int) -> dict:
    """Time to first token, model loaded, for the same prompts:
    - bare llama.cpp: empty KV cache, the whole rendered prompt evaluated;
    - Clos, new process: empty KV cache, fixed prefix restored from its state file on disk;
    - Clos, long-lived process: the previous question (another one) left the prefix in cache.
    Clos's figure also includes retrieval and prompt assembly."""
    from llama_cpp import Llama

    from clos.llm import load_llm

    # Only the first token matters here: stop generation right after it, as the bare run does.
    settings = Settings.load(flags={"data_dir": str(data_dir), "model": model, "max_tokens": 1})
    clos_cold, clos_warm, bare_cold, tokens = [], [], [], []
    with Clos(settings) as clos:
        clos.ask(questions[-1], collection="corpus", meter=False, log=False)  # load, save state
        llm = load_llm(settings)
        bare = Llama(model_path=str(llm.path), n_ctx=settings.n_ctx, n_threads=settings.threads,
                     n_threads_batch=settings.threads, verbose=False)
        cid = clos.store.collection_id("corpus")
        for _ in range(repeats):
            for question in questions:  # the KV cache now holds the previous, other question
                hits = clos.retriever.search(cid, question, settings.candidates)
                excerpts = select_excerpts(hits, budget=settings.context_token_budget,
                                           k=settings.top_k, question=question)
                prompt = llm.render(build_prompt(question, excerpts, today=date.today(),
                                                 template=llm.spec.template))
                tokens.append(len(bare.tokenize(prompt.encode("utf-8"))))
                bare.reset()
                start = time.perf_counter()
                for _event in bare.create_completion(prompt, max_tokens=1, stream=True):
                    break
                bare_cold.append(time.perf_counter() - start)
                # The previous ask was another question: only the fixed prefix is shared.
                clos_warm.append(clos.ask(question, collection="corpus", meter=False,
                                          log=False).timings.ttft_s)
                llm.llm.reset()
                clos_cold.append(clos.ask(question, collection="corpus", meter=False,
                                          log=False).timings.ttft_s)
        bare.close()
    med = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    return {"model": model, "prompt_tokens_median": med(tokens), "samples": len(bare_cold),
            "clos_new_process_ttft_s": med(clos_cold), "clos_warm_ttft_s": med(clos_warm),
            "bare_llamacpp_ttft_s": med(bare_cold),
            "ratio_new_process": med(clos_cold) / med(bare_cold),
            "ratio_warm": med(clos_warm) / med(bare_cold),
            "context_token_budget": settings.context_token_budget}


def piaf_questions(n: int) -> list[str]:
    data = json.loads((SHARED / "eval" / "piaf-v1.0.json").read_text())
    qs = [qa["question"] for art in data["data"] for p in art["paragraphs"] for qa in p["qas"]]
    return qs[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", default=str(ROOT / "data" / "bench-corpus"),
                        help="index of the whole corpus, kept between runs (incremental)")
    args = parser.parse_args()
    if not (SHARED / "corpus").is_dir():
        sys.exit(f"Dossier partagé absent : {SHARED}")
    out: dict = {}
    ing = bench_ingestion(SHARED / "corpus" / "deliberations-montpellier" / "pdf")
    out["ingestion"] = ing
    table("Ingestion — 123 délibérations PDF", ["mesure", "valeur"], [
        ["pages", ing["pages"]], ["PyMuPDF brut (pages/s)", ing["raw_pages_per_s"]],
        ["clos ingest (pages/s)", ing["clos_pages_per_s"]],
        ["ratio temps clos / brut", ing["ratio_clos_over_raw"]],
        ["2e passage (s, tout ignoré)", ing["second_run_s"]]])
    ret = bench_retrieval(Path(args.data_dir), piaf_questions(200 if args.quick else 1000))
    out["retrieval"] = ret
    table("Recherche — tout ../shared/corpus", ["mesure", "valeur"], [
        ["extraits indexés", ret["chunks"]], ["requêtes", ret["queries"]],
        ["p50 (ms)", ret["p50_ms"]], ["p95 (ms)", ret["p95_ms"]],
        ["indexation ce passage (s)", ret["ingest_s"]], ["fichiers en erreur", ret["files_failed"]]])
    questions = ["Quel est le montant forfaitaire remboursé par repas aux agents en déplacement ?",
                 "Quelles sont les obligations d'ouverture des données des collectivités ?"]
    rows = []
    out["ttft"] = []
    models = ["gemma3-270m"] if args.quick else ["gemma3-270m", "qwen2.5-1.5b-instruct"]
    for model in models:
        r = bench_ttft(Path(args.data_dir), model, questions, 1 if args.quick else 2)
        out["ttft"].append(r)
        rows.append([model, r["prompt_tokens_median"], r["bare_llamacpp_ttft_s"],
                     r["clos_new_process_ttft_s"], r["ratio_new_process"],
                     r["clos_warm_ttft_s"], r["ratio_warm"]])
    table("Temps jusqu'au premier jeton (s, médianes)", ["modèle", "jetons du prompt",
          "llama.cpp nu", "Clos (nouveau processus)", "ratio", "Clos (processus chaud)",
          "ratio"], rows)
    write("foundation", out)


if __name__ == "__main__":
    main()
