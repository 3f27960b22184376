-- agentgate schema for Postgres, version 1. Times are Unix nanoseconds
-- (UTC). JSON columns hold the text encoding/json writes (object keys
-- sorted) unchanged; filters read them as jsonb (the expression indexes
-- below serve metadata containment).

CREATE TABLE assistants (
    assistant_id TEXT PRIMARY KEY,
    graph_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    config       TEXT NOT NULL,
    context      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX assistants_created ON assistants (created_at, assistant_id);
CREATE INDEX assistants_graph ON assistants (graph_id, created_at);
CREATE INDEX assistants_metadata ON assistants USING gin ((metadata::jsonb) jsonb_path_ops);

CREATE TABLE assistant_versions (
    assistant_id TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
    version      BIGINT NOT NULL,
    graph_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    config       TEXT NOT NULL,
    context      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (assistant_id, version)
);

CREATE TABLE threads (
    thread_id        TEXT PRIMARY KEY,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    state_updated_at BIGINT NOT NULL,
    metadata         TEXT NOT NULL,
    status           TEXT NOT NULL,
    config           TEXT NOT NULL,
    state_values     TEXT,
    interrupts       TEXT NOT NULL,
    error            TEXT,
    ttl_strategy     TEXT,
    ttl_minutes      DOUBLE PRECISION,
    -- metadata.owner when it is a string (the owner-isolation pattern).
    owner            TEXT GENERATED ALWAYS AS (
        CASE WHEN jsonb_typeof(metadata::jsonb -> 'owner') = 'string' THEN metadata::jsonb ->> 'owner' END
    ) STORED
);
CREATE INDEX threads_updated ON threads (updated_at, thread_id);
CREATE INDEX threads_created ON threads (created_at, thread_id);
CREATE INDEX threads_owner_updated ON threads (owner, updated_at, thread_id) WHERE owner IS NOT NULL;
CREATE INDEX threads_status ON threads (status, updated_at);
CREATE INDEX threads_metadata ON threads USING gin ((metadata::jsonb) jsonb_path_ops);

CREATE TABLE checkpoints (
    thread_id     TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    parent_id     TEXT NOT NULL,
    checkpoint    TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);

CREATE TABLE checkpoint_writes (
    thread_id     TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    task_id       TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    channel       TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);

CREATE TABLE items (
    namespace      TEXT COLLATE "C" NOT NULL,
    key            TEXT NOT NULL,
    namespace_json TEXT NOT NULL,
    value          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    ttl            BIGINT,
    expires_at     BIGINT,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX items_updated ON items (updated_at);
CREATE INDEX items_expires ON items (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE runs (
    run_id             TEXT PRIMARY KEY,
    thread_id          TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    assistant_id       TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    status             TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    multitask_strategy TEXT NOT NULL,
    kwargs             TEXT NOT NULL,
    attempt            BIGINT NOT NULL DEFAULT 0,
    lease_until        BIGINT,
    cancel             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_thread ON runs (thread_id, created_at);
CREATE INDEX runs_active ON runs (status, created_at) WHERE status IN ('pending', 'running');

CREATE TABLE crons (
    cron_id          TEXT PRIMARY KEY,
    assistant_id     TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
    thread_id        TEXT REFERENCES threads (thread_id) ON DELETE CASCADE,
    on_run_completed TEXT,
    end_time         BIGINT,
    schedule         TEXT NOT NULL,
    timezone         TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    user_id          TEXT,
    auth_user        TEXT,
    payload          TEXT NOT NULL,
    next_run_date    BIGINT,
    metadata         TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL
);
CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled;
CREATE INDEX crons_thread ON crons (thread_id);
CREATE INDEX crons_assistant ON crons (assistant_id);
CREATE INDEX crons_created ON crons (created_at, cron_id);
