-- How each file of a collection was read (mirrors SQLite's 006): status, French reasons and the
-- reader's notes, keyed by path so excluded and failed files are listed too.
CREATE TABLE reading_reports (
    collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'partial', 'excluded', 'failed')),
    reasons TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    PRIMARY KEY (collection_id, path)
);
