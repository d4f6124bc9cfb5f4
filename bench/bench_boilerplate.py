"""Repeated blocks across documents (issue 15): how many lines and chunks the threshold
``boilerplate_min_documents`` takes out of the lexical index, and lexical retrieval on the
domain set (tests/data/qa_domain.json, answerable questions) before and after, on the real
folders (123 Montpellier deliberations, 51 Etalab guides), BM25 only.

The folders are ingested once with the pass off (``boilerplate_min_documents = 0``); each
threshold is then applied to the same index (``mark_repeats`` rewrites only the chunks whose
spans change) and the questions are asked again. Measures per threshold: R@1/R@5/MRR of the
gold file among the distinct documents retrieved, the gold passage (gold file, page, answer
string) among the first 5 hits, the gold strings that fall inside a line left out, and, over
all 84 questions, the top-5 hits found only through the lines repeated at N = 5.

    CLOS_EMBEDDER=off python bench/bench_boilerplate.py [--thresholds 3,5,8,12,20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, table, write  # noqa: E402

from clos.eval.domain import holds_gold  # noqa: E402
from clos.eval.metrics import contains  # noqa: E402
from clos.eval.qa import load_qa  # noqa: E402
from clos.pipeline import Clos  # noqa: E402
from clos.settings import Settings  # noqa: E402

COLLECTION = "demo"


def retrieval(clos: Clos, qaset, questions) -> dict:
    """Gold-file ranks among distinct documents, gold passage among the first 5 hits."""
    ranks, passage5 = [], 0
    for q in questions:
        hits = clos.retrieve(q.question, collection=COLLECTION)
        files: list[str] = []
        for h in hits:
            if h.path not in files:
                files.append(h.path)
        gold = str((qaset.root / q.file).resolve())
        ranks.append(files.index(gold) + 1 if gold in files else None)
        passage5 += any(holds_gold(h.path, h.page, h.page_end, h.text, qaset, q) for h in hits[:5])
    n = len(questions)
    return {"questions": n,
            "r1": round(sum(1 for r in ranks if r == 1) / n, 4),
            "r5": round(sum(1 for r in ranks if r and r <= 5) / n, 4),
            "r10": round(sum(1 for r in ranks if r and r <= 10) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
            "passage_at5": round(passage5 / n, 4), "ranks": ranks}


def crowding(clos: Clos, questions, spans: dict) -> dict:
    """Among the first 5 hits of every question, those found only through repeated lines: the
    question's analysed terms are in the chunk's text, and none is in its title and headings or
    in what remains without the lines ``spans`` (the reference threshold's) marks."""
    from clos.govern.boilerplate import strip_spans
    from clos.retrieve import analyze

    crowded = total = 0
    for q in questions:
        terms = set(analyze(q.question))
        for h in clos.retrieve(q.question, collection=COLLECTION)[:5]:
            total += 1
            meta = set(analyze(f"{h.title} {' '.join(h.heading_path)}"))
            if h.chunk_id in spans and terms & set(analyze(h.text)) and not terms & meta \
                    and not terms & set(analyze(strip_spans(h.text, spans[h.chunk_id]))):
                crowded += 1
    return {"hits": total, "only_through_repeated_lines": crowded,
            "share": round(crowded / total, 4) if total else None}


def refusal_signal(clos: Clos, qaset) -> dict:
    """The best hit's relevance (the IDF-weighted share of the question's terms it holds, the
    lexical refusal signal): its AUROC between answerable and unanswerable questions, and the
    number of unanswerable ones above ``min_relevance``."""
    from clos.eval.funnel import auroc

    best = {q.id: max((h.relevance for h in clos.retrieve(q.question, collection=COLLECTION)),
                      default=0.0) for q in qaset.questions}
    pos = [best[q.id] for q in qaset.questions if q.answerable]
    neg = [best[q.id] for q in qaset.questions if not q.answerable]
    floor = clos.settings.min_relevance
    return {"auroc": round(auroc(pos, neg) or 0, 4),
            "unanswerable_above_min_relevance": sum(1 for v in neg if v >= floor),
            "answerable_below_min_relevance": sum(1 for v in pos if v < floor)}


def gold_hidden(clos: Clos, qaset, questions) -> list[str]:
    """Ids of questions whose gold string sits only inside lines left out of the index."""
    from clos.govern.boilerplate import strip_spans

    cid = clos.store.collection_id(COLLECTION, create=False)
    rows = clos.store.collection_chunks(cid)
    paths = {d: p for p, (d, _) in clos.store.document_hashes(cid).items()}
    out = []
    for q in questions:
        gold = str((qaset.root / q.file).resolve())
        held = [r for r in rows if paths.get(r["document_id"]) == gold and contains(r["text"], q.answers)]
        if held and not any(contains(strip_spans(r["text"], r["boilerplate"]), q.answers) for r in held):
            out.append(q.id)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--thresholds", default="3,5,8,12,20")
    parser.add_argument("--keep", type=Path, help="data folder to keep (and reuse) the index in")
    args = parser.parse_args()
    qaset = load_qa(ROOT / "tests" / "data" / "qa_domain.json")
    questions = qaset.answerable
    folder = args.keep or Path(tempfile.mkdtemp(prefix="clos-bench-boilerplate-"))
    settings = Settings.load().replace(data_dir=folder, store="", embedder="off",
                                       boilerplate_min_documents=0)
    with Clos(settings) as clos:
        start = time.perf_counter()
        cid = clos.store.collection_id(COLLECTION)
        if not clos.store.chunk_count(cid):
            report = clos.ingest(qaset.folder_paths(), collection=COLLECTION)
            print(f"ingested {report.indexed} documents, {report.chunks} chunks in "
                  f"{report.duration_s:.0f} s", flush=True)
        clos.mark_repeats(cid)  # threshold 0: every chunk whole
        ingest_s = time.perf_counter() - start
        documents = len(clos.store.document_hashes(cid))
        rows = [["off", 0, 0, 0, 0]]
        from clos.govern.boilerplate import find

        chunks = clos.store.collection_chunks(cid)
        reference = find([(r["id"], r["document_id"], r["text"]) for r in chunks], 5).spans
        every = qaset.questions
        before = retrieval(clos, qaset, questions)
        runs = {"off": {"retrieval": before, "crowding": crowding(clos, every, reference),
                        "refusal": refusal_signal(clos, qaset)}}
        for n in [int(x) for x in args.thresholds.split(",")]:
            started = time.perf_counter()
            clos.settings = clos.settings.replace(boilerplate_min_documents=n)
            stats = clos.mark_repeats(cid)
            pass_s = time.perf_counter() - started
            after = retrieval(clos, qaset, questions)
            hidden = gold_hidden(clos, qaset, questions)
            runs[str(n)] = {"repeats": stats, "pass_s": round(pass_s, 3), "retrieval": after,
                            "gold_only_in_left_out_lines": hidden,
                            "crowding": crowding(clos, every, reference),
                            "refusal": refusal_signal(clos, qaset)}
            rows.append([n, stats["lines"], stats["blocks"], stats["chunks_marked"],
                         stats["chunks_whole"]])
            print(f"N={n}: R@5 {before['r5']} → {after['r5']}, passage@5 "
                  f"{before['passage_at5']} → {after['passage_at5']}, gold hidden {hidden}",
                  flush=True)
        chunks = runs[str(n)]["repeats"]["chunks"]
    table(f"Lignes répétées hors index ({documents} documents, {chunks} extraits)",
          ["N (documents)", "lignes", "blocs distincts", "extraits touchés", "extraits entiers"], rows)
    table("Recherche lexicale, jeu métier (questions avec réponse)",
          ["N", "R@1", "R@5", "R@10", "MRR", "passage@5", "top 5 par lignes répétées (84 q.)",
           "AUROC pertinence", "sans réponse ≥ seuil", "avec réponse < seuil"],
          [[k, v["retrieval"]["r1"], v["retrieval"]["r5"], v["retrieval"]["r10"],
            v["retrieval"]["mrr"], v["retrieval"]["passage_at5"],
            f"{v['crowding']['only_through_repeated_lines']}/{v['crowding']['hits']}",
            v["refusal"]["auroc"], v["refusal"]["unanswerable_above_min_relevance"],
            v["refusal"]["answerable_below_min_relevance"]]
           for k, v in runs.items()])
    write("boilerplate", {"what": __doc__.split("\n\n")[0], "documents": documents,
                          "chunks": chunks, "ingest_s": round(ingest_s, 1), "runs": runs})


if __name__ == "__main__":
    main()
