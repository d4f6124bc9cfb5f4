"""Lexical retrieval: French-analysed BM25 over FTS5, then document diversity and a relevance score."""

from __future__ import annotations

import math
from functools import lru_cache

from clos.retrieve.analyzer import analyze
from clos.types import Hit


def match_expression(terms: list[str]) -> str:
    """An FTS5 OR-query of quoted terms (quoting keeps FTS5 syntax out of user text)."""
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))


class LexicalRetriever:
    """BM25 with French stemming; ``relevance`` is the IDF-weighted share of query terms a hit holds."""

    def __init__(self, store, *, candidates: int = 40, max_per_doc: int = 2) -> None:
        if candidates < 1 or max_per_doc < 1:
            raise ValueError("candidates and max_per_doc must be positive")
        self.store = store
        self.candidates = candidates
        self.max_per_doc = max_per_doc

    def search(self, collection_id: int, query: str, k: int) -> list[Hit]:
        terms = list(dict.fromkeys(analyze(query)))
        if not terms:
            return []
        hits = self.store.search(collection_id, match_expression(terms), max(self.candidates, k))
        if not hits:
            return []
        idf = self._idf(terms)
        total = sum(idf.values()) or 1.0
        for hit in hits:
            present = set(analyze(" ".join((hit.title, *hit.heading_path, hit.text))))
            hit.relevance = sum(w for t, w in idf.items() if t in present) / total
        return diversify(hits, k, self.max_per_doc)

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
