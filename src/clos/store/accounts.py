"""Accounts in the store (migration 008): users, groups, grants, API tokens, the audit log,
each user's conversation, and the reads the web pages need (documents, a chunk's source).

Shared by both backends, like ``governance.py``: the SQL is written once in the subset SQLite
and PostgreSQL agree on (``?`` placeholders, which the PostgreSQL connection rewrites;
``ON CONFLICT``; ``RETURNING``; timestamps written by Python, ``utc_now``). Writes here change
nothing a search reads: ``transaction(index=False)``. The one dialect
difference, how a unique-constraint violation shows, is the backend's ``_unique_violation``.
The contract is ``protocol.AccountStore``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterable

from clos.errors import StoreError
from clos.store.governance import utc_now


# A token's last use is kept to the minute: writing it on each API call was one more write
# transaction per request (bench/bench_web_store.py).
TOKEN_USE_SECONDS = 60


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class AccountsSQL:
    """Methods over the tables of migration 008. Needs ``conn``, ``transaction()`` and
    ``_unique_violation(driver error) -> bool`` from the backend."""

    conn: Any

    def transaction(self, *, index: bool = True) -> Any:  # provided by the backend
        raise NotImplementedError

    def _unique_violation(self, exc: BaseException | None) -> bool:  # provided by the backend
        raise NotImplementedError

    # ------------------------------------------------------------------ users
    def user_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM users WHERE disabled = 0").fetchone()[0])

    def add_user(self, name: str, password_hash: str, groups: Iterable[str]) -> int:
        """Create a user with its groups; StoreError (French) if the name is taken."""
        try:
            with self.transaction(index=False) as conn:
                user_id = int(conn.execute(
                    "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)"
                    " RETURNING id", (name, password_hash, utc_now())).fetchone()[0])
                self._add_groups(conn, user_id, groups)
        except StoreError as exc:
            if self._unique_violation(exc.__cause__):
                raise StoreError(f"Le compte « {name} » existe déjà.") from exc
            raise
        return user_id

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        with self.transaction(index=False) as conn:
            cur = conn.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                               (password_hash, name))
        return cur.rowcount > 0

    def add_user_groups(self, name: str, groups: Iterable[str]) -> bool:
        user = self.user(name)
        if user is None:
            return False
        with self.transaction(index=False) as conn:
            self._add_groups(conn, user["id"], groups)
        return True

    @staticmethod
    def _add_groups(conn: Any, user_id: int, groups: Iterable[str]) -> None:
        rows = [(user_id, g) for g in dict.fromkeys(groups)]
        if rows:
            conn.executemany("INSERT INTO user_groups (user_id, name) VALUES (?, ?)"
                             " ON CONFLICT (user_id, name) DO NOTHING", rows)

    def user(self, name: str) -> dict[str, Any] | None:
        """``{"id", "name", "password_hash", "groups": [...], "disabled"}`` or None."""
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return self._with_groups(row) if row else None

    def users(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM users ORDER BY name").fetchall()
        return [self._with_groups(r) for r in rows]

    def _with_groups(self, row: Any) -> dict[str, Any]:
        groups = [r[0] for r in self.conn.execute(
            "SELECT name FROM user_groups WHERE user_id = ? ORDER BY name", (row["id"],))]
        return {**dict(row), "groups": groups}

    # ----------------------------------------------------------------- tokens
    def add_token(self, user_id: int, digest: str, label: str = "") -> int:
        with self.transaction(index=False) as conn:
            return int(conn.execute(
                "INSERT INTO api_tokens (user_id, digest, label, created_at) VALUES (?, ?, ?, ?)"
                " RETURNING id", (user_id, digest, label, utc_now())).fetchone()[0])

    def user_by_token(self, digest: str) -> dict[str, Any] | None:
        """The token's user (as ``user``) or None; ``last_used_at`` is written when it is over
        ``TOKEN_USE_SECONDS`` old, not on every request."""
        row = self.conn.execute(
            "SELECT u.*, t.last_used_at AS token_used_at FROM api_tokens t JOIN users u"
            " ON u.id = t.user_id WHERE t.digest = ?", (digest,)).fetchone()
        if row is None:
            return None
        now = time.time()
        if (row["token_used_at"] or "") < _iso(now - TOKEN_USE_SECONDS):
            with self.transaction(index=False) as conn:
                conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE digest = ?",
                             (_iso(now), digest))
        user = self._with_groups(row)
        user.pop("token_used_at")
        return user

    # ----------------------------------------------------------------- grants
    def grant(self, collection_id: int, group: str, *, read: bool, write: bool) -> None:
        """Set (or with both False, remove) a group's rights on a collection."""
        with self.transaction(index=False) as conn:
            if not read and not write:
                conn.execute("DELETE FROM collection_grants WHERE collection_id = ? AND"
                             " group_name = ?", (collection_id, group))
                return
            conn.execute(
                "INSERT INTO collection_grants (collection_id, group_name, can_read, can_write)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (collection_id, group_name) DO UPDATE SET"
                " can_read = excluded.can_read, can_write = excluded.can_write",
                (collection_id, group, int(read or write), int(write)))

    def grants(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT c.name AS collection, g.group_name, g.can_read, g.can_write"
            " FROM collection_grants g JOIN collections c ON c.id = g.collection_id"
            " ORDER BY c.name, g.group_name")
        return [dict(r) for r in rows]

    def collection_rights(self, groups: Iterable[str]) -> dict[str, tuple[bool, bool]]:
        """Collection name → (read, write) over the given groups."""
        groups = list(groups)
        if not groups:
            return {}
        rows = self.conn.execute(
            "SELECT c.name, MAX(g.can_read), MAX(g.can_write) FROM collection_grants g"
            " JOIN collections c ON c.id = g.collection_id"
            f" WHERE g.group_name IN ({','.join('?' * len(groups))}) GROUP BY c.name", groups)
        return {r[0]: (bool(r[1]), bool(r[2])) for r in rows}

    # ------------------------------------------------------------------ audit
    def audit(self, user: str, action: str, collection: str | None = None,
              detail: dict[str, Any] | None = None) -> int:
        with self.transaction(index=False) as conn:
            return int(conn.execute(
                "INSERT INTO audit_log (user_name, action, collection, detail) VALUES (?,?,?,?)"
                " RETURNING id",
                (user, action, collection, json.dumps(detail or {}, ensure_ascii=False))
            ).fetchone()[0])

    def audit_entries(self, *, user: str | None = None, since: str | None = None,
                      limit: int = 200) -> list[dict[str, Any]]:
        """Newest first; ``since`` is an ISO date or timestamp (UTC)."""
        where, params = [], []
        if user:
            where.append("user_name = ?")
            params.append(user)
        if since:
            where.append("at >= ?")
            params.append(since)
        sql = ("SELECT id, at, user_name, action, collection, detail FROM audit_log"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?")
        rows = self.conn.execute(sql, [*params, limit]).fetchall()
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]

    # ----------------------------------------------------------- conversation
    def save_conversation_answer(self, answer_id: int, user: str, collection_id: int | None,
                                 payload: dict[str, Any]) -> None:
        with self.transaction(index=False) as conn:
            conn.execute(
                "INSERT INTO conversation_answers (answer_id, user_name, collection_id, payload,"
                " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (answer_id) DO UPDATE SET"
                " user_name = excluded.user_name, collection_id = excluded.collection_id,"
                " payload = excluded.payload, created_at = excluded.created_at",
                (answer_id, user, collection_id, json.dumps(payload, ensure_ascii=False),
                 utc_now()))

    def conversation(self, user: str, collection_id: int | None = None,
                     limit: int = 50) -> list[dict[str, Any]]:
        """The user's answers, oldest first: ``{"answer_id", "collection", "payload", ...}``."""
        sql = ("SELECT a.answer_id, a.created_at, c.name AS collection, a.payload"
               " FROM conversation_answers a LEFT JOIN collections c ON c.id = a.collection_id"
               " WHERE a.user_name = ?")
        params: list[Any] = [user]
        if collection_id is not None:
            sql += " AND a.collection_id = ?"
            params.append(collection_id)
        rows = self.conn.execute(sql + " ORDER BY a.answer_id DESC LIMIT ?", [*params, limit])
        out = [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]
        return out[::-1]

    def conversation_answer(self, answer_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT a.answer_id, a.user_name, a.created_at, c.name AS collection, a.payload"
            " FROM conversation_answers a LEFT JOIN collections c ON c.id = a.collection_id"
            " WHERE a.answer_id = ?", (answer_id,)).fetchone()
        return {**dict(row), "payload": json.loads(row["payload"])} if row else None

    # -------------------------------------------------------- pages' reads
    def documents(self, collection_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT d.id, d.path, d.title, d.format, d.pages, d.size, d.indexed_at,"
            " (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunks"
            " FROM documents d WHERE d.collection_id = ? ORDER BY d.path", (collection_id,))
        return [dict(r) for r in rows]

    def vector_progress(self, collection_id: int, model: str) -> tuple[int, int]:
        """(chunks with a vector for ``model``, chunks) of the collection."""
        row = self.conn.execute(
            "SELECT COUNT(v.chunk_id), COUNT(*) FROM chunks c JOIN documents d"
            " ON d.id = c.document_id LEFT JOIN chunk_vectors v ON v.chunk_id = c.id"
            " AND v.model = ? WHERE d.collection_id = ?", (model, collection_id)).fetchone()
        return int(row[0]), int(row[1])

    def last_run(self, collection_id: int) -> dict[str, Any] | None:
        """The collection's latest ingestion run with its errors (``errors``: [{"path",
        "reason"}]), or None."""
        row = self.conn.execute(
            "SELECT * FROM ingest_runs WHERE collection_id = ? ORDER BY id DESC LIMIT 1",
            (collection_id,)).fetchone()
        if row is None:
            return None
        errors = self.conn.execute("SELECT path, reason FROM ingest_errors WHERE run_id = ?"
                                   " ORDER BY id", (row["id"],)).fetchall()
        return {**dict(row), "errors": [dict(e) for e in errors]}

    def document(self, document_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT d.id, d.collection_id, c.name AS collection, d.path, d.title, d.format,"
            " d.pages, d.size FROM documents d JOIN collections c ON c.id = d.collection_id"
            " WHERE d.id = ?", (document_id,)).fetchone()
        return dict(row) if row else None

    def chunk_source(self, chunk_id: int) -> dict[str, Any] | None:
        """Where a chunk stands: ``{"chunk_id", "text", "page", "document_id", "path", "title",
        "format", "collection_id", "collection"}`` or None."""
        row = self.conn.execute(
            "SELECT k.id AS chunk_id, k.text, k.page, d.id AS document_id, d.path, d.title,"
            " d.format, d.collection_id, c.name AS collection FROM chunks k"
            " JOIN documents d ON d.id = k.document_id JOIN collections c ON c.id ="
            " d.collection_id WHERE k.id = ?", (chunk_id,)).fetchone()
        return dict(row) if row else None

    def document_chunks(self, document_id: int) -> list[dict[str, Any]]:
        """``{"chunk_id", "text", "page"}`` of a document's chunks as indexed (governed,
        pseudonymised), in reading order."""
        return [dict(r) for r in self.conn.execute(
            "SELECT id AS chunk_id, text, page FROM chunks WHERE document_id = ?"
            " ORDER BY ordinal", (document_id,))]
