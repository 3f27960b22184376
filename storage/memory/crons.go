package memory

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type crons struct{ s *Store }

// Crons implements storage.Store.
func (s *Store) Crons() storage.Crons { return crons{s} }

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func copyCron(c *storage.Cron) storage.Cron {
	out := *c
	out.EndTime = copyTime(c.EndTime)
	out.NextRunDate = copyTime(c.NextRunDate)
	out.Payload = query.CopyMap(c.Payload)
	out.Metadata = query.CopyMap(c.Metadata)
	out.AuthUser = query.CopyMap(c.AuthUser)
	return out
}

func (s *Store) visibleCron(sc storage.Scope, id string) (*storage.Cron, error) {
	c := s.crons[id]
	if c == nil || !sc.Match(c.Metadata) {
		return nil, query.CronNotFound(id)
	}
	return c, nil
}

func (r crons) Create(ctx context.Context, sc storage.Scope, c storage.CronCreate) (storage.Cron, error) {
	c, err := query.CronCreate(c)
	if err != nil {
		return storage.Cron{}, err
	}
	payload, err := query.NormalizeMap(c.Payload)
	if err != nil {
		return storage.Cron{}, err
	}
	md, err := query.NormalizeMap(c.Metadata)
	if err != nil {
		return storage.Cron{}, err
	}
	var user map[string]any
	if c.AuthUser != nil {
		if user, err = query.NormalizeMap(c.AuthUser); err != nil {
			return storage.Cron{}, err
		}
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Cron{}, err
	}
	defer r.s.mu.Unlock()
	if r.s.crons[c.CronID] != nil {
		return storage.Cron{}, query.CronExists(c.CronID)
	}
	if r.s.assistants[c.AssistantID] == nil {
		return storage.Cron{}, query.AssistantNotFound(c.AssistantID)
	}
	if c.ThreadID != "" {
		if err := c.ThreadScope.Check(); err != nil {
			return storage.Cron{}, err
		}
		if _, err := r.s.visibleThread(c.ThreadScope, c.ThreadID); err != nil {
			return storage.Cron{}, err
		}
	}
	now := r.s.now()
	rec := &storage.Cron{CronID: c.CronID, AssistantID: c.AssistantID, ThreadID: c.ThreadID,
		OnRunCompleted: c.OnRunCompleted, EndTime: c.EndTime, Schedule: c.Schedule, Timezone: c.Timezone,
		CreatedAt: now, UpdatedAt: now, UserID: c.UserID, Payload: payload, NextRunDate: c.NextRunDate,
		Metadata: md, Enabled: c.Enabled, AuthUser: user}
	r.s.crons[c.CronID] = rec
	return copyCron(rec), nil
}

func (r crons) Get(ctx context.Context, sc storage.Scope, id string) (storage.Cron, error) {
	if err := r.s.rlock(ctx, sc); err != nil {
		return storage.Cron{}, err
	}
	defer r.s.mu.RUnlock()
	c, err := r.s.visibleCron(sc, id)
	if err != nil {
		return storage.Cron{}, err
	}
	return copyCron(c), nil
}

func (r crons) Update(ctx context.Context, sc storage.Scope, id string, p storage.CronPatch) (storage.Cron, error) {
	p, err := query.CronPatch(p)
	if err != nil {
		return storage.Cron{}, err
	}
	var payload map[string]any
	if p.Payload != nil {
		if payload, err = query.NormalizeMap(p.Payload); err != nil {
			return storage.Cron{}, err
		}
	}
	md, err := query.NormalizeMap(p.Metadata)
	if err != nil {
		return storage.Cron{}, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Cron{}, err
	}
	defer r.s.mu.Unlock()
	c, err := r.s.visibleCron(sc, id)
	if err != nil {
		return storage.Cron{}, err
	}
	query.ApplyCronPatch(c, p)
	if payload != nil {
		c.Payload = payload
	}
	c.Metadata = query.Merge(c.Metadata, md)
	c.UpdatedAt = r.s.now()
	return copyCron(c), nil
}

