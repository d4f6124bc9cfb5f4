-- A chunk may run across a page break (mirrors SQLite's 005): its last page, and where each
-- later page starts in its text (JSON [[offset, page], ...]).
ALTER TABLE chunks ADD COLUMN page_end INTEGER;
ALTER TABLE chunks ADD COLUMN page_starts TEXT NOT NULL DEFAULT '[]';
