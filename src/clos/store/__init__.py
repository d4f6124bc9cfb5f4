"""Storage backends behind the Store protocol."""

from __future__ import annotations

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


def open_store(settings: Settings) -> Store:
    """The store for the settings' data folder."""
    return SQLiteStore(settings.db_path)


__all__ = ["DocumentStore", "GovernanceStore", "JournalStore", "LedgerStore", "SQLiteStore",
           "SearchStore", "Store", "VectorStore", "open_store"]
