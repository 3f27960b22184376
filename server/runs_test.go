package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

func TestRunCreateJoinGetList(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		th := ts.createThread(nil)
		r := ts.ok(200, "POST", "/threads/"+th.ThreadID+"/runs", map[string]any{"assistant_id": "chatbot",
			"input": hello("hi"), "metadata": map[string]any{"tag": "t1"}})
		var run storage.Run
		r.json(t, &run)
		if run.Status != "pending" || run.ThreadID != th.ThreadID || run.AssistantID != SystemAssistantID("chatbot") ||
			run.Metadata["tag"] != "t1" || run.MultitaskStrategy != "enqueue" {
			t.Errorf("created run = %+v", run)
		}
		if loc := r.header.Get("Content-Location"); loc != "/threads/"+th.ThreadID+"/runs/"+run.RunID {
			t.Errorf("Content-Location = %q", loc)
		}
		var res map[string]any
		j := ts.ok(200, "GET", "/threads/"+th.ThreadID+"/runs/"+run.RunID+"/join", nil)
		j.json(t, &res)
		if msgs, _ := res["messages"].([]any); len(msgs) != 2 || msgs[1].(map[string]any)["content"] != "You said: hi" {
			t.Errorf("join = %s", j.body)
		}
		ts.waitRunStatus(th.ThreadID, run.RunID, "success")
		var got storage.Thread
		ts.ok(200, "GET", "/threads/"+th.ThreadID, nil).json(t, &got)
		if got.Status != "idle" || got.Metadata["graph_id"] != "chatbot" || got.Metadata["assistant_id"] != run.AssistantID {
			t.Errorf("thread after run = %+v", got)
		}
		var list []storage.Run
		ts.ok(200, "GET", "/threads/"+th.ThreadID+"/runs?status=success", nil).json(t, &list)
		if len(list) != 1 || list[0].RunID != run.RunID {
			t.Errorf("list = %+v", list)
		}
		var sel []map[string]any
		ts.ok(200, "GET", "/threads/"+th.ThreadID+"/runs?select=run_id&select=status", nil).json(t, &sel)
		if len(sel) != 1 || len(sel[0]) != 2 || sel[0]["status"] != "success" {
			t.Errorf("select = %v", sel)
		}
		ts.ok(422, "GET", "/threads/"+th.ThreadID+"/runs?status=sleeping", nil)
		ts.ok(422, "GET", "/threads/"+th.ThreadID+"/runs/not-a-uuid", nil)
		ts.ok(404, "GET", "/threads/"+th.ThreadID+"/runs/00000000-0000-0000-0000-000000000000", nil)
		ts.ok(204, "DELETE", "/threads/"+th.ThreadID+"/runs/"+run.RunID, nil)
		ts.ok(404, "GET", "/threads/"+th.ThreadID+"/runs/"+run.RunID, nil)
		ts.ok(404, "POST", "/threads/00000000-0000-0000-0000-000000000000/runs", map[string]any{"assistant_id": "chatbot"})
		ts.ok(422, "POST", "/threads/"+th.ThreadID+"/runs", map[string]any{"assistant_id": "nope"})
		ts.ok(422, "POST", "/threads/"+th.ThreadID+"/runs", map[string]any{"assistant_id": "chatbot", "multitask_strategy": "maybe"})
		ts.ok(422, "POST", "/threads/"+th.ThreadID+"/runs", map[string]any{"assistant_id": "chatbot", "stream_mode": "telepathy"})
	})
}