func (r crons) Delete(ctx context.Context, sc storage.Scope, id string) error {
	if err := r.s.lock(ctx, sc); err != nil {
		return err
	}
	defer r.s.mu.Unlock()
	if _, err := r.s.visibleCron(sc, id); err != nil {
		return err
	}
	delete(r.s.crons, id)
	return nil
}

func (s *Store) matchCrons(sc, threads storage.Scope, q storage.CronSearch) ([]*storage.Cron, error) {
	if err := threads.Check(); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	var out []*storage.Cron
	for _, c := range s.crons {
		if q.AssistantID != "" && c.AssistantID != q.AssistantID {
			continue
		}
		if q.ThreadID != "" && c.ThreadID != q.ThreadID {
			continue
		}
		if q.Enabled != nil && c.Enabled != *q.Enabled {
			continue
		}
		if !sc.Match(c.Metadata) {
			continue
		}
		if c.ThreadID != "" {
			t := s.threads[c.ThreadID]
			if t == nil || !threads.Match(t.Metadata) {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (r crons) Search(ctx context.Context, sc, threads storage.Scope, q storage.CronSearch) ([]storage.Cron, error) {
	order, err := query.CronOrder(q.SortBy, q.SortOrder)
	if err != nil {
		return nil, err
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.RUnlock()
	found, err := r.s.matchCrons(sc, threads, q)
	if err != nil {
		return nil, err
	}
	return sortedPage(found, func(a, b *storage.Cron) int { return compareCrons(a, b, order.By) },
		func(v *storage.Cron) string { return v.CronID }, order.Desc, q.Limit, q.Offset, copyCron), nil
}

// compareTimes orders nil (SQL NULL) first, as SQLite does ascending.
func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

func compareCrons(a, b *storage.Cron, by string) int {
	switch by {
	case "cron_id":
		return strings.Compare(a.CronID, b.CronID)
	case "assistant_id":
		return strings.Compare(a.AssistantID, b.AssistantID)
	case "thread_id":
		return strings.Compare(a.ThreadID, b.ThreadID)
	case "next_run_date":
		return compareTimes(a.NextRunDate, b.NextRunDate)
	case "end_time":
		return compareTimes(a.EndTime, b.EndTime)
	case "updated_at":
		return a.UpdatedAt.Compare(b.UpdatedAt)
	}
	return a.CreatedAt.Compare(b.CreatedAt)
}

func (r crons) Count(ctx context.Context, sc, threads storage.Scope, q storage.CronSearch) (int, error) {
	if err := r.s.rlock(ctx, sc); err != nil {
		return 0, err
	}
	defer r.s.mu.RUnlock()
	q.Limit, q.Offset = 0, 0
	found, err := r.s.matchCrons(sc, threads, q)
	return len(found), err
}

func (r crons) Due(ctx context.Context, sc storage.Scope, now time.Time, limit int) ([]storage.Cron, error) {
	if err := query.System(sc, "Crons.Due"); err != nil {
		return nil, err
	}
	if err := query.Page(limit, 0); err != nil {
		return nil, err
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.RUnlock()
	var found []*storage.Cron
	for _, c := range r.s.crons {
		if query.CronDue(c, now) {
			found = append(found, c)
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if c := found[i].NextRunDate.Compare(*found[j].NextRunDate); c != 0 {
			return c < 0
		}
		return found[i].CronID < found[j].CronID
	})
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	out := make([]storage.Cron, 0, len(found))
	for _, c := range found {
		out = append(out, copyCron(c))
	}
	return out, nil
}

func (r crons) Advance(ctx context.Context, sc storage.Scope, id string, from, next time.Time) (bool, error) {
	if err := query.System(sc, "Crons.Advance"); err != nil {
		return false, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return false, err
	}
	defer r.s.mu.Unlock()
	c := r.s.crons[id]
	if c == nil || c.NextRunDate == nil || !c.NextRunDate.Equal(from.UTC().Truncate(time.Microsecond)) {
		return false, nil
	}
	c.NextRunDate = query.MicroUTC(&next)
	return true, nil
}
