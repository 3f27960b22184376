package isolation_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// world is what user A created. Every value A wrote contains marker; ids
// lists every id of A's resources. B must see neither.
type world struct {
	identity string
	marker   string
	ns       []string // A's store namespace that B aims at

	threadID, assistantID, checkpointID, runID, cronID string
	// A's pending stateless run and its temporary thread.
	statelessRunID, statelessThreadID string
	ids                               []string

	bThreadID string // B's own thread
}

// fill replaces the placeholders of attack templates (see attack).
func (w *world) fill(s string) string {
	return strings.NewReplacer(
		"{thread_id}", w.threadID,
		"{assistant_id}", w.assistantID,
		"{checkpoint_id}", w.checkpointID,
		"{stateless_run_id}", orZeroUUID(w.statelessRunID),
		"{stateless_thread_id}", orZeroUUID(w.statelessThreadID),
		"{run_id}", orZeroUUID(w.runID),
		"{cron_id}", orZeroUUID(w.cronID),
		"{namespace}", "chatbot",
		"{ns_dotted}", strings.Join(w.ns, "."),
		"{ns}", js(w.ns),
		"{owner}", w.identity,
		"{b_thread_id}", w.bThreadID,
		"{marker}", w.marker,
		"{name}", "agent", // generative UI bundle
		"{file}", "entrypoint.js",
	).Replace(s)
}

func orZeroUUID(id string) string {
	if id == "" {
		return "00000000-0000-0000-0000-000000000000"
	}
	return id
}

// idIn returns the first of A's ids that body contains.
func (w *world) idIn(body []byte) string {
	for _, id := range w.ids {
		if strings.Contains(string(body), id) {
			return id
		}
	}
	return ""
}

// hiddenIDIn returns the first of A's ids that body contains and that no
// attack ever sent (B's own records may echo what B sent).
func (w *world) hiddenIDIn(body []byte) string {
	sent := []string{w.threadID, w.assistantID, w.checkpointID, w.runID, w.cronID, w.statelessRunID}
	for _, id := range w.ids {
		if !slices.Contains(sent, id) && strings.Contains(string(body), id) {
			return id
		}
	}
	return ""
}

func (w *world) addID(id string) {
	if id != "" {
		w.ids = append(w.ids, id)
	}
}

func human(text string) string {
	return js(obj{"messages": []obj{{"type": "human", "content": text}}})
}

