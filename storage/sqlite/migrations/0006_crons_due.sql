-- The cron scheduler's poll asks for "c.enabled AND ...", and SQLite uses a
-- partial index only when the query repeats its WHERE term: with
-- "WHERE enabled = 1" every poll scanned all crons. Postgres' index has
-- always been "WHERE enabled".
DROP INDEX crons_due;
CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled;
