package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// ownerIdentity is ownerAuth whose callers also carry an auth.Identity,
// as with a real Enforcer, so that crons record who created them.
type ownerIdentity struct{ ownerAuth }

func (o ownerIdentity) Authenticate(r *http.Request) (context.Context, error) {
	ctx, err := o.ownerAuth.Authenticate(r)
	if err != nil {
		return nil, err
	}
	u := &auth.User{Identity: r.Header.Get("X-User"), DisplayName: "The " + r.Header.Get("X-User"), Permissions: []string{"cron"}}
	return auth.WithIdentity(ctx, &auth.Identity{User: u, Permissions: u.Permissions}), nil
}

func newCronServer(t *testing.T, st storage.Store, opts Options) *testServer {
	o := ownerIdentity{}
	opts.Authenticator, opts.Authorizer = o, o
	if opts.Runs.CronPoll == 0 {
		opts.Runs.CronPoll = 20 * time.Millisecond
	}
	return newRunServer(t, st, opts)
}

var alice, bob = []string{"X-User", "alice"}, []string{"X-User", "bob"}

func TestCronRoutes(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newCronServer(t, st, Options{})
		th := ts.createThread(nil, alice...).ThreadID

		before := time.Now()
		var c storage.Cron
		raw := ts.ok(200, "POST", "/runs/crons", map[string]any{"assistant_id": "who", "schedule": "*/5 * * * *",
			"timezone": "Europe/Paris", "input": map[string]any{"q": 1}, "metadata": map[string]any{"k": "v"},
			"stream_mode": "updates", "webhook": "https://example.com/hook", "multitask_strategy": "enqueue",
			"checkpoint_during": false}, alice...)
		raw.json(t, &c)
		var wire map[string]any
		raw.json(t, &wire)
		if wire["thread_id"] != nil || wire["on_run_completed"] != "delete" || wire["enabled"] != true ||
			wire["user_id"] != "alice" || wire["timezone"] != "Europe/Paris" || wire["end_time"] != nil {
			t.Fatalf("stateless cron %s", raw.body)
		}
		if strings.Contains(string(raw.body), "The alice") || strings.Contains(string(raw.body), "auth_user") {
			t.Errorf("the creator's user is on the wire: %s", raw.body)
		}
		if c.Metadata["owner"] != "alice" || c.Metadata["k"] != "v" || c.NextRunDate == nil ||
			!c.NextRunDate.After(before) || c.NextRunDate.After(before.Add(5*time.Minute)) || c.NextRunDate.Minute()%5 != 0 {
			t.Fatalf("stateless cron %+v", c)
		}
		if p := c.Payload; p["webhook"] != "https://example.com/hook" || p["input"].(map[string]any)["q"] != float64(1) ||
			p["stream_mode"].([]any)[0] != "updates" || p["multitask_strategy"] != nil || p["durability"] != "exit" {
			t.Errorf("payload %v", p)
		}

		var tc storage.Cron
		ts.ok(200, "POST", "/threads/"+th+"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "0 9 * * 1",
			"multitask_strategy": "reject", "enabled": false, "end_time": "2099-01-01T00:00:00Z"}, alice...).json(t, &tc)
		if tc.ThreadID != th || tc.OnRunCompleted != "" || tc.Enabled || tc.EndTime == nil || tc.Payload["multitask_strategy"] != "reject" {
			t.Fatalf("thread cron %+v", tc)
		}

		// Validation.
		for _, bad := range []struct {
			path   string
			body   map[string]any
			status int
		}{
			{"/runs/crons", map[string]any{"schedule": "* * * * *"}, 422},
			{"/runs/crons", map[string]any{"assistant_id": "who"}, 422},
			{"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "every minute"}, 422},
			{"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *", "timezone": "Mars/Base"}, 422},
			{"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *", "webhook": "/hooks/local"}, 400},
			{"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *", "on_run_completed": "never"}, 422},
			{"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *", "multitask_strategy": "no"}, 422},
			{"/runs/crons", map[string]any{"assistant_id": "no-such-graph", "schedule": "* * * * *"}, 422},
			{"/runs/crons", map[string]any{"assistant_id": "00000000-0000-0000-0000-00000000abcd", "schedule": "* * * * *"}, 404},
			{"/threads/" + th + "/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *", "on_run_completed": "keep"}, 422},
			{"/threads/00000000-0000-0000-0000-00000000abcd/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *"}, 404},
		} {
			if r := ts.do("POST", bad.path, bad.body, alice...); r.status != bad.status {
				t.Errorf("POST %s %v: %d %s, want %d", bad.path, bad.body, r.status, r.body, bad.status)
			}
		}

		// Search, count, select, pagination.
		var list []storage.Cron
		r := ts.ok(200, "POST", "/runs/crons/search", map[string]any{"limit": 1}, alice...)
		r.json(t, &list)
		if len(list) != 1 || list[0].CronID != tc.CronID || r.header.Get("X-Pagination-Next") != "1" || r.header.Get("X-Pagination-Total") != "2" {
			t.Fatalf("search page 1: %s %v", r.body, r.header)
		}
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{"thread_id": th}, alice...).json(t, &list)
		if len(list) != 1 || list[0].CronID != tc.CronID {
			t.Fatalf("search by thread %+v", list)
		}
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{"enabled": true, "assistant_id": "who"}, alice...).json(t, &list)
		if len(list) != 1 || list[0].CronID != c.CronID {
			t.Fatalf("search enabled %+v", list)
		}
		var sel []map[string]any
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{"select": []string{"cron_id", "schedule"}, "sort_by": "next_run_date", "sort_order": "asc"}, alice...).json(t, &sel)
		if len(sel) != 2 || len(sel[0]) != 2 || sel[0]["cron_id"] != c.CronID {
			t.Fatalf("select %v", sel)
		}
		var selNow []map[string]any
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{"select": []string{"cron_id", "now"}}, alice...).json(t, &selNow)
		if now, _ := selNow[0]["now"].(string); len(selNow[0]) != 2 || !strings.HasPrefix(now, "20") {
			t.Fatalf("select now %v", selNow)
		}
		ts.ok(422, "POST", "/runs/crons/search", map[string]any{"sort_by": "schedule"}, alice...)
		var n int
		ts.ok(200, "POST", "/runs/crons/count", map[string]any{}, alice...).json(t, &n)
		if n != 2 {
			t.Fatalf("count %d", n)
		}
		ts.ok(200, "POST", "/runs/crons/count", map[string]any{"thread_id": th}, alice...).json(t, &n)
		if n != 1 {
			t.Fatalf("count by thread %d", n)
		}

		// Patch: a new schedule moves the next run date; run fields merge
		// into the payload; end_time null removes the end time.
		var up storage.Cron
		ts.ok(200, "PATCH", "/runs/crons/"+tc.CronID, map[string]any{"schedule": "30 * * * *", "enabled": true,
			"end_time": nil, "input": map[string]any{"new": true}, "metadata": map[string]any{"m": 2}}, alice...).json(t, &up)
		if up.Schedule != "30 * * * *" || !up.Enabled || up.EndTime != nil || up.NextRunDate.Minute() != 30 ||
			up.Payload["input"].(map[string]any)["new"] != true || up.Payload["multitask_strategy"] != "reject" ||
			up.Metadata["m"] != float64(2) || up.Metadata["owner"] != "alice" {
			t.Fatalf("patched %+v", up)
		}
		ts.ok(422, "PATCH", "/runs/crons/"+tc.CronID, map[string]any{"schedule": "nope"}, alice...)
		ts.ok(400, "PATCH", "/runs/crons/"+tc.CronID, map[string]any{"webhook": "relative/path"}, alice...)
		ts.ok(422, "PATCH", "/runs/crons/"+tc.CronID, map[string]any{"on_run_completed": "keep"}, alice...)
		ts.ok(404, "PATCH", "/runs/crons/00000000-0000-0000-0000-00000000abcd", map[string]any{}, alice...)
		ts.ok(422, "PATCH", "/runs/crons/not-a-uuid", map[string]any{}, alice...)

		// Delete, and a thread's crons go with it.
		ts.ok(204, "DELETE", "/runs/crons/"+c.CronID, nil, alice...)
		ts.ok(404, "DELETE", "/runs/crons/"+c.CronID, nil, alice...)
		ts.ok(204, "DELETE", "/threads/"+th, nil, alice...)
		ts.ok(200, "POST", "/runs/crons/count", map[string]any{}, alice...).json(t, &n)
		if n != 0 {
			t.Fatalf("%d crons left", n)
		}
		var info struct {
			Flags map[string]bool `json:"flags"`
		}
		ts.ok(200, "GET", "/info", nil).json(t, &info)
		if !info.Flags["crons"] {
			t.Fatalf("info flags %v", info.Flags)
		}
	})
}

