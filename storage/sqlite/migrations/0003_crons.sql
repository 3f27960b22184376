-- Crons. next_run_date is when the scheduler fires the cron next; it moves
-- forward with a compare-and-set (Crons.Advance), so that one replica fires
-- each tick. A cron goes with its thread and its assistant.
CREATE TABLE crons (
    cron_id          TEXT PRIMARY KEY,
    assistant_id     TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
    thread_id        TEXT REFERENCES threads (thread_id) ON DELETE CASCADE,
    on_run_completed TEXT,
    end_time         INTEGER,
    schedule         TEXT NOT NULL,
    timezone         TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    user_id          TEXT,
    auth_user        TEXT,
    payload          TEXT NOT NULL,
    next_run_date    INTEGER,
    metadata         TEXT NOT NULL,
    enabled          INTEGER NOT NULL
);
CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled = 1;
CREATE INDEX crons_thread ON crons (thread_id);
CREATE INDEX crons_assistant ON crons (assistant_id);
CREATE INDEX crons_created ON crons (created_at, cron_id);
