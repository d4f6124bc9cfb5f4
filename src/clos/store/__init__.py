"""Storage backends behind the Store protocol."""

from __future__ import annotations

from clos.settings import Settings
from clos.store.protocol import Store
from clos.store.sqlite import SQLiteStore


def open_store(settings: Settings) -> SQLiteStore:
    """The store for the settings' data folder."""
    return SQLiteStore(settings.db_path)


__all__ = ["Store", "SQLiteStore", "open_store"]
