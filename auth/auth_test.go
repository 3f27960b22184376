package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func named(name string) Handler {
	return func(context.Context, *Context, Value) (Result, error) {
		return Filter(map[string]any{"by": name}), nil
	}
}

func decide(t *testing.T, a *Auth, resource, action string) string {
	t.Helper()
	h, _ := a.Handler(resource, action)
	if h == nil {
		return ""
	}
	r, err := h(context.Background(), &Context{}, &ThreadsRead{})
	if err != nil {
		t.Fatal(err)
	}
	return r.FilterMap()["by"].(string)
}

func TestPrecedenceMostSpecificWins(t *testing.T) {
	a := New().
		On("*", named("global")).
		On("*:read", named("any-read")).
		On("threads", named("threads")).
		On("threads:create", named("threads-create"))
	cases := []struct{ resource, action, want string }{
		{Threads, Create, "threads-create"},
		{Threads, Read, "threads"},
		{Assistants, Read, "any-read"},
		{Assistants, Create, "global"},
		{Store, Put, "global"},
	}
	for _, c := range cases {
		if got := decide(t, a, c.resource, c.action); got != c.want {
			t.Errorf("%s:%s decided by %q, want %q", c.resource, c.action, got, c.want)
		}
	}
	if h, p := New().Handler(Threads, Read); h != nil || p != "" {
		t.Errorf("empty Auth has handler %q", p)
	}
	if _, p := a.Handler(Threads, Search); p != "threads" {
		t.Errorf("pattern = %q", p)
	}
}

func TestRegistrationErrors(t *testing.T) {
	ok := func(context.Context, *Context, Value) (Result, error) { return Allow(), nil }
	authn := func(context.Context, *Request) (*User, error) { return &User{Identity: "x"}, nil }
	cases := map[string]struct {
		a    *Auth
		want string
	}{
		"no authenticate":       {New().On("*", ok), "no Authenticate"},
		"authenticate twice":    {New().Authenticate(authn).Authenticate(authn), "already set"},
		"duplicate event":       {New().Authenticate(authn).On("threads", ok).On("threads:*", ok), "already registered"},
		"duplicate global":      {New().Authenticate(authn).On("*", ok).On("*:*", ok), "already registered"},
		"unknown resource":      {New().Authenticate(authn).On("runs", ok), "unknown resource"},
		"unknown action":        {New().Authenticate(authn).On("threads:put", ok), "unknown action"},
		"store has no read":     {New().Authenticate(authn).On("store:read", ok), "unknown action"},
		"wildcard bogus action": {New().Authenticate(authn).On("*:fly", ok), "unknown action"},
		"nil handler":           {New().Authenticate(authn).On("*", nil), "nil handler"},
		"typed mismatch": {On(New().Authenticate(authn), "threads:read",
			func(context.Context, *Context, *ThreadsCreate) (Result, error) { return Allow(), nil }), "takes *auth.ThreadsCreate"},
	}
	for name, c := range cases {
		err := c.a.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want error containing %q", name, err, c.want)
		}
	}
	good := New().Authenticate(authn).On("store:list_namespaces", ok).On("*:create_run", ok)
	On(good, "threads:create", func(_ context.Context, _ *Context, v *ThreadsCreate) (Result, error) { return Allow(), nil })
	On(good, "assistants", func(_ context.Context, _ *Context, v Value) (Result, error) { return Allow(), nil })
	if err := good.Validate(); err != nil {
		t.Fatalf("valid Auth: %v", err)
	}
}

