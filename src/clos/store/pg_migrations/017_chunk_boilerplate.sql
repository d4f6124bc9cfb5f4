-- Repeated blocks (mirrors SQLite's 017): the (start, end) offsets, JSON [[s, e], ...], of the
-- lines of a chunk's text found verbatim in many documents of its collection.
ALTER TABLE chunks ADD COLUMN boilerplate TEXT NOT NULL DEFAULT '[]';
