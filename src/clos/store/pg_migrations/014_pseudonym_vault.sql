-- The pseudonym mapping of a PostgreSQL store, encrypted (store/pg_vault.py): each original
-- value is a Fernet token under a key kept outside the database, on the machines that use the
-- store (cache_dir/secrets/pseudonyms-<store_id>.key); rows are found by an HMAC of the
-- normalised value. No SQLite twin: a SQLite index keeps the same rows in its own file,
-- pseudonyms.sqlite3 beside it (store/vault.py). Rows left in clear in governance_pseudonyms
-- are moved here, encrypted, when the vault is first opened.
CREATE TABLE pseudonym_vault (
    collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    lookup TEXT NOT NULL,
    n INTEGER NOT NULL,
    secret BYTEA NOT NULL,
    created_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    PRIMARY KEY (collection_id, type, lookup),
    UNIQUE (collection_id, type, n)
);

-- Which key opens this store's vault: the store's own id names the key file, and key_check (a
-- Fernet token written with the first key used) tells a wrong or missing key at once. Neither
-- is copied by `clos migrate-store`: each store has its own id and key.
CREATE TABLE pseudonym_vault_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    store_id TEXT NOT NULL,
    key_check BYTEA
);
INSERT INTO pseudonym_vault_key (id, store_id) VALUES (1, replace(gen_random_uuid()::text, '-', ''));
