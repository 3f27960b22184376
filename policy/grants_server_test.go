package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/policy"
	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage/memory"
)

// serve runs the real server (memory storage, the chatbot graph as
// "agent") behind the real enforcer, with raw as the policy and users
// keyed by bearer token.
func serve(t *testing.T, raw string, users map[string]*auth.User) string {
	t.Helper()
	cfg, err := policy.ParseConfig([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		u, ok := users[r.BearerToken()]
		if !ok {
			return nil, auth.Unauthorized("Invalid token")
		}
		c := *u
		return &c, nil
	})
	if err := cfg.Install(a); err != nil {
		t.Fatal(err)
	}
	enf, err := authz.New(a, authz.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := chatbot.New(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	srv, err := server.New(t.Context(), server.Options{Store: st, Graphs: map[string]server.Graph{"agent": g},
		Authenticator: enf, Authorizer: enf, Logger: slog.New(slog.DiscardHandler), Version: "0.0.0-grants"})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := any(srv).(interface{ Close() error }); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// call sends a JSON request as the user with token tok and returns the
// status and body.
func call(t *testing.T, base, tok, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func expect(t *testing.T, base, tok string, want int, method, path string, body any) []byte {
	t.Helper()
	got, out := call(t, base, tok, method, path, body)
	if got != want {
		t.Errorf("%s %s %s: %d %s, want %d", tok, method, path, got, out, want)
	}
	return out
}

type obj = map[string]any

var humanInput = obj{"messages": []obj{{"type": "human", "content": "hi"}}}

// aliceThread lets alice create a thread with a finished run on it.
func aliceThread(t *testing.T, base, tok string) string {
	t.Helper()
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	if err := json.Unmarshal(expect(t, base, tok, 200, "POST", "/threads", obj{"metadata": obj{"topic": "x"}}), &th); err != nil || th.ThreadID == "" {
		t.Fatalf("create thread: %v", err)
	}
	expect(t, base, tok, 200, "POST", "/threads/"+th.ThreadID+"/runs/wait", obj{"assistant_id": "agent", "input": humanInput})
	return th.ThreadID
}

// The viewer policy of the docs, end to end: a viewer reads and searches
// alice's threads and nothing more; a non-viewer sees nothing of them.
func TestViewerGrantOverHTTP(t *testing.T) {
	base := serve(t, `{"policy": "owner", "grants": {
		"threads:read": "\"viewer\" in permissions",
		"threads:search": "\"viewer\" in permissions"}}`, map[string]*auth.User{
		"ta": {Identity: "alice"},
		"tv": {Identity: "vera", Permissions: []string{"viewer"}},
		"tb": {Identity: "bob"},
	})
	th := aliceThread(t, base, "ta")

	// The viewer reads.
	expect(t, base, "tv", 200, "GET", "/threads/"+th, nil)
	expect(t, base, "tv", 200, "GET", "/threads/"+th+"/state", nil)
	expect(t, base, "tv", 200, "GET", "/threads/"+th+"/history", nil)
	if out := expect(t, base, "tv", 200, "POST", "/threads/search", obj{}); !strings.Contains(string(out), th) {
		t.Errorf("viewer's search misses alice's thread: %s", out)
	}
	expect(t, base, "tv", 200, "GET", "/threads/"+th+"/runs", nil)

	// ... and changes nothing.
	expect(t, base, "tv", 404, "PATCH", "/threads/"+th, obj{"metadata": obj{"topic": "mine"}})
	expect(t, base, "tv", 404, "DELETE", "/threads/"+th, nil)
	expect(t, base, "tv", 404, "POST", "/threads/"+th+"/runs", obj{"assistant_id": "agent", "input": humanInput})
	expect(t, base, "tv", 404, "POST", "/threads/"+th+"/runs/wait", obj{"assistant_id": "agent", "input": humanInput})
	// The state update reads the thread first: a caller who may read it but
	// not update it gets the server's 403 rather than a 404.
	expect(t, base, "tv", 403, "POST", "/threads/"+th+"/state", obj{"values": humanInput, "as_node": "chatbot"})
	expect(t, base, "tv", 404, "POST", "/threads/"+th+"/runs/crons", obj{"assistant_id": "agent", "schedule": "* * * * *", "input": humanInput})

	// A non-viewer sees nothing of alice's.
	for _, p := range []string{"/threads/" + th, "/threads/" + th + "/state", "/threads/" + th + "/runs"} {
		expect(t, base, "tb", 404, "GET", p, nil)
	}
	if out := expect(t, base, "tb", 200, "POST", "/threads/search", obj{}); strings.Contains(string(out), th) {
		t.Errorf("bob's search shows alice's thread: %s", out)
	}

	// Alice's thread is untouched and still hers: one run, the same state.
	var got struct {
		Metadata map[string]any `json:"metadata"`
	}
	json.Unmarshal(expect(t, base, "ta", 200, "GET", "/threads/"+th, nil), &got)
	if got.Metadata["owner"] != "alice" || got.Metadata["topic"] != "x" {
		t.Errorf("alice's thread metadata %v", got.Metadata)
	}
	var runs []any
	json.Unmarshal(expect(t, base, "ta", 200, "GET", "/threads/"+th+"/runs", nil), &runs)
	var crons []any
	json.Unmarshal(expect(t, base, "ta", 200, "POST", "/runs/crons/search", obj{}), &crons)
	var state struct {
		Values struct{ Messages []any } `json:"values"`
	}
	json.Unmarshal(expect(t, base, "ta", 200, "GET", "/threads/"+th+"/state", nil), &state)
	if len(runs) != 1 || len(crons) != 0 || len(state.Values.Messages) != 2 {
		t.Errorf("alice's thread changed: %d runs, %d crons, %d messages", len(runs), len(crons), len(state.Values.Messages))
	}
}

// Tenant plus the viewer grant, end to end: viewers read across users in
// their org only; a caller without the claim gets 403.
func TestTenantViewerOverHTTP(t *testing.T) {
	org := func(id, o string, perms ...string) *auth.User {
		return &auth.User{Identity: id, Permissions: perms, Extra: map[string]any{"org_id": o}}
	}
	base := serve(t, `{"policy": "owner", "tenant": {"claim": "org_id"},
		"grants": {"threads:read": "\"viewer\" in permissions", "threads:search": "\"viewer\" in permissions"}}`,
		map[string]*auth.User{
			"ta": org("alice", "acme"),
			"tv": org("vera", "acme", "viewer"),
			"tg": org("gus", "globex", "viewer"),
			"tn": {Identity: "nobody"},
		})
	th := aliceThread(t, base, "ta")
	expect(t, base, "tv", 200, "GET", "/threads/"+th, nil)
	expect(t, base, "tv", 404, "PATCH", "/threads/"+th, obj{"metadata": obj{}})
	expect(t, base, "tg", 404, "GET", "/threads/"+th, nil)
	if out := expect(t, base, "tg", 200, "POST", "/threads/search", obj{}); strings.Contains(string(out), th) {
		t.Errorf("globex's viewer finds acme's thread: %s", out)
	}
	expect(t, base, "tn", 403, "GET", "/threads/"+th, nil)
	expect(t, base, "tn", 403, "POST", "/threads", obj{})
	expect(t, base, "tn", 403, "GET", "/store/items?namespace=notes&key=k", nil)
	// The graphs' assistant stays usable in every org.
	expect(t, base, "tg", 200, "POST", "/runs/wait", obj{"assistant_id": "agent", "input": humanInput})
}
