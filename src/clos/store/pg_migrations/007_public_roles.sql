-- Issue 15 (PostgreSQL twin of migrations/007_public_roles.sql): the public-roles policy of a
-- collection and the names learnt acting in a public role.
ALTER TABLE governance_policies ADD COLUMN public_roles TEXT NOT NULL DEFAULT 'garder'
    CHECK (public_roles IN ('garder', 'pseudonymiser'));

CREATE TABLE governance_public_names (
    collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    documents INTEGER NOT NULL DEFAULT 1,
    first_path TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (collection_id, key)
);
