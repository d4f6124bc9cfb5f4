"""Copy an index from one store to another (SQLite ⇄ PostgreSQL) without loss, resumably.

Every table is copied in primary-key order, by batches, each batch its own transaction, ids
kept as they are. An interrupted copy starts again where the destination stops: rows whose key
is above the destination's largest are copied (for a composite key, the last group, which may
be partial, is copied again). The lexical index is rebuilt in the destination's own form from
the source's analysed terms (FTS5 rows ⇄ tsvector rows with their BM25 statistics). At the end,
each table's row count and SHA-256 of its rows (in key order, values in a canonical form) are
compared with the source's; any difference raises ``StoreError``.

The pseudonym vault (a SQLite index's ``pseudonyms.sqlite3``, a PostgreSQL store's encrypted
``pseudonym_vault`` table) is carried too: each entry is decrypted with the source's key and
written, with its number, under the destination's (``_carry_vault``), then both sides' decrypted
entries are compared like a table. Rows an older source still holds in clear are first moved
into its vault, so they never travel in clear.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from clos.errors import StoreError
from clos.store.pg_vectors import DERIVED_COLUMNS
from clos.store.postgres import PostgresStore
from clos.store.sqlite import SQLiteStore

# Parents before children (foreign keys); tables found in both stores but not listed here are
# copied after these, in name order.
ORDER = ("collections", "documents", "chunks", "chunk_vectors", "ingest_runs", "ingest_errors",
         "answers", "governance_policies", "governance_allowlist", "governance_pseudonyms",
         "governance_reviews", "governance_flags", "governance_pii_counts", "impacts")
INDEX = "(index lexical)"  # the pseudo-table of the analysed terms
VAULT = "(pseudonymes chiffrés)"  # the pseudo-table of the vault's entries
# Each store's own bookkeeping, not data; and the vault's tables, whose rows are encrypted under
# each store's own key (carried by ``_carry_vault``, not as rows).
SKIP = {"schema_migrations", "store_state", "fts_terms", "chunks_fts", "chunks_vocab",
        "pseudonym_vault", "pseudonym_vault_key"}


@dataclass
class TableCopy:
    """What the copy did for one table and whether the two sides agree."""

    table: str
    copied: int
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str

    @property
    def same(self) -> bool:
        return (self.source_rows, self.source_sha256) == (self.target_rows, self.target_sha256)


def copy_store(source: Any, target: Any, *, batch: int = 2000,
               progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy ``source`` into ``target`` (both opened stores), then compare them table by table.

    Returns one ``TableCopy`` per table; raises ``StoreError`` when a table differs after the
    copy, when the target lacks a column of the source, or on any database error."""
    if batch < 1:
        raise ValueError("batch must be positive")
    report = []
    source.pseudonym_vault()  # moves an older source's clear rows into its vault first
    for table in _tables(source, target):
        columns, key = _layout(source, target, table)
        copied = _copy_table(source, target, table, columns, key, batch, progress)
        report.append(_compare(source, target, table, columns, key, copied))
    copied = _copy_index(source, target, batch, progress)
    report.append(_compare(source, target, INDEX, ["chunk_id", "body", "meta"], ["chunk_id"], copied))
    report.append(_carry_vault(source, target, progress))
    if isinstance(target, PostgresStore):
        target.fill_embeddings()  # pgvector's column, from the blobs just copied
        _run(target, "ANALYZE")  # planner statistics for the rows just written
        with target.transaction() as conn:
            for table in _tables(source, target):
                if "id" in _columns(target, table):
                    conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                 f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    bad = [r.table for r in report if not r.same]
    if bad:
        raise StoreError("Copie incomplète ou différente pour : " + ", ".join(bad)
                         + " (relancez la commande pour reprendre).")
    return report


# ------------------------------------------------------------------ layout
def _run(store: Any, sql: str, params: Any = ()) -> list[Any]:
    return list(store.conn.execute(sql, params).fetchall())


