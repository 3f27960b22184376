package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// validEvents are the authorization events of auth-spec §4.2.
var validEvents = map[string][]string{
	"threads":    {"create", "read", "update", "delete", "search", "create_run"},
	"assistants": {"create", "read", "update", "delete", "search"},
	"crons":      {"create", "read", "update", "delete", "search"},
	"store":      {"put", "get", "delete", "search", "list_namespaces"},
}

func TestRouteTable(t *testing.T) {
	ts := newTestServer(t, Options{})
	seen := map[string]bool{}
	for _, rt := range ts.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("%s: listed twice", key)
		}
		seen[key] = true
		if rt.Handler == nil {
			t.Errorf("%s: no handler", key)
		}
		if rt.group() == groupMeta {
			if rt.Resource != "" || rt.Action != "" || rt.Protected {
				t.Errorf("%s: meta route must have no resource/action and not be protected", key)
			}
			continue
		}
		if rt.group() == groupUI {
			// Generative UI: no tenant data, so no event; POST needs
			// credentials.
			if rt.Resource != "" || rt.Protected || rt.Authenticated != (rt.Method == "POST") {
				t.Errorf("%s: UI route must have no event, and POST only must be authenticated", key)
			}
			continue
		}
		if !rt.Protected {
			t.Errorf("%s: tenant route not protected", key)
		}
		if !slices.Contains(validEvents[rt.Resource], rt.Action) {
			t.Errorf("%s: %s:%s is not an authorization event", key, rt.Resource, rt.Action)
		}
	}
}

// TestMuxServesTheTable: every table entry is what the mux picks for its
// own method and path.
func TestMuxServesTheTable(t *testing.T) {
	ts := newTestServer(t, Options{})
	for _, rt := range ts.srv.Routes() {
		path, _ := fixture(rt, "00000000-0000-0000-0000-000000000001", "agent")
		req, err := http.NewRequest(rt.Method, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, p := ts.srv.mux.Handler(req); p != rt.Method+" "+rt.Pattern {
			t.Errorf("%s %s: mux picks %q", rt.Method, path, p)
		}
	}
}

// TestMuxOnlyFromTable: routes reach a mux (the main one and the metrics
// one) only through the table, in routeMux. A Handle call anywhere else is
// a route the table (and so the authorization checks) would not know about.
func TestMuxOnlyFromTable(t *testing.T) {
	re := regexp.MustCompile(`\.(Handle|HandleFunc)\(`)
	for _, f := range sourceFiles(t) {
		b, _ := os.ReadFile(f)
		for _, m := range re.FindAllIndex(b, -1) {
			line := lineOf(b, m[0])
			ok := filepath.Base(f) == "server.go" &&
				(strings.Contains(line, `mux.Handle(rt.Method+" "+rt.Pattern`) || strings.Contains(line, `mux.HandleFunc("/", s.notFound(mux))`))
			if !ok {
				t.Errorf("%s: mux registration outside the route table: %s", f, strings.TrimSpace(line))
			}
		}
	}
}

// TestScopeConstructionIsConfined is THE ONE RULE: handlers never build a
// storage.Scope; only system.go (allow-all authorizer and startup
// registration) may.
func TestScopeConstructionIsConfined(t *testing.T) {
	re := regexp.MustCompile(`storage\.(System|Authorized)\(|storage\.Scope\{\s*[a-z]`)
	for _, f := range sourceFiles(t) {
		if filepath.Base(f) == "system.go" {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range re.FindAllIndex(b, -1) {
			t.Errorf("%s: builds a storage.Scope: %s", f, strings.TrimSpace(lineOf(b, m[0])))
		}
	}
}

func sourceFiles(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, "_test.go") {
			out = append(out, f)
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %v", out)
	}
	return out
}

func lineOf(b []byte, i int) string {
	s := strings.LastIndexByte(string(b[:i]), '\n') + 1
	e := strings.IndexByte(string(b[i:]), '\n')
	if e < 0 {
		return string(b[s:])
	}
	return string(b[s : i+e])
}

// recorder is an Authorizer that allows everything and records events.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	res, act := v.Event()
	r.mu.Lock()
	r.events = append(r.events, res+":"+act)
	r.mu.Unlock()
	return scopeFor(v), nil
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

// TestDocsListEveryRoute keeps docs/api.md's route list in step with the
// table.
func TestDocsListEveryRoute(t *testing.T) {
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Options{})
	for _, rt := range ts.srv.Routes() {
		ev := "— (public)"
		if rt.Authenticated {
			ev = "— (authenticated)"
		}
		if rt.Resource != "" {
			ev = rt.Resource + ":" + rt.Action
		}
		row := "| " + rt.Method + " | `" + rt.Pattern + "` | " + ev + " |"
		if !strings.Contains(string(b), row) {
			t.Errorf("docs/api.md lacks %q", row)
		}
	}
}

func TestPathParams(t *testing.T) {
	var got map[string]string
	a := AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		got = PathParams(r)
		return r.Context(), nil
	})
	ts := newTestServer(t, Options{Authenticator: a})
	ts.do("GET", "/threads/00000000-0000-0000-0000-000000000001/state/cp1", nil)
	if got["thread_id"] != "00000000-0000-0000-0000-000000000001" || got["checkpoint_id"] != "cp1" || len(got) != 2 {
		t.Fatalf("path params %v", got)
	}
}
