package runs

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// waitDone waits for h, failing the test after 10 s.
func waitDone(t *testing.T, h *Handoff) {
	t.Helper()
	select {
	case <-h.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the handoff was not closed")
	}
}

// TestHandoffCarriesTheResult: a run Create starts here hands the waiter
// what its stream's result event carries.
func TestHandoffCarriesTheResult(t *testing.T) {
	e := newEnv(t, nil, Options{})
	id := newRunID()
	h := e.sched.Expect(id)
	defer e.sched.Forget(h)
	r := e.createID(t.Context(), id, e.thread(), "chatbot", Kwargs{Input: human("hi")}, "")
	if !e.sched.Started(h) {
		t.Fatal("a run Create started here is not marked started")
	}
	waitDone(t, h)
	data, ended := h.Result()
	if !ended {
		t.Fatal("the run ended here, but its handoff says it left")
	}
	var want any
	for _, ev := range e.events(r.RunID) {
		if ev.name == ResultEvent {
			want = ev.data
		}
	}
	var got any
	if err := json.Unmarshal(data, &got); err != nil || want == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("handoff result %s (%v), want the result event's %v", data, err, want)
	}
}

// TestHandoffWhenTheRunLeaves: a run stopped here and requeued (it goes
// on elsewhere) closes its handoff without a result.
func TestHandoffWhenTheRunLeaves(t *testing.T) {
	e := newEnv(t, nil, Options{})
	th, id := e.thread(), newRunID()
	h := e.sched.Expect(id)
	defer e.sched.Forget(h)
	e.createID(t.Context(), id, th, "block", Kwargs{Input: map[string]any{}}, "")
	waitStatus(t, e, th, id, storage.RunRunning)
	e.sched.Stop()
	waitDone(t, h)
	if data, ended := h.Result(); ended || data != nil {
		t.Errorf("handoff of a requeued run: %s, ended %v; want no result", data, ended)
	}
	if got := e.run(th, id).Status; got != storage.RunPending {
		t.Errorf("run after Stop: %s", got)
	}
}

// TestHandoffOfAQueuedRun: a run Create could not start here (no free
// slot) is not marked started: its waiter reads the stream.
func TestHandoffOfAQueuedRun(t *testing.T) {
	e := newEnv(t, nil, Options{Workers: 1, Poll: 20 * time.Millisecond})
	th := e.thread()
	busy := e.create(t.Context(), th, "block", Kwargs{Input: map[string]any{}}, "")
	waitStatus(t, e, th, busy.RunID, storage.RunRunning)
	id := newRunID()
	h := e.sched.Expect(id)
	defer e.sched.Forget(h)
	e.createID(t.Context(), id, e.thread(), "chatbot", Kwargs{Input: human("queued")}, "")
	if e.sched.Started(h) {
		t.Error("a queued run's handoff is marked started")
	}
	e.sched.CancelRuns(t.Context(), storage.Authorized(storage.Event{Resource: "threads", Action: "update"}),
		storage.RunCancel{ThreadID: th, RunIDs: []string{busy.RunID}})
	e.events(id) // the queued run runs once the slot is free
}
