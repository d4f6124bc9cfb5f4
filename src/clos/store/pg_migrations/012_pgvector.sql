-- requires extension: vector
-- pgvector (PostgreSQL only; no SQLite counterpart): the chunk's vector as pgvector's type, of no
-- fixed dimension (the embedder decides), so PostgreSQL ranks vectors itself (cosine ``<=>``,
-- exact or HNSW: clos.store.pg_vectors). Filled on write from the float32 ``vector`` blob, which
-- stays the source of truth; rows written before are filled by the store when it opens.
-- Applied only once the server has the extension (pending until then); idempotent, so the store
-- runs it again if the column was dropped with the extension.
ALTER TABLE chunk_vectors ADD COLUMN IF NOT EXISTS embedding vector;
-- Kept in the row (MAIN, not pgvector's EXTERNAL): with the blob beside it a row passes the 2 kB
-- TOAST threshold, and an out-of-line embedding cost a TOAST read per distance (exact search
-- over 3k vectors: 44 ms against 9.5 ms inline, bench/bench_pgvector.py); the blob goes
-- out of line instead.
ALTER TABLE chunk_vectors ALTER COLUMN embedding SET STORAGE MAIN;
