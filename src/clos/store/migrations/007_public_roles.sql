-- Issue 15: names of people acting in a public role (elected officials in attendance lists,
-- signatories, rapporteurs) are kept in documents of a public nature unless the collection says
-- otherwise; the collection's list of such names is learnt from the documents themselves.
ALTER TABLE governance_policies ADD COLUMN public_roles TEXT NOT NULL DEFAULT 'garder'
    CHECK (public_roles IN ('garder', 'pseudonymiser'));

-- Names found acting in a public role (attendance lists, « Monsieur le Maire », signatures):
-- public by law in deliberations, shown in the corpus report, never typed by hand.
CREATE TABLE governance_public_names (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    key TEXT NOT NULL,        -- order-, case- and accent-free key of the name
    name TEXT NOT NULL,       -- first spelling met
    documents INTEGER NOT NULL DEFAULT 1,  -- documents where the name acts in a public role
    first_path TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (collection_id, key)
);
