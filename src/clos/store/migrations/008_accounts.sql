-- Accounts for `clos serve`: users, groups, per-group collection grants, API tokens, the audit
-- log, and each user's conversation (the answers they were shown, with how they were made).
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_groups (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- A group may read (ask, see passages and documents) or write (upload, delete, re-index).
CREATE TABLE collection_grants (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    can_read INTEGER NOT NULL DEFAULT 1,
    can_write INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, group_name)
);

-- Only the SHA-256 of a token is kept: the token itself is shown once, at creation.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    last_used_at TEXT
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,          -- ask | upload | delete | reindex | login | login_failed | reveal | token
    collection TEXT,
    detail TEXT NOT NULL DEFAULT '{}'  -- JSON: question, passages shown (chunk ids), file names…
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_name, at);

-- One row per answer shown to a user: the answer as JSON (with its trace when the pipeline
-- filled it), so the conversation, the source view and « comment cette réponse a été produite »
-- read it back for its owner only.
CREATE TABLE conversation_answers (
    answer_id INTEGER PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    collection_id INTEGER REFERENCES collections(id) ON DELETE CASCADE,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX conversation_answers_user ON conversation_answers (user_name, answer_id);
