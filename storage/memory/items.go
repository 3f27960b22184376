package memory

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type items struct{ s *Store }

type itemRec struct {
	ns       []string
	key      string
	value    map[string]any
	created  time.Time
	updated  time.Time
	ttl      time.Duration // 0: no expiry
	expires  time.Time
	joinedNS string
}

func itemKey(ns []string, key string) string { return query.JoinNS(ns) + "\x00" + key }

func (it *itemRec) expired(now time.Time) bool { return it.ttl > 0 && !now.Before(it.expires) }

func (it *itemRec) doc() map[string]any { return storage.ItemDoc(it.ns, it.key, it.value) }

func (it *itemRec) item() storage.Item {
	return storage.Item{Namespace: slices.Clone(it.ns), Key: it.key, Value: query.CopyMap(it.value), CreatedAt: it.created, UpdatedAt: it.updated}
}

func (it *itemRec) refresh(now time.Time) {
	if it.ttl > 0 {
		it.expires = now.Add(it.ttl)
	}
}

// live returns the unexpired item at k, dropping it when expired (callers
// that pass drop hold the write lock).
func (s *Store) liveItem(k string, now time.Time, drop bool) *itemRec {
	it := s.items[k]
	if it != nil && it.expired(now) {
		if drop {
			delete(s.items, k)
		}
		return nil
	}
	return it
}

func (r items) Put(ctx context.Context, sc storage.Scope, p storage.ItemPut) error {
	ttl, value, err := query.ItemPutInput(p)
	if err != nil {
		return err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return err
	}
	defer r.s.mu.Unlock()
	now := r.s.now()
	k := itemKey(p.Namespace, p.Key)
	old := r.s.liveItem(k, now, true)
	if old != nil && !sc.Match(old.doc()) {
		return query.ItemNotFound()
	}
	it := &itemRec{ns: slices.Clone(p.Namespace), key: p.Key, value: value, created: now, updated: now, ttl: ttl, joinedNS: query.JoinNS(p.Namespace)}
	if !sc.Match(it.doc()) {
		return query.ItemForbidden()
	}
	if old != nil {
		it.created = old.created
	}
	it.refresh(now)
	r.s.items[k] = it
	return nil
}

func (r items) Get(ctx context.Context, sc storage.Scope, namespace []string, key string, refresh bool) (storage.Item, error) {
	if err := query.Namespace(namespace, false); err != nil {
		return storage.Item{}, err
	}
	if refresh {
		if err := r.s.lock(ctx, sc); err != nil {
			return storage.Item{}, err
		}
		defer r.s.mu.Unlock()
	} else {
		if err := r.s.rlock(ctx, sc); err != nil {
			return storage.Item{}, err
		}
		defer r.s.mu.RUnlock()
	}
	now := time.Now()
	it := r.s.liveItem(itemKey(namespace, key), now, refresh)
	if it == nil || !sc.Match(it.doc()) {
		return storage.Item{}, query.ItemNotFound()
	}
	if refresh {
		it.refresh(now)
	}
	return it.item(), nil
}

func (r items) Delete(ctx context.Context, sc storage.Scope, namespace []string, key string) error {
	if err := query.Namespace(namespace, false); err != nil {
		return err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return err
	}
	defer r.s.mu.Unlock()
	k := itemKey(namespace, key)
	it := r.s.liveItem(k, time.Now(), true)
	if it == nil {
		if !sc.Match(storage.ItemDoc(namespace, key, nil)) {
			return query.ItemForbidden()
		}
		return nil
	}
	if !sc.Match(it.doc()) {
		return query.ItemNotFound()
	}
	delete(r.s.items, k)
	return nil
}

func (r items) Search(ctx context.Context, sc storage.Scope, q storage.ItemSearch) ([]storage.Item, error) {
	if err := query.Namespace(q.Prefix, true); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	conds, err := query.ItemFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	if q.RefreshTTL {
		if err := r.s.lock(ctx, sc); err != nil {
			return nil, err
		}
		defer r.s.mu.Unlock()
	} else {
		if err := r.s.rlock(ctx, sc); err != nil {
			return nil, err
		}
		defer r.s.mu.RUnlock()
	}
	now := time.Now()
	var found []*itemRec
	for _, it := range r.s.items {
		if it.expired(now) || !query.HasPrefix(it.ns, q.Prefix) || !query.MatchItem(it.value, conds) || !sc.Match(it.doc()) {
			continue
		}
		found = append(found, it)
	}
	sort.Slice(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if c := a.updated.Compare(b.updated); c != 0 {
			return c > 0
		}
		if c := strings.Compare(a.joinedNS, b.joinedNS); c != 0 {
			return c < 0
		}
		return a.key < b.key
	})
	lo, hi := page(len(found), q.Limit, q.Offset)
	out := make([]storage.Item, 0, hi-lo)
	for _, it := range found[lo:hi] {
		if q.RefreshTTL {
			it.refresh(now)
		}
		out = append(out, it.item())
	}
	return out, nil
}

func (r items) ListNamespaces(ctx context.Context, sc storage.Scope, q storage.NamespaceList) ([][]string, error) {
	if err := query.Pattern(q.Prefix); err != nil {
		return nil, err
	}
	if err := query.Pattern(q.Suffix); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	if q.MaxDepth < 0 {
		return nil, storage.Errorf(storage.ErrInvalid, "max_depth must not be negative")
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.RUnlock()
	now := time.Now()
	seen := map[string]bool{}
	var all [][]string
	for _, it := range r.s.items {
		if seen[it.joinedNS] || it.expired(now) || !sc.Match(it.doc()) {
			continue
		}
		seen[it.joinedNS] = true
		all = append(all, it.ns)
	}
	return query.Namespaces(all, q), nil
}
