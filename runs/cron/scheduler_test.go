package cron

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/agentgate/agentgate/storage/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseAndNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		schedule, tz, after, want string
	}{
		{"*/15 * * * *", "", "2030-01-01T10:07:00Z", "2030-01-01T10:15:00Z"},
		{"*/15 * * * *", "", "2030-01-01T10:15:00Z", "2030-01-01T10:30:00Z"},
		{"0 9 * * *", "America/New_York", "2030-01-01T00:00:00Z", "2030-01-01T14:00:00Z"},
		{"0 9 * * *", "America/New_York", "2030-07-01T00:00:00Z", "2030-07-01T13:00:00Z"},
		{"30 2 * * 1", "Asia/Kolkata", "2030-01-01T00:00:00Z", "2030-01-06T21:00:00Z"},
		{"@hourly", "", "2030-01-01T10:07:00Z", "2030-01-01T11:00:00Z"},
	}
	for _, c := range cases {
		got, err := NextRun(c.schedule, c.tz, at(c.after))
		if err != nil {
			t.Errorf("%q in %q: %v", c.schedule, c.tz, err)
			continue
		}
		if !got.Equal(at(c.want)) || got.Location() != time.UTC {
			t.Errorf("%q in %q after %s = %v, want %s", c.schedule, c.tz, c.after, got, c.want)
		}
	}
	for _, bad := range []struct{ schedule, tz string }{
		{"", ""}, {"not a cron", ""}, {"* * * *", ""}, {"0 * * * * *", ""}, {"61 * * * *", ""},
		{"* * * * *", "Mars/Olympus"}, {"TZ=UTC * * * * *", ""}, {"CRON_TZ=UTC * * * * *", ""},
	} {
		if _, err := Parse(bad.schedule, bad.tz); err == nil {
			t.Errorf("Parse(%q, %q) accepted", bad.schedule, bad.tz)
		}
	}
}

