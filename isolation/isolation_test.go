package isolation_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/examples/auth-part2-private/security"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/policy"
	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/agentgate/agentgate/storage/postgres"
	"github.com/agentgate/agentgate/storage/sqlite"
)

type user struct{ token, identity string }

// setup is one way of configuring auth. Both stamp metadata.owner with the
// identity and keep store items under a namespace starting with it.
type setup struct {
	name string
	auth func(t *testing.T) *auth.Auth
	a, b user
	// reads are the events B is granted on A's data (the viewer shape):
	// routes raising only these may answer with A's data; every other
	// route must still refuse, and A's view must stay unchanged.
	reads []string
	// restrict, when set, is the policy B attacks under (A seeds under
	// auth, on the same store), and only lists the events it allows at
	// all: every route raising any other event must refuse B (403/404).
	restrict func(t *testing.T) *auth.Auth
	only     []string
}

var setups = []setup{
	{name: "owner-preset", auth: ownerPreset, a: user{"alice-token", "alice"}, b: user{"bob-token", "bob"}},
	{name: "part2-example", auth: func(*testing.T) *auth.Auth { return security.Auth },
		a: user{"user1-token", "user1"}, b: user{"user2-token", "user2"}},
	// threads:create is B's own (stamped bob): with the reads it makes
	// copying A's thread into one of B's allowed.
	{name: "viewer", auth: viewerPolicy, a: user{"alice-token", "alice"}, b: user{"bob-token", "bob"},
		reads: []string{"threads:read", "threads:search", "threads:create"}},
	{name: "deny-all-but-search", auth: ownerPreset, a: user{"alice-token", "alice"}, b: user{"bob-token", "bob"},
		restrict: onlyOwner("threads:search", "assistants:search", "crons:search"),
		only:     []string{"threads:search", "assistants:search", "crons:search"}},
	{name: "store-only", auth: ownerPreset, a: user{"alice-token", "alice"}, b: user{"bob-token", "bob"},
		restrict: onlyOwner("store"),
		only:     []string{"store:put", "store:get", "store:delete", "store:search", "store:list_namespaces"}},
}

// tokenAuth authenticates alice and bob by bearer token, with no handlers.
func tokenAuth() *auth.Auth { return tokenAuthWith(nil) }

// tokenAuthWith is tokenAuth with permissions per identity.
func tokenAuthWith(perms map[string][]string) *auth.Auth {
	users := map[string]string{"alice-token": "alice", "bob-token": "bob"}
	return auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		id, ok := users[r.BearerToken()]
		if !ok {
			return nil, auth.Unauthorized("Invalid token")
		}
		return &auth.User{Identity: id, Permissions: perms[id]}, nil
	})
}

// onlyOwner is a policy that denies every event except those the patterns
// name ("threads:search", or a resource such as "store"), which the owner
// preset's handler decides.
func onlyOwner(patterns ...string) func(t *testing.T) *auth.Auth {
	return func(t *testing.T) *auth.Auth {
		owner := ownerPreset(t)
		a := tokenAuth()
		a.On("*", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) {
			return auth.Result{}, auth.Forbidden("Not allowed by this policy")
		})
		for _, p := range patterns {
			res, act, _ := strings.Cut(p, ":")
			if act == "" {
				act = "put" // any action of the resource: the owner preset's handler covers all
			}
			h, _ := owner.Handler(res, act)
			a.On(p, h)
		}
		return a
	}
}

// allowedOnly reports whether every event rt always raises is in only.
func allowedOnly(rt server.Route, only []string) bool {
	for _, ev := range rt.Events() {
		if ev.When == "" && !slices.Contains(only, ev.String()) {
			return false
		}
	}
	return true
}

