package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// TestRelativeWebhookToCustomApp: with custom routes, a relative webhook
// is accepted and delivered in-process to the server's own handler; the
// app's route gets the run's payload (no network call, so no
// AllowPrivateWebhooks needed).
func TestRelativeWebhookToCustomApp(t *testing.T) {
	got := make(chan map[string]any, 1)
	app := func(api http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/", api)
		mux.HandleFunc("POST /custom/hook", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			m["_query"], m["_ctype"] = r.URL.Query().Get("k"), r.Header.Get("Content-Type")
			got <- m
		})
		return mux
	}
	ts := newRunServer(t, nil, Options{App: app})
	th := ts.createThread(nil).ThreadID
	for _, bad := range []string{"//evil.example/x", "/x#frag"} {
		if d := ts.ok(400, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "who", "webhook": bad}).detail(t); !strings.Contains(d, "webhook") {
			t.Errorf("webhook %q: %q", bad, d)
		}
	}
	var r storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "who", "input": map[string]any{},
		"webhook": "/custom/hook?k=v"}).json(t, &r)
	select {
	case m := <-got:
		if m["run_id"] != r.RunID || m["status"] != "success" || m["values"] == nil {
			t.Fatalf("webhook payload %v", m)
		}
		if m["_query"] != "v" || m["_ctype"] != "application/json" {
			t.Errorf("webhook request: query %v, content type %v", m["_query"], m["_ctype"])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not called")
	}
}
