package memory

import (
	"context"
	"strings"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type assistants struct{ s *Store }

type assistantRec struct {
	a        storage.Assistant
	versions []storage.AssistantVersion // ascending
}

func copyDesc(d *string) *string {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

func copyAssistant(a *storage.Assistant) storage.Assistant {
	c := *a
	c.Description = copyDesc(a.Description)
	c.Config = query.CopyMap(a.Config)
	c.Context = query.CopyMap(a.Context)
	c.Metadata = query.CopyMap(a.Metadata)
	return c
}

func copyVersion(v *storage.AssistantVersion) storage.AssistantVersion {
	c := *v
	c.Description = copyDesc(v.Description)
	c.Config = query.CopyMap(v.Config)
	c.Context = query.CopyMap(v.Context)
	c.Metadata = query.CopyMap(v.Metadata)
	return c
}

func versionOf(a *storage.Assistant) storage.AssistantVersion {
	return storage.AssistantVersion{
		AssistantID: a.AssistantID, Version: a.Version, GraphID: a.GraphID, Name: a.Name,
		Description: copyDesc(a.Description), Config: query.CopyMap(a.Config),
		Context: query.CopyMap(a.Context), Metadata: query.CopyMap(a.Metadata), CreatedAt: a.UpdatedAt,
	}
}

func (s *Store) visibleAssistant(sc storage.Scope, id string) (*assistantRec, error) {
	r := s.assistants[id]
	if r == nil || !sc.Match(r.a.Metadata) {
		return nil, query.AssistantNotFound(id)
	}
	return r, nil
}

func (r assistants) Create(ctx context.Context, sc storage.Scope, c storage.AssistantCreate) (storage.Assistant, error) {
	n, err := query.NewAssistant(c)
	if err != nil {
		return storage.Assistant{}, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	defer r.s.mu.Unlock()
	if old := r.s.assistants[n.AssistantID]; old != nil {
		if c.IfExists == storage.IfExistsDoNothing && sc.Match(old.a.Metadata) {
			return copyAssistant(&old.a), nil
		}
		return storage.Assistant{}, query.AssistantExists(n.AssistantID)
	}
	now := r.s.now()
	n.CreatedAt, n.UpdatedAt = now, now
	rec := &assistantRec{a: n}
	rec.versions = []storage.AssistantVersion{versionOf(&rec.a)}
	r.s.assistants[n.AssistantID] = rec
	return copyAssistant(&rec.a), nil
}

func (r assistants) Get(ctx context.Context, sc storage.Scope, id string) (storage.Assistant, error) {
	if err := r.s.rlock(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	defer r.s.mu.RUnlock()
	rec, err := r.s.visibleAssistant(sc, id)
	if err != nil {
		return storage.Assistant{}, err
	}
	return copyAssistant(&rec.a), nil
}

func (r assistants) Update(ctx context.Context, sc storage.Scope, id string, p storage.AssistantPatch) (storage.Assistant, error) {
	p, err := query.NormalizePatch(p)
	if err != nil {
		return storage.Assistant{}, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	defer r.s.mu.Unlock()
	rec, err := r.s.visibleAssistant(sc, id)
	if err != nil {
		return storage.Assistant{}, err
	}
	a := query.ApplyPatch(copyAssistant(&rec.a), p)
	a.Version = rec.versions[len(rec.versions)-1].Version + 1
	a.UpdatedAt = r.s.now()
	rec.a = a
	rec.versions = append(rec.versions, versionOf(&rec.a))
	return copyAssistant(&rec.a), nil
}

func (r assistants) Delete(ctx context.Context, sc storage.Scope, id string) error {
	if err := r.s.lock(ctx, sc); err != nil {
		return err
	}
	defer r.s.mu.Unlock()
	if _, err := r.s.visibleAssistant(sc, id); err != nil {
		return err
	}
	delete(r.s.assistants, id)
	for cid, c := range r.s.crons {
		if c.AssistantID == id {
			delete(r.s.crons, cid)
		}
	}
	return nil
}

func (s *Store) matchAssistants(sc storage.Scope, q storage.AssistantSearch) ([]*storage.Assistant, error) {
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	name := query.FoldASCII(q.Name)
	var out []*storage.Assistant
	for _, rec := range s.assistants {
		a := &rec.a
		if q.GraphID != "" && a.GraphID != q.GraphID {
			continue
		}
		if name != "" && !strings.Contains(query.FoldASCII(a.Name), name) {
			continue
		}
		if !sc.Match(a.Metadata) {
			continue
		}
		if len(q.Metadata) > 0 && !filter.Contains(a.Metadata, q.Metadata) {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

func (r assistants) Search(ctx context.Context, sc storage.Scope, q storage.AssistantSearch) ([]storage.Assistant, error) {
	order, err := query.AssistantOrder(q.SortBy, q.SortOrder)
	if err != nil {
		return nil, err
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.RUnlock()
	found, err := r.s.matchAssistants(sc, q)
	if err != nil {
		return nil, err
	}
	return sortedPage(found, func(a, b *storage.Assistant) int { return compareAssistants(a, b, order.By) },
		func(v *storage.Assistant) string { return v.AssistantID }, order.Desc, q.Limit, q.Offset, copyAssistant), nil
}

func compareAssistants(a, b *storage.Assistant, by string) int {
	switch by {
	case "assistant_id":
		return strings.Compare(a.AssistantID, b.AssistantID)
	case "graph_id":
		return strings.Compare(query.FoldASCII(a.GraphID), query.FoldASCII(b.GraphID))
	case "name":
		return strings.Compare(query.FoldASCII(a.Name), query.FoldASCII(b.Name))
	case "updated_at":
		return a.UpdatedAt.Compare(b.UpdatedAt)
	}
	return a.CreatedAt.Compare(b.CreatedAt)
}

func (r assistants) Count(ctx context.Context, sc storage.Scope, q storage.AssistantSearch) (int, error) {
	if err := r.s.rlock(ctx, sc); err != nil {
		return 0, err
	}
	defer r.s.mu.RUnlock()
	q.Limit, q.Offset = 0, 0
	found, err := r.s.matchAssistants(sc, q)
	return len(found), err
}

func (r assistants) Versions(ctx context.Context, sc storage.Scope, id string, q storage.VersionSearch) ([]storage.AssistantVersion, error) {
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.RUnlock()
	rec, err := r.s.visibleAssistant(sc, id)
	if err != nil {
		return nil, err
	}
	var found []*storage.AssistantVersion
	for i := len(rec.versions) - 1; i >= 0; i-- {
		v := &rec.versions[i]
		if !sc.Match(v.Metadata) || (len(q.Metadata) > 0 && !filter.Contains(v.Metadata, q.Metadata)) {
			continue
		}
		found = append(found, v)
	}
	lo, hi := page(len(found), q.Limit, q.Offset)
	if lo == hi {
		return nil, query.AssistantNotFound(id)
	}
	out := make([]storage.AssistantVersion, 0, hi-lo)
	for _, v := range found[lo:hi] {
		out = append(out, copyVersion(v))
	}
	return out, nil
}

func (r assistants) SetLatest(ctx context.Context, sc storage.Scope, id string, version int) (storage.Assistant, error) {
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	defer r.s.mu.Unlock()
	rec, err := r.s.visibleAssistant(sc, id)
	if err != nil {
		return storage.Assistant{}, err
	}
	for i := range rec.versions {
		v := &rec.versions[i]
		if v.Version != version {
			continue
		}
		if !sc.Match(v.Metadata) {
			break
		}
		a := &rec.a
		a.Version, a.GraphID, a.Name = v.Version, v.GraphID, v.Name
		a.Description = copyDesc(v.Description)
		a.Config, a.Context, a.Metadata = query.CopyMap(v.Config), query.CopyMap(v.Context), query.CopyMap(v.Metadata)
		a.UpdatedAt = r.s.now()
		return copyAssistant(a), nil
	}
	return storage.Assistant{}, query.VersionNotFound(id, version)
}
