package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/agentgate/agentgate/storage/postgres"
	"github.com/agentgate/agentgate/storage/sqlite"
)

// testServer runs a real server on a loopback port.
type testServer struct {
	t    *testing.T
	srv  *Server
	http *httptest.Server
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	if opts.Store == nil {
		st := memory.New()
		t.Cleanup(func() { _ = st.Close() })
		opts.Store = st
	}
	if opts.Graphs == nil {
		opts.Graphs = testGraphs(t)
	}
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if opts.Version == "" {
		opts.Version = "0.0.0-test"
	}
	s, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &testServer{t: t, srv: s, http: hs, logs: logs}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

func (r response) detail(t *testing.T) string {
	t.Helper()
	var e struct {
		Detail *string `json:"detail"`
	}
	r.json(t, &e)
	if e.Detail == nil {
		t.Fatalf("no detail in %s", r.body)
	}
	return *e.Detail
}

// do sends a request; body is marshalled unless it is a string or nil.
func (ts *testServer) do(method, path string, body any, hdr ...string) response {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, ts.http.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := ts.http.Client().Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// ok sends a request and fails unless the status is want.
func (ts *testServer) ok(want int, method, path string, body any, hdr ...string) response {
	ts.t.Helper()
	r := ts.do(method, path, body, hdr...)
	if r.status != want {
		ts.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	return r
}

func (ts *testServer) createThread(md map[string]any, hdr ...string) storage.Thread {
	ts.t.Helper()
	var th storage.Thread
	ts.ok(200, "POST", "/threads", map[string]any{"metadata": md}, hdr...).json(ts.t, &th)
	return th
}

// storeKinds are the backends the cross-backend tests run on.
var storeKinds = []string{"memory", "sqlite", "postgres"}

// openStore opens a fresh store of the given kind (SQLite in a real file
// under t.TempDir()).
func openStore(t testing.TB, kind string) storage.Store {
	t.Helper()
	var st storage.Store
	switch kind {
	case "memory":
		st = memory.New()
	case "sqlite":
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "agentgate.db"))
		if err != nil {
			t.Fatal(err)
		}
		st = s
	case "postgres":
		s, err := postgres.Open(context.Background(), testenv.FreshPostgres(t))
		if err != nil {
			t.Fatal(err)
		}
		st = s
	default:
		t.Fatalf("unknown store %q", kind)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// eachStore runs f against every backend.
func eachStore(t *testing.T, f func(t *testing.T, st storage.Store)) {
	for _, k := range storeKinds {
		t.Run(k, func(t *testing.T) { f(t, openStore(t, k)) })
	}
}

// scopeFor is the scope a test Authorizer gives for v's event.
func scopeFor(v auth.Value, fs ...filter.Filter) storage.Scope {
	res, act := v.Event()
	return storage.Authorized(storage.Event{Resource: res, Action: act}, fs...)
}
