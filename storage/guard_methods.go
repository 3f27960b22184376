package storage

import (
	"context"
	"time"
)

// The wrappers below check each call's scope (allow) and delegate.

type gAssistants struct {
	a Assistants
	o Observer
}

func (g gAssistants) Create(ctx context.Context, s Scope, c AssistantCreate) (_ Assistant, err error) {
	if err := allow(s, "Assistants.Create"); err != nil {
		return Assistant{}, err
	}
	defer done(ctx, g.o, "Assistants.Create", s, start(g.o), &err)
	return g.a.Create(ctx, s, c)
}

func (g gAssistants) Get(ctx context.Context, s Scope, id string) (_ Assistant, err error) {
	if err := allow(s, "Assistants.Get"); err != nil {
		return Assistant{}, err
	}
	defer done(ctx, g.o, "Assistants.Get", s, start(g.o), &err)
	return g.a.Get(ctx, s, id)
}

func (g gAssistants) Update(ctx context.Context, s Scope, id string, p AssistantPatch) (_ Assistant, err error) {
	if err := allow(s, "Assistants.Update"); err != nil {
		return Assistant{}, err
	}
	defer done(ctx, g.o, "Assistants.Update", s, start(g.o), &err)
	return g.a.Update(ctx, s, id, p)
}

