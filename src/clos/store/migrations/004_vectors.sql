-- Dense vectors of chunks for hybrid retrieval (issue « Answer quality »). One row per chunk and
-- embedding model, float32 little-endian; they go with their chunk (cascade), and a change of
-- model leaves the old rows unused rather than wrong.
CREATE TABLE chunk_vectors (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (chunk_id, model)
) WITHOUT ROWID;
CREATE INDEX chunk_vectors_model ON chunk_vectors (model, chunk_id);