func TestRunStreamSSE(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		th := ts.createThread(nil)
		s := ts.sse("POST", "/threads/"+th.ThreadID+"/runs/stream", map[string]any{"assistant_id": "chatbot",
			"input": hello("stream me please"), "stream_mode": []string{"values", "messages-tuple", "updates"}})
		if s.resp.StatusCode != 200 || !strings.HasPrefix(s.resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("status %d, content type %q", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
		}
		loc := s.resp.Header.Get("Content-Location")
		if !strings.HasPrefix(loc, "/threads/"+th.ThreadID+"/runs/") || s.resp.Header.Get("Location") != loc+"/stream" {
			t.Errorf("Content-Location %q, Location %q", loc, s.resp.Header.Get("Location"))
		}
		evs := s.all()
		names := eventNames(evs)
		if len(evs) == 0 || names[0] != "metadata" {
			t.Fatalf("events %v", names)
		}
		md := decodeData(t, evs[0]).(map[string]any)
		if "/threads/"+th.ThreadID+"/runs/"+md["run_id"].(string) != loc || md["attempt"] != float64(1) {
			t.Errorf("metadata %v", md)
		}
		var text string
		lastID := ""
		for _, ev := range evs {
			if ev.id == "" || ev.id <= lastID && len(ev.id) == len(lastID) {
				t.Errorf("event ids not increasing: %q after %q", ev.id, lastID)
			}
			lastID = ev.id
			if strings.HasPrefix(ev.name, "__") || ev.name == "end" {
				t.Errorf("internal event %q on the wire", ev.name)
			}
			if ev.name == "messages" {
				pair := decodeData(t, ev).([]any)
				text += pair[0].(map[string]any)["content"].(string)
			}
		}
		if text != "You said: stream me please" {
			t.Errorf("messages-tuple chunks make %q", text)
		}
		for _, want := range []string{"values", "updates"} {
			if !slices.Contains(names, want) {
				t.Errorf("no %s event: %v", want, names)
			}
		}
	})
}

func TestStatelessRunsWaitBatchAndKeep(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		var res map[string]any
		r := ts.ok(200, "POST", "/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("stateless")})
		r.json(t, &res)
		if msgs, _ := res["messages"].([]any); len(msgs) != 2 {
			t.Errorf("wait = %s", r.body)
		}
		loc := r.header.Get("Content-Location")
		if !strings.HasPrefix(loc, "/threads/") || r.header.Get("Location") != loc+"/join" {
			t.Errorf("headers %v", r.header)
		}
		tid := strings.Split(loc, "/")[2]
		deadline := time.Now().Add(5 * time.Second)
		for ts.do("GET", "/threads/"+tid, nil).status != 404 {
			if time.Now().After(deadline) {
				t.Fatal("temporary thread not deleted")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// on_completion=keep keeps the thread.
		var run storage.Run
		ts.ok(200, "POST", "/runs", map[string]any{"assistant_id": "chatbot", "input": hello("keep"), "on_completion": "keep"}).json(t, &run)
		ts.ok(200, "GET", "/threads/"+run.ThreadID+"/runs/"+run.RunID+"/join", nil)
		ts.waitRunStatus(run.ThreadID, run.RunID, "success")
		// Batch.
		var batch []storage.Run
		ts.ok(200, "POST", "/runs/batch", []any{
			map[string]any{"assistant_id": "chatbot", "input": hello("a"), "on_completion": "keep"},
			map[string]any{"assistant_id": "chatbot", "input": hello("b"), "on_completion": "keep"},
		}).json(t, &batch)
		if len(batch) != 2 || batch[0].ThreadID == batch[1].ThreadID {
			t.Fatalf("batch = %+v", batch)
		}
		for _, b := range batch {
			ts.waitRunStatus(b.ThreadID, b.RunID, "success")
		}
		ts.ok(422, "POST", "/runs/batch", []any{})
		ts.ok(400, "POST", "/runs", map[string]any{"assistant_id": "chatbot", "command": map[string]any{"resume": "x"}})
		// Stateless stream.
		evs := ts.sse("POST", "/runs/stream", map[string]any{"assistant_id": "chatbot", "input": hello("s")}).all()
		if n := eventNames(evs); len(n) < 2 || n[0] != "metadata" || !slices.Contains(n, "values") {
			t.Errorf("stateless stream %v", n)
		}
	})
}

func TestMultitaskStrategies(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		th := ts.createThread(nil).ThreadID
		create := func(body map[string]any) storage.Run {
			t.Helper()
			var r storage.Run
			ts.ok(200, "POST", "/threads/"+th+"/runs", body).json(t, &r)
			return r
		}
		blocker := create(map[string]any{"assistant_id": "block", "input": map[string]any{"steps": []string{"in"}}})
		ts.waitRunStatus(th, blocker.RunID, "running")

		// reject: 409.
		r := ts.ok(409, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "chatbot", "input": hello("no"), "multitask_strategy": "reject"})
		if d := r.detail(t); d != "Thread is already running a task. Wait for it to finish or choose a different multitask strategy." {
			t.Errorf("reject detail %q", d)
		}
		// enqueue waits behind the blocker.
		queued := create(map[string]any{"assistant_id": "chatbot", "input": hello("queued"), "multitask_strategy": "enqueue"})
		time.Sleep(50 * time.Millisecond)
		ts.waitRunStatus(th, queued.RunID, "pending")
		// interrupt: the blocker ends interrupted, the queued run is interrupted too, the new one runs.
		inter := create(map[string]any{"assistant_id": "chatbot", "input": hello("interrupting"), "multitask_strategy": "interrupt"})
		ts.waitRunStatus(th, blocker.RunID, "interrupted")
		ts.waitRunStatus(th, queued.RunID, "interrupted")
		ts.waitRunStatus(th, inter.RunID, "success")
		var thread storage.Thread
		ts.ok(200, "GET", "/threads/"+th, nil).json(t, &thread)
		if thread.Status != "idle" {
			t.Errorf("thread status %s", thread.Status)
		}

		// rollback: the blocker and its checkpoints disappear.
		blocker2 := create(map[string]any{"assistant_id": "block", "input": map[string]any{"steps": []string{"again"}}})
		ts.waitRunStatus(th, blocker2.RunID, "running")
		time.Sleep(50 * time.Millisecond) // let it checkpoint its first step
		rb := create(map[string]any{"assistant_id": "chatbot", "input": hello("rolled"), "multitask_strategy": "rollback"})
		ts.waitRunStatus(th, rb.RunID, "success")
		ts.ok(404, "GET", "/threads/"+th+"/runs/"+blocker2.RunID, nil)
		var hist []map[string]any
		ts.ok(200, "GET", "/threads/"+th+"/history?limit=100", nil).json(t, &hist)
		for _, h := range hist {
			if md, _ := h["metadata"].(map[string]any); md["run_id"] == blocker2.RunID {
				t.Errorf("a checkpoint of the rolled back run survived: %v", md)
			}
		}
	})
}

