package storage

import (
	"context"
	"time"
)

// The wrappers below check each call's scope (allow) and delegate.

type gAssistants struct{ a Assistants }

func (g gAssistants) Create(ctx context.Context, s Scope, c AssistantCreate) (Assistant, error) {
	if err := allow(s, "Assistants.Create"); err != nil {
		return Assistant{}, err
	}
	return g.a.Create(ctx, s, c)
}

func (g gAssistants) Get(ctx context.Context, s Scope, id string) (Assistant, error) {
	if err := allow(s, "Assistants.Get"); err != nil {
		return Assistant{}, err
	}
	return g.a.Get(ctx, s, id)
}

func (g gAssistants) Update(ctx context.Context, s Scope, id string, p AssistantPatch) (Assistant, error) {
	if err := allow(s, "Assistants.Update"); err != nil {
		return Assistant{}, err
	}
	return g.a.Update(ctx, s, id, p)
}

func (g gAssistants) Delete(ctx context.Context, s Scope, id string) error {
	if err := allow(s, "Assistants.Delete"); err != nil {
		return err
	}
	return g.a.Delete(ctx, s, id)
}

func (g gAssistants) Search(ctx context.Context, s Scope, q AssistantSearch) ([]Assistant, error) {
	if err := allow(s, "Assistants.Search"); err != nil {
		return nil, err
	}
	return g.a.Search(ctx, s, q)
}

func (g gAssistants) Count(ctx context.Context, s Scope, q AssistantSearch) (int, error) {
	if err := allow(s, "Assistants.Count"); err != nil {
		return 0, err
	}
	return g.a.Count(ctx, s, q)
}

func (g gAssistants) Versions(ctx context.Context, s Scope, id string, q VersionSearch) ([]AssistantVersion, error) {
	if err := allow(s, "Assistants.Versions"); err != nil {
		return nil, err
	}
	return g.a.Versions(ctx, s, id, q)
}

func (g gAssistants) SetLatest(ctx context.Context, s Scope, id string, version int) (Assistant, error) {
	if err := allow(s, "Assistants.SetLatest"); err != nil {
		return Assistant{}, err
	}
	return g.a.SetLatest(ctx, s, id, version)
}

type gThreads struct{ t Threads }

func (g gThreads) Create(ctx context.Context, s Scope, c ThreadCreate) (Thread, error) {
	if err := allow(s, "Threads.Create"); err != nil {
		return Thread{}, err
	}
	return g.t.Create(ctx, s, c)
}

func (g gThreads) Get(ctx context.Context, s Scope, id string) (Thread, error) {
	if err := allow(s, "Threads.Get"); err != nil {
		return Thread{}, err
	}
	return g.t.Get(ctx, s, id)
}

func (g gThreads) Update(ctx context.Context, s Scope, id string, p ThreadPatch) (Thread, error) {
	if err := allow(s, "Threads.Update"); err != nil {
		return Thread{}, err
	}
	return g.t.Update(ctx, s, id, p)
}

func (g gThreads) Delete(ctx context.Context, s Scope, id string) error {
	if err := allow(s, "Threads.Delete"); err != nil {
		return err
	}
	return g.t.Delete(ctx, s, id)
}

func (g gThreads) Search(ctx context.Context, s Scope, q ThreadSearch) ([]Thread, error) {
	if err := allow(s, "Threads.Search"); err != nil {
		return nil, err
	}
	return g.t.Search(ctx, s, q)
}

func (g gThreads) Count(ctx context.Context, s Scope, q ThreadSearch) (int, error) {
	if err := allow(s, "Threads.Count"); err != nil {
		return 0, err
	}
	return g.t.Count(ctx, s, q)
}

func (g gThreads) Copy(ctx context.Context, s Scope, id string, dst ThreadCreate) (Thread, error) {
	if err := allow(s, "Threads.Copy"); err != nil {
		return Thread{}, err
	}
	return g.t.Copy(ctx, s, id, dst)
}

func (g gThreads) Prune(ctx context.Context, s Scope, ids []string, strategy string) (int, error) {
	if err := allow(s, "Threads.Prune"); err != nil {
		return 0, err
	}
	return g.t.Prune(ctx, s, ids, strategy)
}

func (g gThreads) SetState(ctx context.Context, s Scope, id string, st ThreadState) (Thread, error) {
	if err := allow(s, "Threads.SetState"); err != nil {
		return Thread{}, err
	}
	return g.t.SetState(ctx, s, id, st)
}

type gRuns struct{ r Runs }

func (g gRuns) Create(ctx context.Context, s Scope, c RunCreate) (RunCreated, error) {
	if err := allow(s, "Runs.Create"); err != nil {
		return RunCreated{}, err
	}
	return g.r.Create(ctx, s, c)
}

func (g gRuns) Get(ctx context.Context, s Scope, threadID, runID string) (Run, error) {
	if err := allow(s, "Runs.Get"); err != nil {
		return Run{}, err
	}
	return g.r.Get(ctx, s, threadID, runID)
}

func (g gRuns) List(ctx context.Context, s Scope, threadID string, q RunList) ([]Run, error) {
	if err := allow(s, "Runs.List"); err != nil {
		return nil, err
	}
	return g.r.List(ctx, s, threadID, q)
}

func (g gRuns) Delete(ctx context.Context, s Scope, threadID, runID string) error {
	if err := allow(s, "Runs.Delete"); err != nil {
		return err
	}
	return g.r.Delete(ctx, s, threadID, runID)
}

