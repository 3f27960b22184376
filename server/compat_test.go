package server

import (
	"testing"
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
