"""The pseudonym vault of a PostgreSQL store: the encrypted rows in the store's own table
``pseudonym_vault`` (migration 014), the key on the machines that use the store.

Why in the database and not in a file beside it, as for SQLite: several machines (the web
server, an ingestion job) share one PostgreSQL store, and ``[PERSONNE_3]`` must be the same
person for all of them, so numbers are assigned under the server's lock. Nothing in the
database re-identifies anyone without the key: values are Fernet tokens, lookups HMACs.

The key is ``cache_dir/secrets/pseudonyms-<store id>.key`` (mode 0600, created by the first
machine that pseudonymises into the store): one key per store, so a machine's own SQLite index
and the shared store never mix keys. Another machine using the same store needs a copy of that
file; without it, or with another key, opening the vault fails with a French ``GovernanceError``
naming the file, before anything is written under a wrong key (``key_check``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from clos.errors import GovernanceError
from clos.store.vault import SealedVault, assign, new_key

if TYPE_CHECKING:
    from clos.store.postgres import PostgresStore

CHECK = b"clos-pseudonym-vault"


def key_name(store_id: str) -> str:
    """The key file's name for the store ``store_id`` (in ``cache_dir/secrets``)."""
    return f"pseudonyms-{store_id}.key"


def probe(store: "PostgresStore", settings: Any) -> tuple[Path, str, bytes | None]:
    """(this machine's key file for the store, where the vault is, its key check or None)."""
    from clos.store.pg_connection import redact

    row = store.conn.execute(
        "SELECT store_id, key_check FROM pseudonym_vault_key WHERE id = 1").fetchone()
    path = Path(settings.cache_dir) / "secrets" / key_name(row["store_id"])
    check = row["key_check"]
    return path, f"table pseudonym_vault de {redact(store.url)}", (
        bytes(check) if check is not None else None)


class PgPseudonymVault(SealedVault):
    """Encrypted rows in ``pseudonym_vault``, numbers assigned under an advisory lock."""

    def __init__(self, store: "PostgresStore", key: bytes) -> None:
        from clos.store.pg_connection import redact

        super().__init__(key)
        self.store = store
        self.where = f"{redact(store.url)} (table pseudonym_vault)"

    @classmethod
    def open(cls, store: "PostgresStore", settings: Any) -> "PgPseudonymVault":
        """The store's vault with this machine's key for it (created on first use)."""
        from cryptography.fernet import InvalidToken

        from clos.accounts import secret_file

        row = store.conn.execute(
            "SELECT store_id, key_check FROM pseudonym_vault_key WHERE id = 1").fetchone()
        name = key_name(row["store_id"])
        path = Path(settings.cache_dir) / "secrets" / name
        if row["key_check"] is not None and not path.exists():
            raise GovernanceError(
                "La clé de chiffrement des pseudonymes de cette base PostgreSQL est absente de"
                f" cette machine : copiez le fichier « {name} » d'une machine qui utilise déjà"
                f" cette base dans « {path.parent} » (droits 0600).")
        vault = cls(store, secret_file(settings, name, new_key))
        vault.key_path = path
        if row["key_check"] is None:
            with store.transaction() as conn:
                conn.execute("UPDATE pseudonym_vault_key SET key_check = ? WHERE id = 1"
                             " AND key_check IS NULL", (vault._fernet.encrypt(CHECK),))
            row = store.conn.execute(
                "SELECT key_check FROM pseudonym_vault_key WHERE id = 1").fetchone()
        try:
            vault._fernet.decrypt(bytes(row["key_check"]))
        except InvalidToken as exc:
            raise GovernanceError(
                f"La clé « {path} » n'ouvre pas les pseudonymes de {vault.where} (clé remplacée,"
                " ou créée sur cette machine sans la copier depuis celle qui utilise déjà la"
                " base).") from exc
        return vault

    def _version(self, collection_id: int, type_: str) -> int:
        # Entries are only ever added (a collection's go with it): their count is their
        # version, read on the primary key's prefix; the store's change counter would move
        # with every document written.
        return int(self.store.conn.execute(
            "SELECT COUNT(*) FROM pseudonym_vault WHERE collection_id = ? AND type = ?",
            (collection_id, type_)).fetchone()[0])

    def _find(self, collection_id: int, type_: str, lookup: str) -> int | None:
        row = self.store.conn.execute(
            "SELECT n FROM pseudonym_vault WHERE collection_id = ? AND type = ? AND lookup = ?",
            (collection_id, type_, lookup)).fetchone()
        return None if row is None else int(row[0])

    def _assign(self, collection_id: int, type_: str, lookup: str, secret: bytes,
                n: int | None) -> int:
        with self.store.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(7411, ?)", (int(collection_id),))
            return assign(conn, "pseudonym_vault", collection_id, type_, lookup, secret, n)

    def _rows(self, collection_id: int, type_: str | None) -> list[Any]:
        sql = ("SELECT type, n, secret, created_at FROM pseudonym_vault WHERE collection_id = ?"
               + (" AND type = ?" if type_ else "") + " ORDER BY type, n")
        return self.store.conn.execute(sql, (collection_id, type_) if type_ else
                                       (collection_id,)).fetchall()
