-- agentgate schema, version 1. Times are Unix nanoseconds (UTC). JSON
-- columns hold the text encoding/json writes (object keys sorted), which the
-- filter SQL of auth/filter relies on.

CREATE TABLE assistants (
    assistant_id TEXT PRIMARY KEY,
    graph_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    config       TEXT NOT NULL,
    context      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX assistants_created ON assistants (created_at, assistant_id);
CREATE INDEX assistants_graph ON assistants (graph_id, created_at);

CREATE TABLE assistant_versions (
    assistant_id TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    graph_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    config       TEXT NOT NULL,
    context      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (assistant_id, version)
) WITHOUT ROWID;

-- Runs (added later) reference threads with ON DELETE CASCADE; checkpoints
-- are deleted explicitly with their thread, because a saver may also be
-- used without a threads row.
CREATE TABLE threads (
    thread_id        TEXT PRIMARY KEY,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    state_updated_at INTEGER NOT NULL,
    metadata         TEXT NOT NULL,
    status           TEXT NOT NULL,
    config           TEXT NOT NULL,
    state_values     TEXT,
    interrupts       TEXT NOT NULL,
    error            TEXT,
    ttl_strategy     TEXT,
    ttl_minutes      REAL,
    -- metadata.owner when it is a string: the key of the owner-isolation
    -- pattern. Queries whose scope requires owner = 'x' also test this
    -- column, so that the index below serves them.
    owner            TEXT GENERATED ALWAYS AS (
        CASE WHEN json_type(metadata, '$.owner') = 'text' THEN json_extract(metadata, '$.owner') END
    ) VIRTUAL
);
CREATE INDEX threads_updated ON threads (updated_at, thread_id, metadata);
CREATE INDEX threads_created ON threads (created_at, thread_id);
CREATE INDEX threads_owner_updated ON threads (owner, updated_at, thread_id, metadata) WHERE owner IS NOT NULL;
CREATE INDEX threads_status ON threads (status, updated_at);

CREATE TABLE checkpoints (
    thread_id     TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    parent_id     TEXT NOT NULL,
    checkpoint    TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
) WITHOUT ROWID;

CREATE TABLE checkpoint_writes (
    thread_id     TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    task_id       TEXT NOT NULL,
    idx           INTEGER NOT NULL,
    channel       TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
) WITHOUT ROWID;

-- namespace is the labels joined with '.' (labels cannot contain '.'), so a
-- prefix is a range scan; namespace_json is the label array for filters.
CREATE TABLE items (
    namespace      TEXT NOT NULL,
    key            TEXT NOT NULL,
    namespace_json TEXT NOT NULL,
    value          TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    ttl            INTEGER,
    expires_at     INTEGER,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX items_updated ON items (updated_at);
CREATE INDEX items_expires ON items (expires_at) WHERE expires_at IS NOT NULL;
