-- keep_latest thread TTLs (checkpointer.ttl): the thread's updated_at when
-- the sweeper last pruned it, so that it is pruned once per update.
ALTER TABLE threads ADD COLUMN ttl_pruned_at BIGINT;
