package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/storage"
)

// jo is a JSON object for test bodies; deep values go in as raw JSON.
type jo = map[string]any

// deep is nestedJSON(n) ready to embed in a body.
func deep(n int) json.RawMessage { return json.RawMessage(nestedJSON(n)) }

// bodyOfDepth marshals body and fails unless it nests exactly want levels.
func bodyOfDepth(t *testing.T, body any, want int) []byte {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := refDepth(b); !ok || d != want {
		t.Fatalf("test body nests %d levels, want %d: %.120s", d, want, b)
	}
	return b
}

// TestJSONDepthLimitStoredDocuments stores documents as deep as a body may
// be (the body nests exactly MaxJSONDepth levels) in every JSON column, then
// checks that every search and count route answers 200 for the owner and
// for another user, and that the records can be read, updated and deleted.
func TestJSONDepthLimitStoredDocuments(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newCronServer(t, st, Options{})
		const top = MaxJSONDepth - 1 // a field of the body
		send := func(want int, method, path string, body any) response {
			t.Helper()
			return ts.ok(want, method, path, bodyOfDepth(t, body, MaxJSONDepth), alice...)
		}
		// Nested configurable: {"config":{"configurable":{"a":...}}}.
		conf := jo{"configurable": deep(top - 1)}

		var as storage.Assistant
		send(200, "POST", "/assistants", jo{"graph_id": "who", "metadata": deep(top)}).json(t, &as)
		send(200, "POST", "/assistants", jo{"graph_id": "who", "config": conf})
		send(200, "POST", "/assistants", jo{"graph_id": "who", "context": deep(top)})

		var th storage.Thread
		send(200, "POST", "/threads", jo{"metadata": deep(top)}).json(t, &th)
		var vt storage.Thread
		ts.ok(200, "POST", "/threads", jo{"metadata": jo{"graph_id": "who"}}, alice...).json(t, &vt)
		send(200, "POST", "/threads/"+vt.ThreadID+"/runs/wait", jo{"assistant_id": "who", "config": conf})
		send(200, "POST", "/threads/"+vt.ThreadID+"/runs/wait", jo{"assistant_id": "who", "context": deep(top)})
		send(200, "POST", "/threads/"+vt.ThreadID+"/runs/wait", jo{"assistant_id": "who", "input": jo{"who": deep(top - 1)}})

		// Last, as each run of "who" overwrites the channel.
		send(200, "POST", "/threads/"+vt.ThreadID+"/state", jo{"values": jo{"who": deep(top - 1)}})
		send(204, "PUT", "/store/items", jo{"namespace": []string{"deep"}, "key": "k", "value": deep(top)})

		// Crons that never fire during the test.
		never := "0 0 1 1 *"
		var cr storage.Cron
		send(200, "POST", "/runs/crons", jo{"assistant_id": "who", "schedule": never, "metadata": deep(top)}).json(t, &cr)
		send(200, "POST", "/runs/crons", jo{"assistant_id": "who", "schedule": never, "input": deep(top)})
		send(200, "POST", "/runs/crons", jo{"assistant_id": "who", "schedule": never, "config": conf})
		send(200, "POST", "/threads/"+vt.ThreadID+"/runs/crons", jo{"assistant_id": "who", "schedule": never, "context": deep(top)})

		searches := []struct {
			path string
			body any
		}{
			{"/assistants/search", jo{}}, {"/assistants/count", jo{}},
			{"/assistants/search", jo{"metadata": deep(top)}}, {"/assistants/count", jo{"metadata": deep(top)}},
			{"/threads/search", jo{}}, {"/threads/count", jo{}},
			{"/threads/search", jo{"metadata": deep(top)}}, {"/threads/count", jo{"metadata": deep(top)}},
			{"/threads/search", jo{"values": jo{"who": deep(top - 1)}}}, {"/threads/count", jo{"values": jo{"who": deep(top - 1)}}},
			{"/runs/crons/search", jo{}}, {"/runs/crons/count", jo{}},
			{"/store/items/search", jo{}}, {"/store/items/search", jo{"filter": deep(top)}},
		}
		for _, user := range [][]string{alice, bob, {"X-User", "carol"}} {
			for _, s := range searches {
				if r := ts.do("POST", s.path, s.body, user...); r.status != 200 {
					t.Errorf("%s %s as %s: %d %s", s.path, s.body, user[1], r.status, r.body)
				}
			}
		}
		// The deep filters find the deep records.
		var n int
		ts.ok(200, "POST", "/assistants/count", jo{"metadata": deep(top)}, alice...).json(t, &n)
		if n != 1 {
			t.Errorf("assistants with the deep metadata: %d, want 1", n)
		}
		ts.ok(200, "POST", "/threads/count", jo{"values": jo{"who": deep(top - 1)}}, alice...).json(t, &n)
		if n != 1 {
			t.Errorf("threads with the deep values: %d, want 1", n)
		}
		ts.ok(200, "POST", "/runs/crons/count", jo{}, alice...).json(t, &n)
		if n != 4 {
			t.Errorf("alice's crons: %d, want 4", n)
		}

		// Read, update and delete.
		ts.ok(200, "GET", "/assistants/"+as.AssistantID, nil, alice...)
		send(200, "PATCH", "/assistants/"+as.AssistantID, jo{"metadata": deep(top)})
		ts.ok(204, "DELETE", "/assistants/"+as.AssistantID, nil, alice...)
		ts.ok(200, "GET", "/threads/"+th.ThreadID, nil, alice...)
		send(200, "PATCH", "/threads/"+th.ThreadID, jo{"metadata": deep(top)})
		ts.ok(204, "DELETE", "/threads/"+th.ThreadID, nil, alice...)
		ts.ok(200, "GET", "/threads/"+vt.ThreadID+"/state", nil, alice...)
		ts.ok(200, "GET", "/threads/"+vt.ThreadID+"/history", nil, alice...)
		ts.ok(200, "GET", "/store/items?namespace=deep&key=k", nil, alice...)
		send(200, "PATCH", "/runs/crons/"+cr.CronID, jo{"metadata": deep(top)})
		ts.ok(204, "DELETE", "/runs/crons/"+cr.CronID, nil, alice...)
	})
}

