"""The pseudonym mapping ([PERSONNE_3] → the person) kept apart from the index and encrypted.

Whoever copies the index database must not copy the identities (GDPR art. 4(5): the additional
information that re-identifies is « kept separately »; CNIL guidance on pseudonymisation).
Each original value is encrypted with Fernet (``cryptography``: AES-128-CBC + HMAC-SHA256) under
a key kept OUTSIDE the data folder (``cache_dir/secrets/``, mode 0600), and looked up by an
HMAC-SHA256 of the normalised value, so the storage holds no value in clear, not even hashed
without the key. Where the encrypted rows live depends on the store:

- SQLite: their own SQLite file beside the index (``pseudonyms.sqlite3``), key
  ``pseudonyms.key`` (``PseudonymVault``, this module);
- PostgreSQL: the table ``pseudonym_vault`` of the store's own schema (migration 014), so every
  machine sharing the server numbers the same person alike, under a key per store
  (``pseudonyms-<store id>.key``) that every such machine must hold (``pg_vault``).

Rows an older index still holds in clear in ``governance_pseudonyms`` are moved to the vault
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


def assign(conn: Any, table: str, collection_id: int, type_: str, lookup: str, secret: bytes,
           n: int | None) -> int:
    """Within the caller's write transaction (which serialises writers): the number of
    ``lookup`` in ``table``, inserted first with ``n`` (or the type's max + 1) when absent."""
    row = conn.execute(f"SELECT n FROM {table} WHERE collection_id = ? AND type = ?"
                       " AND lookup = ?", (collection_id, type_, lookup)).fetchone()
    if row is not None:
        return int(row[0])
    if n is None:
        n = int(conn.execute(f"SELECT COALESCE(MAX(n), 0) + 1 FROM {table} WHERE"
                             " collection_id = ? AND type = ?", (collection_id, type_)).fetchone()[0])
    conn.execute(f"INSERT INTO {table} (collection_id, type, lookup, n, secret)"
                 " VALUES (?, ?, ?, ?, ?)", (collection_id, type_, lookup, n, secret))
    return int(n)


class SealedVault:
    """Encrypted placeholder numbers per (collection, type, normalised value): the cryptography
    and the lookups, over a storage given by the subclass (``_version``, ``_find``,
    ``_assign``, ``_rows``). ``where`` names the storage in messages, ``key_path`` the key's
    file (``cache_dir/secrets/…``) once the store has opened the vault."""

    where: str
    key_path: Path | None = None

    def __init__(self, key: bytes) -> None:
        from cryptography.fernet import Fernet

        self._fernet = Fernet(key)
        self._mac = hashlib.sha256(b"clos-pseudonym-lookup:" + key).digest()
        # Decrypted entries per (collection, type), for name resolution during ingestion;
        # dropped whenever the storage changes (this process's writes or another's).
        self._cache: dict[tuple[int, str], tuple[Any, list[dict[str, Any]]]] = {}

    # ------------------------------------------------------------- storage
    def _version(self, collection_id: int, type_: str) -> Any:
        """A value that changes whenever the entries of (collection, type) may have."""
        raise NotImplementedError

    def _find(self, collection_id: int, type_: str, lookup: str) -> int | None:
        raise NotImplementedError

    def _assign(self, collection_id: int, type_: str, lookup: str, secret: bytes,
                n: int | None) -> int:
        """Insert (n, or max + 1 when None) unless ``lookup`` is there, atomically; its n."""
        raise NotImplementedError

    def _rows(self, collection_id: int, type_: str | None) -> list[Any]:
        """Rows with ``type``, ``n``, ``secret``, ``created_at``, by type then number."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the storage holds (nothing by default)."""

    # -------------------------------------------------------------- shared
    def cached_entries(self, collection_id: int, type_: str) -> list[dict[str, Any]]:
        """``entries`` kept until the vault changes (each call would decrypt every entry)."""
        version = self._version(collection_id, type_)
        hit = self._cache.get((collection_id, type_))
        if hit is None or hit[0] != version:
            hit = (version, self.entries(collection_id, type_))
            self._cache[(collection_id, type_)] = hit
        return hit[1]

    def _lookup(self, type_: str, key: str) -> str:
        return hmac.new(self._mac, f"{type_}\x00{key}".encode(), hashlib.sha256).hexdigest()

    def _seal(self, key: str, original: str) -> bytes:
        return self._fernet.encrypt(json.dumps({"key": key, "original": original},
                                               ensure_ascii=False).encode())

    def number(self, collection_id: int, type_: str, key: str, original: str,
               n: int | None = None) -> int:
        """The placeholder number of ``key`` (assigned max + 1 on first sight, atomically;
        ``n`` forces the number of a new entry, for entries moved or copied)."""
        lookup = self._lookup(type_, key)
        found = self._find(collection_id, type_, lookup)
        if found is not None:
            return found
        return self._assign(collection_id, type_, lookup, self._seal(key, original), n)

    def entries(self, collection_id: int, type_: str | None = None) -> list[dict[str, Any]]:
        """Decrypted ``{"type", "n", "key", "original", "created_at"}``, by type then number;
        GovernanceError (French) when the key does not open the vault."""
        from cryptography.fernet import InvalidToken

        out = []
        for r in self._rows(collection_id, type_):
            try:
                data = json.loads(self._fernet.decrypt(bytes(r["secret"])))
            except InvalidToken as exc:
                raise GovernanceError(
                    f"La clé de chiffrement des pseudonymes ne correspond pas à « {self.where} » "
                    "(clé remplacée ou dossier copié sans elle).") from exc
            out.append({"type": r["type"], "n": r["n"], "key": data["key"],
                        "original": data["original"], "created_at": r["created_at"]})
        return out


class PseudonymVault(SealedVault):
    """The vault of a SQLite index: its own SQLite file beside the index database."""

    def __init__(self, path: Path | str, key: bytes) -> None:
        super().__init__(key)
        self.path = Path(path)
        self.where = str(self.path)
        self._local = threading.local()

    def _version(self, collection_id: int, type_: str) -> tuple[int, int]:
        conn = self.conn
        return int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes

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

    def _find(self, collection_id: int, type_: str, lookup: str) -> int | None:
        row = self.conn.execute("SELECT n FROM pseudonyms WHERE collection_id = ? AND type = ?"
                                " AND lookup = ?", (collection_id, type_, lookup)).fetchone()
        return None if row is None else int(row[0])

    def _assign(self, collection_id: int, type_: str, lookup: str, secret: bytes,
                n: int | None) -> int:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            n = assign(conn, "pseudonyms", collection_id, type_, lookup, secret, n)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return n

    def _rows(self, collection_id: int, type_: str | None) -> list[Any]:
        sql = ("SELECT type, n, secret, created_at FROM pseudonyms WHERE collection_id = ?"
               + (" AND type = ?" if type_ else "") + " ORDER BY type, n")
        return self.conn.execute(sql, (collection_id, type_) if type_ else
                                 (collection_id,)).fetchall()


def new_key() -> bytes:
    """A fresh Fernet key (32 random bytes, URL-safe base64)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


class VaultMixin:
    """``pseudonym_vault()`` for both stores: the backend's vault (``_open_vault(settings)``:
    a file beside a SQLite index, an encrypted table of a PostgreSQL one), with the rows of the
    legacy in-index table moved into it, encrypted, once."""

    def _open_vault(self, settings: Any) -> SealedVault:  # provided by the backend
        raise NotImplementedError

    def pseudonym_vault(self) -> SealedVault:
        vault = getattr(self, "_vault", None)
        if vault is not None:
            return vault
        from clos.settings import Settings

        vault = self._open_vault(getattr(self, "secrets_settings", None) or Settings.load())
        legacy = self.conn.execute(
            "SELECT collection_id, type, key, n, original FROM governance_pseudonyms").fetchall()
        for r in legacy:
            vault.number(r["collection_id"], r["type"], r["key"], r["original"], n=r["n"])
        if legacy:
            with self.transaction() as conn:
                conn.execute("DELETE FROM governance_pseudonyms")
        self._vault = vault
        return vault

    def _vault_probe(self, settings: Any) -> tuple[Path, str, bytes | None]:
        """(key file, where the vault is, one token it holds or None): provided by the backend,
        read-only (nothing created)."""
        raise NotImplementedError

    def vault_check(self, settings: Any) -> tuple[bool, str]:
        """For `clos doctor`, without creating anything: (ok, French detail) — whether this
        machine holds the key that opens the store's pseudonyms."""
        from cryptography.fernet import Fernet, InvalidToken

        key_path, where, token = self._vault_probe(settings)
        if token is None:
            return True, f"chiffrés ({where}) ; clé {key_path}, créée au premier pseudonyme"
        if not key_path.exists():
            return False, (f"clé absente : « {key_path} ». Copiez-la depuis la machine qui a"
                           " créé ces pseudonymes (même dossier, droits 0600).")
        try:
            Fernet(key_path.read_bytes()).decrypt(token)
        except (InvalidToken, ValueError):
            return False, f"la clé « {key_path} » n'ouvre pas les pseudonymes de {where}."
        return True, f"chiffrés ({where}), clé {key_path}"

    def close_vault(self) -> None:
        vault, self._vault = getattr(self, "_vault", None), None
        if vault is not None:
            vault.close()

    # The store's pseudonym methods (``GovernanceStore``), served by the vault.
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