def _tables(source: Any, target: Any) -> list[str]:
    both = set(_table_names(source)) & set(_table_names(target)) - SKIP
    return [t for t in ORDER if t in both] + sorted(both - set(ORDER))


def _table_names(store: Any) -> list[str]:
    if isinstance(store, SQLiteStore):
        rows = _run(store, "SELECT name FROM sqlite_master WHERE type = 'table'"
                           " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'chunks_fts%'")
    else:
        rows = _run(store, "SELECT table_name FROM information_schema.tables"
                           " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    return [r[0] for r in rows]


def _columns(store: Any, table: str) -> list[str]:
    if isinstance(store, SQLiteStore):
        return [r[1] for r in _run(store, f"PRAGMA table_info({table})")]
    derived = DERIVED_COLUMNS.get(table, ())  # PostgreSQL's own, rebuilt by the destination
    rows = _run(store, "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                       " current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))
    return [r[0] for r in rows if r[0] not in derived]


def _primary_key(store: Any, table: str) -> list[str]:
    if isinstance(store, SQLiteStore):
        rows = sorted((r[5], r[1]) for r in _run(store, f"PRAGMA table_info({table})") if r[5])
        return [name for _, name in rows]
    return [r[0] for r in _run(
        store, "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
               " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary"
               " ORDER BY array_position(i.indkey, a.attnum)", (table,))]


def _layout(source: Any, target: Any, table: str) -> tuple[list[str], list[str]]:
    columns = _columns(source, table)
    missing = set(columns) - set(_columns(target, table))
    if missing:
        raise StoreError(f"La destination n'a pas les colonnes {', '.join(sorted(missing))} de la"
                         f" table « {table} » : mettez les deux bases à la même version de Clos.")
    return columns, _primary_key(source, table) or columns[:1]


# -------------------------------------------------------------------- copy
def _pages(store: Any, table: str, columns: list[str], key: list[str], after: Any,
           batch: int, inclusive: bool = False) -> Iterator[list[Any]]:
    """Rows of ``table`` in key order, first key column above ``after``, by whole key groups."""
    cols, first, order = ", ".join(columns), key[0], ", ".join(key)
    op = ">=" if inclusive else ">"
    while True:
        where = f"WHERE {first} {op} ?" if after is not None else ""
        rows = _run(store, f"SELECT {cols} FROM {table} {where} ORDER BY {order} LIMIT ?",
                    ((after,) if after is not None else ()) + (batch,))
        position = columns.index(first)
        if len(rows) == batch and len(key) > 1:  # a key group may go on: finish it apart
            last = rows[-1][position]
            rows = [r for r in rows if r[position] != last] + _run(
                store, f"SELECT {cols} FROM {table} WHERE {first} = ? ORDER BY {order}", (last,))
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        after, op = rows[-1][position], ">"


def _copy_table(source: Any, target: Any, table: str, columns: list[str], key: list[str],
                batch: int, progress: Callable[[str, int], None] | None) -> int:
    first = key[0]
    last = _run(target, f"SELECT MAX({first}) FROM {table}")[0][0]
    inclusive = last is not None and len(key) > 1
    if inclusive:  # the last group may have been cut by an interruption: copy it again
        with target.transaction() as conn:
            conn.execute(f"DELETE FROM {table} WHERE {first} = ?", (last,))
    insert = (f"INSERT INTO {table} ({', '.join(columns)})"
              f" VALUES ({', '.join('?' for _ in columns)})")
    copied = 0
    for rows in _pages(source, table, columns, key, last, batch, inclusive):
        with target.transaction() as conn:
            conn.executemany(insert, [tuple(_plain(v) for v in r) for r in rows])
        copied += len(rows)
        if progress:
            progress(table, copied)
    return copied