// seed lets A create one of everything the server has routes for: two
// threads with state (a state update with as_node, and supersteps), an
// assistant with a second version, two store items, and when the routes
// exist a finished run, a pending run and a cron.
func seed(t *testing.T, a client, have map[string]bool, identity string) *world {
	t.Helper()
	m := newMarker(t)
	w := &world{identity: identity, marker: m, ns: []string{identity, "notes"}}

	var th struct {
		ThreadID string `json:"thread_id"`
	}
	a.must(200, "POST", "/threads", js(obj{"metadata": obj{"graph_id": "agent", "note": m + "-thread", "owner": identity, "tag": m}}), &th)
	w.threadID = th.ThreadID
	var upd struct {
		Checkpoint struct {
			CheckpointID string `json:"checkpoint_id"`
		} `json:"checkpoint"`
	}
	a.must(200, "POST", "/threads/"+w.threadID+"/state", `{"values":`+human(m+" first")+`,"as_node":"chatbot"}`, nil)
	a.must(200, "POST", "/threads/"+w.threadID+"/state", `{"values":`+human(m+" second")+`,"as_node":"chatbot"}`, &upd)
	w.checkpointID = upd.Checkpoint.CheckpointID
	if w.checkpointID == "" {
		t.Fatal("state update returned no checkpoint id")
	}
	var th2 struct {
		ThreadID string `json:"thread_id"`
	}
	a.must(200, "POST", "/threads", `{"metadata":{"graph_id":"agent","note":"`+m+`-thread2","owner":"`+identity+`","tag":"`+m+`"},
		"supersteps":[{"updates":[{"values":`+human(m+" superstep")+`,"as_node":"chatbot"}]}]}`, &th2)

	var as struct {
		AssistantID string `json:"assistant_id"`
		Version     int    `json:"version"`
	}
	a.must(200, "POST", "/assistants", js(obj{"graph_id": "agent", "name": m + "-assistant",
		"metadata": obj{"note": m, "owner": identity, "tag": m}, "config": obj{"configurable": obj{"note": m}}}), &as)
	w.assistantID = as.AssistantID
	a.must(200, "PATCH", "/assistants/"+w.assistantID, js(obj{"metadata": obj{"note": m + "-v2", "tag": m}}), &as)
	if as.Version != 2 {
		t.Fatalf("assistant version %d after a patch, want 2", as.Version)
	}

	a.must(204, "PUT", "/store/items", js(obj{"namespace": w.ns, "key": "k", "value": obj{"note": m}}), nil)
	a.must(204, "PUT", "/store/items", js(obj{"namespace": []string{identity, m}, "key": "key-" + m, "value": obj{"note": m}}), nil)

	if have["POST /threads/{thread_id}/runs/wait"] {
		a.must(200, "POST", "/threads/"+w.threadID+"/runs/wait", js(obj{"assistant_id": w.assistantID, "input": json.RawMessage(human(m + " run"))}), nil)
	}
	if have["POST /threads/{thread_id}/runs"] {
		// A pending run (it starts in an hour): B's cancels must not touch it.
		var run struct {
			RunID string `json:"run_id"`
		}
		a.must(200, "POST", "/threads/"+w.threadID+"/runs", js(obj{"assistant_id": w.assistantID,
			"input": json.RawMessage(human(m + " later")), "after_seconds": 3600, "multitask_strategy": "enqueue"}), &run)
		w.runID = run.RunID
	}
	if have["POST /runs"] {
		// A pending stateless run: its temporary thread lives until it ends.
		var run struct {
			RunID    string `json:"run_id"`
			ThreadID string `json:"thread_id"`
		}
		a.must(200, "POST", "/runs", js(obj{"assistant_id": w.assistantID,
			"input": json.RawMessage(human(m + " stateless")), "after_seconds": 3600}), &run)
		w.statelessRunID, w.statelessThreadID = run.RunID, run.ThreadID
	}
	if have["POST /threads/{thread_id}/runs/crons"] {
		var cr struct {
			CronID string `json:"cron_id"`
		}
		a.must(200, "POST", "/threads/"+w.threadID+"/runs/crons", js(obj{"schedule": "0 0 1 1 *",
			"assistant_id": w.assistantID, "input": json.RawMessage(human(m + " cron"))}), &cr)
		w.cronID = cr.CronID
	}

	w.addID(w.threadID)
	w.addID(th2.ThreadID)
	w.addID(w.assistantID)
	w.addID(w.cronID)
	w.addID(w.statelessRunID)
	w.addID(w.statelessThreadID)
	for _, tid := range []string{w.threadID, th2.ThreadID} {
		var hist []struct {
			Checkpoint struct {
				CheckpointID string `json:"checkpoint_id"`
			} `json:"checkpoint"`
		}
		a.must(200, "GET", "/threads/"+tid+"/history?limit=1000", "", &hist)
		for _, h := range hist {
			w.addID(h.Checkpoint.CheckpointID)
		}
	}
	if have["GET /threads/{thread_id}/runs"] {
		waitRunsSettled(t, a, w.threadID)
		var runs []struct {
			RunID string `json:"run_id"`
		}
		a.must(200, "GET", "/threads/"+w.threadID+"/runs?limit=100", "", &runs)
		for _, r := range runs {
			w.addID(r.RunID)
		}
	}
	return w
}