func TestCancelRoutes(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		th := ts.createThread(nil).ThreadID
		var r storage.Run
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
		ts.waitRunStatus(th, r.RunID, "running")
		ts.ok(202, "POST", "/threads/"+th+"/runs/"+r.RunID+"/cancel?wait=0", nil)
		ts.waitRunStatus(th, r.RunID, "interrupted")
		ts.ok(404, "POST", "/threads/"+th+"/runs/"+r.RunID+"/cancel", nil)
		ts.ok(422, "POST", "/threads/"+th+"/runs/"+r.RunID+"/cancel?action=explode", nil)

		// wait=1 returns the result once the run ended.
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
		ts.waitRunStatus(th, r.RunID, "running")
		time.Sleep(50 * time.Millisecond) // let it finish its first step
		var res map[string]any
		ts.ok(200, "POST", "/threads/"+th+"/runs/"+r.RunID+"/cancel?wait=1", nil).json(t, &res)
		if steps, _ := res["steps"].([]any); len(steps) == 0 || steps[len(steps)-1] != "first" {
			t.Errorf("cancel wait body = %v", res)
		}

		// rollback deletes it.
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
		ts.waitRunStatus(th, r.RunID, "running")
		ts.ok(202, "POST", "/threads/"+th+"/runs/"+r.RunID+"/cancel?action=rollback", nil)
		deadline := time.Now().Add(5 * time.Second)
		for ts.do("GET", "/threads/"+th+"/runs/"+r.RunID, nil).status != 404 {
			if time.Now().After(deadline) {
				t.Fatal("rolled back run still there")
			}
			time.Sleep(10 * time.Millisecond)
		}

		// Bulk.
		ts.ok(422, "POST", "/runs/cancel", map[string]any{})
		ts.ok(422, "POST", "/runs/cancel", map[string]any{"status": "all", "thread_id": th, "run_ids": []string{r.RunID}})
		ts.ok(404, "POST", "/runs/cancel", map[string]any{"status": "all"})
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
		ts.waitRunStatus(th, r.RunID, "running")
		ts.ok(204, "POST", "/runs/cancel", map[string]any{"thread_id": th, "run_ids": []string{r.RunID}})
		ts.waitRunStatus(th, r.RunID, "interrupted")
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
		ts.waitRunStatus(th, r.RunID, "running")
		ts.ok(204, "POST", "/runs/cancel?action=interrupt", map[string]any{"status": "running"})
		ts.waitRunStatus(th, r.RunID, "interrupted")
	})
}

