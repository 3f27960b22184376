package sqlcore

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/agentgate/agentgate/storage"
)

// Writes lock what they touch. SQLite has one writer, so its writes never
// meet and these locks are no-ops (Dialect.Lock is empty). Postgres runs
// writes concurrently on pooled connections, across processes too: a write
// first takes transaction-level locks on named keys (a thread, an
// assistant, a cron, a store item), so that writes to one thing are
// serialized while writes to different things proceed in parallel. A write
// takes its keys at once, in sorted order; a deadlock that a later lock
// could still cause is detected by Postgres and the write retried (see
// storage/postgres).

// Lock keys.
func threadKey(id string) string       { return "thread:" + id }
func assistantKey(id string) string    { return "assistant:" + id }
func cronKey(id string) string         { return "cron:" + id }
func itemKey(ns, key string) string    { return "item:" + strconv.Quote(ns) + key }
func threadKeys(ids []string) []string { return mapKeys(ids, threadKey) }

func mapKeys(ids []string, f func(string) string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = f(id)
	}
	return out
}

// write runs fn in a write transaction that first locks keys.
func (s *Store) write(ctx context.Context, keys []string, fn WriteFunc) error {
	return s.e.Write(ctx, keys, fn)
}

// LockStatement is the one statement that takes the locks of keys, sorted
// and without repeats (the order every write takes its locks in), with
// call (Dialect.Lock) for each, and its arguments. Engines that lock at
// BEGIN use it too.
func LockStatement(call string, keys []string) (string, []any) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	args := make([]any, len(keys))
	calls := make([]string, len(keys))
	for i, k := range keys {
		args[i], calls[i] = k, call
	}
	return "SELECT " + strings.Join(calls, ", "), args
}

// lock takes the transaction-level locks of keys, in sorted order, with
// one statement, in a transaction that holds none yet (or only keys that
// sort before these).
func (s *Store) lock(ctx context.Context, tx Querier, keys ...string) error {
	if s.d.Lock == "" || len(keys) == 0 {
		return nil
	}
	stmt, args := LockStatement(s.d.Lock, keys)
	_, err := tx.ExecContext(ctx, stmt, args...)
	return dbErr("lock", err)
}

// cronCreateKeys are a new cron's keys: its own, its assistant's (which a
// delete cascades to it) and its thread's, when it has one.
func cronCreateKeys(cron, assistant, thread string) []string {
	keys := []string{cronKey(cron), assistantKey(assistant)}
	if thread != "" {
		keys = append(keys, threadKey(thread))
	}
	return keys
}

// relock locks the threads of the runs a first read found, then reads
// again and keeps the runs whose thread it locked (a run found only by the
// second read is left for next time).
func (s *Store) relock(ctx context.Context, tx Querier, found []storage.Run, find func() ([]storage.Run, error)) ([]storage.Run, error) {
	if s.d.Lock == "" {
		return found, nil
	}
	locked := map[string]bool{}
	var keys []string
	for _, r := range found {
		if !locked[r.ThreadID] {
			locked[r.ThreadID] = true
			keys = append(keys, threadKey(r.ThreadID))
		}
	}
	if err := s.lock(ctx, tx, keys...); err != nil {
		return nil, err
	}
	again, err := find()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(again, func(r storage.Run) bool { return !locked[r.ThreadID] }), nil
}