func whoGraph(t *testing.T) *graph.Graph {
	g, err := graph.New().
		AddChannel("who", graph.LastValue[map[string]any]()).
		AddNode("whoami", func(ctx context.Context, s graph.State) (any, error) {
			c := graph.Info(ctx).Configurable
			return graph.State{"who": map[string]any{"id": c[runs.KeyAuthUserID], "user": c[runs.KeyAuthUser],
				"tag": c["tag"], "thread_id": c["thread_id"]}}, nil
		}).
		AddEdge(graph.START, "whoami").AddEdge("whoami", graph.END).
		Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

type env struct {
	t         *testing.T
	store     storage.Store
	runs      *runs.Scheduler
	cron      *Scheduler
	assistant string
}

// newEnv runs a real run scheduler (workers started when start is set)
// and a cron scheduler on store.
func newEnv(t *testing.T, store storage.Store, start bool) *env {
	t.Helper()
	if store == nil {
		store = memory.New()
		t.Cleanup(func() { store.Close() })
	}
	store = storage.Guard(store)
	bk := broker.NewMemory(broker.MemoryOptions{})
	rs, err := runs.New(runs.Options{Store: store, Broker: bk, Graphs: map[string]*graph.Graph{"who": whoGraph(t)},
		Workers: 2, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if start {
		if err := rs.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { rs.Stop(); bk.Close() })
	cs, err := New(Options{Store: store, Runs: rs, Authorizer: ownerPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := store.Assistants().Create(t.Context(), storage.System(), storage.AssistantCreate{
		AssistantID: "a0000000-0000-0000-0000-000000000001", GraphID: "who", IfExists: storage.IfExistsDoNothing,
		Metadata: map[string]any{"created_by": "system"},
		Config:   map[string]any{"configurable": map[string]any{"tag": "from-assistant"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, store: store, runs: rs, cron: cs, assistant: a.AssistantID}
}

// ownerPolicy is the owner pattern through the real enforcer: every
// resource is stamped with and filtered by its owner.
func ownerPolicy(t *testing.T) Authorizer {
	t.Helper()
	a := auth.New()
	a.Authenticate(func(context.Context, *auth.Request) (*auth.User, error) { return nil, auth.Unauthorized("") })
	a.On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		auth.SetMetadata(v, "owner", c.User.Identity)
		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
	})
	e, err := authz.New(a, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var alice = map[string]any{"owner": "alice"}

var t0 = time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)

func (e *env) cronAt(thread string, next time.Time, mod func(*storage.CronCreate)) storage.Cron {
	e.t.Helper()
	c := storage.CronCreate{AssistantID: e.assistant, ThreadID: thread, Schedule: "*/5 * * * *", Enabled: true,
		NextRunDate: &next, Metadata: map[string]any{"owner": "alice"}, UserID: "alice",
		AuthUser: map[string]any{"identity": "alice", "display_name": "Alice", "is_authenticated": true,
			"permissions": []any{"p1"}, "team": "red"},
		Payload: map[string]any{"input": map[string]any{}, "metadata": map[string]any{"via": "cron"}}}
	if mod != nil {
		mod(&c)
	}
	if c.ThreadID != "" {
		c.ThreadScope = storage.System()
	}
	cr, err := e.store.Crons().Create(e.t.Context(), storage.System(), c)
	if err != nil {
		e.t.Fatal(err)
	}
	return cr
}

func (e *env) runsOf(thread string) []storage.Run {
	e.t.Helper()
	rs, err := e.store.Runs().List(e.t.Context(), storage.System(), thread, storage.RunList{})
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// waitRun waits until the run ends and returns the thread afterwards.
func (e *env) waitRun(thread, runID string) storage.Thread {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := e.store.Runs().Get(e.t.Context(), storage.System(), thread, runID)
		if err == nil && r.Status == storage.RunSuccess {
			th, err := e.store.Threads().Get(e.t.Context(), storage.System(), thread)
			if err != nil {
				e.t.Fatal(err)
			}
			return th
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("run %s: %+v, %v", runID, r, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) thread(md map[string]any) string {
	e.t.Helper()
	th, err := e.store.Threads().Create(e.t.Context(), storage.System(), storage.ThreadCreate{Metadata: md})
	if err != nil {
		e.t.Fatal(err)
	}
	return th.ThreadID
}

// TestThreadCronFiresOnceAsItsUser: a due thread cron makes one run on its
// thread, as the cron's user, and its next run date moves past now; a
// second pass at the same time fires nothing.
func TestThreadCronFiresOnceAsItsUser(t *testing.T) {
	e := newEnv(t, nil, true)
	th := e.thread(alice)
	c := e.cronAt(th, t0, nil)
	now := t0.Add(90 * time.Second)
	n, err := e.cron.RunDue(t.Context(), now)
	if err != nil || n != 1 {
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	if n, err := e.cron.RunDue(t.Context(), now); err != nil || n != 0 {
		t.Fatalf("second RunDue = %d, %v", n, err)
	}
	got, err := e.store.Crons().Get(t.Context(), storage.System(), c.CronID)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(5 * time.Minute); !got.NextRunDate.Equal(want) {
		t.Fatalf("next run date %v, want %v", got.NextRunDate, want)
	}
	rs := e.runsOf(th)
	if len(rs) != 1 || rs[0].MultitaskStrategy != storage.MultitaskEnqueue || rs[0].Metadata["via"] != "cron" {
		t.Fatalf("runs %+v", rs)
	}
	after := e.waitRun(th, rs[0].RunID)
	who, _ := after.Values.(map[string]any)["who"].(map[string]any)
	user, _ := who["user"].(map[string]any)
	if who["id"] != "alice" || user["team"] != "red" || user["display_name"] != "Alice" || who["tag"] != "from-assistant" {
		t.Fatalf("the run saw %v", who)
	}
}

// TestStatelessCronThreads: a stateless cron makes a new thread per run,
// carrying the cron's metadata; it is deleted after the run unless
// on_run_completed is keep. Without a stored user, user_id is the caller.
func TestStatelessCronThreads(t *testing.T) {
	e := newEnv(t, nil, true)
	keep := e.cronAt("", t0, func(c *storage.CronCreate) {
		c.OnRunCompleted = storage.CronKeepThread
		c.AuthUser = nil
		c.UserID = "bob"
	})
	run1, err := e.cron.Fire(t.Context(), keep)
	if err != nil {
		t.Fatal(err)
	}
	th := e.waitRun(run1.ThreadID, run1.RunID)
	who, _ := th.Values.(map[string]any)["who"].(map[string]any)
	if th.Metadata["owner"] != "bob" || th.Metadata["via"] != "cron" || who["id"] != "bob" || who["thread_id"] != run1.ThreadID {
		t.Fatalf("kept thread %+v", th)
	}
	run2, err := e.cron.Fire(t.Context(), keep)
	if err != nil {
		t.Fatal(err)
	}
	if run2.ThreadID == run1.ThreadID {
		t.Fatal("a stateless cron reused its thread")
	}

	del := e.cronAt("", t0, nil)
	run3, err := e.cron.Fire(t.Context(), del)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := e.store.Threads().Get(t.Context(), storage.System(), run3.ThreadID)
		if errors.Is(err, storage.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the thread of an on_run_completed=delete cron is still there: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDisabledAndEndedCronsDoNotFire, and a schedule that no longer parses
// disables its cron.
func TestDisabledAndEndedCronsDoNotFire(t *testing.T) {
	e := newEnv(t, nil, false)
	th := e.thread(alice)
	e.cronAt(th, t0, func(c *storage.CronCreate) { c.Enabled = false })
	e.cronAt(th, t0, func(c *storage.CronCreate) { end := t0.Add(time.Minute); c.EndTime = &end })
	bad := e.cronAt(th, t0, func(c *storage.CronCreate) { c.Schedule = "every day" })
	n, err := e.cron.RunDue(t.Context(), t0.Add(2*time.Minute))
	if err != nil || n != 0 {
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	if rs := e.runsOf(th); len(rs) != 0 {
		t.Fatalf("runs %+v", rs)
	}
	got, err := e.store.Crons().Get(t.Context(), storage.System(), bad.CronID)
	if err != nil || got.Enabled {
		t.Fatalf("invalid cron %+v, %v", got, err)
	}
	// Before its end time the ended one did fire.
	if n, err := e.cron.RunDue(t.Context(), t0.Add(30*time.Second)); err != nil || n != 1 {
		t.Fatalf("RunDue before the end time = %d, %v", n, err)
	}
}

// TestReplicasFireEachTickOnce: two processes (two stores on one SQLite
// file, each with its own schedulers) racing over the same due cron create
// one run per tick.
func TestReplicasFireEachTickOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentgate.db")
	open := func() storage.Store {
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := newEnv(t, open(), false), newEnv(t, open(), false)
	th := a.thread(alice)
	a.cronAt(th, t0, func(c *storage.CronCreate) { c.Schedule = "* * * * *" })
	total := 0
	for tick := range 5 {
		now := t0.Add(time.Duration(tick)*time.Minute + time.Second)
		var wg sync.WaitGroup
		counts := make([]int, 4)
		for i, e := range []*env{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := e.cron.RunDue(context.Background(), now)
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		sum := counts[0] + counts[1] + counts[2] + counts[3]
		if sum != 1 {
			t.Fatalf("tick %d fired %d times (%v)", tick, sum, counts)
		}
		total += sum
	}
	if rs := a.runsOf(th); len(rs) != total {
		t.Fatalf("%d runs for %d ticks", len(rs), total)
	}
}

// TestStartFiresDueCrons runs the real loop on the wall clock.
func TestStartFiresDueCrons(t *testing.T) {
	e := newEnv(t, nil, false)
	cs, err := New(Options{Store: e.store, Runs: e.runs, Authorizer: ownerPolicy(t), Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	th := e.thread(alice)
	e.cronAt(th, time.Now().Add(-time.Second), nil)
	if err := cs.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer cs.Stop()
	if err := cs.Start(t.Context()); err == nil {
		t.Error("second Start succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(e.runsOf(th)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the loop never fired the due cron")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cs.Stop()
	cs.Stop()
}

// TestCronOfACreatorWhoLostAccessIsRefused: a tick is authorized again as
// the cron's creator. When the thread is no longer theirs (or the assistant
// not readable), no run is made, nothing runs as System, and the refusal is
// recorded on the cron.
func TestCronOfACreatorWhoLostAccessIsRefused(t *testing.T) {
	e := newEnv(t, nil, false)
	th := e.thread(alice)
	c := e.cronAt(th, t0, nil)
	// The thread changes hands.
	bob := map[string]any{"owner": "bob"}
	if _, err := e.store.Threads().Update(t.Context(), storage.System(), th, storage.ThreadPatch{Metadata: bob}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.cron.RunDue(t.Context(), t0.Add(time.Second)); err != nil || n != 0 {
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	if rs := e.runsOf(th); len(rs) != 0 {
		t.Fatalf("a refused tick made runs: %+v", rs)
	}
	got, err := e.store.Crons().Get(t.Context(), storage.System(), c.CronID)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := got.Metadata[FireErrorKey].(map[string]any)
	if rec == nil || rec["detail"] == "" || got.Metadata["owner"] != "alice" {
		t.Fatalf("the refusal is not on the cron: %v", got.Metadata)
	}

	// A user assistant the creator cannot read refuses the tick too.
	a, err := e.store.Assistants().Create(t.Context(), storage.System(), storage.AssistantCreate{GraphID: "who",
		Metadata: bob})
	if err != nil {
		t.Fatal(err)
	}
	th2 := e.thread(alice)
	c2 := e.cronAt(th2, t0, func(c *storage.CronCreate) { c.AssistantID = a.AssistantID })
	if _, err := e.cron.Fire(t.Context(), c2); !errors.Is(err, errRefused) {
		t.Fatalf("Fire with another's assistant: %v", err)
	}
	// A cron without a stored user under an enforcing policy is refused.
	c3 := e.cronAt(th2, t0, func(c *storage.CronCreate) { c.AuthUser, c.UserID = nil, "" })
	if _, err := e.cron.Fire(t.Context(), c3); !errors.Is(err, errRefused) {
		t.Fatalf("Fire without a user: %v", err)
	}
	if rs := e.runsOf(th2); len(rs) != 0 {
		t.Fatalf("refused ticks made runs: %+v", rs)
	}
}

// kwargsPolicy is the owner policy whose threads:create_run handler pins a
// model in the run's config and forges an identity.
type kwargsPolicy struct{ Authorizer }

func (p kwargsPolicy) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	if rc, ok := v.(*auth.RunsCreate); ok {
		conf := rc.Kwargs["config"].(map[string]any)["configurable"].(map[string]any)
		conf["model"] = "pinned"
		conf[runs.KeyAuthUserID] = "mallory"
	}
	return p.Authorizer.Authorize(ctx, v)
}

// TestCronTickAppliesHandlerKwargs: what the handler changes in a tick's
// kwargs reaches the run; the creator's identity is stamped again.
func TestCronTickAppliesHandlerKwargs(t *testing.T) {
	e := newEnv(t, nil, false)
	cs, err := New(Options{Store: e.store, Runs: e.runs, Authorizer: kwargsPolicy{ownerPolicy(t)}})
	if err != nil {
		t.Fatal(err)
	}
	th := e.thread(alice)
	run, err := cs.Fire(t.Context(), e.cronAt(th, t0, nil))
	if err != nil {
		t.Fatal(err)
	}
	kw, err := runs.ParseKwargs(run.Kwargs)
	if err != nil {
		t.Fatal(err)
	}
	conf := kw.Config["configurable"].(map[string]any)
	if conf["model"] != "pinned" || conf[runs.KeyAuthUserID] != "alice" || conf["tag"] != "from-assistant" {
		t.Fatalf("configurable %v", conf)
	}
}
