package server

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authn"
	"github.com/agentgate/agentgate/authz"
)

// Credentials the logs must never show.
const (
	aliceToken  = "sk-alice-bearer-0123456789abcdef"
	bobToken    = "sk-bob-bearer-0123456789abcdef"
	carolAPIKey = "ak-carol-apikey-0123456789abcdef"
	extraSecret = "ghp_extra_secret_0123456789abcdef"
)

// auditEnforcer is the built-in token chain (a bearer list and an API key
// list) with Go handlers giving every kind of decision.
func auditEnforcer(t *testing.T) *authz.Enforcer {
	t.Helper()
	env := map[string]string{
		"BEARER": `[{"token":"` + aliceToken + `","identity":"alice","extra":{"github_token":"` + extraSecret + `"}},
			{"token":"` + bobToken + `","identity":"bob"}]`,
		"KEYS": `[{"token":"` + carolAPIKey + `","identity":"carol"}]`,
	}
	cfg, err := authn.ParseConfig([]byte(`{"authenticators":[
		{"type":"tokens","name":"bearer","env":"BEARER"},
		{"type":"tokens","name":"keys","header":"x-api-key","env":"KEYS"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.Build(t.Context(), cfg, authn.BuildOptions{Logger: slog.New(slog.DiscardHandler),
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	allow := func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil }
	a := auth.New().Authenticate(chain.Func()).
		On("threads", func(_ context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			auth.SetMetadata(v, "owner", c.User.Identity)
			return auth.Filter(map[string]any{"owner": c.User.Identity, "$or": []any{
				map[string]any{"team": "x"}, map[string]any{"public": map[string]any{"$eq": false}}}}), nil
		}).
		On("threads:delete", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Deny(), nil }).
		On("threads:update", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) {
			return auth.Result{}, auth.Error(418, "short and stout")
		}).
		On("assistants:read", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { panic("handler bug") }).
		On("assistants:search", allow)
	e, err := authz.New(a, authz.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// readJSONLines parses every line of path; a line that is not a JSON
// object fails the test.
func readJSONLines(t *testing.T, data string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestAuditLogEveryDecision(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	al, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = al.Close() })
	logs := &syncBuffer{}
	e := auditEnforcer(t)
	ts := newTestServer(t, Options{Authenticator: e, Authorizer: e, Audit: al,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	alice := []string{"Authorization", "Bearer " + aliceToken}
	bob := []string{"Authorization", "Bearer " + bobToken}
	carol := []string{"X-Api-Key", carolAPIKey}

	rid := func(r response) string { return r.header.Get("X-Request-Id") }
	type want struct {
		event, by, result, identity string
		keys                        []string
		status                      int
	}
	wants := map[string][]want{} // by request id
	authOK := func(id, by string) want { return want{"authenticate", by, "authenticated", id, nil, 0} }

	r := ts.ok(200, "POST", "/threads", map[string]any{"metadata": map[string]any{"team": "x"}}, alice...)
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	r.json(t, &th)
	fk := []string{"owner", "public", "team"}
	wants[rid(r)] = []want{authOK("alice", "bearer"), {"threads:create", "threads", "filter", "alice", fk, 200}}
	r = ts.ok(404, "GET", "/threads/"+th.ThreadID, nil, bob...)
	wants[rid(r)] = []want{authOK("bob", "bearer"), {"threads:read", "threads", "filter", "bob", fk, 404}}
	r = ts.ok(403, "DELETE", "/threads/"+th.ThreadID, nil, alice...)
	wants[rid(r)] = []want{authOK("alice", "bearer"), {"threads:delete", "threads:delete", "deny", "alice", nil, 403}}
	r = ts.ok(418, "PATCH", "/threads/"+th.ThreadID, map[string]any{"metadata": map[string]any{}}, alice...)
	wants[rid(r)] = []want{authOK("alice", "bearer"), {"threads:update", "threads:update", "deny", "alice", nil, 418}}
	r = ts.ok(500, "GET", "/assistants/6f1d1e5e-0000-4000-8000-000000000001", nil, carol...)
	wants[rid(r)] = []want{authOK("carol", "keys"), {"assistants:read", "assistants:read", "error", "carol", nil, 500}}
	r = ts.ok(200, "POST", "/assistants/search", map[string]any{}, carol...)
	wants[rid(r)] = []want{authOK("carol", "keys"), {"assistants:search", "assistants:search", "allow", "carol", nil, 200}}
	r = ts.ok(200, "POST", "/runs/crons/search", map[string]any{}, carol...)
	wants[rid(r)] = []want{authOK("carol", "keys"), {"crons:search", "(none)", "allow", "carol", nil, 200},
		{"threads:search", "threads", "filter", "carol", fk, 200}}
	r = ts.ok(401, "POST", "/threads/search", map[string]any{})
	wants[rid(r)] = []want{{"authenticate", "", "unauthenticated", "", nil, 401}}
	r = ts.ok(401, "POST", "/threads/search", map[string]any{}, "Authorization", "Bearer sk-wrong-token-0123456789")
	wants[rid(r)] = []want{{"authenticate", "bearer", "unauthenticated", "", nil, 401}}
	ts.ok(200, "GET", "/ok", nil) // unprotected: no decision

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, want 0600", fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := readJSONLines(t, string(data))
	got := map[string][]map[string]any{}
	for _, l := range lines {
		for _, k := range []string{"time", "request_id", "identity", "method", "route", "event", "result", "status"} {
			if _, ok := l[k]; !ok {
				t.Errorf("line %v has no %q", l, k)
			}
		}
		id, _ := l["request_id"].(string)
		got[id] = append(got[id], l)
	}
	if len(got) != len(wants) {
		t.Errorf("%d requests in the audit log, want %d:\n%s", len(got), len(wants), data)
	}
	for id, ws := range wants {
		ls := got[id]
		if len(ls) != len(ws) {
			t.Errorf("request %s: %d lines, want %d:\n%s", id, len(ls), len(ws), data)
			continue
		}
		for i, w := range ws {
			l := ls[i]
			by := "handler"
			if w.event == "authenticate" {
				by = "authenticator"
			}
			status := w.status
			if status == 0 {
				status = int(ls[len(ls)-1]["status"].(float64)) // the response's
			}
			if l["event"] != w.event || l[by] != w.by || l["result"] != w.result || l["identity"] != w.identity ||
				l["status"] != float64(status) || l["route"] == "" {
				t.Errorf("request %s line %d: %v, want %+v", id, i, l, w)
			}
			var keys []string
			if ks, ok := l["filter_keys"].([]any); ok {
				for _, k := range ks {
					keys = append(keys, k.(string))
				}
			}
			if !slices.Equal(keys, w.keys) {
				t.Errorf("request %s line %d: filter_keys %v, want %v", id, i, keys, w.keys)
			}
		}
	}
	if l := got[rid(r)]; len(l) > 0 && (l[0]["route"] != "/threads/search" || l[0]["method"] != "POST") {
		t.Errorf("route %v method %v", l[0]["route"], l[0]["method"])
	}
	noSecrets(t, "audit log", string(data))
	noSecrets(t, "request log", logs.String())
	if !strings.Contains(logs.String(), `"authorization":"[REDACTED]"`) || !strings.Contains(logs.String(), `"x-api-key":"[REDACTED]"`) {
		t.Errorf("debug request lines should show redacted credential headers:\n%s", logs.String())
	}
}

func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{aliceToken, bobToken, carolAPIKey, extraSecret, "sk-wrong-token", "github_token"} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains %q:\n%s", what, secret, s)
		}
	}
}

// A line is written once the response starts, so a client that has read
// the status finds its decisions in the file.
func TestAuditLogWrittenWhenResponseStarts(t *testing.T) {
	logs := &syncBuffer{}
	e := auditEnforcer(t)
	ts := newTestServer(t, Options{Authenticator: e, Authorizer: e, Audit: NewAuditLog(logs)})
	ts.ok(403, "DELETE", "/threads/6f1d1e5e-0000-4000-8000-000000000002", nil, "Authorization", "Bearer "+aliceToken)
	lines := readJSONLines(t, logs.String())
	if len(lines) != 2 || lines[1]["result"] != "deny" {
		t.Fatalf("lines %v", lines)
	}
	if _, err := OpenAuditLog(""); err == nil {
		t.Error("an empty path was accepted")
	}
}

// TestOperationsDocLines: the sample lines of docs/operations.md parse and
// carry the fields the server writes.
func TestOperationsDocLines(t *testing.T) {
	b, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	var audit, request int
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, `{"time"`) {
			continue
		}
		m := readJSONLines(t, l)[0]
		keys := []string{"request_id", "identity", "method", "route", "event", "result", "status"}
		if m["msg"] == "request" {
			keys = []string{"method", "route", "status", "duration_ms", "identity", "request_id", "trace_id"}
			request++
		} else {
			audit++
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q", l, k)
			}
		}
	}
	if audit < 8 || request < 1 {
		t.Errorf("%d audit and %d request sample lines", audit, request)
	}
}
