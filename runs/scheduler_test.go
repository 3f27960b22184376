package runs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

func TestChatbotRunStreamsEveryModeAndFinishes(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	r := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("hello there"),
		StreamMode: []string{"values", "messages-tuple", "updates"}}, "")
	evs := e.events(r.RunID)
	ns := names(evs)
	if ns[0] != "metadata" {
		t.Fatalf("first event %q, want metadata: %v", ns[0], ns)
	}
	md := evs[0].data.(map[string]any)
	if md["run_id"] != r.RunID || md["attempt"] != float64(1) {
		t.Errorf("metadata = %v", md)
	}
	if ns[len(ns)-1] != ResultEvent {
		t.Errorf("last event %q, want %s", ns[len(ns)-1], ResultEvent)
	}
	var tokens []string
	for _, ev := range evs {
		if ev.name == "messages" {
			pair := ev.data.([]any)
			chunk := pair[0].(map[string]any)
			tokens = append(tokens, chunk["content"].(string))
			if pair[1].(map[string]any)["langgraph_node"] != "chatbot" {
				t.Errorf("messages metadata = %v", pair[1])
			}
		}
	}
	if strings.Join(tokens, "") != "You said: hello there" || len(tokens) < 3 {
		t.Errorf("streamed tokens %q", tokens)
	}
	for _, want := range []string{"values", "updates"} {
		if !slices.Contains(ns, want) {
			t.Errorf("no %s event in %v", want, ns)
		}
	}
	res := evs[len(evs)-1].data.(map[string]any)
	msgs := res["messages"].([]any)
	if len(msgs) != 2 || msgs[1].(map[string]any)["content"] != "You said: hello there" {
		t.Errorf("result = %v", res)
	}
	if got := e.run(th, r.RunID); got.Status != storage.RunSuccess {
		t.Errorf("run status %s", got.Status)
	}
	tt := e.threadOf(th)
	if tt.Status != storage.StatusIdle || len(tt.Values.(map[string]any)["messages"].([]any)) != 2 {
		t.Errorf("thread = %+v", tt)
	}
	// The thread stream saw the run too, ending with run_done.
	sub, err := e.bk.Subscribe(t.Context(), ThreadStream(th, tt.CreatedAt), broker.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var last broker.Event
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		ev, ok, err := sub.Next(ctx)
		cancel()
		if err != nil || !ok {
			break
		}
		last = ev
	}
	if last.Name != "metadata" || !strings.Contains(string(last.Data), "run_done") {
		t.Errorf("last thread event = %s %s", last.Name, last.Data)
	}
}

func TestValuesOnlyByDefaultNotOtherModes(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	r := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("hi"), StreamMode: []string{"updates"}}, "")
	for _, n := range names(e.events(r.RunID)) {
		if n == "values" || n == "messages" {
			t.Errorf("unrequested event %q", n)
		}
	}
}

func TestInterruptThenResume(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	r := e.create(t.Context(), th, "ask", Kwargs{Input: map[string]any{}, StreamMode: []string{"values"}}, "")
	evs := e.events(r.RunID)
	res := evs[len(evs)-1].data.(map[string]any)
	intr, _ := res[InterruptKey].([]any)
	if len(intr) != 1 || intr[0].(map[string]any)["value"] != "continue?" {
		t.Fatalf("result = %v", res)
	}
	tt := e.threadOf(th)
	if tt.Status != storage.StatusInterrupted || len(tt.Interrupts) != 1 {
		t.Fatalf("thread after interrupt = %+v", tt)
	}
	if got := e.run(th, r.RunID).Status; got != storage.RunSuccess {
		t.Errorf("interrupted run status %s, want success", got)
	}
	r2 := e.create(t.Context(), th, "ask", Kwargs{Command: &graph.Command{Resume: "yes"}, StreamMode: []string{"values"}}, "")
	evs = e.events(r2.RunID)
	res = evs[len(evs)-1].data.(map[string]any)
	if res["answer"] != "yes" || res[InterruptKey] != nil {
		t.Errorf("result after resume = %v", res)
	}
	tt = e.threadOf(th)
	if tt.Status != storage.StatusIdle || len(tt.Interrupts) != 0 || tt.Values.(map[string]any)["answer"] != "yes" {
		t.Errorf("thread after resume = %+v", tt)
	}
}

