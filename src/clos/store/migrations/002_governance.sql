-- Governance: collection policies, allow-list, pseudonym mapping, per-document reviews
-- (decision, flags, personal-data counts) and the text signatures used to find duplicates.

-- One row per collection; absent means "defaults" (pii_policy from the settings).
CREATE TABLE governance_policies (
    collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
    pii_policy TEXT NOT NULL CHECK (pii_policy IN ('keep', 'pseudonymise', 'redact', 'exclude')),
    flag_actions TEXT NOT NULL DEFAULT '{}',  -- JSON {flag kind: index | index_with_warning | exclude}
    max_age_years INTEGER NOT NULL DEFAULT 10,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Values kept as they are (elected officials, agents acting in their public role, public addresses).
CREATE TABLE governance_allowlist (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    key TEXT NOT NULL,    -- normalised form used for matching
    value TEXT NOT NULL,  -- as entered
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (collection_id, key)
);

-- Collection-wide placeholders: the only table holding original personal data. It survives the
-- deletion of documents on purpose so that [PERSONNE_3] keeps meaning the same person.
CREATE TABLE governance_pseudonyms (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    key TEXT NOT NULL,       -- normalised original value
    n INTEGER NOT NULL,      -- the number in [TYPE_n]
    original TEXT NOT NULL,  -- first spelling met
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (collection_id, type, key),
    UNIQUE (collection_id, type, n)
);

-- One review per file of a collection. document_id is NULL for excluded files (never indexed);
-- deleting the document deletes its review, its flags and its counts.
CREATE TABLE governance_reviews (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    document_id INTEGER UNIQUE REFERENCES documents(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    folder TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    pages INTEGER,
    chars INTEGER NOT NULL DEFAULT 0,
    doc_date TEXT,
    mtime REAL NOT NULL DEFAULT 0,
    decision TEXT NOT NULL CHECK (decision IN ('index', 'index_with_warning', 'exclude')),
    pii_policy TEXT NOT NULL,
    superseded_by TEXT,  -- path of the newer version or of the copy kept
    -- Signature for near-duplicate detection across runs (MinHash, see govern/duplicates.py).
    sig_version INTEGER NOT NULL DEFAULT 1,
    minhash BLOB,
    text_hash TEXT NOT NULL DEFAULT '',
    doc_key TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (collection_id, path)
);
CREATE INDEX governance_reviews_collection ON governance_reviews (collection_id);

CREATE TABLE governance_flags (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES governance_reviews(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    related_path TEXT
);
CREATE INDEX governance_flags_review ON governance_flags (review_id);

-- Counts only: neither the values nor their offsets are kept here.
CREATE TABLE governance_pii_counts (
    review_id INTEGER NOT NULL REFERENCES governance_reviews(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    count INTEGER NOT NULL,
    kept INTEGER NOT NULL DEFAULT 0,  -- allow-listed or kept by policy
    PRIMARY KEY (review_id, type)
);
