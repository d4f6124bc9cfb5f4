"""Local accounts, groups, per-group collection rights, API tokens and the audit log.

The library side of `clos serve` (the CLI and the web layer only call this). Passwords are
hashed with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile); API tokens are
random (``secrets.token_urlsafe(32)``, 256 bits) and only their SHA-256 is stored.

Rights: the ``admin`` group reads and writes every collection and sees the audit log; any other
group reads or writes what ``grant`` gave it. With no account at all Clos runs in *local mode*:
one implicit administrator (``local``), allowed only while the server listens on loopback.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clos.errors import AccessError, ClosError

ADMIN_GROUP = "admin"
LOCAL_USER = "local"
UNKNOWN_COLLECTION = "Collection inconnue : « {name} »."
MIN_PASSWORD = 8  # ANSSI/CNIL recommend more for passwords alone; a floor against typos


@dataclass(frozen=True)
class User:
    """Who is calling: a name and groups. ``local`` marks the implicit local-mode user."""

    name: str
    groups: tuple[str, ...] = ()
    local: bool = False

    @property
    def admin(self) -> bool:
        return ADMIN_GROUP in self.groups


LOCAL = User(LOCAL_USER, (ADMIN_GROUP,), local=True)


def secret_file(settings: Any, name: str, make: Any = None) -> bytes:
    """A secret kept OUTSIDE the data folder (``cache_dir/secrets/NAME``, mode 0600), created
    on first use: copying the index does not copy the key that signs sessions or encrypts."""
    folder = Path(settings.cache_dir) / "secrets"
    path = folder / name
    if path.exists():
        return path.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    value = make() if make else secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value


class Accounts:
    """Accounts over a store that fulfils ``clos.store.protocol.AccountStore``."""

    def __init__(self, store: Any) -> None:
        from argon2 import PasswordHasher

        self.store = store
        self._hasher = PasswordHasher()

    # -------------------------------------------------------------- accounts
    @property
    def enabled(self) -> bool:
        """True once at least one account exists (then every page asks to log in)."""
        return self.store.user_count() > 0

    def add_user(self, name: str, password: str, groups: list[str]) -> User:
        name = (name or "").strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise AccessError("Nom de compte invalide (1 à 64 caractères, sans espace).")
        if len(password or "") < MIN_PASSWORD:
            raise AccessError(f"Mot de passe trop court ({MIN_PASSWORD} caractères au moins).")
        groups = [g.strip() for g in groups if g.strip()]
        self.store.add_user(name, self._hasher.hash(password), groups)
        self.store.audit(name, "user_add", None, {"groups": groups})
        return User(name, tuple(sorted(groups)))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password matches, else None (an audit entry either way)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        row = self.store.user(name or "")
        ok = False
        if row is not None and not row["disabled"]:
            try:
                ok = self._hasher.verify(row["password_hash"], password or "")
            except (VerificationError, InvalidHashError):
                ok = False
            if ok and self._hasher.check_needs_rehash(row["password_hash"]):
                self.store.set_password_hash(name, self._hasher.hash(password))
        self.store.audit(name or "?", "login" if ok else "login_failed")
        return User(row["name"], tuple(row["groups"])) if ok else None

    def user(self, name: str) -> User | None:
        row = self.store.user(name)
        return User(row["name"], tuple(row["groups"])) if row and not row["disabled"] else None

    def new_token(self, name: str, label: str = "") -> str:
        """A new API token for ``name``, returned once (only its digest is stored)."""
        row = self.store.user(name)
        if row is None:
            raise AccessError(f"Compte inconnu : « {name} ».")
        token = "clos_" + secrets.token_urlsafe(32)
        self.store.add_token(row["id"], _digest(token), label)
        self.store.audit(name, "token", None, {"label": label})
        return token

    def user_for_token(self, token: str) -> User | None:
        row = self.store.user_by_token(_digest(token or ""))
        return User(row["name"], tuple(row["groups"])) if row and not row["disabled"] else None

    # ---------------------------------------------------------------- rights
    def grant(self, collection: str, group: str, *, read: bool = True, write: bool = False) -> None:
        cid = self.store.collection_id(collection, create=False)
        if cid is None:
            raise AccessError(UNKNOWN_COLLECTION.format(name=collection))
        self.store.grant(cid, group, read=read, write=write)

    def rights(self, user: User) -> dict[str, tuple[bool, bool]]:
        """Collection name → (read, write) for ``user``; administrators get every collection."""
        if user.admin:
            return {c["name"]: (True, True) for c in self.store.collections()}
        return self.store.collection_rights(user.groups)

    def readable(self, user: User) -> list[str]:
        return sorted(name for name, (read, _) in self.rights(user).items() if read)

    def require(self, user: User, collection: str, *, write: bool = False) -> int:
        """The collection's id if ``user`` may read it (or write, with ``write``); otherwise
        AccessError « collection inconnue », the same whether it is forbidden or absent."""
        read_ok, write_ok = self.rights(user).get(collection, (False, False))
        cid = self.store.collection_id(collection, create=False)
        if cid is None or not read_ok or (write and not write_ok):
            if cid is not None and read_ok and write:
                raise AccessError(f"Vous ne pouvez pas modifier la collection « {collection} ».")
            raise AccessError(UNKNOWN_COLLECTION.format(name=collection))
        return cid

    # ----------------------------------------------------------------- audit
    def audit(self, user: User, action: str, collection: str | None = None,
              **detail: Any) -> None:
        self.store.audit(user.name, action, collection, detail)

    def audit_log(self, *, user: str | None = None, since: str | None = None,
                  limit: int = 200) -> list[dict[str, Any]]:
        return self.store.audit_entries(user=user, since=since, limit=limit)


def check_bind(host: str, accounts_enabled: bool) -> None:
    """Refuse to listen beyond loopback while no account protects the data (ClosError)."""
    if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."):
        return
    if not accounts_enabled:
        raise ClosError(
            f"Refus d'écouter sur « {host} » : aucun compte n'existe, tout le réseau lirait vos "
            "documents. Créez d'abord un compte (« clos user add NOM --group admin ») ou gardez "
            "l'adresse par défaut 127.0.0.1.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