// waitRunsSettled waits until no run of the thread is running, so that
// A's snapshots do not race a worker.
func waitRunsSettled(t *testing.T, a client, threadID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var runs []struct {
			Status string `json:"status"`
		}
		a.must(200, "GET", "/threads/"+threadID+"/runs?limit=100", "", &runs)
		busy := false
		for _, r := range runs {
			busy = busy || r.Status == "running"
		}
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs of %s still running: %+v", threadID, runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// snapshot is A's view of A's data: the status and canonical JSON body of
// each read. The first snapshot must show A's data.
func snapshot(t *testing.T, a client, w *world, have map[string]bool, first bool) map[string]string {
	t.Helper()
	mine := js(obj{"metadata": obj{"owner": w.identity}})
	tagged := js(obj{"metadata": obj{"tag": w.marker}})
	reads := []struct{ route, path, body string }{
		{"GET /threads/{thread_id}", "/threads/{thread_id}", ""},
		{"GET /threads/{thread_id}/state", "/threads/{thread_id}/state", ""},
		{"GET /threads/{thread_id}/state/{checkpoint_id}", "/threads/{thread_id}/state/{checkpoint_id}", ""},
		{"GET /threads/{thread_id}/history", "/threads/{thread_id}/history?limit=1000", ""},
		{"POST /threads/search", "/threads/search", `{"limit":1000}`},
		{"POST /threads/count", "/threads/count", tagged},
		{"GET /assistants/{assistant_id}", "/assistants/{assistant_id}", ""},
		{"POST /assistants/{assistant_id}/versions", "/assistants/{assistant_id}/versions", `{}`},
		{"POST /assistants/search", "/assistants/search", mine},
		{"POST /assistants/count", "/assistants/count", tagged},
		{"GET /store/items", "/store/items?namespace={ns_dotted}&key=k", ""},
		{"POST /store/items/search", "/store/items/search", js(obj{"namespace_prefix": []string{w.identity}, "limit": 1000})},
		{"POST /store/namespaces", "/store/namespaces", js(obj{"prefix": []string{w.identity}})},
		{"GET /threads/{thread_id}/runs", "/threads/{thread_id}/runs?limit=100", ""},
		{"GET /threads/{thread_id}/runs/{run_id}", "/threads/{thread_id}/runs/{run_id}", ""},
		{"POST /runs/crons/search", "/runs/crons/search", `{}`},
		// A's stateless run, read through its temporary thread (the key is
		// the join route, which B attacks with it).
		{"GET /runs/{run_id}/stream", "/threads/{stateless_thread_id}/runs/{stateless_run_id}", ""},
	}
	out := map[string]string{}
	for _, rd := range reads {
		if !have[rd.route] {
			continue
		}
		method, _, _ := strings.Cut(rd.route, " ")
		r := a.do(method, w.fill(rd.path), rd.body)
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			v = string(r.body)
		}
		s := fmt.Sprintf("%d %s", r.status, js(v))
		out[rd.route] = s
		if !first {
			continue
		}
		if r.status != 200 || !strings.Contains(s, w.marker) && !strings.Contains(rd.route, "count") {
			t.Fatalf("A's own read %s shows none of A's data: %s", rd.route, s)
		}
		if s == "200 0" {
			t.Fatalf("A's own %s is 0: the filter B's count uses would prove nothing", rd.route)
		}
	}
	return out
}

// detail is the "detail" of an error body, "" if there is none.
func detail(body []byte) string {
	var d struct {
		Detail any `json:"detail"`
	}
	if json.Unmarshal(body, &d) != nil || d.Detail == nil {
		return ""
	}
	return fmt.Sprint(d.Detail)
}

// ownThread creates a thread of B's own with some state.
func ownThread(t *testing.T, b client) string {
	t.Helper()
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	b.must(200, "POST", "/threads", `{"metadata":{"graph_id":"agent"}}`, &th)
	b.must(200, "POST", "/threads/"+th.ThreadID+"/state", `{"values":`+human("B's own")+`,"as_node":"chatbot"}`, nil)
	return th.ThreadID
}

// ownView reads what B can see of B's own after the attacks: none of it
// may hold A's data or an id of A's that B never sent (a write aimed at
// A's ids that copied A's data into B's resources shows up here).
func ownView(b client, w *world, have map[string]bool) []string {
	reads := []struct{ route, path, body string }{
		{"GET /threads/{thread_id}/state", bThread + "/state", ""},
		{"GET /threads/{thread_id}/history", bThread + "/history?limit=1000", ""},
		{"GET /threads/{thread_id}/runs", bThread + "/runs?limit=100", ""},
		{"POST /threads/search", "/threads/search", `{"limit":1000}`},
		{"POST /assistants/search", "/assistants/search", `{"limit":1000}`},
		{"POST /store/items/search", "/store/items/search", `{"namespace_prefix":[],"limit":1000}`},
		{"POST /store/namespaces", "/store/namespaces", `{}`},
		{"POST /runs/crons/search", "/runs/crons/search", `{}`},
	}
	var problems []string
	for _, rd := range reads {
		if !have[rd.route] {
			continue
		}
		method, _, _ := strings.Cut(rd.route, " ")
		r := b.do(method, w.fill(rd.path), rd.body)
		if strings.Contains(string(r.body), w.marker) {
			problems = append(problems, fmt.Sprintf("LEAK: B's own %s %s holds A's data after the attacks: %s", method, w.fill(rd.path), clip(r.body)))
		} else if id := w.hiddenIDIn(r.body); id != "" {
			problems = append(problems, fmt.Sprintf("LEAK: B's own %s %s holds A's id %s after the attacks: %s", method, w.fill(rd.path), id, clip(r.body)))
		}
	}
	return problems
}
