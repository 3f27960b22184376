-- Checkpoints, pending writes and store items as rowid tables. A WITHOUT
-- ROWID table keeps at most about 1 KB of a row in its b-tree page (for
-- 4 KB pages) and moves the rest to an overflow page of its own, so every
-- row of 1-4 KB, a short conversation's checkpoint, took a whole extra
-- page: in the memory soak (docs/benchmarks.md) checkpoints filled 695 MB
-- for 250 MB of data, 388 MB of it unused overflow space. SQLite's own
-- advice is WITHOUT ROWID only for rows under about a twentieth of a page;
-- these tables hold states, messages and users' documents. A rowid table
-- keeps rows of up to about 4 KB in place; the primary key becomes an index.
CREATE TABLE checkpoints_new (
    thread_id     TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    parent_id     TEXT NOT NULL,
    checkpoint    TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);
INSERT INTO checkpoints_new SELECT thread_id, checkpoint_ns, checkpoint_id, parent_id, checkpoint, metadata FROM checkpoints;
DROP TABLE checkpoints;
ALTER TABLE checkpoints_new RENAME TO checkpoints;

CREATE TABLE checkpoint_writes_new (
    thread_id     TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    task_id       TEXT NOT NULL,
    idx           INTEGER NOT NULL,
    channel       TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);
INSERT INTO checkpoint_writes_new SELECT thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value FROM checkpoint_writes;
DROP TABLE checkpoint_writes;
ALTER TABLE checkpoint_writes_new RENAME TO checkpoint_writes;

CREATE TABLE items_new (
    namespace      TEXT NOT NULL,
    key            TEXT NOT NULL,
    namespace_json TEXT NOT NULL,
    value          TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    ttl            INTEGER,
    expires_at     INTEGER,
    PRIMARY KEY (namespace, key)
);
INSERT INTO items_new SELECT namespace, key, namespace_json, value, created_at, updated_at, ttl, expires_at FROM items;
DROP TABLE items;
ALTER TABLE items_new RENAME TO items;
CREATE INDEX items_updated ON items (updated_at);
CREATE INDEX items_expires ON items (expires_at) WHERE expires_at IS NOT NULL;
