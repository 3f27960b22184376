// Package memory is an in-process storage backend for tests and
// `agentgate dev --memory`. Everything lives in maps behind one RWMutex;
// values are normalized through JSON on the way in and deep-copied on the
// way out, so callers never alias stored data and see exactly what a JSON
// column would give back.
package memory

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

// Store is the in-memory backend. The zero value is not usable; call New.
type Store struct {
	mu         sync.RWMutex
	closed     bool
	last       time.Time
	assistants map[string]*assistantRec
	threads    map[string]*storage.Thread
	items      map[string]*itemRec
	runs       map[string]*runRec
	crons      map[string]*storage.Cron
	cps        cpThreads
	pruned     map[string]time.Time // thread → its UpdatedAt when keep_latest last pruned it
	defaultTTL *storage.ThreadTTL   // of threads created without one
}

// New returns an empty store.
func New() *Store { return NewWith(Options{}) }

// Options configure a memory store.
type Options struct {
	// ThreadTTL, when set, is the TTL of threads created without one
	// (langgraph.json checkpointer.ttl).
	ThreadTTL *storage.ThreadTTL
}

// NewWith returns an empty store with options.
func NewWith(o Options) *Store {
	return &Store{
		assistants: map[string]*assistantRec{},
		threads:    map[string]*storage.Thread{},
		items:      map[string]*itemRec{},
		runs:       map[string]*runRec{},
		crons:      map[string]*storage.Cron{},
		cps:        cpThreads{},
		pruned:     map[string]time.Time{},
		defaultTTL: o.ThreadTTL,
	}
}

// ttlOr is ttl, or the default TTL of new threads.
func (s *Store) ttlOr(ttl *storage.ThreadTTL) *storage.ThreadTTL {
	return query.TTLOr(ttl, s.defaultTTL)
}

var _ storage.Store = (*Store)(nil)

// Assistants implements storage.Store.
func (s *Store) Assistants() storage.Assistants { return assistants{s} }

// Threads implements storage.Store.
func (s *Store) Threads() storage.Threads { return threads{s} }

// Items implements storage.Store.
func (s *Store) Items() storage.Items { return items{s} }

// Runs implements storage.Store.
func (s *Store) Runs() storage.Runs { return runs{s} }

// Checkpointer implements storage.Store.
func (s *Store) Checkpointer(ctx context.Context, sc storage.Scope, threadID string) (checkpoint.Saver, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.open(); err != nil {
		return nil, err
	}
	t := s.threads[threadID]
	if t == nil || !sc.Match(t.Metadata) {
		return nil, query.ThreadNotFound(threadID)
	}
	return &saver{st: s, thread: threadID, scope: sc}, nil
}

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.open()
}

// Close implements storage.Store. Later calls fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

var errClosed = errors.New("memory store: closed")

func (s *Store) open() error {
	if s.closed {
		return errClosed
	}
	return nil
}

// now returns the current UTC time in microseconds (what every backend,
// Postgres included, can store), strictly later than the previous call
// (callers hold the write lock).
func (s *Store) now() time.Time {
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Microsecond)
	}
	s.last = t
	return t
}

// lock takes the write lock after the common checks.
func (s *Store) lock(ctx context.Context, sc storage.Scope) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	s.mu.Lock()
	if err := s.open(); err != nil {
		s.mu.Unlock()
		return err
	}
	return nil
}

// rlock takes the read lock after the common checks.
func (s *Store) rlock(ctx context.Context, sc storage.Scope) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	s.mu.RLock()
	if err := s.open(); err != nil {
		s.mu.RUnlock()
		return err
	}
	return nil
}

// page applies offset and limit (0: none) to n results.
// sortedPage orders found by cmp (ties broken by id, ascending or
// descending with it), then copies out the requested page.
func sortedPage[T any](found []*T, cmp func(a, b *T) int, id func(*T) string, desc bool,
	limit, offset int, copyOut func(*T) T) []T {
	sort.Slice(found, func(i, j int) bool {
		c := cmp(found[i], found[j])
		if c == 0 {
			c = strings.Compare(id(found[i]), id(found[j]))
		}
		if desc {
			return c > 0
		}
		return c < 0
	})
	lo, hi := page(len(found), limit, offset)
	out := make([]T, 0, hi-lo)
	for _, v := range found[lo:hi] {
		out = append(out, copyOut(v))
	}
	return out
}

func page(n, limit, offset int) (lo, hi int) {
	if offset >= n {
		return n, n
	}
	hi = n
	if limit > 0 && offset+limit < n {
		hi = offset + limit
	}
	return offset, hi
}

// Sweep implements storage.Store.
func (s *Store) Sweep(ctx context.Context, sc storage.Scope, o storage.SweepOptions) (storage.SweepResult, error) {
	var res storage.SweepResult
	if err := query.Sweeper(sc); err != nil {
		return res, err
	}
	if err := s.lock(ctx, sc); err != nil {
		return res, err
	}
	defer s.mu.Unlock()
	now := o.Now
	var due []*storage.Thread
	for id, t := range s.threads {
		if query.ThreadExpired(t, now) && (t.TTL.Strategy != "keep_latest" || s.pruned[id].Before(t.UpdatedAt)) {
			due = append(due, t)
		}
	}
	slices.SortFunc(due, func(a, b *storage.Thread) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	for _, t := range due[:min(len(due), query.SweepLimit(o))] {
		if t.TTL.Strategy == "keep_latest" {
			s.cps.keepLatest(t.ThreadID)
			s.pruned[t.ThreadID] = t.UpdatedAt
			res.Pruned++
			continue
		}
		s.deleteThread(t.ThreadID)
		res.Threads++
	}
	for k, it := range s.items {
		if it.expired(now) {
			delete(s.items, k)
			res.Items++
		}
	}
	return res, nil
}
