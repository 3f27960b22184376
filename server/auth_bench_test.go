package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// BenchmarkGetThreadAuth compares GET /threads/{id} without auth and with
// a bearer-token Authenticate plus the owner filter (tutorial part 2), the
// issue 5 target being at least 90% of the unauthenticated throughput.
func BenchmarkGetThreadAuth(b *testing.B) {
	for _, kind := range []string{"memory", "sqlite"} {
		for _, withAuth := range []bool{false, true} {
			name := kind + "/open"
			if withAuth {
				name = kind + "/token+owner"
			}
			b.Run(name, func(b *testing.B) {
				var st storage.Store
				if kind == "memory" {
					st = memory.New()
				} else {
					st = openStore(b, "sqlite")
				}
				benchGetThreadAuth(b, st, withAuth)
			})
		}
	}
}

func benchOwnerAuth() *auth.Auth {
	return auth.New().
		Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
			if r.BearerToken() != "alice-token" {
				return nil, auth.Unauthorized("Invalid token")
			}
			return &auth.User{Identity: "alice"}, nil
		}).
		On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			auth.SetMetadata(v, "owner", c.User.Identity)
			return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
		})
}

func benchGetThreadAuth(b *testing.B, st storage.Store, withAuth bool) {
	opts := Options{Store: st, Graphs: testGraphs(b)}
	if withAuth {
		e, err := authz.New(benchOwnerAuth(), authz.Options{})
		if err != nil {
			b.Fatal(err)
		}
		opts.Authenticator, opts.Authorizer = e, e
	}
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
	req.Header.Set("Authorization", "Bearer alice-token")
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
