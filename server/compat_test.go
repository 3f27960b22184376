package server

import (
	"testing"

	"github.com/agentgate/agentgate/storage"
)

// The SDK's joinStream and useStream's reconnect send Last-Event-ID: -1 to
// replay a run's stream from its start; LangGraph accepts it on the run
// joins and the thread stream.
func TestLastEventIDMinusOneReplaysFromStart(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	s := ts.sse("POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "chatbot", "input": hello("one two"),
		"stream_mode": []string{"values"}, "stream_resumable": true})
	full := s.all()
	if len(full) < 2 {
		t.Fatalf("only %d events", len(full))
	}
	loc := s.resp.Header.Get("Location")
	for _, path := range []string{loc, "/runs/" + loc[len(loc)-len("/stream")-36:len(loc)-len("/stream")] + "/stream"} {
		r := ts.sse("GET", path, nil, "Last-Event-ID", "-1")
		if r.resp.StatusCode != 200 {
			t.Fatalf("GET %s with Last-Event-ID -1: %d", path, r.resp.StatusCode)
		}
		replay := r.all()
		if len(replay) != len(full) {
			t.Fatalf("GET %s with Last-Event-ID -1: %v, want %v", path, eventNames(replay), eventNames(full))
		}
		for i := range replay {
			if replay[i] != full[i] {
				t.Errorf("replay[%d] = %+v, want %+v", i, replay[i], full[i])
			}
		}
	}
	// The thread stream takes it too (it follows until the client leaves).
	r := ts.sse("GET", "/threads/"+th+"/stream", nil, "Last-Event-ID", "-1")
	if r.resp.StatusCode != 200 {
		t.Fatalf("thread stream with Last-Event-ID -1: %d", r.resp.StatusCode)
	}
	if ev, ok := r.next(); !ok || ev.name != "metadata" {
		t.Errorf("thread stream from -1 began with %+v", ev)
	}
}

// An unknown stream_mode on a run join is a 422 as on the thread stream.
func TestJoinStreamRejectsUnknownStreamMode(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("hi")})
	var list []storage.Run
	ts.ok(200, "GET", "/threads/"+th+"/runs", nil).json(t, &list)
	run := list[0].RunID
	for _, path := range []string{"/threads/" + th + "/runs/" + run + "/stream", "/runs/" + run + "/stream", "/threads/" + th + "/stream"} {
		ts.ok(422, "GET", path+"?stream_mode=bogus", nil, "Last-Event-ID", "-1")
	}
	ts.ok(200, "GET", "/threads/"+th+"/runs/"+run+"/stream?stream_mode=values,messages-tuple", nil, "Last-Event-ID", "-1")
}