// TestCronIsolation: bob neither sees nor changes alice's crons, cannot put
// a cron on her thread or her assistant, and his attempts create nothing.
func TestCronIsolation(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newCronServer(t, st, Options{})
		th := ts.createThread(nil, alice...).ThreadID
		var a storage.Assistant
		ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "who"}, alice...).json(t, &a)
		var c storage.Cron
		ts.ok(200, "POST", "/threads/"+th+"/runs/crons", map[string]any{"assistant_id": a.AssistantID,
			"schedule": "* * * * *", "input": map[string]any{"s": secret}}, alice...).json(t, &c)

		for _, r := range []response{
			ts.do("POST", "/runs/crons/search", map[string]any{}, bob...),
			ts.do("POST", "/runs/crons/search", map[string]any{"thread_id": th}, bob...),
			ts.do("POST", "/runs/crons/search", map[string]any{"assistant_id": a.AssistantID}, bob...),
		} {
			if r.status != 200 || string(r.body) != "[]" {
				t.Errorf("bob's search: %d %s", r.status, r.body)
			}
		}
		var n int
		ts.ok(200, "POST", "/runs/crons/count", map[string]any{}, bob...).json(t, &n)
		if n != 0 {
			t.Errorf("bob counts %d", n)
		}
		ts.ok(404, "PATCH", "/runs/crons/"+c.CronID, map[string]any{"enabled": false, "input": "bob's"}, bob...)
		ts.ok(404, "DELETE", "/runs/crons/"+c.CronID, nil, bob...)
		if d := ts.ok(404, "POST", "/threads/"+th+"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *"}, bob...).detail(t); d != "Thread with ID "+th+" not found" {
			t.Errorf("bob on alice's thread: %q", d)
		}
		if d := ts.ok(404, "POST", "/runs/crons", map[string]any{"assistant_id": a.AssistantID, "schedule": "* * * * *"}, bob...).detail(t); d != "Assistant "+a.AssistantID+" not found" {
			t.Errorf("bob with alice's assistant: %q", d)
		}
		ts.ok(200, "POST", "/runs/crons/count", map[string]any{}, bob...).json(t, &n)
		if n != 0 {
			t.Errorf("bob's refused creates made %d crons", n)
		}
		var got []storage.Cron
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{}, alice...).json(t, &got)
		if len(got) != 1 || got[0].Enabled != true || got[0].Payload["input"].(map[string]any)["s"] != secret {
			t.Fatalf("alice's cron after bob: %+v", got)
		}
	})
}

