"""Lexical retrieval: French-analysed BM25 over FTS5, then document diversity and a relevance score."""

from __future__ import annotations

import math
from collections import defaultdict

from clos.retrieve.analyzer import analyze
from clos.types import Hit


def match_expression(terms: list[str]) -> str:
    """An FTS5 OR-query of quoted terms (quoting keeps FTS5 syntax out of user text)."""
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))


class LexicalRetriever:
    """BM25 with French stemming; ``relevance`` is the IDF-weighted share of query terms a hit holds.

    Options (all measured by ``bench/bench_eval.py``):
    ``pool`` chunks are taken from BM25 before re-scoring; ``doc_weight`` adds, to a chunk's score,
    that share of the scores of the other chunks of its document in the pool (a fiche whose every
    part speaks of the question beats a single lucky paragraph); ``coverage_weight`` adds that
    share of the relevance (query terms present, IDF-weighted).
    """

    def __init__(self, store, *, candidates: int = 40, max_per_doc: int = 2, pool: int = 0,
                 doc_weight: float = 0.0, coverage_weight: float = 0.0, prf_terms: int = 0,
                 prf_docs: int = 3, prf_weight: float = 0.3, proximity_weight: float = 0.0,
                 proximity: int = 3) -> None:
        if candidates < 1 or max_per_doc < 1:
            raise ValueError("candidates and max_per_doc must be positive")
        if doc_weight < 0 or coverage_weight < 0 or pool < 0:
            raise ValueError("pool and weights must not be negative")
        self.store = store
        self.candidates = candidates
        self.max_per_doc = max_per_doc
        self.pool = pool
        self.doc_weight = doc_weight
        self.coverage_weight = coverage_weight
        self.prf_terms, self.prf_docs, self.prf_weight = prf_terms, prf_docs, prf_weight
        self.proximity_weight, self.proximity = proximity_weight, proximity

    def search(self, collection_id: int, query: str, k: int) -> list[Hit]:
        terms = list(dict.fromkeys(analyze(query)))
        if not terms:
            return []
        limit = max(self.candidates, k, self.pool)
        hits = self.store.search(collection_id, match_expression(terms), limit)
        if not hits:
            return []
        idf = self._idf(terms)
        total = sum(idf.values()) or 1.0
        bags = {}
        for hit in hits:
            body, meta = self.store.chunk_terms(hit.chunk_id)
            bags[hit.chunk_id] = body.split() + meta.split()
        if self.prf_terms or self.proximity_weight:
            hits = self._expand(collection_id, terms, hits, bags, limit)
        for hit in hits:
            if hit.chunk_id not in bags:
                body, meta = self.store.chunk_terms(hit.chunk_id)
                bags[hit.chunk_id] = body.split() + meta.split()
            present = set(bags[hit.chunk_id])
            hit.relevance = sum(w for t, w in idf.items() if t in present) / total
        if self.doc_weight or self.coverage_weight:
            hits = self._rescore(hits)
        return diversify(hits, k, self.max_per_doc)

    def _expand(self, cid: int, terms: list[str], hits: list[Hit], bags, limit: int) -> list[Hit]:
        top = max(h.score for h in hits) or 1.0
        scores = {h.chunk_id: h.score / top for h in hits}
        by_id = {h.chunk_id: h for h in hits}
        if self.prf_terms:
            weights: dict[str, float] = defaultdict(float)
            for h in hits[: self.prf_docs]:
                bag = bags[h.chunk_id]
                for t in bag:
                    if t not in terms and not t[0].isdigit():
                        weights[t] += scores[h.chunk_id] / len(bag)
            idf = self._idf(list(weights))
            n = max(self.store.chunk_count(), 1)
            ranked = sorted(weights, key=lambda t: -weights[t] * idf[t])
            extra = [t for t in ranked if idf[t] < math.log(1 + n / 1.5)][: self.prf_terms]
            if extra:
                self._add(cid, match_expression(extra), limit, self.prf_weight, scores, by_id)
        if self.proximity_weight and len(terms) > 1:
            pairs = " OR ".join(f'NEAR("{a}" "{b}", {self.proximity})' for a, b in zip(terms, terms[1:]))
            self._add(cid, pairs, limit, self.proximity_weight, scores, by_id)
        for cid_, h in by_id.items():
            h.score = scores[cid_]
        return sorted(by_id.values(), key=lambda h: -h.score)

    def _add(self, cid: int, match: str, limit: int, weight: float, scores, by_id) -> None:
        extra = self.store.search(cid, match, limit)
        if not extra:
            return
        top = max(h.score for h in extra) or 1.0
        for h in extra:
            by_id.setdefault(h.chunk_id, h)
            scores[h.chunk_id] = scores.get(h.chunk_id, 0.0) + weight * h.score / top

    def _rescore(self, hits: list[Hit]) -> list[Hit]:
        top = max(h.score for h in hits) or 1.0
        base = {h.chunk_id: h.score / top for h in hits}
        per_doc: dict[int, float] = defaultdict(float)
        for h in hits:
            per_doc[h.document_id] += base[h.chunk_id]
        for h in hits:
            others = per_doc[h.document_id] - base[h.chunk_id]
            h.score = (base[h.chunk_id] + self.doc_weight * others
                       + self.coverage_weight * h.relevance)
        return sorted(hits, key=lambda h: -h.score)

    def _idf(self, terms: list[str]) -> dict[str, float]:
        n = max(self.store.chunk_count(), 1)
        df = self.store.term_document_frequencies(terms)
        return {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in terms}


def diversify(hits: list[Hit], k: int, max_per_doc: int) -> list[Hit]:
    """Keep score order but at most ``max_per_doc`` chunks of one document, so others get a place."""
    chosen: list[Hit] = []
    per_doc: dict[int, int] = {}
    for hit in hits:
        if per_doc.get(hit.document_id, 0) >= max_per_doc:
            continue
        per_doc[hit.document_id] = per_doc.get(hit.document_id, 0) + 1
        chosen.append(hit)
        if len(chosen) == k:
            break
    return chosen