func TestTypedHandlerMutatesValue(t *testing.T) {
	a := On(New(), "threads:create", func(_ context.Context, c *Context, v *ThreadsCreate) (Result, error) {
		SetMetadata(v, "owner", c.User.Identity)
		return Filter(map[string]any{"owner": c.User.Identity}), nil
	})
	h, _ := a.Handler(Threads, Create)
	v := &ThreadsCreate{ThreadID: "t1"}
	r, err := h(context.Background(), &Context{User: &User{Identity: "alice"}}, v)
	if err != nil || r.Denied() {
		t.Fatalf("r=%v err=%v", r, err)
	}
	if diff := cmp.Diff(map[string]any{"owner": "alice"}, v.Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if !cmp.Equal(map[string]any{"owner": "alice"}, r.FilterMap()) {
		t.Errorf("filter = %v", r.FilterMap())
	}
	if SetMetadata(&ThreadsRead{}, "owner", "x") {
		t.Error("SetMetadata on a read value reported success")
	}
}

func TestResults(t *testing.T) {
	if Allow().Denied() || Allow().FilterMap() != nil {
		t.Error("Allow")
	}
	if !Deny().Denied() {
		t.Error("Deny")
	}
	if f := Filter(nil).FilterMap(); f == nil || len(f) != 0 {
		t.Errorf("Filter(nil) = %v, want empty non-nil", f)
	}
}

func TestEveryValueNamesItsEvent(t *testing.T) {
	values := []Value{&ThreadsCreate{}, &ThreadsRead{}, &ThreadsUpdate{}, &ThreadsDelete{}, &ThreadsSearch{}, &RunsCreate{},
		&AssistantsCreate{}, &AssistantsRead{}, &AssistantsUpdate{}, &AssistantsDelete{}, &AssistantsSearch{},
		&CronsCreate{}, &CronsRead{}, &CronsUpdate{}, &CronsDelete{}, &CronsSearch{},
		&StorePut{}, &StoreGet{}, &StoreDelete{}, &StoreSearch{}, &StoreListNamespaces{}}
	seen := map[[2]string]bool{}
	for _, v := range values {
		r, a := v.Event()
		seen[[2]string{r, a}] = true
	}
	for _, e := range Events() {
		if !seen[e] {
			t.Errorf("no value type for %s:%s", e[0], e[1])
		}
	}
	if len(seen) != len(Events()) {
		t.Errorf("%d value types for %d events", len(seen), len(Events()))
	}
}

func TestUserNormalizeAndJSON(t *testing.T) {
	u := &User{Identity: "u1", Extra: map[string]any{"email": "a@b.c", "identity": "spoof"}}
	if err := u.Normalize(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"identity": "u1", "display_name": "u1", "is_authenticated": true,
		"permissions": []any{}, "email": "a@b.c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
	var back User
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Identity != "u1" || !back.IsAuthenticated() || back.Extra["email"] != "a@b.c" {
		t.Errorf("round trip: %+v", back)
	}
	err = (&User{}).Normalize()
	if he, ok := err.(*HTTPError); !ok || he.Status != 500 {
		t.Errorf("empty identity: %v", err)
	}
}

func TestRequestHelpers(t *testing.T) {
	r := &Request{Headers: http.Header{"Authorization": {"bearer  tok-1 "}, "X-Api-Key": {"k"}}}
	if r.BearerToken() != "tok-1" || r.Header("x-api-key") != "k" {
		t.Errorf("bearer=%q key=%q", r.BearerToken(), r.Header("x-api-key"))
	}
	for _, h := range []string{"", "Basic abc", "Bearer"} {
		if tok := (&Request{Headers: http.Header{"Authorization": {h}}}).BearerToken(); tok != "" {
			t.Errorf("%q gave token %q", h, tok)
		}
	}
}

func TestErrorsAndStudio(t *testing.T) {
	if e := Unauthorized(""); e.Message() != "Unauthorized" || e.Headers.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("Unauthorized: %v %v", e.Message(), e.Headers)
	}
	if e := Forbidden("Not authorized"); e.Error() != "403: Not authorized" {
		t.Errorf("Forbidden: %v", e)
	}
	if e := Error(599, ""); e.Message() != "Unknown error" {
		t.Errorf("599: %q", e.Message())
	}
}

func TestClaimsStudio(t *testing.T) {
	poses := []*User{StudioUser(), {Identity: StudioIdentity},
		{Identity: "bob", Extra: map[string]any{"kind": "StudioUser"}},
		{Identity: "bob", Extra: map[string]any{"kind": "studiouser"}}}
	for _, u := range poses {
		if !ClaimsStudio(u) {
			t.Errorf("ClaimsStudio(%+v) = false", u)
		}
	}
	plain := []*User{nil, {Identity: "bob"}, {Identity: "bob", Extra: map[string]any{"kind": "admin"}},
		{Identity: "bob", Extra: map[string]any{"kind": 1}}, {Identity: "Langgraph-Studio-User"}}
	for _, u := range plain {
		if ClaimsStudio(u) {
			t.Errorf("ClaimsStudio(%+v) = true", u)
		}
	}
}

func TestStoreNamespaceHelpers(t *testing.T) {
	for _, v := range []Value{&StorePut{}, &StoreGet{}, &StoreDelete{}, &StoreSearch{}, &StoreListNamespaces{}} {
		if !SetStoreNamespace(v, []string{"alice", "notes"}) {
			t.Fatalf("%T not a store value", v)
		}
		if ns, ok := StoreNamespace(v); !ok || len(ns) != 2 || ns[0] != "alice" {
			t.Errorf("%T: namespace %v", v, ns)
		}
	}
	if _, ok := StoreNamespace(&ThreadsRead{}); ok || SetStoreNamespace(&ThreadsRead{}, nil) {
		t.Error("a thread value passed as a store value")
	}
}

func TestFilterEqIsFilter(t *testing.T) {
	r := FilterEq("owner", "alice")
	k, v, ok := r.Eq()
	if !ok || k != "owner" || v != "alice" || r.Denied() || !reflect.DeepEqual(r.FilterMap(), map[string]any{"owner": "alice"}) {
		t.Fatalf("FilterEq = %+v", r)
	}
	if _, _, ok := Filter(map[string]any{"owner": "alice"}).Eq(); ok {
		t.Fatal("Filter reports Eq")
	}
}
