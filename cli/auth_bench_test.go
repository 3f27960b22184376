package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage/memory"
)

// BenchmarkGetThreadQuickStartAuth is GET /threads/{id} through the README
// quick start's no-code auth (examples/secured-chatbot: tokens + owner
// policy) against the same server without auth, on the memory store so
// that the auth share of the cost shows. scripts/load-auth.sh measures the
// same over HTTP.
func BenchmarkGetThreadQuickStartAuth(b *testing.B) {
	for _, withAuth := range []bool{false, true} {
		name := "open"
		if withAuth {
			name = "tokens+owner"
		}
		b.Run(name, func(b *testing.B) {
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			opts := server.Options{Store: memory.New(), Logger: log}
			if withAuth {
				cfg, err := loadConfig(filepath.Join("..", "examples", "secured-chatbot", "langgraph.json"), true, Program{}, log)
				if err != nil {
					b.Fatal(err)
				}
				a, err := buildAuth(context.Background(), cfg, Program{}, log)
				if err != nil {
					b.Fatal(err)
				}
				enf, err := enforcer(a, false, log)
				if err != nil {
					b.Fatal(err)
				}
				opts.Authenticator, opts.Authorizer = enf, enf
			}
			srv, err := server.New(context.Background(), opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = srv.Close() })
			h := srv.Handler()
			token := "Bearer alice-demo-token-not-secret"
			// The open server's thread carries the metadata the owner policy
			// stamps, so that both answers are the same document.
			post := httptest.NewRequest("POST", "/threads", strings.NewReader(`{"metadata": {"owner": "alice"}}`))
			post.Header.Set("Authorization", token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, post)
			if rec.Code != 200 {
				b.Fatalf("create thread: %d %s", rec.Code, rec.Body)
			}
			id := threadID(b, rec.Body.Bytes())
			req := httptest.NewRequest("GET", "/threads/"+id, nil)
			req.Header.Set("Authorization", token)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status = 0
				h.ServeHTTP(w, req)
				if w.status != 0 && w.status != 200 {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

type discard struct {
	h      http.Header
	status int
}

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) WriteHeader(s int)           { w.status = s }
func (w *discard) Write(b []byte) (int, error) { return len(b), nil }

func threadID(b *testing.B, body []byte) string {
	var t struct {
		ThreadID string `json:"thread_id"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.ThreadID == "" {
		b.Fatalf("thread: %v %s", err, body)
	}
	return t.ThreadID
}
