-- How each file of a collection was read (issue 12, « every file and page accounted for »):
-- indexed, partly read, excluded or failed, with the French reasons and the reader's notes
-- (pages without text, attachments skipped, hidden text set apart…). Keyed by path so excluded
-- and failed files, which have no document row, are listed too; the last reading wins.
CREATE TABLE reading_reports (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'partial', 'excluded', 'failed')),
    reasons TEXT NOT NULL DEFAULT '[]',  -- JSON list of French sentences
    notes TEXT NOT NULL DEFAULT '[]',    -- JSON list of ReadingNote {kind, message, page, detail}
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (collection_id, path)
);
