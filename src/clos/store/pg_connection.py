"""PostgreSQL plumbing for clos.store.postgres: store URLs (``?schema=``), scratch schemas,
migrations, and the connection wrappers that let the SQL shared with SQLite (``?``
placeholders, rows read by name and position) run on psycopg."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from clos.errors import StoreError

if TYPE_CHECKING:
    from clos.store.postgres import PostgresStore

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


#: First line of a migration that needs a PostgreSQL extension (``-- requires extension: vector``):
#: it is applied once the store has the extension, left pending (not recorded) until then.
REQUIRES = "-- requires extension: "


def requirement(sql: str) -> str | None:
    """The extension a migration's text requires (its first line), or None."""
    first = sql.split("\n", 1)[0].strip()
    return first[len(REQUIRES):].strip() if first.startswith(REQUIRES) else None


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every PostgreSQL migration, in order."""
    found = []
    for entry in resources.files("clos.store.pg_migrations").iterdir():
        if entry.name.endswith(".sql") and entry.name[:3].isdigit():
            found.append((int(entry.name[:3]), entry.name[:-4], entry.read_text(encoding="utf-8")))
    found.sort()
    if len({n for n, _, _ in found}) != len(found):
        raise StoreError("Deux migrations PostgreSQL portent le même numéro.")
    return found


def apply_migrations(raw: Any, extensions: frozenset[str] = frozenset()) -> None:
    """Apply the missing migrations on ``raw`` (a psycopg connection), under an advisory lock:
    several processes may open the store at once. A migration requiring an extension
    (``requirement``) not in ``extensions`` is skipped and stays pending."""
    with raw.transaction():
        raw.execute("SELECT pg_advisory_xact_lock(hashtext('clos-migrations'))")
        raw.execute("CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY,"
                    " name TEXT, applied_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE"
                    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))")
        done = {r[0] for r in raw.execute("SELECT number FROM schema_migrations").fetchall()}
        for number, name, sql in migrations():
            needs = requirement(sql)
            if number not in done and (needs is None or needs in extensions):
                raw.execute(sql)
                raw.execute("INSERT INTO schema_migrations (number, name) VALUES (%s, %s)",
                            (number, name))


#: Clos's own parameters of a store URL (not libpq's): ``schema`` and ``pgvector`` (``off``: keep
#: the vectors in bytea searched in numpy even when the server has pgvector).
OWN_PARAMETERS = ("schema", "pgvector")


def pgvector_wanted(url: str) -> bool:
    """False when the store URL says ``pgvector=off`` (or 0, false, no)."""
    value = dict(parse_qsl(urlsplit(url).query)).get("pgvector", "on")
    return value.lower() not in ("off", "0", "false", "no", "non")


def split_url(url: str) -> tuple[str, str | None]:
    """(libpq URL, schema) from a store URL: ``?schema=`` and ``?pgvector=`` are Clos's."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is not None and not _SCHEMA.match(schema):
        raise StoreError(f"Nom de schéma PostgreSQL invalide : « {schema} » (lettres minuscules,"
                         " chiffres et _).")
    rest = urlencode([(k, v) for k, v in query if k not in OWN_PARAMETERS])
    return urlunsplit(parts._replace(query=rest)), schema


def with_schema(url: str, schema: str) -> str:
    """The store URL on ``schema`` (replacing any schema it named)."""
    dsn, _ = split_url(url)
    parts = urlsplit(dsn)
    query = parse_qsl(parts.query) + [("schema", schema)]
    if not pgvector_wanted(url):
        query.append(("pgvector", "off"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@contextmanager
def scratch_schema(url: str, prefix: str = "clos_tmp") -> Iterator[str]:
    """A store URL on a new, empty schema of the same database, dropped on exit (evaluations
    and benches build their index there, as SQLite builds it in a temporary folder)."""
    import uuid

    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield with_schema(url, schema)
    finally:
        try:
            with psycopg.connect(split_url(url)[0], autocommit=True, connect_timeout=10) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        except psycopg.Error as exc:
            raise StoreError(f"Impossible de supprimer le schéma temporaire « {schema} » :"
                             f" {exc}") from exc


def redact(url: str) -> str:
    """The URL without its password, for messages and ``stats``."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@lru_cache(maxsize=512)
def _sql(statement: str) -> str:
    """SQLite-style ``?`` placeholders as psycopg's ``%s`` (literal ``%`` doubled)."""
    return statement.replace("%", "%%").replace("?", "%s")


class Row:
    """A row readable by position and by name, like ``sqlite3.Row`` (``dict(row)`` works)."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index, self._values = index, values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._index[key]]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    index = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: Row(index, values)


class _Result:
    """Rows fetched at once, so the connection goes back to the pool before they are read."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows, self.rowcount = rows, rowcount

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Row]:
        return self._rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)


class _Connection:
    """What the shared SQL (governance, ledger) calls ``conn``: ``execute`` with ``?``."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, statement: str, params: Sequence[Any] | dict = ()) -> _Result:
        # Without parameters psycopg sends the text as it is (no %% to undo).
        cur = self.raw.execute(_sql(statement) if params else statement, params or None)
        rows = cur.fetchall() if cur.description else []
        return _Result(rows, cur.rowcount)

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(_sql(statement), list(rows))


class _Pooled:
    """``store.conn`` outside a transaction: each statement on a pooled connection."""

    def __init__(self, store: "PostgresStore") -> None:
        self.store = store

    def execute(self, statement: str, params: Sequence[Any] | dict = ()) -> _Result:
        with self.store.pool.connection() as raw:
            return _Connection(raw).execute(statement, params)


def local_zone() -> str:
    """This machine's time zone name, for the ledger's local days (UTC when unknown)."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            target = str(Path("/etc/localtime").resolve())
            name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            name = ""
    return name if re.match(r"^[A-Za-z0-9_+\-/]+$", name or "") else "UTC"
