"""What governance remembers in the store: one review per file (decision, flags, personal-data
counts, text signature). Original personal data is never written here, only types and counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from clos.govern.duplicates import SIG_VERSION
from clos.store.protocol import GovernanceStore
from clos.types import Flag, Known, Review

_SEVERITY = {"index": 0, "index_with_warning": 1, "exclude": 2}


def worst(*decisions: str) -> str:
    return max(decisions, key=_SEVERITY.__getitem__, default="index")


def known_documents(store: GovernanceStore, collection_id: int, *, except_path: str) -> list[Known]:
    return store.known_documents(collection_id, except_path=except_path, sig_version=SIG_VERSION)


def save_review(store: GovernanceStore, collection_id: int, review: Review,
                document_id: int | None) -> int:
    """Insert or replace the review of ``review.document.path``; returns its id."""
    doc = review.document
    counts = review.pii_counts()
    kept = review.kept_counts()
    fields = {
        "path": doc.path, "title": doc.title, "format": doc.format,
        "folder": str(Path(doc.path).parent), "content_hash": doc.content_hash, "pages": doc.pages,
        "chars": review.chars, "doc_date": review.doc_date, "mtime": doc.mtime,
        "decision": review.decision, "pii_policy": review.pii_policy, "sig_version": SIG_VERSION,
        "minhash": review.signature, "text_hash": review.text_hash, "doc_key": review.doc_key,
    }
    return store.save_review(
        collection_id, document_id, fields,
        [(f.kind, f.reason, _related(review, f)) for f in review.flags],
        [(t, n, kept.get(t, 0)) for t, n in sorted(counts.items())])


def _related(review: Review, flag: Flag) -> str | None:
    return review.related.get(flag.reason)


def supersede(store: GovernanceStore, collection_id: int, path: str, by_path: str, flag: Flag,
              action: str) -> int | None:
    """Mark the review of ``path`` as replaced by ``by_path``. When ``action`` excludes it, its
    document leaves the index (the review stays, without document). Returns the removed id."""
    row = store.review(collection_id, path)
    if row is None:
        return None
    flags, counts = store.review_details(row["id"])
    flags = [f for f in flags if f[0] not in ("doublon", "version")]
    removed = None
    if action == "exclude" and row["document_id"] is not None:
        removed = row["document_id"]
        store.delete_documents([removed])  # cascades to the review, rebuilt below
    review_id = row.pop("id")
    row.update(decision=worst(row["decision"], action), superseded_by=by_path)
    document_id = None if removed else row["document_id"]
    del row["document_id"], row["collection_id"]
    store.save_review(collection_id, document_id, row, [*flags, (flag.kind, flag.reason, by_path)],
                      counts, replace_id=review_id)
    return removed


def indexed_document_id(store: GovernanceStore, collection_id: int, path: str) -> int | None:
    return store.document_id(collection_id, path)


def excluded_paths(store: GovernanceStore, collection_id: int) -> dict[str, str]:
    """Files reviewed and excluded, with their content hash: unchanged ones need no new review."""
    return store.excluded_reviews(collection_id)


def forget(store: GovernanceStore, collection_id: int, paths: Iterable[str]) -> int:
    """Drop the reviews of files that no longer exist (indexed ones go with their document)."""
    return store.forget_reviews(collection_id, paths)


def review_rows(store: GovernanceStore, collection_id: int) -> list[dict[str, Any]]:
    """Every review of the collection with its flags and counts, for the report."""
    return store.review_rows(collection_id)