def _copy_index(source: Any, target: Any, batch: int,
                progress: Callable[[str, int], None] | None) -> int:
    """The analysed terms of every chunk, into the target's lexical index."""
    last = _index_rows(target, None, 1, descending=True)
    after = last[0][0] if last else None
    copied = 0
    while rows := _index_rows(source, after, batch):
        if isinstance(target, PostgresStore):
            ids = [r[0] for r in rows]
            where = {r[0]: r[1] for r in _run(
                target, "SELECT c.id, d.collection_id FROM chunks c JOIN documents d"
                        " ON d.id = c.document_id WHERE c.id = ANY(?)", (ids,))}
            from clos.store import pg_search

            with target.transaction() as conn:
                target._index(conn, [(cid, where[cid], body, meta,
                                      *pg_search.index_row(body, meta)) for cid, body, meta in rows])
        else:
            with target.transaction() as conn:
                conn.executemany("INSERT INTO chunks_fts (rowid, body, meta) VALUES (?,?,?)",
                                 [tuple(r) for r in rows])
        copied += len(rows)
        after = rows[-1][0]
        if progress:
            progress(INDEX, copied)
    return copied


def _index_rows(store: Any, after: Any, limit: int, *, descending: bool = False) -> list[Any]:
    key, table = (("rowid", "chunks_fts") if isinstance(store, SQLiteStore)
                  else ("chunk_id", "chunks_fts"))
    where = f"WHERE {key} > ?" if after is not None else ""
    order = "DESC" if descending else "ASC"
    return _run(store, f"SELECT {key}, body, meta FROM {table} {where} ORDER BY {key} {order}"
                       " LIMIT ?", ((after,) if after is not None else ()) + (limit,))


def _carry_vault(source: Any, target: Any,
                 progress: Callable[[str, int], None] | None) -> TableCopy:
    """Every vault entry of every collection, decrypted from the source, written encrypted
    into the target's vault with its number (collection ids are kept by the copy); entries
    already there are left as they are, so a resumed copy writes only the missing ones
    (``copied`` counts those)."""
    ids = [int(r[0]) for r in _run(source, "SELECT id FROM collections ORDER BY id")]
    mine, theirs = source.pseudonym_vault(), target.pseudonym_vault()
    copied = 0
    for cid in ids:
        before = len(theirs.entries(cid))
        for i, e in enumerate(mine.entries(cid), 1):
            theirs.number(cid, e["type"], e["key"], e["original"], n=e["n"])
            if progress and i % 500 == 0:
                progress(VAULT, copied + i)
        copied += len(theirs.entries(cid)) - before
    (n_src, h_src), (n_dst, h_dst) = (_vault_digest(v, ids) for v in (mine, theirs))
    return TableCopy(VAULT, copied, n_src, n_dst, h_src, h_dst)


def _vault_digest(vault: Any, collection_ids: list[int]) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    for cid in collection_ids:
        for e in vault.entries(cid):
            digest.update(repr((cid, e["type"], e["n"], e["key"], e["original"])).encode())
            count += 1
    return count, digest.hexdigest()


# ----------------------------------------------------------------- compare
def _compare(source: Any, target: Any, table: str, columns: list[str], key: list[str],
             copied: int) -> TableCopy:
    (n_src, h_src), (n_dst, h_dst) = (_digest(s, table, columns, key) for s in (source, target))
    return TableCopy(table, copied, n_src, n_dst, h_src, h_dst)


def _digest(store: Any, table: str, columns: list[str], key: list[str]) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    if table == INDEX:
        pages, after = [], None
        while rows := _index_rows(store, after, 5000):
            pages.append(rows)
            after = rows[-1][0]
    else:
        pages = _pages(store, table, columns, key, None, 5000)
    for rows in pages:
        for row in rows:
            digest.update(repr(tuple(_canonical(v) for v in row)).encode())
            count += 1
    return count, digest.hexdigest()


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _canonical(value: Any) -> Any:
    """One form per value whatever the driver: numbers as floats, blobs as hex."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "x" + bytes(value).hex()
    if value is not None and not isinstance(value, str):  # Decimal and the like
        return float(value)
    return value