func (g gRuns) Cancel(ctx context.Context, s Scope, c RunCancel) ([]Run, error) {
	if err := allow(s, "Runs.Cancel"); err != nil {
		return nil, err
	}
	return g.r.Cancel(ctx, s, c)
}

func (g gRuns) Claim(ctx context.Context, s Scope, lease time.Duration) (Run, bool, error) {
	if err := allow(s, "Runs.Claim"); err != nil {
		return Run{}, false, err
	}
	return g.r.Claim(ctx, s, lease)
}

func (g gRuns) Heartbeat(ctx context.Context, s Scope, runID string, lease time.Duration) (string, error) {
	if err := allow(s, "Runs.Heartbeat"); err != nil {
		return "", err
	}
	return g.r.Heartbeat(ctx, s, runID, lease)
}

func (g gRuns) Finish(ctx context.Context, s Scope, f RunFinish) (Run, error) {
	if err := allow(s, "Runs.Finish"); err != nil {
		return Run{}, err
	}
	return g.r.Finish(ctx, s, f)
}

func (g gRuns) Discard(ctx context.Context, s Scope, threadID, runID string) error {
	if err := allow(s, "Runs.Discard"); err != nil {
		return err
	}
	return g.r.Discard(ctx, s, threadID, runID)
}

func (g gRuns) RequeueExpired(ctx context.Context, s Scope) ([]Run, error) {
	if err := allow(s, "Runs.RequeueExpired"); err != nil {
		return nil, err
	}
	return g.r.RequeueExpired(ctx, s)
}

func (g gRuns) Stats(ctx context.Context, s Scope) (RunStats, error) {
	if err := allow(s, "Runs.Stats"); err != nil {
		return RunStats{}, err
	}
	return g.r.Stats(ctx, s)
}

type gCrons struct{ c Crons }

// Create also checks the thread scope of a cron on a thread: it must be
// threads:create_run on that thread (the backend checks visibility in the
// transaction that inserts the cron).
func (g gCrons) Create(ctx context.Context, s Scope, c CronCreate) (Cron, error) {
	if err := allow(s, "Crons.Create"); err != nil {
		return Cron{}, err
	}
	if c.ThreadID != "" {
		if err := allow(c.ThreadScope, "Crons.CreateThread"); err != nil {
			return Cron{}, err
		}
	}
	return g.c.Create(ctx, s, c)
}

func (g gCrons) Get(ctx context.Context, s Scope, id string) (Cron, error) {
	if err := allow(s, "Crons.Get"); err != nil {
		return Cron{}, err
	}
	return g.c.Get(ctx, s, id)
}

func (g gCrons) Update(ctx context.Context, s Scope, id string, p CronPatch) (Cron, error) {
	if err := allow(s, "Crons.Update"); err != nil {
		return Cron{}, err
	}
	return g.c.Update(ctx, s, id, p)
}

func (g gCrons) Delete(ctx context.Context, s Scope, id string) error {
	if err := allow(s, "Crons.Delete"); err != nil {
		return err
	}
	return g.c.Delete(ctx, s, id)
}

func (g gCrons) Search(ctx context.Context, s, threads Scope, q CronSearch) ([]Cron, error) {
	if err := allow(s, "Crons.Search"); err != nil {
		return nil, err
	}
	if err := allow(threads, "Crons.SearchThreads"); err != nil {
		return nil, err
	}
	return g.c.Search(ctx, s, threads, q)
}

func (g gCrons) Count(ctx context.Context, s, threads Scope, q CronSearch) (int, error) {
	if err := allow(s, "Crons.Count"); err != nil {
		return 0, err
	}
	if err := allow(threads, "Crons.SearchThreads"); err != nil {
		return 0, err
	}
	return g.c.Count(ctx, s, threads, q)
}

func (g gCrons) Due(ctx context.Context, s Scope, now time.Time, limit int) ([]Cron, error) {
	if err := allow(s, "Crons.Due"); err != nil {
		return nil, err
	}
	return g.c.Due(ctx, s, now, limit)
}

func (g gCrons) Advance(ctx context.Context, s Scope, id string, from, next time.Time) (bool, error) {
	if err := allow(s, "Crons.Advance"); err != nil {
		return false, err
	}
	return g.c.Advance(ctx, s, id, from, next)
}

type gItems struct{ i Items }

func (g gItems) Put(ctx context.Context, s Scope, p ItemPut) error {
	if err := allow(s, "Items.Put"); err != nil {
		return err
	}
	return g.i.Put(ctx, s, p)
}

func (g gItems) Get(ctx context.Context, s Scope, ns []string, key string, refreshTTL bool) (Item, error) {
	if err := allow(s, "Items.Get"); err != nil {
		return Item{}, err
	}
	return g.i.Get(ctx, s, ns, key, refreshTTL)
}

func (g gItems) Delete(ctx context.Context, s Scope, ns []string, key string) error {
	if err := allow(s, "Items.Delete"); err != nil {
		return err
	}
	return g.i.Delete(ctx, s, ns, key)
}

func (g gItems) Search(ctx context.Context, s Scope, q ItemSearch) ([]Item, error) {
	if err := allow(s, "Items.Search"); err != nil {
		return nil, err
	}
	return g.i.Search(ctx, s, q)
}

func (g gItems) ListNamespaces(ctx context.Context, s Scope, q NamespaceList) ([][]string, error) {
	if err := allow(s, "Items.ListNamespaces"); err != nil {
		return nil, err
	}
	return g.i.ListNamespaces(ctx, s, q)
}
