package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// discardWriter is a reusable ResponseWriter, so that the benchmark counts
// the server's allocations only.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}

func benchGetThread(b *testing.B, st storage.Store) { benchGetThreadOpts(b, Options{Store: st}) }

func benchGetThreadOpts(b *testing.B, opts Options) {
	st := opts.Store
	opts.Graphs = testGraphs(b)
	s, err := New(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	sc, _ := allowAll{}.Authorize(context.Background(), &auth.ThreadsCreate{})
	th, err := st.Threads().Create(context.Background(), sc, storage.ThreadCreate{
		Metadata: map[string]any{"graph_id": "agent", "owner": "alice", "title": "benchmark thread"},
	})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	req, err := http.NewRequest("GET", "/threads/"+th.ThreadID, nil)
	if err != nil {
		b.Fatal(err)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != 0 && w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
}

func BenchmarkGetThread(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchGetThread(b, memory.New()) })
	b.Run("sqlite", func(b *testing.B) { benchGetThread(b, openStore(b, "sqlite")) })
	b.Run("postgres", func(b *testing.B) { benchGetThread(b, openStore(b, "postgres")) })
}
