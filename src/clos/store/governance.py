"""Governance records in the store: reviews with their flags and personal-data counts, policies,
the allow-list (tables of migration 002). The pseudonym mapping is the vault's (vault.py).

Shared by both backends: the SQL is written once, in the subset SQLite and PostgreSQL agree on
(``?`` placeholders, which the PostgreSQL connection rewrites; ``ON CONFLICT``; ``RETURNING``).
A backend mixes ``GovernanceSQL`` in and provides ``conn`` (``execute`` returning rows readable
by name and position) and ``transaction()``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterable

from clos.types import Known

# Columns a review row may carry (the table's, minus id): the only names formatted into SQL.
REVIEW_COLUMNS = (
    "collection_id", "document_id", "path", "title", "format", "folder", "content_hash", "pages",
    "chars", "doc_date", "mtime", "decision", "pii_policy", "superseded_by", "sig_version",
    "minhash", "text_hash", "doc_key", "reviewed_at",
)


def utc_now() -> str:
    """Now as the schema writes it: ISO 8601 UTC to the second (``2026-01-31T08:00:00Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class GovernanceSQL:
    """The ``GovernanceStore`` role (see clos.store.protocol)."""

    conn: Any

    def transaction(self, *, index: bool = True) -> Any:  # provided by the backend
        raise NotImplementedError

    # ----------------------------------------------------- collection settings
    def collection_settings(self, collection_id: int) -> tuple[str, dict[str, Any]]:
        """(template, settings overridden) of a collection (migration 011); ("", {}) if unset."""
        row = self.conn.execute(
            "SELECT template, settings FROM collection_settings WHERE collection_id = ?",
            (collection_id,)).fetchone()
        return (row["template"], json.loads(row["settings"] or "{}")) if row else ("", {})

    def set_collection_settings(self, collection_id: int, template: str,
                                settings: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO collection_settings (collection_id, template, settings, updated_at)"
                " VALUES (?,?,?,?) ON CONFLICT (collection_id) DO UPDATE SET"
                " template = excluded.template, settings = excluded.settings,"
                " updated_at = excluded.updated_at",
                (collection_id, template, json.dumps(settings, ensure_ascii=False), utc_now()))

    # ---------------------------------------------------------------- reviews
    def known_documents(self, collection_id: int, *, except_path: str,
                        sig_version: int) -> list[Known]:
        """Reviews of the collection's other files with a signature of ``sig_version``."""
        rows = self.conn.execute(
            "SELECT path, document_id, minhash, text_hash, doc_key, doc_date, mtime, decision"
            " FROM governance_reviews WHERE collection_id = ? AND path != ? AND sig_version = ?",
            (collection_id, except_path, sig_version),
        ).fetchall()
        return [Known(r["path"], r["document_id"], bytes(r["minhash"] or b""), r["text_hash"],
                      r["doc_key"], r["doc_date"], r["mtime"], r["decision"]) for r in rows]

    def save_review(self, collection_id: int, document_id: int | None, fields: dict[str, Any],
                    flags: list[tuple[str, str, str | None]],
                    counts: list[tuple[str, int, int]], *, replace_id: int | None = None) -> int:
        """Insert the review of ``fields["path"]`` with its flags (kind, reason, related path)
        and counts (type, count, kept), in one transaction; returns its id.

        It replaces the review ``replace_id`` when given, else any review of the same path and
        any review of ``document_id`` (a document row has one review, whatever its path was)."""
        row = {**fields, "collection_id": collection_id, "document_id": document_id}
        unknown = set(row) - set(REVIEW_COLUMNS)
        if unknown:
            raise ValueError(f"unknown review columns: {sorted(unknown)}")
        with self.transaction() as conn:
            if replace_id is not None:
                conn.execute("DELETE FROM governance_reviews WHERE id = ?", (replace_id,))
            else:
                conn.execute("DELETE FROM governance_reviews WHERE collection_id = ? AND path = ?",
                             (collection_id, row["path"]))
                if document_id is not None:
                    conn.execute("DELETE FROM governance_reviews WHERE document_id = ?",
                                 (document_id,))
            cols = ", ".join(row)
            review_id = int(conn.execute(
                f"INSERT INTO governance_reviews ({cols}) VALUES ({', '.join('?' for _ in row)})"
                " RETURNING id", list(row.values())).fetchone()[0])
            if flags:
                conn.executemany(
                    "INSERT INTO governance_flags (review_id, kind, reason, related_path)"
                    " VALUES (?,?,?,?)", [(review_id, *f) for f in flags])
            if counts:
                conn.executemany(
                    "INSERT INTO governance_pii_counts (review_id, type, count, kept)"
                    " VALUES (?,?,?,?)", [(review_id, *c) for c in counts])
        return review_id

    def review(self, collection_id: int, path: str) -> dict[str, Any] | None:
        """Every column of the review of ``path`` (with ``id``), or None."""
        row = self.conn.execute(
            "SELECT * FROM governance_reviews WHERE collection_id = ? AND path = ?",
            (collection_id, path)).fetchone()
        return dict(row) if row is not None else None

    def review_details(self, review_id: int) -> tuple[list[tuple[str, str, str | None]],
                                                      list[tuple[str, int, int]]]:
        """(flags as (kind, reason, related path), counts as (type, count, kept)) of a review."""
        flags = [(r["kind"], r["reason"], r["related_path"]) for r in self.conn.execute(
            "SELECT kind, reason, related_path FROM governance_flags WHERE review_id = ?"
            " ORDER BY id", (review_id,)).fetchall()]
        counts = [(r["type"], r["count"], r["kept"]) for r in self.conn.execute(
            "SELECT type, count, kept FROM governance_pii_counts WHERE review_id = ?",
            (review_id,)).fetchall()]
        return flags, counts

    def excluded_reviews(self, collection_id: int) -> dict[str, str]:
        """Path → content hash of the files reviewed, excluded and never indexed."""
        rows = self.conn.execute(
            "SELECT path, content_hash FROM governance_reviews WHERE collection_id = ?"
            " AND decision = 'exclude' AND document_id IS NULL", (collection_id,)).fetchall()
        return {r["path"]: r["content_hash"] for r in rows}

    def forget_reviews(self, collection_id: int, paths: Iterable[str]) -> int:
        """Delete the reviews of these paths; returns how many were deleted."""
        with self.transaction() as conn:
            return sum(conn.execute(
                "DELETE FROM governance_reviews WHERE collection_id = ? AND path = ?",
                (collection_id, p)).rowcount for p in paths)

    def review_rows(self, collection_id: int) -> list[dict[str, Any]]:
        """Every review of the collection with its flags and counts, for the report."""
        reviews = {r["id"]: dict(r, flags=[], pii={}, pii_kept={}) for r in self.conn.execute(
            "SELECT id, document_id, path, title, format, folder, pages, chars, doc_date, decision,"
            " pii_policy, superseded_by, reviewed_at FROM governance_reviews"
            " WHERE collection_id = ? ORDER BY path", (collection_id,)).fetchall()}
        for r in self.conn.execute(
                "SELECT f.review_id, f.kind, f.reason, f.related_path FROM governance_flags f"
                " JOIN governance_reviews g ON g.id = f.review_id WHERE g.collection_id = ?"
                " ORDER BY f.id", (collection_id,)).fetchall():
            reviews[r["review_id"]]["flags"].append(
                {"kind": r["kind"], "reason": r["reason"], "related_path": r["related_path"]})
        for r in self.conn.execute(
                "SELECT c.review_id, c.type, c.count, c.kept FROM governance_pii_counts c"
                " JOIN governance_reviews g ON g.id = c.review_id WHERE g.collection_id = ?",
                (collection_id,)).fetchall():
            reviews[r["review_id"]]["pii"][r["type"]] = r["count"]
            reviews[r["review_id"]]["pii_kept"][r["type"]] = r["kept"]
        return list(reviews.values())

    def document_id(self, collection_id: int, path: str) -> int | None:
        """The indexed document of ``path`` in the collection, or None."""
        row = self.conn.execute("SELECT id FROM documents WHERE collection_id = ? AND path = ?",
                                (collection_id, path)).fetchone()
        return int(row[0]) if row else None

    # --------------------------------------------------------------- policies
    def policy_row(self, collection_id: int) -> dict[str, Any] | None:
        """``{"pii_policy", "flag_actions" (JSON text), "max_age_years"}`` or None when unset."""
        row = self.conn.execute(
            "SELECT pii_policy, flag_actions, max_age_years FROM governance_policies"
            " WHERE collection_id = ?", (collection_id,)).fetchone()
        return dict(row) if row is not None else None

    def save_policy(self, collection_id: int, pii_policy: str, flag_actions: str,
                    max_age_years: int) -> None:
        """Insert or update the collection's policy (``flag_actions``: JSON text)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO governance_policies (collection_id, pii_policy, flag_actions,"
                " max_age_years) VALUES (?,?,?,?) ON CONFLICT (collection_id) DO UPDATE SET"
                " pii_policy = excluded.pii_policy, flag_actions = excluded.flag_actions,"
                " max_age_years = excluded.max_age_years, updated_at = ?",
                (collection_id, pii_policy, flag_actions, max_age_years, utc_now()))

    def allow_list(self, collection_id: int) -> list[str]:
        """The values kept as they are, sorted."""
        rows = self.conn.execute(
            "SELECT value FROM governance_allowlist WHERE collection_id = ? ORDER BY value",
            (collection_id,)).fetchall()
        return [r[0] for r in rows]

    def allow_values(self, collection_id: int, items: Iterable[tuple[str, str, str]]) -> None:
        """Add or replace (normalised key, value as entered, note) entries of the allow-list."""
        with self.transaction() as conn:
            for key, value, note in items:
                conn.execute(
                    "INSERT INTO governance_allowlist (collection_id, key, value, note)"
                    " VALUES (?,?,?,?) ON CONFLICT (collection_id, key) DO UPDATE SET"
                    " value = excluded.value, note = excluded.note",
                    (collection_id, key, value, note))

    def disallow_keys(self, collection_id: int, keys: Iterable[str]) -> None:
        with self.transaction() as conn:
            for key in keys:
                conn.execute("DELETE FROM governance_allowlist WHERE collection_id = ? AND key = ?",
                             (collection_id, key))

    # ---------------------------------------------------- public roles (007)
    def public_roles(self, collection_id: int) -> str | None:
        """The collection's ``public_roles`` policy (garder | pseudonymiser), None when unset."""
        row = self.conn.execute("SELECT public_roles FROM governance_policies WHERE collection_id = ?",
                                (collection_id,)).fetchone()
        return row[0] if row is not None else None

    def set_public_roles(self, collection_id: int, value: str, pii_policy: str) -> None:
        """Store ``public_roles``; creates the policy row (with ``pii_policy``) when absent."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO governance_policies (collection_id, pii_policy, public_roles)"
                " VALUES (?,?,?) ON CONFLICT (collection_id) DO UPDATE SET"
                " public_roles = excluded.public_roles, updated_at = ?",
                (collection_id, pii_policy, value, utc_now()))

    def public_names(self, collection_id: int) -> list[dict[str, Any]]:
        """Names learnt acting in a public role: [{key, name, documents, first_path}], by name."""
        rows = self.conn.execute(
            "SELECT key, name, documents, first_path FROM governance_public_names"
            " WHERE collection_id = ? ORDER BY name", (collection_id,)).fetchall()
        return [dict(r) for r in rows]

    def add_public_names(self, collection_id: int, names: Iterable[tuple[str, str]], path: str) -> None:
        """Record (key, name) pairs seen in a public role in ``path`` (one more document each)."""
        with self.transaction() as conn:
            for key, name in names:
                conn.execute(
                    "INSERT INTO governance_public_names (collection_id, key, name, first_path)"
                    " VALUES (?,?,?,?) ON CONFLICT (collection_id, key) DO UPDATE SET"
                    " documents = governance_public_names.documents + 1",
                    (collection_id, key, name, path))