func TestErrorRun(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	r := e.create(t.Context(), th, "fail", Kwargs{Input: map[string]any{"x": "a"}}, "")
	evs := e.events(r.RunID)
	ns := names(evs)
	i := slices.Index(ns, "error")
	if i < 0 {
		t.Fatalf("no error event: %v", ns)
	}
	// The message is the node's own, without the runtime's node prefix.
	if m := evs[i].data.(map[string]any); m["message"] != "kaboom" || m["error"] == "" {
		t.Errorf("error event = %v", m)
	}
	res := evs[len(evs)-1].data.(map[string]any)
	if e, _ := res[ErrorKey].(map[string]any); e["message"] != "kaboom" {
		t.Errorf("result = %v", res)
	}
	if got := e.run(th, r.RunID).Status; got != storage.RunError {
		t.Errorf("run status %s", got)
	}
	if tt := e.threadOf(th); tt.Status != storage.StatusError || tt.Error == nil {
		t.Errorf("thread = %+v", tt)
	}
}

func waitStatus(t *testing.T, e *env, thread, runID, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := e.store.Runs().Get(t.Context(), storage.System(), thread, runID)
		if err == nil && r.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s: status %s (err %v), want %s", runID, r.Status, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCancelInterruptKeepsFinishedSteps(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	r := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{"steps": []string{"in"}}}, "")
	waitStatus(t, e, th, r.RunID, storage.RunRunning)
	if _, err := e.sched.CancelRuns(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "update"}), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}}); err != nil {
		t.Fatal(err)
	}
	e.events(r.RunID)
	waitStatus(t, e, th, r.RunID, storage.RunInterrupted)
	tt := e.threadOf(th)
	if tt.Status == storage.StatusBusy {
		t.Errorf("thread still busy")
	}
	steps, _ := tt.Values.(map[string]any)["steps"].([]any)
	if len(steps) != 2 || steps[1] != "first" {
		t.Errorf("thread values = %v, want the first step kept", tt.Values)
	}
}

func runCheckpoints(t *testing.T, s storage.Store, thread, runID string) int {
	t.Helper()
	sv, err := s.Checkpointer(t.Context(), storage.System(), thread)
	if err != nil {
		t.Fatal(err)
	}
	tups, err := sv.List(t.Context(), checkpoint.Config{ThreadID: thread}, checkpoint.ListOptions{Filter: map[string]any{"run_id": runID}})
	if err != nil {
		t.Fatal(err)
	}
	return len(tups)
}

func TestMultitaskRollbackDeletesTheRunAndItsCheckpoints(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	first := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("one")}, "")
	e.events(first.RunID)
	old := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{"steps": []string{"in"}}}, "")
	waitStatus(t, e, th, old.RunID, storage.RunRunning)
	deadline := time.Now().Add(5 * time.Second)
	for runCheckpoints(t, e.store, th, old.RunID) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if runCheckpoints(t, e.store, th, old.RunID) == 0 {
		t.Fatal("the blocking run wrote no checkpoint")
	}
	next := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("two")}, storage.MultitaskRollback)
	e.events(old.RunID)
	evs := e.events(next.RunID)
	if _, err := e.store.Runs().Get(t.Context(), storage.System(), th, old.RunID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("rolled back run: %v", err)
	}
	if n := runCheckpoints(t, e.store, th, old.RunID); n != 0 {
		t.Errorf("%d checkpoints of the rolled back run remain", n)
	}
	res := evs[len(evs)-1].data.(map[string]any)
	if msgs := res["messages"].([]any); len(msgs) != 4 {
		t.Errorf("after rollback the thread has %d messages, want 4 (first run + new run)", len(msgs))
	}
}

func TestMultitaskInterruptAndEnqueueOrder(t *testing.T) {
	e := newEnv(t, nil, Options{Workers: 4})
	th := e.thread()
	old := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{"steps": []string{"in"}}}, "")
	waitStatus(t, e, th, old.RunID, storage.RunRunning)
	a := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("a")}, storage.MultitaskInterrupt)
	b := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("b")}, storage.MultitaskEnqueue)
	e.events(old.RunID)
	e.events(a.RunID)
	evs := e.events(b.RunID)
	if got := e.run(th, old.RunID).Status; got != storage.RunInterrupted {
		t.Errorf("interrupted run status %s", got)
	}
	if got := e.run(th, a.RunID).Status; got != storage.RunSuccess {
		t.Errorf("second run status %s", got)
	}
	res := evs[len(evs)-1].data.(map[string]any)
	msgs := res["messages"].([]any)
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.(map[string]any)["content"].(string))
	}
	if strings.Join(texts, "|") != "a|You said: a|b|You said: b" {
		t.Errorf("messages %q: runs did not run one after the other in order", texts)
	}
}

