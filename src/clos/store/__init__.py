"""Storage backends behind the Store protocol."""

from __future__ import annotations

from pathlib import Path

from clos.settings import Settings
from clos.store.protocol import (
    DocumentStore,
    GovernanceStore,
    JournalStore,
    LedgerStore,
    SearchStore,
    Store,
    VectorStore,
)
from clos.store.sqlite import SQLiteStore


def is_postgres(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL database (``postgresql://…``) rather than a file."""
    return str(target).startswith(("postgresql://", "postgres://"))


def store_at(target: str | Path) -> Store:
    """The store at ``target``: a ``postgresql://`` URL, a SQLite file, or a data folder (its
    ``clos.sqlite3``). Nothing is opened before the first use."""
    if is_postgres(target):
        from clos.store.postgres import PostgresStore

        return PostgresStore(str(target))
    path = Path(target)
    return SQLiteStore(path / "clos.sqlite3" if path.is_dir() else path)


def open_store(settings: Settings) -> Store:
    """The store the settings choose: ``settings.store`` (``CLOS_STORE``) when set, a
    ``postgresql://`` URL or a SQLite file; by default the SQLite file of the data folder."""
    store = store_at(settings.store) if settings.store else SQLiteStore(settings.db_path)
    store.secrets_settings = settings  # where the pseudonym key lives (outside the data folder)
    return store


__all__ = ["DocumentStore", "GovernanceStore", "JournalStore", "LedgerStore", "SQLiteStore",
           "SearchStore", "Store", "VectorStore", "is_postgres", "open_store", "store_at"]
