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

// TestDeletedThreadDropsItsStreams: deleting a thread ends the streams
// open on it with an error event, and a thread re-created with the same id
// replays nothing from before.
func TestDeletedThreadDropsItsStreams(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		th := ts.createThread(nil).ThreadID
		ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "agent", "input": map[string]any{}})
		var r storage.Run
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
		ts.waitRunStatus(th, r.RunID, storage.RunRunning)

		open := func(path string) *bufio.Reader {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			t.Cleanup(cancel)
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+path, nil)
			req.Header.Set("Last-Event-ID", "0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET %s: %v %v", path, resp, err)
			}
			t.Cleanup(func() { resp.Body.Close() })
			return bufio.NewReader(resp.Body)
		}
		threadStream := open("/threads/" + th + "/stream")
		runStream := open("/threads/" + th + "/runs/" + r.RunID + "/stream")
		ts.ok(204, "DELETE", "/threads/"+th, nil)
		for name, rd := range map[string]*bufio.Reader{"thread": threadStream, "run": runStream} {
			var all strings.Builder
			for {
				line, err := rd.ReadString('\n')
				all.WriteString(line)
				if err != nil {
					break
				}
			}
			// ThreadDeleted; for the run, RunDeleted when the run was found
			// gone before the stream was dropped, or the run's own error
			// when it was still saving its first checkpoint and found its
			// thread gone first.
			ended := strings.Contains(all.String(), "event: error\ndata: {\"error\":\"ThreadDeleted\"")
			if name == "run" {
				ended = ended || strings.Contains(all.String(), "event: error\ndata: {\"error\":\"RunDeleted\"") ||
					strings.Contains(all.String(), "event: error\ndata: {\"error\":\"Error\",\"message\":\"graph: save checkpoint: Thread with ID "+th+" not found\"}")
			}
			if !ended {
				t.Errorf("%s stream did not end with ThreadDeleted:\n%s", name, all.String())
			}
		}
		// Same id again: nothing from the old thread is replayed.
		ts.ok(200, "POST", "/threads", map[string]any{"thread_id": th})
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/threads/"+th+"/stream", nil)
		req.Header.Set("Last-Event-ID", "0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got strings.Builder
		rd := bufio.NewReader(resp.Body)
		for {
			line, err := rd.ReadString('\n')
			got.WriteString(line)
			if err != nil {
				break
			}
		}
		if strings.Contains(got.String(), "event: ") {
			t.Fatalf("the re-created thread replayed old events (block run %s):\n%s", r.RunID, got.String())
		}
	})
}
