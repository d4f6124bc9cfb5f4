"""A chunk's lexical index terms, and the collection pass that leaves repeated blocks out of them
(issue 15; the blocks are found by ``clos.govern.boilerplate``).

A chunk is indexed as two analysed columns: ``body`` (its text) and ``meta`` (its document's
title and its headings, weight 0.5). Lines repeated across ``min_documents`` documents of the
collection leave ``body``; a chunk made of nothing else leaves the lexical index (``body`` and
``meta`` both empty: its title alone would otherwise rank a short, empty chunk first). The text
itself is never changed.
"""

from __future__ import annotations

from typing import Any, Sequence

from clos.govern import boilerplate
from clos.retrieve.analyzer import analyze


def chunk_terms(title_terms: str, text: str, heading_path: Sequence[str],
                spans: Sequence[tuple[int, int]] = ()) -> tuple[str, str]:
    """(body, meta) index terms of one chunk: ``title_terms`` is ``analyze(title)`` joined by
    spaces (computed once per document), ``spans`` the (start, end) offsets of the text's
    repeated blocks."""
    if spans:
        if boilerplate.is_whole(text, spans):
            return "", ""
        text = boilerplate.strip_spans(text, spans)
    return " ".join(analyze(text)), f"{title_terms} {' '.join(analyze(' '.join(heading_path)))}".strip()


def mark_repeats(store: Any, collection_id: int, min_documents: int) -> dict[str, Any]:
    """Find the collection's repeated blocks again and rewrite the index terms of every chunk
    whose spans changed (new documents, documents gone, another threshold; ``min_documents`` < 2
    puts every chunk back whole). ``store``: a ``DocumentStore`` with ``collection_chunks`` and
    ``set_chunk_boilerplate``. Returns {chunks, chunks_marked, chunks_whole, lines, blocks,
    changed, top} (``top``: the ten blocks found in most documents, (documents, text))."""
    rows = store.collection_chunks(collection_id)
    found = boilerplate.find([(r["id"], r["document_id"], r["text"]) for r in rows], min_documents)
    titles: dict[int, str] = {}
    changed = []
    for r in rows:
        spans = found.spans.get(r["id"], ())
        if spans == r["boilerplate"]:
            continue
        if r["document_id"] not in titles:
            titles[r["document_id"]] = " ".join(analyze(r["title"]))
        body, meta = chunk_terms(titles[r["document_id"]], r["text"], r["heading_path"], spans)
        changed.append((r["id"], spans, body, meta))
    store.set_chunk_boilerplate(collection_id, changed)
    return {"chunks": len(rows), "chunks_marked": len(found.spans), "chunks_whole": found.chunks_whole,
            "lines": found.lines, "blocks": found.blocks, "changed": len(changed),
            "top": found.top()}