// sharedCrons lets everyone see every cron, while threads stay their
// owner's: search must still leave out crons on threads the caller cannot
// read.
type sharedCrons struct{ ownerIdentity }

func (a sharedCrons) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	if _, ok := v.(*auth.CronsSearch); ok {
		return scopeFor(v), nil
	}
	return a.ownerIdentity.Authorize(ctx, v)
}

func TestCronSearchLeavesOutUnreadableThreads(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		a := sharedCrons{}
		ts := newRunServer(t, st, Options{Authenticator: a, Authorizer: a})
		th := ts.createThread(nil, alice...).ThreadID
		var onThread, stateless storage.Cron
		ts.ok(200, "POST", "/threads/"+th+"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *"}, alice...).json(t, &onThread)
		ts.ok(200, "POST", "/runs/crons", map[string]any{"assistant_id": "who", "schedule": "* * * * *"}, alice...).json(t, &stateless)
		var list []storage.Cron
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{}, bob...).json(t, &list)
		if len(list) != 1 || list[0].CronID != stateless.CronID {
			t.Fatalf("bob sees %+v", list)
		}
		var n int
		ts.ok(200, "POST", "/runs/crons/count", map[string]any{"thread_id": th}, bob...).json(t, &n)
		if n != 0 {
			t.Fatalf("bob counts %d crons on alice's thread", n)
		}
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{}, alice...).json(t, &list)
		if len(list) != 2 {
			t.Fatalf("alice sees %+v", list)
		}
	})
}