func TestRejectLeavesTheRunningRun(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	old := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{}}, "")
	_, err := e.sched.Create(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), storage.RunCreate{ThreadID: th, AssistantID: "x",
		MultitaskStrategy: storage.MultitaskReject})
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("reject: %v", err)
	}
	e.sched.CancelRuns(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "update"}), storage.RunCancel{ThreadID: th, Status: "all"})
	e.events(old.RunID)
}

func TestCrashedRunIsRequeuedWithTheNextAttempt(t *testing.T) {
	store := memory.New()
	th, _ := store.Threads().Create(t.Context(), storage.System(), storage.ThreadCreate{})
	// A worker of a crashed process claimed the run with a short lease.
	kw := Kwargs{Input: human("again"), Config: map[string]any{"configurable": map[string]any{"graph_id": "chatbot"}}}
	km, _ := kw.Map()
	created, err := store.Runs().Create(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), storage.RunCreate{ThreadID: th.ThreadID, AssistantID: "a", Kwargs: km})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Runs().Claim(t.Context(), storage.System(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	e := newEnv(t, store, Options{Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond})
	evs := e.events(created.Run.RunID)
	if md := evs[0].data.(map[string]any); md["attempt"] != float64(2) {
		t.Errorf("metadata after a crash = %v, want attempt 2", md)
	}
	if got := e.run(th.ThreadID, created.Run.RunID).Status; got != storage.RunSuccess {
		t.Errorf("status %s", got)
	}
}

func TestLongRunKeepsItsLease(t *testing.T) {
	e := newEnv(t, nil, Options{Lease: 60 * time.Millisecond, Poll: 10 * time.Millisecond})
	th := e.thread()
	r := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{}}, "")
	waitStatus(t, e, th, r.RunID, storage.RunRunning)
	time.Sleep(300 * time.Millisecond) // five leases
	if got := e.run(th, r.RunID); got.Status != storage.RunRunning || got.Attempt != 1 {
		t.Errorf("run after five leases: %s attempt %d", got.Status, got.Attempt)
	}
	e.sched.CancelRuns(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "update"}), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}})
	e.events(r.RunID)
}

func TestCancelFromAnotherProcessReachesTheWorker(t *testing.T) {
	e := newEnv(t, nil, Options{Lease: 60 * time.Millisecond})
	th := e.thread()
	r := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{}}, "")
	waitStatus(t, e, th, r.RunID, storage.RunRunning)
	// Straight through storage, as another replica would.
	if _, err := e.store.Runs().Cancel(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "update"}), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}}); err != nil {
		t.Fatal(err)
	}
	e.events(r.RunID)
	waitStatus(t, e, th, r.RunID, storage.RunInterrupted)
}

func TestDelayedRunWaits(t *testing.T) {
	e := newEnv(t, nil, Options{Poll: 10 * time.Millisecond})
	th := e.thread()
	kw, _ := Kwargs{Input: human("later"), Config: map[string]any{"configurable": map[string]any{"graph_id": "chatbot"}}}.Map()
	start := time.Now()
	out, err := e.sched.Create(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), storage.RunCreate{ThreadID: th, AssistantID: "a", Kwargs: kw, Delay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.events(out.Run.RunID)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("delayed run finished after %v", d)
	}
}

func TestTemporaryRunDeletesItsThread(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	created := e.threadOf(th).CreatedAt
	r := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("bye"), Temporary: true}, "")
	evs := e.events(r.RunID)
	if res := evs[len(evs)-1].data.(map[string]any); len(res["messages"].([]any)) != 2 {
		t.Errorf("result = %v", res)
	}
	if _, err := e.store.Threads().Get(t.Context(), storage.System(), th); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("temporary thread: %v", err)
	}
	// Its thread stream has ended too (the broker forgets it after the
	// retention), while a kept thread's stream stays open for more runs.
	if !threadStreamEnds(t, e, ThreadStream(th, created)) {
		t.Error("the deleted thread's stream did not end")
	}
	kept := e.thread()
	e.events(e.create(t.Context(), kept, "chatbot", Kwargs{Input: human("stay")}, "").RunID)
	if threadStreamEnds(t, e, ThreadStream(kept, e.threadOf(kept).CreatedAt)) {
		t.Error("a kept thread's stream ended after its run")
	}
}

