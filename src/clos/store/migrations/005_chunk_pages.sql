-- A chunk may run across a page break (issue 12): its last page, and where each later page
-- starts in its text (JSON [[offset, page], ...]) so a quote cites the page it is on.
ALTER TABLE chunks ADD COLUMN page_end INTEGER;
ALTER TABLE chunks ADD COLUMN page_starts TEXT NOT NULL DEFAULT '[]';
