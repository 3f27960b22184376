-- Runs. created_at is the earliest start (now + after_seconds); a worker
-- claims the oldest pending run whose created_at has come on a thread
-- without a running run, and holds it with a lease (lease_until) that it
-- renews; an expired lease sends the run back to pending.
CREATE TABLE runs (
    run_id             TEXT PRIMARY KEY,
    thread_id          TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    assistant_id       TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    status             TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    multitask_strategy TEXT NOT NULL,
    kwargs             TEXT NOT NULL,
    attempt            INTEGER NOT NULL DEFAULT 0,
    lease_until        INTEGER,
    cancel             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_thread ON runs (thread_id, created_at);
CREATE INDEX runs_active ON runs (status, created_at) WHERE status IN ('pending', 'running');
