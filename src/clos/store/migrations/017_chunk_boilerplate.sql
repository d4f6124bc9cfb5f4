-- Repeated blocks (issue 15): the (start, end) offsets, JSON [[s, e], ...], of the lines of a
-- chunk's text found verbatim in many documents of its collection (clos.govern.boilerplate).
-- They stay in the text and leave the chunk's lexical index terms.
ALTER TABLE chunks ADD COLUMN boilerplate TEXT NOT NULL DEFAULT '[]';
