-- Per-collection settings (issue 14): the template a collection was created from and the
-- settings it overrides (answer style, refusal threshold, server…), as JSON. Governance
-- policies stay in governance_policies.
CREATE TABLE collection_settings (
    collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
    template TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