// viewerPolicy is the "viewer" grant, configured without code as in
// langgraph.json: the owner preset, plus grants that let callers with the
// "viewer" permission (bob) read and search every thread (and so its
// state, history and runs). Writing stays the owner's.
func viewerPolicy(t *testing.T) *auth.Auth {
	a := tokenAuthWith(map[string][]string{"bob": {"viewer"}})
	c, err := policy.ParseConfig([]byte(`{"policy": "owner", "grants": {
		"threads:read": "\"viewer\" in permissions", "threads:search": "\"viewer\" in permissions"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Install(a); err != nil {
		t.Fatal(err)
	}
	return a
}

// readOnly reports whether every event rt always raises is one of reads.
func readOnly(rt server.Route, reads []string) bool {
	if len(reads) == 0 {
		return false
	}
	for _, ev := range rt.Events() {
		if ev.When == "" && !slices.Contains(reads, ev.String()) {
			return false
		}
	}
	return true
}

// ownerPreset is policy.InstallOwner behind a bearer-token Authenticate.
func ownerPreset(t *testing.T) *auth.Auth {
	a := tokenAuth()
	if err := policy.InstallOwner(a, policy.OwnerOptions{}); err != nil {
		t.Fatal(err)
	}
	return a
}

type storeKind struct {
	name string
	open func(t *testing.T) storage.Store
}

var stores = []storeKind{
	{"memory", func(*testing.T) storage.Store { return memory.New() }},
	{"sqlite", func(t *testing.T) storage.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "agentgate.db"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}},
	{"postgres", func(t *testing.T) storage.Store {
		st, err := postgres.Open(t.Context(), testenv.FreshPostgres(t))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}},
}

// start runs the real server on a loopback port with the chatbot graph
// registered as "agent".
func start(t *testing.T, s setup, sk storeKind) (*server.Server, string) {
	return startWith(t, s, sk, func(e *authz.Enforcer) enforcer { return e })
}

// enforcer is what the server is given to authenticate and authorize.
type enforcer interface {
	server.Authenticator
	server.Authorizer
}

// startWith is start with the enforcer wrapped (the mutation check).
func startWith(t *testing.T, s setup, sk storeKind, wrap func(*authz.Enforcer) enforcer) (*server.Server, string) {
	t.Helper()
	st := sk.open(t)
	t.Cleanup(func() { _ = st.Close() })
	return startOn(t, st, s.auth(t), wrap)
}

// startOn runs a server with policy a on an open store.
func startOn(t *testing.T, st storage.Store, a *auth.Auth, wrap func(*authz.Enforcer) enforcer) (*server.Server, string) {
	t.Helper()
	e, err := authz.New(a, authz.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	enf := wrap(e)
	g, err := chatbot.New(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := server.New(ctx, server.Options{Store: st, Graphs: map[string]server.Graph{"agent": g},
		Authenticator: enf, Authorizer: enf, Logger: slog.New(slog.DiscardHandler), Version: "0.0.0-isolation",
		Metrics: server.MetricsOptions{Token: metricsToken},
		UI: map[string]server.UIBundle{"agent": {Global: "__LGUI_agent",
			Files: []server.UIFile{{Name: "entrypoint.js", Body: []byte("var __LGUI_agent;")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Servers with a run scheduler have Close (it stops the workers).
	if c, ok := any(srv).(interface{ Close() error }); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

func key(rt server.Route) string { return rt.Method + " " + rt.Pattern }

// TestEveryProtectedRouteHasAnAttack fails for a protected route without an
// isolation case, so a new route cannot ship untested. Cases for routes the
// server lacks are logged.
func TestEveryProtectedRouteHasAnAttack(t *testing.T) {
	srv, _ := start(t, setups[0], stores[0])
	have := map[string]bool{}
	for _, rt := range srv.Routes() {
		have[key(rt)] = true
		if _, ok := attacks[key(rt)]; rt.Protected && !ok {
			t.Errorf("protected route %q has no isolation case: add one to attacks (isolation/templates_test.go)", key(rt))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(attacks)) {
		if !have[k] {
			t.Logf("attack for %q unused: the server has no such route (yet)", k)
		}
	}
	for k := range destructive {
		if _, ok := attacks[k]; !ok {
			t.Errorf("destructive %q has no attack", k)
		}
	}
}

// TestIsolation: A creates one of everything; B calls every protected
// route against it; nothing of A's may reach B and A's view is unchanged.
func TestIsolation(t *testing.T) {
	for _, s := range setups {
		for _, sk := range stores {
			t.Run(s.name+"/"+sk.name, func(t *testing.T) {
				st := sk.open(t)
				t.Cleanup(func() { _ = st.Close() })
				plain := func(e *authz.Enforcer) enforcer { return e }
				srv, base := startOn(t, st, s.auth(t), plain)
				bBase := base
				if s.restrict != nil {
					_, bBase = startOn(t, st, s.restrict(t), plain)
				}
				for _, p := range attackAllOn(t, srv, base, bBase, s, ordered(srv.Routes())) {
					t.Error(p)
				}
			})
		}
	}
}

// attackAll seeds A's world, runs the attacks on routes as B against it
// and returns the problems found: bad outcomes and changes to A's view.
func attackAll(t *testing.T, srv *server.Server, base string, s setup, routes []server.Route) []string {
	return attackAllOn(t, srv, base, base, s, routes)
}

// attackAllOn is attackAll with B's requests sent to bBase (a server with
// the restricted policy on the same store).
func attackAllOn(t *testing.T, srv *server.Server, base, bBase string, s setup, routes []server.Route) []string {
	t.Helper()
	a := client{t, base, s.a.token, timeoutA}
	b := client{t, bBase, s.b.token, timeoutB}
	have := map[string]bool{}
	for _, rt := range srv.Routes() {
		have[key(rt)] = true
	}
	w := seed(t, a, have, s.a.identity)
	before := snapshot(t, a, w, have, true)
	if s.restrict != nil {
		// B may not create a thread of its own: one made as B under the
		// owner preset stands in.
		w.bThreadID = ownThread(t, client{t, base, s.b.token, timeoutB})
	} else {
		w.bThreadID = ownThread(t, b)
	}
	var problems []string
	granted := 0 // granted reads that showed A's data
	for _, rt := range routes {
		if !rt.Protected {
			continue
		}
		cases, ok := attacks[key(rt)]
		if !ok {
			problems = append(problems, key(rt)+": no isolation case")
			continue
		}
		for _, at := range cases {
			tmpl := cmp.Or(at.path, rt.Pattern)
			path := w.fill(tmpl)
			if at.query != "" {
				path += "?" + w.fill(at.query)
			}
			r := b.do(rt.Method, path, w.fill(at.body), at.header...)
			t.Logf("B: %s %s -> %d", rt.Method, path, r.status)
			if s.restrict != nil && !allowedOnly(rt, s.only) && r.status != 403 && r.status != 404 &&
				!(at.rpcError && r.status == 200 && rpcRefused(r.body)) {
				problems = append(problems, fmt.Sprintf("B: %s %s -> %d %s\n  the policy allows only %v",
					rt.Method, path, r.status, clip(r.body), s.only))
				continue
			}
			if readOnly(rt, s.reads) {
				// Granted: A's data may show; B must be authenticated and
				// served, and A's view is checked below.
				if r.status/100 == 2 && strings.Contains(string(r.body), w.marker) {
					granted++
				}
				if r.status == 401 || r.status >= 500 {
					problems = append(problems, fmt.Sprintf("B (granted %v): %s %s -> %d %s", s.reads, rt.Method, path, r.status, clip(r.body)))
				}
				continue
			}
			if problem := judge(tmpl, at, r, w); problem != "" {
				problems = append(problems, fmt.Sprintf("B: %s %s %s\n  -> %d %s\n  %s",
					rt.Method, path, w.fill(at.body), r.status, clip(r.body), problem))
			}
		}
	}
	if len(s.reads) > 0 && len(routes) > 1 && granted == 0 {
		problems = append(problems, fmt.Sprintf("the grant of %v showed B none of A's data: the shape tests nothing", s.reads))
	}
	if len(s.reads) == 0 {
		// With a read grant B's own views may hold A's data (a copy).
		problems = append(problems, ownView(b, w, have)...)
	}
	after := snapshot(t, a, w, have, false)
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if len(s.reads) > 0 && strings.HasPrefix(k, "POST /threads/") && (strings.Contains(k, "/search") || strings.Contains(k, "/count")) {
			continue // with a search grant A's thread list shows B's threads too
		}
		if before[k] != after[k] {
			problems = append(problems, fmt.Sprintf("A's view changed after B's requests: %s\n  before: %s\n  after:  %s", k, before[k], after[k]))
		}
	}
	return problems
}

// ordered returns routes in the order B calls them: reads first (so that
// no write of B's can hide what a read would leak), then writes, then the
// destructive routes.
func ordered(routes []server.Route) []server.Route {
	rank := func(rt server.Route) int {
		switch {
		case destructive[key(rt)]:
			return 2
		case slices.Contains([]string{"read", "search", "get", "list_namespaces"}, rt.Action):
			return 0
		}
		return 1
	}
	out := slices.Clone(routes)
	slices.SortStableFunc(out, func(x, y server.Route) int { return rank(x) - rank(y) })
	return out
}

// judge returns "" when B's response (headers and body) is an allowed
// outcome, else what is wrong with it.
func judge(pattern string, at attack, r response, w *world) string {
	seen := []byte(fmt.Sprint(r.header))
	seen = append(seen, r.body...)
	if at.echoes != "" { // B's own words quoted back are not A's data
		seen = []byte(strings.ReplaceAll(string(seen), w.fill(at.echoes), ""))
	}
	if strings.Contains(string(seen), w.marker) {
		return "LEAK: the response carries A's data (" + w.marker + ")"
	}
	switch {
	case r.status == 401:
		return "401, but B is authenticated"
	case r.status == 403 || r.status == 404:
		return ""
	case r.status == 409 && at.conflict:
		return ""
	case r.status/100 != 2:
		return "unexpected status (want 404, 403, 409 where the spec says so, or a 2xx without A's data)"
	case at.sseError && sse404(r.body):
		return ""
	case at.rpcError && r.status == 200 && rpcRefused(r.body):
		return ""
	}
	if id := w.idIn(seen); id != "" {
		return "LEAK: the response carries A's id " + id
	}
	switch {
	case r.timedOut:
		return "the response did not end (a stream B should not have)"
	case namesA(pattern) || at.refuse:
		return "2xx on A's resource"
	case at.empty != "" && strings.TrimSpace(string(r.body)) != at.empty:
		return "the answer is not " + at.empty
	}
	return ""
}

// namesA reports whether a path template names one of A's resources.
func namesA(path string) bool {
	for _, p := range []string{"{thread_id}", "{assistant_id}", "{checkpoint_id}", "{run_id}", "{cron_id}", "{stateless_run_id}"} {
		if strings.Contains(path, p) {
			return true
		}
	}
	return false
}

// sse404 reports whether body is an event stream whose only events are
// errors saying 404 / not found (heartbeat comments aside).
func sse404(body []byte) bool {
	events := 0
	for _, line := range strings.Split(string(body), "\n") {
		name, ok := strings.CutPrefix(line, "event:")
		if !ok {
			continue
		}
		if strings.TrimSpace(name) != "error" {
			return false
		}
		events++
	}
	s := strings.ToLower(string(body))
	return events > 0 && (strings.Contains(s, "404") || strings.Contains(s, "not found"))
}

// rpcRefused reports whether body holds only JSON-RPC error responses (one
// JSON object, or the data lines of an SSE stream) that refuse as the
// plain API would: task not found (-32001), a parameter not found (-32602
// saying so) or denied (-32000). Other errors (invalid requests) fail.
func rpcRefused(body []byte) bool {
	docs := []string{strings.TrimSpace(string(body))}
	if !strings.HasPrefix(docs[0], "{") {
		docs = nil
		for _, line := range strings.Split(string(body), "\n") {
			if d, ok := strings.CutPrefix(line, "data:"); ok {
				docs = append(docs, strings.TrimSpace(d))
			}
		}
	}
	for _, d := range docs {
		var resp struct {
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(d), &resp) != nil || resp.Result != nil || resp.Error == nil {
			return false
		}
		switch c := resp.Error.Code; {
		case c == -32001 || c == -32000:
		case c == -32602 && (strings.Contains(strings.ToLower(d), "not found") || strings.Contains(d, "unknown tool")):
		default:
			return false
		}
	}
	return len(docs) > 0
}

// metaRoutes are the only routes that need no tenant token (auth-spec
// §15.4). The attacks skip them, so any other unprotected route fails
// TestUnauthenticated. GET /metrics needs the operator's metrics token.
const metricsToken = "metrics-operator-token"

var metaRoutes = []string{"GET /ok", "GET /info", "GET /openapi.json", "GET /docs", "GET /docs/scalar.js", "GET /metrics",
	"GET /ui/{name}/{file}"}

// TestUnauthenticated: every protected route answers 401 with a JSON
// {"detail": ...} body and the authenticator's WWW-Authenticate header
// without a token; meta routes need none.
func TestUnauthenticated(t *testing.T) {
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			srv, base := start(t, s, stores[0])
			a := client{t, base, s.a.token, timeoutA}
			anon := client{t, base, "", timeoutB}
			have := map[string]bool{}
			for _, rt := range srv.Routes() {
				have[key(rt)] = true
			}
			w := seed(t, a, have, s.a.identity)
			meta := map[string]bool{}
			for _, rt := range srv.Routes() {
				path := w.fill(rt.Pattern)
				if !rt.Protected && !rt.Authenticated {
					meta[key(rt)] = true
					if key(rt) == "GET /metrics" {
						if r := anon.do(rt.Method, path, ""); r.status != 401 || detail(r.body) == "" {
							t.Errorf("metrics without the metrics token: %d %s; want 401", r.status, clip(r.body))
						}
						if r := anon.do(rt.Method, path, "", "Authorization", "Bearer "+metricsToken); r.status != 200 {
							t.Errorf("metrics with the metrics token: %d %s", r.status, clip(r.body))
						}
						continue
					}
					if r := anon.do(rt.Method, path, ""); r.status/100 != 2 {
						t.Errorf("meta %s without a token: %d %s", key(rt), r.status, clip(r.body))
					}
					continue
				}
				var body string
				if cases := attacks[key(rt)]; len(cases) > 0 {
					body = w.fill(cases[0].body)
				}
				r := anon.do(rt.Method, path, body)
				if r.status != 401 || detail(r.body) == "" || r.header.Get("WWW-Authenticate") != "Bearer" ||
					!strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
					t.Errorf("%s without a token: %d %v %s; want 401, JSON {\"detail\"}, WWW-Authenticate: Bearer",
						key(rt), r.status, r.header, clip(r.body))
				}
			}
			for _, k := range metaRoutes {
				if !meta[k] {
					t.Errorf("%s is not an unauthenticated route", k)
				}
				delete(meta, k)
			}
			for k := range meta {
				t.Errorf("%s needs no token and is not attacked: protect it, or add it to metaRoutes if it serves no one's data", k)
			}
		})
	}
}

func newMarker(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "A-secret-" + hex.EncodeToString(b)
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
