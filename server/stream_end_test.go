package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// TestStreamsEndWithAReasonOnShutdown: when the server shuts down, an open
// run stream and thread stream end with a retryable error event, not a
// clean EOF a client cannot tell from a finished run.
func TestStreamsEndWithAReasonOnShutdown(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	var r storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
	ts.waitRunStatus(th, r.RunID, storage.RunRunning)
	bodies := make(chan string, 2)
	for _, p := range []string{"/threads/" + th + "/runs/" + r.RunID + "/stream", "/threads/" + th + "/stream"} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+p, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			bodies <- p + "\n" + string(b)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	ts.srv.Close() // stops the engine, as a SIGTERM does
	for range 2 {
		b := <-bodies
		if !strings.Contains(b, "event: error\ndata: {\"error\":\"ServerShuttingDown\"") || !strings.Contains(b, `"retryable":true`) {
			t.Errorf("stream did not end with a retryable ServerShuttingDown error:\n%s", b)
		}
	}
}
