-- The TTL sweep (every 5 minutes by default) asks for threads with
-- "ttl_minutes IS NOT NULL" in updated_at order; without an index on that,
-- it walked every thread, inside a write transaction. Threads without a TTL
-- are not in this index.
CREATE INDEX threads_ttl ON threads (updated_at) WHERE ttl_minutes IS NOT NULL;
