"""Lexical retrieval: French-analysed BM25 over FTS5, re-scored by query coverage, then diversified.

Only the coverage re-scoring is on by default: it was the one technique that raised both
development sets (see ``bench/bench_eval.py``). The other options stay available, measured and
off: Python BM25 with other k1/b, pseudo-relevance feedback, term proximity, document context.
"""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import pairwise

from clos.retrieve.analyzer import analyze
from clos.store.protocol import SearchStore
from clos.types import Hit

COVERAGE_WEIGHT = 0.5


def match_expression(terms: list[str]) -> str:
    """An FTS5 OR-query of quoted terms (quoting keeps FTS5 syntax out of user text)."""
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))


class LexicalRetriever:
    """BM25 with French stemming; ``relevance`` is the IDF-weighted share of query terms a hit holds.

    A hit's final score is its BM25 score divided by the best one, plus ``coverage_weight`` times
    its relevance: among chunks BM25 finds close, the one holding more of the question's distinct
    words comes first. Options, all measured by ``bench/bench_eval.py``:

    - ``pool``: chunks taken from FTS5 before re-scoring (at least ``candidates``);
    - ``k1``/``b``: re-score the pool with Python BM25 and these parameters (FTS5 fixes 1.2/0.75);
    - ``prf_terms``/``prf_docs``/``prf_weight``: pseudo-relevance feedback, a second query with
      the most distinctive terms of the first ``prf_docs`` hits;
    - ``proximity_weight``/``proximity``: bonus for consecutive query terms within ``proximity``
      words (FTS5 NEAR);
    - ``doc_weight``: add that share of the scores of the other chunks of the hit's document;
    - ``max_df``: match only the terms held by at most that share of the chunks (the two rarest
      at least); the others still count in the coverage re-scoring.
    """

    def __init__(self, store: SearchStore, *, candidates: int = 40, max_per_doc: int = 2,
                 coverage_weight: float = COVERAGE_WEIGHT, pool: int = 0,
                 k1: float | None = None, b: float = 0.75, prf_terms: int = 0, prf_docs: int = 3,
                 prf_weight: float = 0.3, proximity_weight: float = 0.0, proximity: int = 3,
                 doc_weight: float = 0.0, max_df: float = 1.0) -> None:
        if candidates < 1 or max_per_doc < 1:
            raise ValueError("candidates and max_per_doc must be positive")
        if min(coverage_weight, pool, prf_terms, prf_weight, proximity_weight, doc_weight) < 0:
            raise ValueError("weights and sizes must not be negative")
        if not 0 < max_df <= 1:
            raise ValueError("max_df must be in (0, 1]")
        if prf_docs < 1 or proximity < 1 or (k1 is not None and k1 <= 0) or not 0 <= b <= 1:
            raise ValueError("prf_docs and proximity must be positive, k1 > 0 and 0 <= b <= 1")
        self.store = store
        self.candidates, self.max_per_doc, self.pool = candidates, max_per_doc, pool
        self.coverage_weight = coverage_weight
        self.k1, self.b = k1, b
        self.prf_terms, self.prf_docs, self.prf_weight = prf_terms, prf_docs, prf_weight
        self.proximity_weight, self.proximity = proximity_weight, proximity
        self.doc_weight, self.max_df = doc_weight, max_df
        self._stats: tuple | None = None

    def close(self) -> None:
        """Nothing to release: the store belongs to its owner (same shape as the hybrid one)."""

    def search(self, collection_id: int, query: str, k: int, *,
               max_per_doc: int | None = None) -> list[Hit]:
        """The best ``k`` hits, at most ``max_per_doc`` per document (0: no limit)."""
        terms = list(dict.fromkeys(analyze(query)))
        if not terms:
            return []
        limit = max(self.candidates, k, self.pool)
        idf = self._idf(terms)
        hits = self.store.search(collection_id, match_expression(self._matched(terms)), limit)
        if not hits:
            return []
        bags: dict[int, list[str]] = {}
        if self.k1 is not None:
            self._bm25(hits, self._bags(hits, bags), idf)
        _normalise(hits)
        if self.prf_terms:
            self._feedback(collection_id, terms, hits, self._bags(hits, bags), limit)
        if self.proximity_weight and len(terms) > 1:
            near = " OR ".join(f'NEAR("{a}" "{c}", {self.proximity})' for a, c in pairwise(terms))
            _merge(hits, self.store.search(collection_id, near, limit), self.proximity_weight,
                   add_new=False)
        self._coverage(hits, idf, bags)
        for hit in hits:
            hit.score += self.coverage_weight * hit.relevance
            hit.lexical_score = hit.score  # normalised BM25 + coverage, before any fusion
        if self.doc_weight:
            per_doc: dict[int, float] = defaultdict(float)
            for hit in hits:
                per_doc[hit.document_id] += hit.score
            for hit in hits:
                hit.score += self.doc_weight * (per_doc[hit.document_id] - hit.score)
        hits.sort(key=lambda h: -h.score)
        limit = self.max_per_doc if max_per_doc is None else (max_per_doc or len(hits))
        return diversify(hits, k, limit)

    def annotate(self, query: str, hits: list[Hit]) -> None:
        """Set ``relevance`` on hits found another way (dense search), as search() sets it."""
        terms = list(dict.fromkeys(analyze(query)))
        if terms and hits:
            self._coverage(hits, self._idf(terms), {})

    # ----------------------------------------------------------------- helpers
    def _coverage(self, hits: list[Hit], idf: dict[str, float], bags: dict[int, list[str]]) -> None:
        total = sum(idf.values()) or 1.0
        for hit in hits:
            present = set(self._bags([hit], bags)[hit.chunk_id])
            hit.relevance = sum(w for t, w in idf.items() if t in present) / total

    def _bags(self, hits: list[Hit], bags: dict[int, list[str]]) -> dict[int, list[str]]:
        """The analysed terms of each hit (body and title/headings), read back from the index."""
        for hit in hits:
            if hit.chunk_id not in bags:
                body, meta = self.store.chunk_terms(hit.chunk_id)
                bags[hit.chunk_id] = body.split() + meta.split()
        return bags

    def _statistics(self, terms: list[str]) -> tuple[int, dict[str, int]]:
        """(chunks, document frequency of each term), kept for the next call with the same
        terms: a hybrid search asks again to annotate dense hits."""
        key, stats = (tuple(terms), self.store.generation()), self._stats
        if stats is None or stats[0] != key:  # read once: another thread may replace it
            stats = (key, max(self.store.chunk_count(), 1),
                     self.store.term_document_frequencies(terms))
            self._stats = stats
        return stats[1], stats[2]

    def _idf(self, terms: list[str]) -> dict[str, float]:
        n, df = self._statistics(terms)
        return {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in terms}

    def _matched(self, terms: list[str]) -> list[str]:
        """The terms the FTS5 query matches: all, or with ``max_df`` the rarer ones (FTS5 scores
        every chunk holding any matched term, so a very common term costs the most)."""
        if self.max_df >= 1:
            return terms
        n, df = self._statistics(terms)
        rare = [t for t in terms if df.get(t, 0) <= self.max_df * n]
        return rare if len(rare) >= 2 else sorted(terms, key=lambda t: df.get(t, 0))[:2]

    def _bm25(self, hits: list[Hit], bags: dict[int, list[str]], idf: dict[str, float]) -> None:
        # Average length over the pool, not the collection: a re-ranking, not a full BM25.
        avg = sum(len(bags[h.chunk_id]) for h in hits) / len(hits) or 1.0
        for hit in hits:
            bag = bags[hit.chunk_id]
            tf: dict[str, int] = defaultdict(int)
            for t in bag:
                if t in idf:
                    tf[t] += 1
            norm = self.k1 * (1 - self.b + self.b * len(bag) / avg)
            hit.score = sum(idf[t] * f * (self.k1 + 1) / (f + norm) for t, f in tf.items())
        hits.sort(key=lambda h: -h.score)

    def _feedback(self, cid: int, terms: list[str], hits: list[Hit],
                  bags: dict[int, list[str]], limit: int) -> None:
        weights: dict[str, float] = defaultdict(float)
        for hit in hits[: self.prf_docs]:
            bag = bags[hit.chunk_id]
            for t in bag:
                if t not in terms and not t[0].isdigit():
                    weights[t] += hit.score / len(bag)
        if not weights:
            return
        idf = self._idf(list(weights))
        rare = math.log(1 + max(self.store.chunk_count(), 1) / 1.5)  # seen in one chunk only
        ranked = sorted((t for t in weights if idf[t] < rare), key=lambda t: -weights[t] * idf[t])
        extra = ranked[: self.prf_terms]
        if extra:
            _merge(hits, self.store.search(cid, match_expression(extra), limit), self.prf_weight,
                   add_new=True)


def _normalise(hits: list[Hit]) -> None:
    top = max(h.score for h in hits) or 1.0
    for hit in hits:
        hit.score /= top


def _merge(hits: list[Hit], extra: list[Hit], weight: float, *, add_new: bool) -> None:
    """Add ``weight`` × the normalised scores of a second query to ``hits`` (in place)."""
    if not extra:
        return
    top = max(h.score for h in extra) or 1.0
    known = {h.chunk_id: h for h in hits}
    for other in extra:
        bonus = weight * other.score / top
        hit = known.get(other.chunk_id)
        if hit is not None:
            hit.score += bonus
        elif add_new:
            other.score = bonus
            known[other.chunk_id] = other
            hits.append(other)


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
