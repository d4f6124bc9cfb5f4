"""Opening a SQLite index: the connection's pragmas (WAL, foreign keys) and the numbered
migrations of ``clos.store.migrations``, safe when several connections open a new file at once
(``clos serve``'s threads, two processes)."""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path

from clos.errors import StoreError


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the index at ``path`` (created and migrated if needed), rows by name;
    StoreError (French) when it cannot be opened."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        _wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        _migrate(conn)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(
            f"Impossible d'ouvrir la base de données « {path} » : {exc}", detail=repr(exc)
        ) from exc
    return conn


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) for every migration shipped in clos.store.migrations, in order."""
    found = []
    for entry in resources.files("clos.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name[:-4], entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise StoreError("Deux migrations portent le même numéro.")
    return found


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply the missing migrations, all in one write transaction taken only when some
    are missing: two connections opening a new database at once (two processes, or
    ``clos serve``'s threads) would otherwise both create its tables."""
    if not _missing(conn):
        return
    conn.execute("BEGIN IMMEDIATE")  # the second opener waits here, then finds them done
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY,"
            " name TEXT, applied_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))")
        done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
        for number, name, sql in migrations():
            if number in done:
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (number, name) VALUES (?, ?)", (number, name))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _missing(conn: sqlite3.Connection) -> bool:
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                    " AND name = 'schema_migrations'").fetchone() is None:
        return True
    done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
    return any(number not in done for number, _, _ in migrations())


def _wal(conn: sqlite3.Connection, tries: int = 100) -> None:
    """Switch to WAL. On a new file opened by several connections at once the switch answers
    « database is locked » at once (SQLite does not wait on the busy timeout for it): try
    again for up to ~5 s; a file already in WAL needs no lock."""
    for attempt in range(tries):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement handles quotes and triggers)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
