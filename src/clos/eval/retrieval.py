"""`clos eval retrieval`: does the right document come first?"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from clos.eval.datasets import EvalQuestion, EvalSet
from clos.eval.metrics import rank_of, retrieval_summary
from clos.eval.runner import index_set, temporary_clos
from clos.settings import Settings

COLLECTION = "eval"


@dataclass
class RetrievalResult:
    dataset: str
    k: int
    metrics: dict[str, float]
    ranks: list[int | None] = field(default_factory=list)
    index_s: float = 0.0
    documents: int = 0
    chunks: int = 0
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, per_question: bool = False) -> dict[str, Any]:
        data = {"dataset": self.dataset, "k": self.k, "documents": self.documents,
                "chunks": self.chunks, "index_s": round(self.index_s, 2),
                "config": self.config, "metrics": self.metrics}
        if per_question:
            data["ranks"] = self.ranks
        return data


def rank_documents(clos, question: str, mapping: dict[int, str], k: int,
                   collection: str = COLLECTION) -> list[str]:
    """The eval ids of the first ``k`` distinct documents retrieved for ``question``."""
    ranked: list[str] = []
    for hit in clos.retrieve(question, collection=collection):
        doc = mapping.get(hit.document_id)
        if doc is not None and doc not in ranked:
            ranked.append(doc)
            if len(ranked) == k:
                break
    return ranked


def evaluate_questions(clos, questions: list[EvalQuestion], mapping: dict[int, str], *, k: int,
                       collection: str = COLLECTION) -> tuple[list[int | None], list[float]]:
    ranks, latencies = [], []
    for q in questions:
        start = time.perf_counter()
        ranked = rank_documents(clos, q.question, mapping, k, collection)
        latencies.append(time.perf_counter() - start)
        ranks.append(rank_of(ranked, q.doc_id))
    return ranks, latencies


def run_retrieval(evalset: EvalSet, settings: Settings, *, k: int = 10,
                  limit: int | None = None, seed: int = 42) -> RetrievalResult:
    """Index every context of ``evalset`` in a temporary folder and rank each question's document.

    ``limit`` keeps a reproducible sample of questions (all documents are still indexed, so the
    task is as hard as with the full set)."""
    if k < 1:
        raise ValueError("k must be positive")
    questions = evalset.sample(limit, seed=seed)
    with temporary_clos(settings) as clos:
        start = time.perf_counter()
        mapping = index_set(clos, evalset, COLLECTION)
        index_s = time.perf_counter() - start
        # The pipeline's retriever returns `candidates` hits, at most max_per_doc per document:
        # with the defaults (40, 2) that is at least 20 distinct documents, enough for k ≤ 20.
        ranks, latencies = evaluate_questions(clos, questions, mapping, k=k)
        chunks = clos.store.chunk_count()
    return RetrievalResult(
        dataset=evalset.name, k=k, metrics=retrieval_summary(ranks, latencies), ranks=ranks,
        index_s=index_s, documents=len(mapping), chunks=chunks,
        config={"candidates": settings.candidates, "max_chunks_per_doc": settings.max_chunks_per_doc,
                "chunk_tokens": settings.chunk_tokens, "questions": len(questions)},
    )