// TestJSONDepthLimitRefused sends a body one level too deep to every route
// that takes a body, and each kind of deep field to the routes storing it:
// each answers 422 naming the limit and changes nothing.
func TestJSONDepthLimitRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newCronServer(t, st, Options{})
		a := seedAlice(t, ts)
		var cr storage.Cron
		ts.ok(200, "POST", "/runs/crons", jo{"assistant_id": "agent", "schedule": "0 0 1 1 *"}, alice...).json(t, &cr)
		const over = MaxJSONDepth // a field of the body one level too deep
		refuse := func(method, path string, body any) {
			t.Helper()
			r := ts.do(method, path, bodyOfDepth(t, body, MaxJSONDepth+1), alice...)
			if r.status != 422 || !strings.Contains(r.detail(t), fmt.Sprintf("deeper than %d levels", MaxJSONDepth)) {
				t.Errorf("%s %s: %d %s, want 422 naming the limit", method, path, r.status, r.body)
			}
		}
		counts := func() string {
			var b strings.Builder
			for _, p := range []string{"/assistants/count", "/threads/count", "/runs/crons/count"} {
				b.Write(ts.ok(200, "POST", p, jo{}, alice...).body)
				b.WriteByte(' ')
			}
			b.Write(ts.ok(200, "POST", "/store/items/search", jo{}, alice...).body)
			return b.String()
		}
		before := counts()

		n := 0
		for _, rt := range ts.srv.Routes() {
			if rt.Body == "" {
				continue
			}
			n++
			path, fix := fixture(rt, a.thread.ThreadID, a.assistant.AssistantID)
			path = strings.Replace(path, "00000000-0000-0000-0000-0000000000cc", cr.CronID, 1)
			if _, ok := fix.([]any); ok {
				refuse(rt.Method, path, []any{jo{"metadata": deep(over - 1)}})
			} else {
				refuse(rt.Method, path, jo{"metadata": deep(over)})
			}
		}
		if n < 25 {
			t.Errorf("%d routes take a body, want at least 25", n)
		}

		conf := jo{"configurable": deep(over - 1)}
		tid, aid := a.thread.ThreadID, a.assistant.AssistantID
		for _, f := range []struct {
			method, path string
			body         jo
		}{
			{"POST", "/assistants", jo{"graph_id": "agent", "config": conf}},
			{"POST", "/assistants", jo{"graph_id": "agent", "context": deep(over)}},
			{"PATCH", "/assistants/" + aid, jo{"context": deep(over)}},
			{"POST", "/threads", jo{"metadata": jo{"graph_id": "agent", "x": deep(over - 1)}}},
			{"POST", "/threads/" + tid + "/state", jo{"values": jo{"note": deep(over - 1)}}},
			{"POST", "/threads/" + tid + "/runs", jo{"assistant_id": "agent", "input": deep(over)}},
			{"POST", "/runs/wait", jo{"assistant_id": "agent", "config": conf}},
			{"PUT", "/store/items", jo{"namespace": []string{"shared"}, "key": "k", "value": deep(over)}},
			{"POST", "/runs/crons", jo{"assistant_id": "agent", "schedule": "0 0 1 1 *", "input": deep(over)}},
			{"PATCH", "/runs/crons/" + cr.CronID, jo{"context": deep(over)}},
			{"POST", "/threads/search", jo{"values": jo{"note": deep(over - 1)}}},
			{"POST", "/store/items/search", jo{"filter": deep(over)}},
		} {
			refuse(f.method, f.path, f.body)
		}
		if after := counts(); after != before {
			t.Errorf("refused requests changed alice's data:\n%s\n%s", before, after)
		}
	})
}
