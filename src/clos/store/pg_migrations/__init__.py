"""PostgreSQL migrations (NNN_name.sql), numbered on their own and applied in order by
clos.store.postgres; they mirror the SQLite ones (same tables and columns, PostgreSQL types),
with the lexical index as a tsvector instead of FTS5. Never edit an applied one: add the next."""
