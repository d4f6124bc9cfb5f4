-- Dense vectors of chunks (mirrors SQLite's 004): float32 little-endian in bytea, searched
-- exactly in numpy by clos.retrieve.dense (pgvector is not required; see clos.store.postgres).
CREATE TABLE chunk_vectors (
    chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BYTEA NOT NULL,
    PRIMARY KEY (chunk_id, model)
);
CREATE INDEX chunk_vectors_model ON chunk_vectors (model, chunk_id);