func TestInterruptThenResumeWithCommand(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		th := ts.createThread(nil).ThreadID
		var res map[string]any
		ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "ask", "input": map[string]any{}}).json(t, &res)
		intr, _ := res["__interrupt__"].([]any)
		if len(intr) != 1 || intr[0].(map[string]any)["value"] != "continue?" {
			t.Fatalf("wait body = %v", res)
		}
		var thread storage.Thread
		ts.ok(200, "GET", "/threads/"+th, nil).json(t, &thread)
		if thread.Status != "interrupted" || len(thread.Interrupts) != 1 {
			t.Errorf("thread = %+v", thread)
		}
		res = nil
		ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "ask", "command": map[string]any{"resume": "go on"}}).json(t, &res)
		if res["answer"] != "go on" || res["__interrupt__"] != nil {
			t.Errorf("after resume = %v", res)
		}
		thread = storage.Thread{}
		ts.ok(200, "GET", "/threads/"+th, nil).json(t, &thread)
		if thread.Status != "idle" || len(thread.Interrupts) != 0 {
			t.Errorf("thread after resume = %+v", thread)
		}
	})
}

func TestJoinStreamReplaysAfterLastEventID(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	s := ts.sse("POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "chatbot", "input": hello("one two three four"),
		"stream_mode": []string{"messages-tuple", "values"}, "stream_resumable": true})
	full := s.all()
	if len(full) < 5 {
		t.Fatalf("only %d events", len(full))
	}
	loc := s.resp.Header.Get("Location")
	replay := ts.sse("GET", loc, nil, "Last-Event-ID", full[1].id).all()
	if len(replay) != len(full)-2 {
		t.Fatalf("replay after %s: %d events, want %d", full[1].id, len(replay), len(full)-2)
	}
	for i, ev := range replay {
		if ev != full[i+2] {
			t.Errorf("replay[%d] = %+v, want %+v", i, ev, full[i+2])
		}
	}
	filtered := ts.sse("GET", loc+"?stream_mode=values", nil, "Last-Event-ID", full[0].id).all()
	for _, ev := range filtered {
		if ev.name != "values" {
			t.Errorf("stream_mode=values let %q through", ev.name)
		}
	}
	if len(filtered) == 0 {
		t.Error("no values event replayed")
	}
	// A finished run without Last-Event-ID: an empty stream.
	if evs := ts.sse("GET", loc, nil).all(); len(evs) != 0 {
		t.Errorf("join of a finished run sent %v", eventNames(evs))
	}
	if r := ts.sse("GET", loc, nil, "Last-Event-ID", "garbage"); r.resp.StatusCode != 422 {
		t.Errorf("bad Last-Event-ID: %d", r.resp.StatusCode)
	}
	if r := ts.sse("GET", "/threads/"+th+"/runs/00000000-0000-0000-0000-000000000000/stream", nil); r.resp.StatusCode != 404 {
		t.Errorf("join of a missing run: %d", r.resp.StatusCode)
	}
}

