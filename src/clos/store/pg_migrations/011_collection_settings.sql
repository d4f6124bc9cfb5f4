-- Per-collection settings (mirrors SQLite's 011): the template a collection was created from
-- and the settings it overrides, as JSON.
CREATE TABLE collection_settings (
    collection_id BIGINT PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
    template TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
);
