package sqlcore

import (
	"strconv"
	"time"
)

// The queries over the active runs of all threads. Each repeats the WHERE
// term of the partial index runs_active word for word: SQLite uses a
// partial index only when the query's WHERE contains the index's terms (it
// does not infer status IN (...) from status = ...), and without them the
// worker's claim poll, the lease sweep and /metrics scanned every run ever
// kept (TestPollQueriesUseTheirIndexes).
const (
	activeRuns = "status IN ('pending', 'running')"

	// claimable: a pending run due by ? on a thread with no running run.
	claimable = `r.` + activeRuns + ` AND r.status = 'pending' AND r.created_at <= ?
			AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.thread_id = r.thread_id AND o.status = 'running')`
	claimOrder = ` ORDER BY r.created_at, r.run_id LIMIT 1`

	sqlClaimable   = `SELECT r.run_id FROM runs r WHERE ` + claimable + claimOrder
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
	w.add(claimable, ts(wall))
	if len(skip) > 0 {
		w.notIn("r.run_id", skip)
	}
	return `SELECT c.run_id, c.thread_id, ` + d.ClaimLock + ` FROM (SELECT r.run_id, r.thread_id
				FROM runs r WHERE ` + w.sql() + claimOrder + d.SkipLocked + `) c`, w.args.Values()
}

// dueCronsQuery is the cron scheduler's poll: enabled crons due at now.
// "c.enabled" is crons_due's WHERE term on both backends.
func dueCronsQuery(d Dialect, now time.Time, limit int) (string, []any) {
	lim := d.NoLimit
	if limit > 0 {
		lim = strconv.Itoa(limit)
	}
	n := ts(now)
	return `SELECT ` + cronCols + ` FROM crons c
		WHERE c.enabled AND c.next_run_date IS NOT NULL AND c.next_run_date <= ?
		AND (c.end_time IS NULL OR c.end_time > ?)
		ORDER BY c.next_run_date, c.cron_id LIMIT ` + lim, []any{n, n}
}

// PollQueries returns, by name, in d's dialect and with arguments, the
// queries that workers, schedulers, the TTL sweeper and /metrics repeat
// whatever the load, each with the index it must use: for tests of their
// query plans.
func PollQueries(d Dialect) map[string]PlanQuery {
	at := time.Now()
	now := ts(at)
	claim, args := claimQuery(d, at, []string{"a", "b"})
	due, dargs := dueCronsQuery(d, at, 10)
	return map[string]PlanQuery{
		"claim poll":   {sqlClaimable, []any{now}, "runs_active"},
		"claim":        {claim, args, "runs_active"},
		"lease sweep":  {"SELECT run_id" + sqlExpiredFrom, []any{now}, "runs_active"},
		"run counts":   {sqlRunStats, []any{now}, "runs_active"},
		"thread sweep": {d.SweepThreads, []any{1e9, now, 1000}, "threads_ttl"},
		"due crons":    {due, dargs, "crons_due"},
	}
}

// PlanQuery is a query, its arguments and the index it must use.
type PlanQuery struct {
	SQL   string
	Args  []any
	Index string
}
