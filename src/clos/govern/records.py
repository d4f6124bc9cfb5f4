"""What governance remembers in the store: one review per file (decision, flags, personal-data
counts, text signature). Original personal data is never written here, only types and counts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from clos.govern.duplicates import SIG_VERSION, Known
from clos.types import Flag

if TYPE_CHECKING:
    from clos.govern.governor import Review

_SEVERITY = {"index": 0, "index_with_warning": 1, "exclude": 2}


def worst(*decisions: str) -> str:
    return max(decisions, key=_SEVERITY.__getitem__, default="index")


def known_documents(store: Any, collection_id: int, *, except_path: str) -> list[Known]:
    rows = store.conn.execute(
        "SELECT path, document_id, minhash, text_hash, doc_key, doc_date, mtime, decision"
        " FROM governance_reviews WHERE collection_id = ? AND path != ? AND sig_version = ?",
        (collection_id, except_path, SIG_VERSION),
    )
    return [Known(r["path"], r["document_id"], r["minhash"] or b"", r["text_hash"], r["doc_key"],
                  r["doc_date"], r["mtime"], r["decision"]) for r in rows]


def save_review(store: Any, collection_id: int, review: "Review", document_id: int | None) -> int:
    """Insert or replace the review of ``review.document.path``; returns its id."""
    doc = review.document
    counts = review.pii_counts()
    kept = review.kept_counts()
    with store.transaction() as conn:
        conn.execute("DELETE FROM governance_reviews WHERE collection_id = ? AND path = ?",
                     (collection_id, doc.path))
        if document_id is not None:  # a document row has one review, whatever its path was
            conn.execute("DELETE FROM governance_reviews WHERE document_id = ?", (document_id,))
        cur = conn.execute(
            "INSERT INTO governance_reviews (collection_id, document_id, path, title, format, folder,"
            " content_hash, pages, chars, doc_date, mtime, decision, pii_policy, sig_version, minhash,"
            " text_hash, doc_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (collection_id, document_id, doc.path, doc.title, doc.format, str(Path(doc.path).parent),
             doc.content_hash, doc.pages, review.chars, review.doc_date, doc.mtime, review.decision,
             review.pii_policy, SIG_VERSION, review.signature, review.text_hash, review.doc_key),
        )
        review_id = int(cur.lastrowid)
        _insert_flags(conn, review_id, [(f, _related(review, f)) for f in review.flags])
        conn.executemany(
            "INSERT INTO governance_pii_counts (review_id, type, count, kept) VALUES (?,?,?,?)",
            [(review_id, t, n, kept.get(t, 0)) for t, n in sorted(counts.items())],
        )
    return review_id


def _related(review: "Review", flag: Flag) -> str | None:
    return review.related.get(flag.reason)


def _insert_flags(conn: Any, review_id: int, flags: Iterable[tuple[Flag, str | None]]) -> None:
    conn.executemany(
        "INSERT INTO governance_flags (review_id, kind, reason, related_path) VALUES (?,?,?,?)",
        [(review_id, f.kind, f.reason, related) for f, related in flags],
    )


def supersede(store: Any, collection_id: int, path: str, by_path: str, flag: Flag,
              action: str) -> int | None:
    """Mark the review of ``path`` as replaced by ``by_path``. When ``action`` excludes it, its
    document leaves the index (the review stays, without document). Returns the removed id."""
    row = store.conn.execute(
        "SELECT * FROM governance_reviews WHERE collection_id = ? AND path = ?",
        (collection_id, path)).fetchone()
    if row is None:
        return None
    row = dict(row)
    flags = [(Flag(r["kind"], r["reason"]), r["related_path"]) for r in store.conn.execute(
        "SELECT kind, reason, related_path FROM governance_flags WHERE review_id = ?", (row["id"],))
        if r["kind"] not in ("doublon", "version")]
    counts = [tuple(r) for r in store.conn.execute(
        "SELECT type, count, kept FROM governance_pii_counts WHERE review_id = ?", (row["id"],))]
    removed = None
    if action == "exclude" and row["document_id"] is not None:
        removed = row["document_id"]
        store.delete_documents([removed])  # cascades to the review, rebuilt below
    decision = worst(row["decision"], action)
    with store.transaction() as conn:
        conn.execute("DELETE FROM governance_reviews WHERE id = ?", (row["id"],))
        row.update(decision=decision, superseded_by=by_path,
                   document_id=None if removed else row["document_id"])
        del row["id"]
        cols = ", ".join(row)
        cur = conn.execute(f"INSERT INTO governance_reviews ({cols}) VALUES"
                           f" ({', '.join('?' for _ in row)})", list(row.values()))
        review_id = int(cur.lastrowid)
        _insert_flags(conn, review_id, [*flags, (flag, by_path)])
        conn.executemany("INSERT INTO governance_pii_counts (review_id, type, count, kept)"
                         " VALUES (?,?,?,?)", [(review_id, *c) for c in counts])
    return removed


def indexed_document_id(store: Any, collection_id: int, path: str) -> int | None:
    row = store.conn.execute("SELECT id FROM documents WHERE collection_id = ? AND path = ?",
                             (collection_id, path)).fetchone()
    return int(row[0]) if row else None


def excluded_paths(store: Any, collection_id: int) -> dict[str, str]:
    """Files reviewed and excluded, with their content hash: unchanged ones need no new review."""
    rows = store.conn.execute(
        "SELECT path, content_hash FROM governance_reviews WHERE collection_id = ?"
        " AND decision = 'exclude' AND document_id IS NULL", (collection_id,))
    return {r["path"]: r["content_hash"] for r in rows}


def forget(store: Any, collection_id: int, paths: Iterable[str]) -> int:
    """Drop the reviews of files that no longer exist (indexed ones go with their document)."""
    with store.transaction() as conn:
        return sum(conn.execute(
            "DELETE FROM governance_reviews WHERE collection_id = ? AND path = ?",
            (collection_id, p)).rowcount for p in paths)


def review_rows(store: Any, collection_id: int) -> list[dict[str, Any]]:
    """Every review of the collection with its flags and counts, for the report."""
    reviews = {r["id"]: dict(r, flags=[], pii={}, pii_kept={}) for r in store.conn.execute(
        "SELECT id, document_id, path, title, format, folder, pages, chars, doc_date, decision,"
        " pii_policy, superseded_by, reviewed_at FROM governance_reviews WHERE collection_id = ?"
        " ORDER BY path", (collection_id,))}
    for r in store.conn.execute(
            "SELECT f.review_id, f.kind, f.reason, f.related_path FROM governance_flags f"
            " JOIN governance_reviews g ON g.id = f.review_id WHERE g.collection_id = ?"
            " ORDER BY f.id", (collection_id,)):
        reviews[r["review_id"]]["flags"].append(
            {"kind": r["kind"], "reason": r["reason"], "related_path": r["related_path"]})
    for r in store.conn.execute(
            "SELECT c.review_id, c.type, c.count, c.kept FROM governance_pii_counts c"
            " JOIN governance_reviews g ON g.id = c.review_id WHERE g.collection_id = ?",
            (collection_id,)):
        reviews[r["review_id"]]["pii"][r["type"]] = r["count"]
        reviews[r["review_id"]]["pii_kept"][r["type"]] = r["kept"]
    return list(reviews.values())
