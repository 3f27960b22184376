package memory

import (
	"context"
	"strings"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type threads struct{ s *Store }

func copyThread(t *storage.Thread) storage.Thread {
	c := *t
	c.Metadata = query.CopyMap(t.Metadata)
	c.Config = query.CopyMap(t.Config)
	c.Values = query.Copy(t.Values)
	c.Interrupts = query.CopyMap(t.Interrupts)
	c.Error = query.Copy(t.Error)
	if t.TTL != nil {
		ttl := *t.TTL
		c.TTL = &ttl
	}
	return c
}

// visible returns the thread when it exists and the scope can see it.
func (s *Store) visibleThread(sc storage.Scope, id string) (*storage.Thread, error) {
	t := s.threads[id]
	if t == nil || !sc.Match(t.Metadata) {
		return nil, query.ThreadNotFound(id)
	}
	return t, nil
}

func (r threads) Create(ctx context.Context, sc storage.Scope, c storage.ThreadCreate) (storage.Thread, error) {
	ttl, md, err := query.ThreadCreateInput(c)
	if err != nil {
		return storage.Thread{}, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	defer r.s.mu.Unlock()
	id := c.ThreadID
	if id == "" {
		id = query.NewID()
	}
	if old := r.s.threads[id]; old != nil {
		if c.IfExists == storage.IfExistsDoNothing && sc.Match(old.Metadata) {
			return copyThread(old), nil
		}
		return storage.Thread{}, query.ThreadExists(id)
	}
	now := r.s.now()
	t := &storage.Thread{
		ThreadID: id, CreatedAt: now, UpdatedAt: now, StateUpdatedAt: now,
		Metadata: md, Status: storage.StatusIdle, Config: map[string]any{},
		Interrupts: map[string]any{}, TTL: r.s.ttlOr(ttl),
	}
	r.s.threads[id] = t
	return copyThread(t), nil
}

func (r threads) Get(ctx context.Context, sc storage.Scope, id string) (storage.Thread, error) {
	if err := r.s.rlock(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	defer r.s.mu.RUnlock()
	t, err := r.s.visibleThread(sc, id)
	if err != nil {
		return storage.Thread{}, err
	}
	return copyThread(t), nil
}

func (r threads) Update(ctx context.Context, sc storage.Scope, id string, p storage.ThreadPatch) (storage.Thread, error) {
	ttl, err := query.TTL(p.TTL)
	if err != nil {
		return storage.Thread{}, err
	}
	md, err := query.NormalizeMap(p.Metadata)
	if err != nil {
		return storage.Thread{}, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	defer r.s.mu.Unlock()
	t, err := r.s.visibleThread(sc, id)
	if err != nil {
		return storage.Thread{}, err
	}
	t.Metadata = query.Merge(t.Metadata, md)
	if ttl != nil {
		t.TTL = ttl
	}
	t.UpdatedAt = r.s.now()
	return copyThread(t), nil
}

func (r threads) Delete(ctx context.Context, sc storage.Scope, id string) error {
	if err := r.s.lock(ctx, sc); err != nil {
		return err
	}
	defer r.s.mu.Unlock()
	if _, err := r.s.visibleThread(sc, id); err != nil {
		return err
	}
	r.s.deleteThread(id)
	return nil
}

// deleteThread removes a thread with its checkpoints and runs.
func (s *Store) deleteThread(id string) {
	delete(s.threads, id)
	delete(s.cps, id)
	delete(s.pruned, id)
	for rid, rr := range s.runs {
		if rr.run.ThreadID == id {
			delete(s.runs, rid)
		}
	}
	for cid, c := range s.crons {
		if c.ThreadID == id {
			delete(s.crons, cid)
		}
	}
}

// matchThreads returns the visible threads matching q, unsorted.
func (s *Store) matchThreads(sc storage.Scope, q storage.ThreadSearch) ([]*storage.Thread, error) {
	if err := query.Status(q.Status, true); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	var ids map[string]bool
	if len(q.IDs) > 0 {
		ids = make(map[string]bool, len(q.IDs))
		for _, id := range q.IDs {
			ids[id] = true
		}
	}
	var out []*storage.Thread
	for _, t := range s.threads {
		if ids != nil && !ids[t.ThreadID] {
			continue
		}
		if q.Status != "" && t.Status != q.Status {
			continue
		}
		if !sc.Match(t.Metadata) {
			continue
		}
		if len(q.Metadata) > 0 && !filter.Contains(t.Metadata, q.Metadata) {
			continue
		}
		if len(q.Values) > 0 && !filter.Contains(t.Values, q.Values) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

func (r threads) Search(ctx context.Context, sc storage.Scope, q storage.ThreadSearch) ([]storage.Thread, error) {
	order, err := query.ThreadOrder(q.SortBy, q.SortOrder)
	if err != nil {
		return nil, err
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.RUnlock()
	found, err := r.s.matchThreads(sc, q)
	if err != nil {
		return nil, err
	}
	return sortedPage(found, func(a, b *storage.Thread) int { return compareThreads(a, b, order.By) },
		func(v *storage.Thread) string { return v.ThreadID }, order.Desc, q.Limit, q.Offset, copyThread), nil
}

func compareThreads(a, b *storage.Thread, by string) int {
	switch by {
	case "thread_id":
		return strings.Compare(a.ThreadID, b.ThreadID)
	case "status":
		return strings.Compare(a.Status, b.Status)
	case "created_at":
		return a.CreatedAt.Compare(b.CreatedAt)
	case "state_updated_at":
		return a.StateUpdatedAt.Compare(b.StateUpdatedAt)
	}
	return a.UpdatedAt.Compare(b.UpdatedAt)
}

func (r threads) Count(ctx context.Context, sc storage.Scope, q storage.ThreadSearch) (int, error) {
	if err := r.s.rlock(ctx, sc); err != nil {
		return 0, err
	}
	defer r.s.mu.RUnlock()
	q.Limit, q.Offset = 0, 0
	found, err := r.s.matchThreads(sc, q)
	return len(found), err
}

func (r threads) Copy(ctx context.Context, sc storage.Scope, id string, dst storage.ThreadCreate) (storage.Thread, error) {
	ttl, err := query.TTL(dst.TTL)
	if err != nil {
		return storage.Thread{}, err
	}
	var md map[string]any
	if dst.Metadata != nil {
		if md, err = query.NormalizeMap(dst.Metadata); err != nil {
			return storage.Thread{}, err
		}
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	defer r.s.mu.Unlock()
	src, err := r.s.visibleThread(sc, id)
	if err != nil {
		return storage.Thread{}, err
	}
	newID := dst.ThreadID
	if newID == "" {
		newID = query.NewID()
	}
	if r.s.threads[newID] != nil {
		return storage.Thread{}, query.ThreadExists(newID)
	}
	if md == nil {
		md = query.CopyMap(src.Metadata)
	}
	now := r.s.now()
	t := &storage.Thread{
		ThreadID: newID, CreatedAt: now, UpdatedAt: now, StateUpdatedAt: now,
		Metadata: md, Status: storage.StatusIdle, Config: query.CopyMap(src.Config),
		Values: query.Copy(src.Values), Interrupts: map[string]any{}, TTL: r.s.ttlOr(ttl),
	}
	r.s.threads[newID] = t
	if err := r.s.cps.copyThread(id, newID); err != nil {
		delete(r.s.threads, newID)
		return storage.Thread{}, err
	}
	return copyThread(t), nil
}

func (r threads) Prune(ctx context.Context, sc storage.Scope, ids []string, strategy string) (int, error) {
	strategy, err := query.PruneStrategy(strategy)
	if err != nil {
		return 0, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return 0, err
	}
	defer r.s.mu.Unlock()
	uniq := map[string]bool{}
	for _, id := range ids {
		if _, err := r.s.visibleThread(sc, id); err != nil {
			return 0, err
		}
		uniq[id] = true
	}
	for id := range uniq {
		if strategy == "delete" {
			r.s.deleteThread(id)
		} else {
			r.s.cps.keepLatest(id)
		}
	}
	return len(uniq), nil
}

func (r threads) SetState(ctx context.Context, sc storage.Scope, id string, st storage.ThreadState) (storage.Thread, error) {
	if st.Status != nil {
		if err := query.Status(*st.Status, false); err != nil {
			return storage.Thread{}, err
		}
	}
	n, err := normalizeState(st)
	if err != nil {
		return storage.Thread{}, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	defer r.s.mu.Unlock()
	t, err := r.s.visibleThread(sc, id)
	if err != nil {
		return storage.Thread{}, err
	}
	if st.Status != nil {
		t.Status = *st.Status
	}
	if st.Values != nil {
		t.Values = n.values
	}
	if st.Interrupts != nil {
		t.Interrupts = n.interrupts
	}
	if st.ClearError {
		t.Error = nil
	}
	if st.Error != nil {
		t.Error = n.err
	}
	if st.Config != nil {
		t.Config = n.config
	}
	t.Metadata = query.Merge(t.Metadata, n.metadata)
	now := r.s.now()
	t.UpdatedAt, t.StateUpdatedAt = now, now
	return copyThread(t), nil
}

type normalState struct {
	values     any
	interrupts map[string]any
	err        any
	config     map[string]any
	metadata   map[string]any
}

func normalizeState(st storage.ThreadState) (n normalState, err error) {
	if n.values, err = query.Normalize(st.Values); err != nil {
		return n, err
	}
	if n.err, err = query.Normalize(st.Error); err != nil {
		return n, err
	}
	if n.interrupts, err = query.NormalizeMap(st.Interrupts); err != nil {
		return n, err
	}
	if n.config, err = query.NormalizeMap(st.Config); err != nil {
		return n, err
	}
	if n.metadata, err = query.NormalizeMap(st.Metadata); err != nil {
		return n, err
	}
	return n, nil
}