// threadStreamEnds reads a thread's stream from the start and reports
// whether it ends (within a second).
func threadStreamEnds(t *testing.T, e *env, stream string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	sub, err := e.bk.Subscribe(ctx, stream, broker.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		_, ok, err := sub.Next(ctx)
		if err != nil {
			return false
		}
		if !ok {
			return true
		}
	}
}

func TestIdentityIsStampedOverClientValues(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	u := &auth.User{Identity: "alice", DisplayName: "Alice", Permissions: []string{"p"}}
	ctx := auth.WithIdentity(t.Context(), &auth.Identity{User: u, Permissions: []string{"read", "write"}})
	forged := map[string]any{"configurable": map[string]any{KeyAuthUser: map[string]any{"identity": "mallory"},
		KeyAuthUserID: "mallory", KeyAuthPermissions: []any{"admin"}}}
	r := e.create(ctx, th, "who", Kwargs{Input: map[string]any{}, Config: forged}, "")
	evs := e.events(r.RunID)
	who := evs[len(evs)-1].data.(map[string]any)["who"].(map[string]any)
	user, _ := who["user"].(map[string]any)
	if who["id"] != "alice" || user["identity"] != "alice" || user["display_name"] != "Alice" ||
		fmt.Sprint(who["perms"]) != "[read write]" || who["user_id"] != "alice" || who["run_id"] != r.RunID {
		t.Errorf("graph saw %v", who)
	}
	// Without an identity the forged keys are dropped.
	r = e.create(t.Context(), th, "who", Kwargs{Input: map[string]any{}, Config: forged}, "")
	evs = e.events(r.RunID)
	who = evs[len(evs)-1].data.(map[string]any)["who"].(map[string]any)
	if who["id"] != nil || who["user"] != nil || who["perms"] != nil || who["user_id"] != nil {
		t.Errorf("graph saw forged values %v", who)
	}
}

func TestMergeConfigOrder(t *testing.T) {
	a := storage.Assistant{AssistantID: "asst", GraphID: "g",
		Config:   map[string]any{"tags": []any{"a"}, "configurable": map[string]any{"k": "assistant", "a": 1, "user_id": "from-assistant"}},
		Context:  map[string]any{"c": "assistant", "ac": true},
		Metadata: map[string]any{"m": "assistant", "am": 1}}
	th := &storage.Thread{Config: map[string]any{"configurable": map[string]any{"k": "thread", "t": 1}},
		Metadata: map[string]any{"m": "thread", "tm": 1}}
	m := MergeConfig(t.Context(), ConfigInput{Assistant: a, Thread: th,
		Config:   map[string]any{"recursion_limit": 5, "configurable": map[string]any{"k": "request"}, "metadata": map[string]any{"m": "config"}},
		Context:  map[string]any{"c": "request"},
		Metadata: map[string]any{"rm": 1},
		Headers:  map[string]any{"x-foo": "bar"}, RunID: "r", ThreadID: "t", CheckpointID: "cp"})
	conf := m.Config["configurable"].(map[string]any)
	want := map[string]any{"k": "request", "a": 1, "t": 1, "x-foo": "bar", "c": "request", "ac": true, "run_id": "r",
		"thread_id": "t", "graph_id": "g", "assistant_id": "asst", "checkpoint_id": "cp", "user_id": "from-assistant"}
	if fmt.Sprint(conf) != fmt.Sprint(want) {
		t.Errorf("configurable = %v\nwant %v", conf, want)
	}
	if md := m.Config["metadata"].(map[string]any); fmt.Sprint(md) != fmt.Sprint(map[string]any{"m": "config", "am": 1, "tm": 1, "rm": 1}) {
		t.Errorf("metadata = %v", md)
	}
	if m.Config["recursion_limit"] != 5 || fmt.Sprint(m.Config["tags"]) != "[a]" {
		t.Errorf("config = %v", m.Config)
	}
	if fmt.Sprint(m.Context) != fmt.Sprint(map[string]any{"c": "request", "ac": true}) {
		t.Errorf("context = %v", m.Context)
	}
	tc := ThreadConfig(m)["configurable"].(map[string]any)
	for _, k := range []string{"run_id", "user_id", "checkpoint_id", KeyAuthUser} {
		if _, ok := tc[k]; ok {
			t.Errorf("thread config keeps %s", k)
		}
	}
}

