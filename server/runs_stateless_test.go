package server

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// TestStatelessJoinStream: GET /runs/{run_id}/stream joins a stateless run
// by its id alone, replays after Last-Event-ID, is 404 for another user,
// and cancels the run when asked to on disconnect.
func TestStatelessJoinStream(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{Authenticator: ownerAuth{}, Authorizer: ownerAuth{}})
		alice, bob := []string{"X-User", "alice"}, []string{"X-User", "bob"}

		// A stateless stream says where to join it again; the join replays.
		s := ts.sse("POST", "/runs/stream", map[string]any{"assistant_id": "chatbot", "input": hello("one two three four"),
			"stream_mode": []string{"messages-tuple", "values"}, "on_completion": "keep"}, alice...)
		full := s.all()
		if len(full) < 5 {
			t.Fatalf("only %d events", len(full))
		}
		runID := strings.TrimPrefix(s.resp.Header.Get("Content-Location"), "/threads/")
		runID = runID[strings.LastIndex(runID, "/")+1:]
		loc := s.resp.Header.Get("Location")
		if loc != "/runs/"+runID+"/stream" {
			t.Fatalf("Location = %q, want /runs/%s/stream", loc, runID)
		}
		replay := ts.sse("GET", loc, nil, append([]string{"Last-Event-ID", full[1].id}, alice...)...)
		if got := replay.all(); len(got) != len(full)-2 || got[0] != full[2] || got[len(got)-1] != full[len(full)-1] {
			t.Errorf("replay after %s: %v, want %v", full[1].id, eventNames(got), eventNames(full[2:]))
		}
		if replay.resp.Header.Get("Location") != loc {
			t.Errorf("join Location = %q", replay.resp.Header.Get("Location"))
		}
		values := ts.sse("GET", loc+"?stream_mode=values", nil, append([]string{"Last-Event-ID", "0"}, alice...)...).all()
		for _, ev := range values {
			if ev.name != "values" && ev.name != "metadata" {
				t.Errorf("stream_mode=values let %q through", ev.name)
			}
		}
		if evs := ts.sse("GET", loc, nil, alice...).all(); len(evs) != 0 {
			t.Errorf("join of a finished run without Last-Event-ID sent %v", eventNames(evs))
		}
		for _, hdr := range [][]string{bob, append([]string{"Last-Event-ID", "0"}, bob...)} {
			if r := ts.do("GET", loc, nil, hdr...); r.status != 404 || strings.Contains(string(r.body), "one two") {
				t.Errorf("bob joins alice's stateless run: %d %s", r.status, r.body)
			}
		}
		ts.ok(404, "GET", "/runs/00000000-0000-0000-0000-000000000000/stream", nil, alice...)
		ts.ok(422, "GET", "/runs/not-a-uuid/stream", nil, alice...)
		ts.ok(422, "GET", loc, nil, append([]string{"Last-Event-ID", "garbage"}, alice...)...)

		// A temporary run that blocks: bob gets 404 while it runs; alice's
		// join with cancel_on_disconnect stops it when she leaves, and its
		// thread goes with it.
		var r storage.Run
		ts.ok(200, "POST", "/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}, alice...).json(t, &r)
		ts.waitRunStatus(r.ThreadID, r.RunID, "running", alice...)
		ts.ok(404, "GET", "/runs/"+r.RunID+"/stream", nil, bob...)
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/runs/"+r.RunID+"/stream?cancel_on_disconnect=1", nil)
		req.Header.Set("Last-Event-ID", "0")
		req.Header.Set("X-User", "alice")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		if resp.StatusCode != 200 || line != "event: metadata\n" {
			t.Fatalf("join of the running run: %d, first line %q", resp.StatusCode, line)
		}
		cancel()
		resp.Body.Close()
		deadline := time.Now().Add(10 * time.Second)
		for ts.do("GET", "/threads/"+r.ThreadID, nil, alice...).status != 404 {
			if time.Now().After(deadline) {
				t.Fatal("the temporary run was not cancelled (its thread is still there)")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// Its thread and run are gone: nothing left to authorize a join by.
		ts.ok(404, "GET", "/runs/"+r.RunID+"/stream", nil, append([]string{"Last-Event-ID", "0"}, alice...)...)
	})
}