func (g gAssistants) Delete(ctx context.Context, s Scope, id string) (err error) {
	if err := allow(s, "Assistants.Delete"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Assistants.Delete", s, start(g.o), &err)
	return g.a.Delete(ctx, s, id)
}

func (g gAssistants) Search(ctx context.Context, s Scope, q AssistantSearch) (_ []Assistant, err error) {
	if err := allow(s, "Assistants.Search"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Assistants.Search", s, start(g.o), &err)
	return g.a.Search(ctx, s, q)
}

func (g gAssistants) Count(ctx context.Context, s Scope, q AssistantSearch) (_ int, err error) {
	if err := allow(s, "Assistants.Count"); err != nil {
		return 0, err
	}
	defer done(ctx, g.o, "Assistants.Count", s, start(g.o), &err)
	return g.a.Count(ctx, s, q)
}

func (g gAssistants) Versions(ctx context.Context, s Scope, id string, q VersionSearch) (_ []AssistantVersion, err error) {
	if err := allow(s, "Assistants.Versions"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Assistants.Versions", s, start(g.o), &err)
	return g.a.Versions(ctx, s, id, q)
}

func (g gAssistants) SetLatest(ctx context.Context, s Scope, id string, version int) (_ Assistant, err error) {
	if err := allow(s, "Assistants.SetLatest"); err != nil {
		return Assistant{}, err
	}
	defer done(ctx, g.o, "Assistants.SetLatest", s, start(g.o), &err)
	return g.a.SetLatest(ctx, s, id, version)
}

type gThreads struct {
	t Threads
	o Observer
}

func (g gThreads) Create(ctx context.Context, s Scope, c ThreadCreate) (_ Thread, err error) {
	if err := allow(s, "Threads.Create"); err != nil {
		return Thread{}, err
	}
	defer done(ctx, g.o, "Threads.Create", s, start(g.o), &err)
	return g.t.Create(ctx, s, c)
}

func (g gThreads) Get(ctx context.Context, s Scope, id string) (_ Thread, err error) {
	if err := allow(s, "Threads.Get"); err != nil {
		return Thread{}, err
	}
	defer done(ctx, g.o, "Threads.Get", s, start(g.o), &err)
	return g.t.Get(ctx, s, id)
}

func (g gThreads) Update(ctx context.Context, s Scope, id string, p ThreadPatch) (_ Thread, err error) {
	if err := allow(s, "Threads.Update"); err != nil {
		return Thread{}, err
	}
	defer done(ctx, g.o, "Threads.Update", s, start(g.o), &err)
	return g.t.Update(ctx, s, id, p)
}

func (g gThreads) Delete(ctx context.Context, s Scope, id string) (err error) {
	if err := allow(s, "Threads.Delete"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Threads.Delete", s, start(g.o), &err)
	return g.t.Delete(ctx, s, id)
}

func (g gThreads) Search(ctx context.Context, s Scope, q ThreadSearch) (_ []Thread, err error) {
	if err := allow(s, "Threads.Search"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Threads.Search", s, start(g.o), &err)
	return g.t.Search(ctx, s, q)
}

func (g gThreads) Count(ctx context.Context, s Scope, q ThreadSearch) (_ int, err error) {
	if err := allow(s, "Threads.Count"); err != nil {
		return 0, err
	}
	defer done(ctx, g.o, "Threads.Count", s, start(g.o), &err)
	return g.t.Count(ctx, s, q)
}

func (g gThreads) Copy(ctx context.Context, s Scope, id string, dst ThreadCreate) (_ Thread, err error) {
	if err := allow(s, "Threads.Copy"); err != nil {
		return Thread{}, err
	}
	defer done(ctx, g.o, "Threads.Copy", s, start(g.o), &err)
	return g.t.Copy(ctx, s, id, dst)
}

func (g gThreads) Prune(ctx context.Context, s Scope, ids []string, strategy string) (_ int, err error) {
	if err := allow(s, "Threads.Prune"); err != nil {
		return 0, err
	}
	defer done(ctx, g.o, "Threads.Prune", s, start(g.o), &err)
	return g.t.Prune(ctx, s, ids, strategy)
}

func (g gThreads) SetState(ctx context.Context, s Scope, id string, st ThreadState) (_ Thread, err error) {
	if err := allow(s, "Threads.SetState"); err != nil {
		return Thread{}, err
	}
	defer done(ctx, g.o, "Threads.SetState", s, start(g.o), &err)
	return g.t.SetState(ctx, s, id, st)
}

type gRuns struct {
	r Runs
	o Observer
}

func (g gRuns) Create(ctx context.Context, s Scope, c RunCreate) (_ RunCreated, err error) {
	if err := allow(s, "Runs.Create"); err != nil {
		return RunCreated{}, err
	}
	defer done(ctx, g.o, "Runs.Create", s, start(g.o), &err)
	return g.r.Create(ctx, s, c)
}

func (g gRuns) Get(ctx context.Context, s Scope, threadID, runID string) (_ Run, err error) {
	if err := allow(s, "Runs.Get"); err != nil {
		return Run{}, err
	}
	defer done(ctx, g.o, "Runs.Get", s, start(g.o), &err)
	return g.r.Get(ctx, s, threadID, runID)
}

func (g gRuns) List(ctx context.Context, s Scope, threadID string, q RunList) (_ []Run, err error) {
	if err := allow(s, "Runs.List"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Runs.List", s, start(g.o), &err)
	return g.r.List(ctx, s, threadID, q)
}

func (g gRuns) Delete(ctx context.Context, s Scope, threadID, runID string) (err error) {
	if err := allow(s, "Runs.Delete"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Runs.Delete", s, start(g.o), &err)
	return g.r.Delete(ctx, s, threadID, runID)
}

func (g gRuns) Cancel(ctx context.Context, s Scope, c RunCancel) (_ []Run, err error) {
	if err := allow(s, "Runs.Cancel"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Runs.Cancel", s, start(g.o), &err)
	return g.r.Cancel(ctx, s, c)
}

func (g gRuns) Claim(ctx context.Context, s Scope, lease time.Duration) (_ Run, _ bool, err error) {
	if err := allow(s, "Runs.Claim"); err != nil {
		return Run{}, false, err
	}
	defer done(ctx, g.o, "Runs.Claim", s, start(g.o), &err)
	return g.r.Claim(ctx, s, lease)
}

func (g gRuns) Heartbeat(ctx context.Context, s Scope, runID string, lease time.Duration) (_ string, err error) {
	if err := allow(s, "Runs.Heartbeat"); err != nil {
		return "", err
	}
	defer done(ctx, g.o, "Runs.Heartbeat", s, start(g.o), &err)
	return g.r.Heartbeat(ctx, s, runID, lease)
}

func (g gRuns) Finish(ctx context.Context, s Scope, f RunFinish) (_ Run, err error) {
	if err := allow(s, "Runs.Finish"); err != nil {
		return Run{}, err
	}
	defer done(ctx, g.o, "Runs.Finish", s, start(g.o), &err)
	return g.r.Finish(ctx, s, f)
}

func (g gRuns) Discard(ctx context.Context, s Scope, threadID, runID string) (err error) {
	if err := allow(s, "Runs.Discard"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Runs.Discard", s, start(g.o), &err)
	return g.r.Discard(ctx, s, threadID, runID)
}

func (g gRuns) RequeueExpired(ctx context.Context, s Scope) (_ []Run, err error) {
	if err := allow(s, "Runs.RequeueExpired"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Runs.RequeueExpired", s, start(g.o), &err)
	return g.r.RequeueExpired(ctx, s)
}

func (g gRuns) Stats(ctx context.Context, s Scope) (_ RunStats, err error) {
	if err := allow(s, "Runs.Stats"); err != nil {
		return RunStats{}, err
	}
	defer done(ctx, g.o, "Runs.Stats", s, start(g.o), &err)
	return g.r.Stats(ctx, s)
}

type gCrons struct {
	c Crons
	o Observer
}

// Create also checks the thread scope of a cron on a thread: it must be
// threads:create_run on that thread (the backend checks visibility in the
// transaction that inserts the cron).
func (g gCrons) Create(ctx context.Context, s Scope, c CronCreate) (_ Cron, err error) {
	if err := allow(s, "Crons.Create"); err != nil {
		return Cron{}, err
	}
	if c.ThreadID != "" {
		if err := allow(c.ThreadScope, "Crons.CreateThread"); err != nil {
			return Cron{}, err
		}
	}
	defer done(ctx, g.o, "Crons.Create", s, start(g.o), &err)
	return g.c.Create(ctx, s, c)
}

func (g gCrons) Get(ctx context.Context, s Scope, id string) (_ Cron, err error) {
	if err := allow(s, "Crons.Get"); err != nil {
		return Cron{}, err
	}
	defer done(ctx, g.o, "Crons.Get", s, start(g.o), &err)
	return g.c.Get(ctx, s, id)
}

func (g gCrons) Update(ctx context.Context, s Scope, id string, p CronPatch) (_ Cron, err error) {
	if err := allow(s, "Crons.Update"); err != nil {
		return Cron{}, err
	}
	defer done(ctx, g.o, "Crons.Update", s, start(g.o), &err)
	return g.c.Update(ctx, s, id, p)
}

func (g gCrons) Delete(ctx context.Context, s Scope, id string) (err error) {
	if err := allow(s, "Crons.Delete"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Crons.Delete", s, start(g.o), &err)
	return g.c.Delete(ctx, s, id)
}

func (g gCrons) Search(ctx context.Context, s, threads Scope, q CronSearch) (_ []Cron, err error) {
	if err := allow(s, "Crons.Search"); err != nil {
		return nil, err
	}
	if err := allow(threads, "Crons.SearchThreads"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Crons.Search", s, start(g.o), &err)
	return g.c.Search(ctx, s, threads, q)
}

func (g gCrons) Count(ctx context.Context, s, threads Scope, q CronSearch) (_ int, err error) {
	if err := allow(s, "Crons.Count"); err != nil {
		return 0, err
	}
	if err := allow(threads, "Crons.SearchThreads"); err != nil {
		return 0, err
	}
	defer done(ctx, g.o, "Crons.Count", s, start(g.o), &err)
	return g.c.Count(ctx, s, threads, q)
}

func (g gCrons) Due(ctx context.Context, s Scope, now time.Time, limit int) (_ []Cron, err error) {
	if err := allow(s, "Crons.Due"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Crons.Due", s, start(g.o), &err)
	return g.c.Due(ctx, s, now, limit)
}

func (g gCrons) Advance(ctx context.Context, s Scope, id string, from, next time.Time) (_ bool, err error) {
	if err := allow(s, "Crons.Advance"); err != nil {
		return false, err
	}
	defer done(ctx, g.o, "Crons.Advance", s, start(g.o), &err)
	return g.c.Advance(ctx, s, id, from, next)
}

type gItems struct {
	i Items
	o Observer
}

func (g gItems) Put(ctx context.Context, s Scope, p ItemPut) (err error) {
	if err := allow(s, "Items.Put"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Items.Put", s, start(g.o), &err)
	return g.i.Put(ctx, s, p)
}

func (g gItems) Get(ctx context.Context, s Scope, ns []string, key string, refreshTTL bool) (_ Item, err error) {
	if err := allow(s, "Items.Get"); err != nil {
		return Item{}, err
	}
	defer done(ctx, g.o, "Items.Get", s, start(g.o), &err)
	return g.i.Get(ctx, s, ns, key, refreshTTL)
}

func (g gItems) Delete(ctx context.Context, s Scope, ns []string, key string) (err error) {
	if err := allow(s, "Items.Delete"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Items.Delete", s, start(g.o), &err)
	return g.i.Delete(ctx, s, ns, key)
}

func (g gItems) Search(ctx context.Context, s Scope, q ItemSearch) (_ []Item, err error) {
	if err := allow(s, "Items.Search"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Items.Search", s, start(g.o), &err)
	return g.i.Search(ctx, s, q)
}

func (g gItems) ListNamespaces(ctx context.Context, s Scope, q NamespaceList) (_ [][]string, err error) {
	if err := allow(s, "Items.ListNamespaces"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Items.ListNamespaces", s, start(g.o), &err)
	return g.i.ListNamespaces(ctx, s, q)
}
