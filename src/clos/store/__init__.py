"""Storage backends behind the Store protocol."""

from __future__ import annotations

from clos.settings import Settings
from clos.store.protocol import Store
from clos.store.sqlite import SQLiteStore


def open_store(settings: Settings) -> SQLiteStore:
    """The store for the settings' data folder."""
    store = SQLiteStore(settings.db_path)
    store.secrets_settings = settings  # where the pseudonym key lives (outside the data folder)
    return store


__all__ = ["Store", "SQLiteStore", "open_store"]