func TestLegacyMessagesMode(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th := e.thread()
	r := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("old style"), StreamMode: []string{"messages"}}, "")
	evs := e.events(r.RunID)
	var partial, complete []string
	var metadata int
	for _, ev := range evs {
		switch ev.name {
		case "messages/metadata":
			metadata++
		case "messages/partial":
			m := ev.data.([]any)[0].(map[string]any)
			partial = append(partial, m["content"].(string))
		case "messages/complete":
			// As LangGraph: each message once, when values first hold it,
			// the human input as well as the streamed reply.
			for _, m := range ev.data.([]any) {
				complete = append(complete, fmt.Sprint(m.(map[string]any)["content"]))
			}
		case "messages":
			t.Errorf("a messages-tuple event in legacy mode")
		}
	}
	if metadata != 1 || fmt.Sprint(complete) != "[old style You said: old style]" || len(partial) < 3 || partial[len(partial)-1] != "You said: old style" ||
		!strings.HasPrefix(partial[1], partial[0]) {
		t.Errorf("metadata %d, complete %q, partials %q", metadata, complete, partial)
	}
	// Both forms when both are asked for.
	r = e.create(t.Context(), th, "chatbot", Kwargs{Input: human("both"), StreamMode: []string{"messages", "messages-tuple"}}, "")
	ns := names(e.events(r.RunID))
	if !slices.Contains(ns, "messages") || !slices.Contains(ns, "messages/partial") {
		t.Errorf("events %v", ns)
	}
}

func TestCancelledTemporaryRunsDropTheirThread(t *testing.T) {
	e := newEnv(t, nil, Options{})
	for _, action := range []string{storage.CancelInterrupt, storage.CancelRollback} {
		th := e.thread()
		kw, _ := Kwargs{Input: human("later"), Temporary: true,
			Config: map[string]any{"configurable": map[string]any{"graph_id": "chatbot"}}}.Map()
		out, err := e.sched.Create(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), storage.RunCreate{ThreadID: th, AssistantID: "a", Kwargs: kw, Delay: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.sched.CancelRuns(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "update"}), storage.RunCancel{ThreadID: th, RunIDs: []string{out.Run.RunID}, Action: action}); err != nil {
			t.Fatal(err)
		}
		e.events(out.Run.RunID)
		if _, err := e.store.Threads().Get(t.Context(), storage.System(), th); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: temporary thread after cancelling its pending run: %v", action, err)
		}
	}
}

func TestStopReleasesRunningRunsForTheNextStart(t *testing.T) {
	store := memory.New()
	e := newEnv(t, store, Options{})
	th := e.thread()
	r := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{}}, "")
	waitStatus(t, e, th, r.RunID, storage.RunRunning)
	e.sched.Stop()
	// Requeued at once, for another process or the next start.
	if got := e.run(th, r.RunID); got.Status != storage.RunPending {
		t.Fatalf("after Stop: %s", got.Status)
	}
	e2 := newEnv(t, store, Options{})
	deadline := time.Now().Add(5 * time.Second)
	for e2.run(th, r.RunID).Attempt != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("run not restarted: %+v", e2.run(th, r.RunID))
		}
		time.Sleep(5 * time.Millisecond)
	}
	e2.sched.CancelRuns(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "update"}), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}})
	waitStatus(t, e2, th, r.RunID, storage.RunInterrupted)
}

// slowFinish is a broker whose Finish returns 100 ms after the stream has
// ended, as a remote broker's answer can come after readers saw the end.
type slowFinish struct{ broker.Broker }

func (b slowFinish) Finish(ctx context.Context, stream string) error {
	err := b.Broker.Finish(ctx, stream)
	time.Sleep(100 * time.Millisecond)
	return err
}

// TestSlotIsFreeWhenTheStreamEnds: a run gives its worker slot back
// before its stream ends, so a client that sees the end and starts its
// next run finds the slot free (and the run starts at once, unclaimed).
func TestSlotIsFreeWhenTheStreamEnds(t *testing.T) {
	chat, err := chatbot.New(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	store, bk := memory.New(), broker.NewMemory(broker.MemoryOptions{})
	s, err := New(Options{Store: store, Broker: slowFinish{bk}, Workers: 1,
		Graphs: map[string]*graph.Graph{"chatbot": chat}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(); bk.Close() })
	e := &env{t: t, store: store, bk: bk, sched: s}
	for i := range 3 {
		for deadline := time.Now().Add(time.Second); len(s.slots) > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond) // a worker's first look for queued runs
		}
		r := e.create(t.Context(), e.thread(), "chatbot", Kwargs{Input: human(fmt.Sprint(i))}, "")
		e.events(r.RunID)
		if n := len(s.slots); n != 0 {
			t.Fatalf("run %d: its stream ended with %d worker slot(s) still held", i, n)
		}
	}
}