// dueNow moves a cron's next run into the past, as time passing would.
func dueNow(t *testing.T, ts *testServer, id string) {
	t.Helper()
	past := time.Now().Add(-time.Second)
	if _, err := ts.srv.store.Crons().Update(t.Context(), storage.System(), id, storage.CronPatch{NextRunDate: &past}); err != nil {
		t.Fatal(err)
	}
}

// TestCronFiresAsItsCreator: the server's cron scheduler creates the run
// on the cron's thread, with the creator's identity in the config although
// no request is being served.
func TestCronFiresAsItsCreator(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newCronServer(t, st, Options{})
		th := ts.createThread(nil, alice...).ThreadID
		var c storage.Cron
		ts.ok(200, "POST", "/threads/"+th+"/runs/crons", map[string]any{"assistant_id": "who", "schedule": "0 0 1 1 *",
			"input": map[string]any{}}, alice...).json(t, &c)
		dueNow(t, ts, c.CronID)
		var runs []storage.Run
		deadline := time.Now().Add(10 * time.Second)
		for len(runs) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the cron did not fire")
			}
			time.Sleep(10 * time.Millisecond)
			ts.ok(200, "GET", "/threads/"+th+"/runs", nil, alice...).json(t, &runs)
		}
		ts.waitRunStatus(th, runs[0].RunID, storage.RunSuccess, alice...)
		var state stateResp
		ts.ok(200, "GET", "/threads/"+th+"/state", nil, alice...).json(t, &state)
		who, _ := state.Values["who"].(map[string]any)
		user, _ := who["user"].(map[string]any)
		if who["id"] != "alice" || user["display_name"] != "The alice" || who["thread_id"] != th {
			t.Fatalf("the cron's run saw %v", who)
		}
		var after storage.Cron
		var list []storage.Cron
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{}, alice...).json(t, &list)
		after = list[0]
		if !after.NextRunDate.After(time.Now()) {
			t.Errorf("next run date not advanced: %v", after.NextRunDate)
		}
	})
}

// TestRunWebhookThroughServer: without custom routes, relative webhooks are refused at creation;
// an absolute one is called when the run ends (loopback allowed here).
func TestRunWebhookThroughServer(t *testing.T) {
	got := make(chan map[string]any, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		got <- m
	}))
	defer hook.Close()
	ts := newRunServer(t, nil, Options{Runs: RunsOptions{AllowPrivateWebhooks: true}})
	th := ts.createThread(nil).ThreadID
	if d := ts.ok(400, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "who", "webhook": "/my/hook"}).detail(t); !strings.Contains(d, "absolute") {
		t.Errorf("relative webhook: %q", d)
	}
	var r storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "who", "input": map[string]any{},
		"webhook": hook.URL + "/done"}).json(t, &r)
	select {
	case m := <-got:
		if m["run_id"] != r.RunID || m["status"] != "success" || m["values"] == nil || m["run_ended_at"] == nil {
			t.Fatalf("webhook payload %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not called")
	}
}