func TestLiveJoinHeartbeatsAndWaitKeepAlive(t *testing.T) {
	ts := newRunServer(t, nil, Options{Runs: RunsOptions{Heartbeat: 40 * time.Millisecond}})
	th := ts.createThread(nil).ThreadID
	var r storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
	ts.waitRunStatus(th, r.RunID, "running")
	s := ts.sse("GET", "/threads/"+th+"/runs/"+r.RunID+"/stream", nil)
	join := make(chan response, 1)
	go func() { join <- ts.do("GET", "/threads/"+th+"/runs/"+r.RunID+"/join", nil) }()
	time.Sleep(200 * time.Millisecond)
	ts.ok(202, "POST", "/threads/"+th+"/runs/"+r.RunID+"/cancel", nil)
	s.all()
	if s.comments < 2 {
		t.Errorf("%d heartbeats in 200ms at a 40ms cadence", s.comments)
	}
	j := <-join
	if j.status != 200 || !strings.HasPrefix(string(j.body), "\n") {
		t.Errorf("join: %d %q, want leading whitespace keep-alives", j.status, j.body)
	}
	var res map[string]any
	if err := json.Unmarshal(j.body, &res); err != nil {
		t.Errorf("join body %q: %v", j.body, err)
	}
}

func TestErrorRunEventsAndBody(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	evs := ts.sse("POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "fail", "input": map[string]any{"x": "1"}}).all()
	names := eventNames(evs)
	i := slices.Index(names, "error")
	if i < 0 || i != len(evs)-1 {
		t.Fatalf("events %v: want error last", names)
	}
	e := decodeData(t, evs[i]).(map[string]any)
	if !strings.Contains(e["message"].(string), "kaboom") || e["error"] == nil {
		t.Errorf("error event %v", e)
	}
	var res map[string]any
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "fail", "input": map[string]any{"x": "1"}}).json(t, &res)
	if e, _ := res["__error__"].(map[string]any); e == nil || !strings.Contains(e["message"].(string), "kaboom") {
		t.Errorf("wait body %v", res)
	}
	var thread storage.Thread
	ts.ok(200, "GET", "/threads/"+th, nil).json(t, &thread)
	if thread.Status != "error" {
		t.Errorf("thread status %s", thread.Status)
	}
}

func TestThreadStreamSeesRuns(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	s := ts.sse("GET", "/threads/"+th+"/stream", nil)
	if s.resp.StatusCode != 200 {
		t.Fatalf("status %d", s.resp.StatusCode)
	}
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("x")})
	var names []string
	for {
		ev, ok := s.next()
		if !ok {
			t.Fatal("thread stream ended")
		}
		names = append(names, ev.name)
		if ev.name == "metadata" && strings.Contains(ev.data, "run_done") {
			break
		}
	}
	if names[0] != "metadata" || !slices.Contains(names, "values") {
		t.Errorf("thread stream events %v", names)
	}
	if r := ts.sse("GET", "/threads/00000000-0000-0000-0000-000000000000/stream", nil); r.resp.StatusCode != 404 {
		t.Errorf("missing thread: %d", r.resp.StatusCode)
	}
}

// identityAuth authenticates "Bearer <name>" as that user.
type identityAuth struct{}

func (identityAuth) Authenticate(r *http.Request) (context.Context, error) {
	name := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	u := &auth.User{Identity: name, DisplayName: strings.ToUpper(name), Permissions: []string{"u"}}
	return auth.WithIdentity(r.Context(), &auth.Identity{User: u, Permissions: []string{"runs:write"}}), nil
}

func TestRunConfigGetsIdentityAndAllowedHeaders(t *testing.T) {
	ts := newRunServer(t, nil, Options{Authenticator: identityAuth{},
		HTTP: HTTPOptions{ConfigurableHeaders: HeaderFilter{Includes: []string{"x-*", "authorization"}}}})
	th := ts.createThread(nil, "Authorization", "Bearer alice").ThreadID
	var res map[string]any
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "who", "input": map[string]any{},
		"config": map[string]any{"configurable": map[string]any{"langgraph_auth_user_id": "mallory",
			"langgraph_auth_user": map[string]any{"identity": "mallory"}, "langgraph_auth_permissions": []string{"admin"}}}},
		"Authorization", "Bearer alice", "X-Trace", "abc").json(t, &res)
	who := res["who"].(map[string]any)
	user, _ := who["user"].(map[string]any)
	if who["id"] != "alice" || user["identity"] != "alice" || user["display_name"] != "ALICE" ||
		fmt.Sprint(who["perms"]) != "[runs:write]" || who["user_id"] != "alice" || who["x-trace"] != "abc" ||
		who["authorization"] != nil || who["thread_id"] != th {
		t.Errorf("graph saw %v", who)
	}
}

