"""The pseudonym mapping ([PERSONNE_3] → the person) kept apart from the index and encrypted.

Whoever copies the index database must not copy the identities (GDPR art. 4(5): the additional
information that re-identifies is « kept separately »; CNIL guidance on pseudonymisation).
So the mapping lives in its own SQLite file beside the index (``pseudonyms.sqlite3``) and each
original value is encrypted with Fernet (``cryptography``: AES-128-CBC + HMAC-SHA256) under a key
kept OUTSIDE the data folder (``cache_dir/secrets/pseudonyms.key``, mode 0600). Lookups use an
HMAC-SHA256 of the normalised value, so the file holds no value in clear, not even hashed
without the key. Rows an older index still holds in ``governance_pseudonyms`` are moved here
(encrypted) and deleted from the index the first time the vault is opened.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from clos.errors import GovernanceError

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pseudonyms (collection_id INTEGER NOT NULL, type TEXT NOT NULL,"
    " lookup TEXT NOT NULL, n INTEGER NOT NULL, secret BLOB NOT NULL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " PRIMARY KEY (collection_id, type, lookup), UNIQUE (collection_id, type, n))"
)


class PseudonymVault:
    """Encrypted placeholder numbers per (collection, type, normalised value)."""

    def __init__(self, path: Path | str, key: bytes) -> None:
        from cryptography.fernet import Fernet

        self.path = Path(path)
        self._fernet = Fernet(key)
        self._mac = hashlib.sha256(b"clos-pseudonym-lookup:" + key).digest()
        self._local = threading.local()
        # Decrypted entries per (collection, type), for name resolution during ingestion;
        # dropped whenever the file changes (this connection's writes or another's).
        self._cache: dict[tuple[int, str], tuple[tuple[int, int], list[dict[str, Any]]]] = {}

    def _version(self) -> tuple[int, int]:
        conn = self.conn
        return int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes

    def cached_entries(self, collection_id: int, type_: str) -> list[dict[str, Any]]:
        """``entries`` kept until the vault changes (each call would decrypt every entry)."""
        version = self._version()
        hit = self._cache.get((collection_id, type_))
        if hit is None or hit[0] != version:
            hit = (version, self.entries(collection_id, type_))
            self._cache[(collection_id, type_)] = hit
        return hit[1]

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(SCHEMA)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _lookup(self, type_: str, key: str) -> str:
        return hmac.new(self._mac, f"{type_}\x00{key}".encode(), hashlib.sha256).hexdigest()

    def _seal(self, key: str, original: str) -> bytes:
        return self._fernet.encrypt(json.dumps({"key": key, "original": original},
                                               ensure_ascii=False).encode())

    def number(self, collection_id: int, type_: str, key: str, original: str,
               n: int | None = None) -> int:
        """The placeholder number of ``key`` (assigned max + 1 on first sight, atomically)."""
        lookup = self._lookup(type_, key)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT n FROM pseudonyms WHERE collection_id = ? AND type = ?"
                               " AND lookup = ?", (collection_id, type_, lookup)).fetchone()
            if row is None:
                if n is None:
                    n = int(conn.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM pseudonyms WHERE"
                                         " collection_id = ? AND type = ?",
                                         (collection_id, type_)).fetchone()[0])
                conn.execute("INSERT INTO pseudonyms (collection_id, type, lookup, n, secret)"
                             " VALUES (?, ?, ?, ?, ?)",
                             (collection_id, type_, lookup, n, self._seal(key, original)))
                row = (n,)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(row[0])

    def entries(self, collection_id: int, type_: str | None = None) -> list[dict[str, Any]]:
        """Decrypted ``{"type", "n", "key", "original", "created_at"}``, by type then number;
        GovernanceError (French) when the key does not open the vault."""
        from cryptography.fernet import InvalidToken

        sql = ("SELECT type, n, secret, created_at FROM pseudonyms WHERE collection_id = ?"
               + (" AND type = ?" if type_ else "") + " ORDER BY type, n")
        out = []
        for r in self.conn.execute(sql, (collection_id, type_) if type_ else (collection_id,)):
            try:
                data = json.loads(self._fernet.decrypt(r["secret"]))
            except InvalidToken as exc:
                raise GovernanceError(
                    f"La clé de chiffrement des pseudonymes ne correspond pas à « {self.path} » "
                    "(clé remplacée ou dossier copié sans elle).") from exc
            out.append({"type": r["type"], "n": r["n"], "key": data["key"],
                        "original": data["original"], "created_at": r["created_at"]})
        return out


class VaultMixin:
    """``pseudonym_vault()`` for ``SQLiteStore``: the vault beside the index database, with the
    rows of the legacy in-index table moved into it once."""

    def pseudonym_vault(self) -> PseudonymVault:
        vault = getattr(self, "_vault", None)
        if vault is not None:
            return vault
        from clos.accounts import secret_file
        from clos.settings import Settings

        secrets_from = getattr(self, "secrets_settings", None) or Settings.load()

        def new_key() -> bytes:
            from cryptography.fernet import Fernet

            return Fernet.generate_key()

        vault = PseudonymVault(Path(self.path).parent / "pseudonyms.sqlite3",
                               secret_file(secrets_from, "pseudonyms.key", new_key))
        legacy = self.conn.execute(
            "SELECT collection_id, type, key, n, original FROM governance_pseudonyms").fetchall()
        for r in legacy:
            vault.number(r["collection_id"], r["type"], r["key"], r["original"], n=r["n"])
        if legacy:
            with self.transaction() as conn:
                conn.execute("DELETE FROM governance_pseudonyms")
        self._vault = vault
        return vault

    # The store's pseudonym methods (``GovernanceStore``), served by the vault: placed before
    # the shared governance SQL in ``SQLiteStore``'s bases, they replace the in-index table.
    def pseudonym_number(self, collection_id: int, type_: str, key: str, original: str) -> int:
        return self.pseudonym_vault().number(collection_id, type_, key, original)

    def pseudonyms_with_word(self, collection_id: int, type_: str,
                             word: str) -> list[tuple[str, str]]:
        """(key, original) of multi-word keys of this type holding ``word`` as a whole word."""
        return [(e["key"], e["original"])
                for e in self.pseudonym_vault().cached_entries(collection_id, type_)
                if " " in e["key"] and f" {word} " in f" {e['key']} "]

    def pseudonyms(self, collection_id: int, type_: str | None = None) -> list[dict[str, Any]]:
        """``{"type", "n", "original", "created_at"}`` of the collection, by type and number."""
        return [{k: e[k] for k in ("type", "n", "original", "created_at")}
                for e in self.pseudonym_vault().entries(collection_id, type_)]
