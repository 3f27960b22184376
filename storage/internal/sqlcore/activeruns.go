package sqlcore

import "time"

// The queries over the active runs of all threads. Each repeats the WHERE
// term of the partial index runs_active word for word: SQLite uses a
// partial index only when the query's WHERE contains the index's terms (it
// does not infer status IN (...) from status = ...), and without them the
// worker's claim poll, the lease sweep and /metrics scanned every run ever
// kept (TestActiveRunQueriesUseTheirIndex).
const (
	activeRuns = "status IN ('pending', 'running')"

	sqlClaimable = `SELECT r.run_id FROM runs r WHERE r.` + activeRuns + ` AND r.status = 'pending' AND r.created_at <= ?
			AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.thread_id = r.thread_id AND o.status = 'running')
			ORDER BY r.created_at, r.run_id LIMIT 1`
	sqlExpiredFrom = ` FROM runs r WHERE ` + activeRuns + ` AND status = 'running' AND lease_until <= ? ORDER BY run_id`
	sqlRunStats    = `SELECT
		(SELECT count(*) FROM runs WHERE ` + activeRuns + ` AND status = 'pending'),
		(SELECT count(*) FROM runs WHERE ` + activeRuns + ` AND status = 'running' AND lease_until > ?)`
)

// claimQuery is the claim's query in the write transaction: the oldest
// claimable run not in skip, and (with d.ClaimLock) whether its thread's
// lock was free.
func claimQuery(d Dialect, wall time.Time, skip []string) (string, []any) {
	w := d.newWhere()
	w.add("r."+activeRuns+" AND r.status = 'pending' AND r.created_at <= ?", ts(wall))
	w.add("NOT EXISTS (SELECT 1 FROM runs o WHERE o.thread_id = r.thread_id AND o.status = 'running')")
	if len(skip) > 0 {
		w.notIn("r.run_id", skip)
	}
	return `SELECT c.run_id, c.thread_id, ` + d.ClaimLock + ` FROM (SELECT r.run_id, r.thread_id
				FROM runs r WHERE ` + w.sql() + ` ORDER BY r.created_at, r.run_id LIMIT 1` + d.SkipLocked + `) c`, w.args.Values()
}

// ActiveRunQueries returns the queries over the active runs of all threads
// in d's dialect with arguments, for tests of their query plans.
func ActiveRunQueries(d Dialect) map[string][]any {
	now := ts(time.Now())
	claim, args := claimQuery(d, time.Now(), []string{"a", "b"})
	return map[string][]any{
		sqlClaimable:                     {now},
		claim:                            args,
		"SELECT run_id" + sqlExpiredFrom: {now},
		sqlRunStats:                      {now},
	}
}