func TestRunsAreIsolatedByThread(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newOwnerServer(t, st)
		ts.srv.graphs = runGraphs(t) // the owner server's graphs plus the run graphs
		alice, bob := []string{"X-User", "alice"}, []string{"X-User", "bob"}
		th := ts.createThread(map[string]any{}, alice...).ThreadID
		var r storage.Run
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "agent", "input": map[string]any{}}, alice...).json(t, &r)
		ts.ok(200, "GET", "/threads/"+th+"/runs/"+r.RunID+"/join", nil, alice...)
		for _, c := range []struct{ method, path string }{
			{"GET", "/threads/" + th + "/runs"},
			{"GET", "/threads/" + th + "/runs/" + r.RunID},
			{"GET", "/threads/" + th + "/runs/" + r.RunID + "/join"},
			{"GET", "/threads/" + th + "/runs/" + r.RunID + "/stream"},
			{"DELETE", "/threads/" + th + "/runs/" + r.RunID},
			{"POST", "/threads/" + th + "/runs/" + r.RunID + "/cancel"},
			{"GET", "/threads/" + th + "/stream"},
		} {
			if got := ts.do(c.method, c.path, nil, bob...); got.status != 404 {
				t.Errorf("%s %s as bob: %d %s", c.method, c.path, got.status, got.body)
			}
		}
		ts.ok(404, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "agent", "input": map[string]any{}}, bob...)
		ts.ok(404, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "agent", "if_not_exists": "create"}, bob...)
		ts.ok(404, "POST", "/runs/cancel", map[string]any{"thread_id": th, "run_ids": []string{r.RunID}}, bob...)
		// Bob's stateless run gets bob's own thread.
		var br storage.Run
		ts.ok(200, "POST", "/runs", map[string]any{"assistant_id": "agent", "input": map[string]any{}, "on_completion": "keep"}, bob...).json(t, &br)
		ts.ok(404, "GET", "/threads/"+br.ThreadID+"/runs/"+br.RunID, nil, alice...)
		ts.ok(200, "GET", "/threads/"+br.ThreadID+"/runs/"+br.RunID, nil, bob...)
	})
}

// TestRunAnswersCarryNoIdentity: a run's stored config holds the caller's
// user (with extra fields that may be secrets) for its execution, but no API
// answer shows it.
func TestRunAnswersCarryNoIdentity(t *testing.T) {
	ts := newRunServer(t, nil, Options{Authenticator: identityAuth{}})
	as := []string{"Authorization", "Bearer alice"}
	th := ts.createThread(nil, as...).ThreadID
	body := map[string]any{"assistant_id": "who", "input": map[string]any{}}
	var created storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs", body, as...).json(t, &created)
	ts.ok(200, "GET", "/threads/"+th+"/runs/"+created.RunID+"/join", nil, as...)
	answers := []response{
		ts.ok(200, "GET", "/threads/"+th+"/runs/"+created.RunID, nil, as...),
		ts.ok(200, "GET", "/threads/"+th+"/runs", nil, as...),
		ts.ok(200, "GET", "/threads/"+th+"/runs?select=kwargs", nil, as...),
		ts.ok(200, "POST", "/runs/batch", []any{body}, as...),
	}
	answers = append(answers, ts.ok(200, "POST", "/threads/"+th+"/runs", body, as...))
	for i, a := range answers {
		if strings.Contains(string(a.body), "langgraph_auth_") || strings.Contains(string(a.body), "ALICE") {
			t.Errorf("answer %d shows the caller's identity: %s", i, a.body)
		}
	}
	// The stored run keeps it: the worker needs it.
	sc := scopeFor(&auth.ThreadsRead{})
	stored, err := ts.srv.store.Runs().Get(context.Background(), sc, th, created.RunID)
	if err != nil {
		t.Fatal(err)
	}
	conf := stored.Kwargs["config"].(map[string]any)["configurable"].(map[string]any)
	if conf["langgraph_auth_user_id"] != "alice" {
		t.Errorf("stored configurable lost the identity: %v", conf)
	}
}
