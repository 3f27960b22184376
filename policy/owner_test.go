package policy

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/authz"
)

func user(id string, perms ...string) *auth.User {
	if perms == nil {
		perms = []string{}
	}
	return &auth.User{Identity: id, DisplayName: id, Permissions: perms}
}

// decide runs the handler a registered for v's event, as authz does.
func decide(t *testing.T, a *auth.Auth, u *auth.User, v auth.Value) (auth.Result, error) {
	t.Helper()
	r, act := v.Event()
	h, _ := a.Handler(r, act)
	if h == nil {
		return auth.Allow(), nil
	}
	return h(context.Background(), &auth.Context{User: u, Permissions: u.Permissions, Resource: r, Action: act}, v)
}

// sees reports whether result r lets its caller see a document with
// metadata doc, through the same Parse and Match the server uses.
func sees(t *testing.T, r auth.Result, doc map[string]any) bool {
	t.Helper()
	if r.Denied() {
		return false
	}
	f, err := filter.Parse(r.FilterMap())
	if err != nil {
		t.Fatalf("invalid filter %v: %v", r.FilterMap(), err)
	}
	return f.Match(doc)
}

func ownerAuth(t *testing.T, opts OwnerOptions) *auth.Auth {
	t.Helper()
	a := auth.New()
	if err := InstallOwner(a, opts); err != nil {
		t.Fatal(err)
	}
	return a
}

// nonStoreValues is one value of every threads, assistants and crons event.
func nonStoreValues() []auth.Value {
	return []auth.Value{
		&auth.ThreadsCreate{ThreadID: "t"}, &auth.ThreadsRead{ThreadID: "t"},
		&auth.ThreadsUpdate{ThreadID: "t"}, &auth.ThreadsDelete{ThreadID: "t"},
		&auth.ThreadsSearch{}, &auth.RunsCreate{ThreadID: "t"},
		&auth.AssistantsCreate{AssistantID: "a"}, &auth.AssistantsRead{AssistantID: "a"},
		&auth.AssistantsUpdate{AssistantID: "a"}, &auth.AssistantsDelete{AssistantID: "a"},
		&auth.AssistantsSearch{},
		&auth.CronsCreate{CronID: "c"}, &auth.CronsRead{CronID: "c"}, &auth.CronsUpdate{CronID: "c"},
		&auth.CronsDelete{CronID: "c"}, &auth.CronsSearch{},
	}
}

func TestOwnerIsolatesUsers(t *testing.T) {
	a := ownerAuth(t, OwnerOptions{})
	alice, bob := user("alice"), user("bob")

	// Alice creates a thread; the stamped metadata is what gets stored.
	v := &auth.ThreadsCreate{ThreadID: "t1", Metadata: map[string]any{"topic": "x"}}
	if _, err := decide(t, a, alice, v); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"topic": "x", "owner": "alice"}
	if !reflect.DeepEqual(v.Metadata, want) {
		t.Fatalf("stored metadata = %v, want %v", v.Metadata, want)
	}
	alicesDoc := v.Metadata
	bobsDoc := map[string]any{"owner": "bob"}
	unowned := map[string]any{"topic": "x"}

	for _, val := range nonStoreValues() {
		r, act := val.Event()
		t.Run(r+":"+act, func(t *testing.T) {
			res, err := decide(t, a, bob, val)
			if err != nil {
				t.Fatal(err)
			}
			if res.FilterMap() == nil {
				t.Fatal("no filter: bob would see everything")
			}
			if sees(t, res, alicesDoc) {
				t.Errorf("bob's filter %v matches alice's %v", res.FilterMap(), alicesDoc)
			}
			if !sees(t, res, bobsDoc) {
				t.Errorf("bob's filter %v misses bob's own %v", res.FilterMap(), bobsDoc)
			}
			if sees(t, res, unowned) {
				t.Errorf("bob's filter %v matches an unowned document", res.FilterMap())
			}
		})
	}
}

func TestOwnerStampsWritesOnly(t *testing.T) {
	a := ownerAuth(t, OwnerOptions{})
	for _, val := range nonStoreValues() {
		r, act := val.Event()
		if _, err := decide(t, a, user("alice"), val); err != nil {
			t.Fatal(err)
		}
		md := auth.Metadata(val)
		switch act {
		case auth.Create, auth.Update, auth.CreateRun:
			if md["owner"] != "alice" {
				t.Errorf("%s:%s: metadata %v, want owner alice", r, act, md)
			}
		default:
			// Searches carry metadata too (a containment filter): leave it.
			if len(md) != 0 {
				t.Errorf("%s:%s: metadata changed to %v", r, act, md)
			}
		}
	}
}

func TestOwnerPatchCannotChangeOwner(t *testing.T) {
	a := ownerAuth(t, OwnerOptions{})
	for _, v := range []auth.Value{
		&auth.ThreadsUpdate{ThreadID: "t", Metadata: map[string]any{"owner": "bob", "k": 1}},
		&auth.AssistantsUpdate{AssistantID: "a", Metadata: map[string]any{"owner": "bob", "k": 1}},
		&auth.CronsUpdate{CronID: "c", Metadata: map[string]any{"owner": "bob", "k": 1}},
		&auth.ThreadsCreate{ThreadID: "t", Metadata: map[string]any{"owner": "bob", "k": 1}},
		&auth.RunsCreate{ThreadID: "t", Metadata: map[string]any{"owner": "bob", "k": 1}},
	} {
		res, err := decide(t, a, user("alice"), v)
		if err != nil {
			t.Fatal(err)
		}
		md := auth.Metadata(v)
		if md["owner"] != "alice" || md["k"] != 1 {
			t.Errorf("%T: metadata %v, want owner alice and k kept", v, md)
		}
		// The update applies only to alice's own resources.
		if sees(t, res, map[string]any{"owner": "bob"}) {
			t.Errorf("%T: alice may update bob's resource (filter %v)", v, res.FilterMap())
		}
	}
}

func TestOwnerSystemAssistants(t *testing.T) {
	system := map[string]any{"created_by": "system"}
	for _, tc := range []struct {
		opts          OwnerOptions
		read, changes bool
	}{
		{OwnerOptions{}, true, false},
		{OwnerOptions{HideSystemAssistants: true}, false, false},
	} {
		a := ownerAuth(t, tc.opts)
		for _, v := range []auth.Value{&auth.AssistantsRead{AssistantID: "a"}, &auth.AssistantsSearch{}} {
			res, _ := decide(t, a, user("bob"), v)
			if got := sees(t, res, system); got != tc.read {
				t.Errorf("%+v %T: sees system assistant = %v, want %v", tc.opts, v, got, tc.read)
			}
			if sees(t, res, map[string]any{"created_by": "alice", "owner": "alice"}) {
				t.Errorf("%T: bob sees alice's assistant", v)
			}
		}
		for _, v := range []auth.Value{&auth.AssistantsUpdate{AssistantID: "a"}, &auth.AssistantsDelete{AssistantID: "a"}} {
			res, _ := decide(t, a, user("bob"), v)
			if sees(t, res, system) {
				t.Errorf("%T: bob may change a system assistant (filter %v)", v, res.FilterMap())
			}
		}
	}
}

func TestOwnerRefusesSystemSpoofing(t *testing.T) {
	a := ownerAuth(t, OwnerOptions{})
	for _, v := range []auth.Value{
		&auth.AssistantsCreate{Metadata: map[string]any{"created_by": "system"}},
		&auth.AssistantsUpdate{Metadata: map[string]any{"created_by": "system"}},
	} {
		_, err := decide(t, a, user("mallory"), v)
		var he *auth.HTTPError
		if !errors.As(err, &he) || he.Status != 403 {
			t.Errorf("%T with created_by system: %v, want 403", v, err)
		}
	}
	v := &auth.AssistantsCreate{Metadata: map[string]any{"created_by": "mallory"}}
	if _, err := decide(t, a, user("mallory"), v); err != nil {
		t.Errorf("another created_by: %v", err)
	}
}

func TestOwnerStoreNamespaces(t *testing.T) {
	a := ownerAuth(t, OwnerOptions{})
	ns := func(v auth.Value) []string {
		switch x := v.(type) {
		case *auth.StorePut:
			return x.Namespace
		case *auth.StoreGet:
			return x.Namespace
		case *auth.StoreDelete:
			return x.Namespace
		case *auth.StoreSearch:
			return x.Namespace
		case *auth.StoreListNamespaces:
			return x.Namespace
		}
		t.Fatalf("not a store value: %T", v)
		return nil
	}
	for _, tc := range []struct {
		who  string
		v    auth.Value
		want []string
	}{
		{"alice", &auth.StorePut{Namespace: []string{"notes"}, Key: "k", Value: map[string]any{}}, []string{"alice", "notes"}},
		{"alice", &auth.StorePut{Namespace: []string{"alice", "notes"}, Key: "k"}, []string{"alice", "notes"}},
		{"bob", &auth.StorePut{Namespace: []string{"alice", "notes"}, Key: "k"}, []string{"bob", "alice", "notes"}},
		{"alice", &auth.StorePut{Key: "k"}, []string{"alice"}},
		{"alice", &auth.StoreGet{Namespace: []string{"notes"}, Key: "k"}, []string{"alice", "notes"}},
		{"bob", &auth.StoreGet{Namespace: []string{"alice", "notes"}, Key: "k"}, []string{"bob", "alice", "notes"}},
		{"alice", &auth.StoreDelete{Namespace: []string{"notes"}, Key: "k"}, []string{"alice", "notes"}},
		{"bob", &auth.StoreDelete{Namespace: []string{"alice"}, Key: "k"}, []string{"bob", "alice"}},
		{"alice", &auth.StoreSearch{}, []string{"alice"}},
		{"alice", &auth.StoreSearch{Namespace: []string{"notes"}}, []string{"alice", "notes"}},
		{"bob", &auth.StoreSearch{Namespace: []string{"alice"}}, []string{"bob", "alice"}},
		{"alice", &auth.StoreListNamespaces{}, []string{"alice"}},
		{"bob", &auth.StoreListNamespaces{Namespace: []string{"alice"}}, []string{"bob", "alice"}},
		{"a.b@x.com", &auth.StorePut{Namespace: []string{"n"}, Key: "k"}, []string{"a%2Eb@x%2Ecom", "n"}},
	} {
		res, err := decide(t, a, user(tc.who), tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if res.Denied() || res.FilterMap() != nil {
			t.Errorf("%T: result %+v, want a plain allow", tc.v, res)
		}
		if got := ns(tc.v); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %T: namespace %q, want %q", tc.who, tc.v, got, tc.want)
		}
	}

	// max_depth counts the labels the client wrote.
	v := &auth.StoreListNamespaces{MaxDepth: 1}
	decide(t, a, user("alice"), v)
	if v.MaxDepth != 2 {
		t.Errorf("max_depth with the label added = %d, want 2", v.MaxDepth)
	}
	v = &auth.StoreListNamespaces{Namespace: []string{"alice"}, MaxDepth: 1}
	decide(t, a, user("alice"), v)
	if v.MaxDepth != 1 {
		t.Errorf("max_depth with the label already there = %d, want 1", v.MaxDepth)
	}
}

func TestOwnerLabel(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"alice", "a.b", "a%2Eb", "a%b", "a%252Eb", ".", "%", "user@example.com"} {
		l := OwnerLabel(id)
		if strings.Contains(l, ".") || l == "" {
			t.Errorf("OwnerLabel(%q) = %q is not a namespace label", id, l)
		}
		if prev, dup := seen[l]; dup {
			t.Errorf("OwnerLabel(%q) = OwnerLabel(%q) = %q", id, prev, l)
		}
		seen[l] = id
	}
	if OwnerLabel("alice") != "alice" {
		t.Error("plain identities must be their own label")
	}
}

func TestOwnerStudio(t *testing.T) {
	studio := auth.StudioUser()
	v := &auth.ThreadsCreate{ThreadID: "t"}
	res, err := decideStudio(t, ownerAuth(t, OwnerOptions{StudioSeesAll: true}), studio, v)
	if err != nil || res.Denied() || res.FilterMap() != nil || v.Metadata != nil {
		t.Errorf("studio with StudioSeesAll: %+v, %v, metadata %v; want a plain allow, untouched", res, err, v.Metadata)
	}
	s := &auth.StoreGet{Namespace: []string{"x"}, Key: "k"}
	decideStudio(t, ownerAuth(t, OwnerOptions{StudioSeesAll: true}), studio, s)
	if !reflect.DeepEqual(s.Namespace, []string{"x"}) {
		t.Errorf("studio namespace rewritten to %q", s.Namespace)
	}

	// By default the Studio user is a user like the others.
	v = &auth.ThreadsCreate{ThreadID: "t"}
	res, _ = decideStudio(t, ownerAuth(t, OwnerOptions{}), studio, v)
	if v.Metadata["owner"] != auth.StudioIdentity || sees(t, res, map[string]any{"owner": "alice"}) {
		t.Errorf("studio without StudioSeesAll: metadata %v filter %v", v.Metadata, res.FilterMap())
	}

	// Only Context.Studio counts: the Studio user's identity and kind
	// without it are an ordinary, filtered user.
	v = &auth.ThreadsCreate{ThreadID: "t"}
	res, _ = decide(t, ownerAuth(t, OwnerOptions{StudioSeesAll: true}), studio, v)
	if v.Metadata["owner"] != auth.StudioIdentity || sees(t, res, map[string]any{"owner": "alice"}) {
		t.Errorf("identity and kind without Context.Studio: metadata %v filter %v", v.Metadata, res.FilterMap())
	}
}

// decideStudio is decide for a request admitted as Studio.
func decideStudio(t *testing.T, a *auth.Auth, u *auth.User, v auth.Value) (auth.Result, error) {
	t.Helper()
	r, act := v.Event()
	h, _ := a.Handler(r, act)
	return h(context.Background(), &auth.Context{User: u, Permissions: u.Permissions, Resource: r, Action: act, Studio: true}, v)
}

// studio_sees_all through the real enforcer: the Studio header sees
// alice's thread; users posing as Studio get 401 and see nothing.
func TestOwnerStudioSeesAllOnlyByAdmission(t *testing.T) {
	a := auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		switch r.BearerToken() {
		case "ta":
			return &auth.User{Identity: "alice"}, nil
		case "forged-identity":
			return auth.StudioUser(), nil
		case "forged-kind":
			return &auth.User{Identity: "mallory", Extra: map[string]any{"kind": "StudioUser"}}, nil
		}
		return nil, auth.Unauthorized("Invalid token")
	})
	if err := InstallOwner(a, OwnerOptions{StudioSeesAll: true}); err != nil {
		t.Fatal(err)
	}
	e, err := authz.New(a, authz.Options{StudioAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	login := func(hdr ...string) (context.Context, error) {
		r := httptest.NewRequest("GET", "/threads", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return e.Authenticate(r)
	}
	alice, err := login("Authorization", "Bearer ta")
	if err != nil {
		t.Fatal(err)
	}
	create := &auth.ThreadsCreate{ThreadID: "t1", Metadata: map[string]any{}}
	if _, err := e.Authorize(alice, create); err != nil {
		t.Fatal(err)
	}
	studio, err := login("X-Auth-Scheme", "langsmith")
	if err != nil {
		t.Fatal(err)
	}
	if scope, err := e.Authorize(studio, &auth.ThreadsRead{ThreadID: "t1"}); err != nil || !scope.Match(create.Metadata) {
		t.Errorf("studio header does not see alice's thread: %v", err)
	}
	for _, tok := range []string{"forged-identity", "forged-kind"} {
		var he *auth.HTTPError
		if _, err := login("Authorization", "Bearer "+tok); !errors.As(err, &he) || he.Status != 401 {
			t.Errorf("%s: %v, want 401", tok, err)
		}
	}
}

func TestOwnerCustomKey(t *testing.T) {
	a := ownerAuth(t, OwnerOptions{Key: "user_id"})
	v := &auth.ThreadsCreate{ThreadID: "t"}
	res, _ := decide(t, a, user("alice"), v)
	if v.Metadata["user_id"] != "alice" || v.Metadata["owner"] != nil {
		t.Errorf("metadata %v, want user_id stamped", v.Metadata)
	}
	if !reflect.DeepEqual(res.FilterMap(), map[string]any{"user_id": "alice"}) {
		t.Errorf("filter %v", res.FilterMap())
	}
	if err := InstallOwner(auth.New(), OwnerOptions{Key: "$or"}); err == nil {
		t.Error(`key "$or" accepted`)
	}
}

func TestOwnerNoIdentity(t *testing.T) {
	h, _ := OwnerHandler(OwnerOptions{})
	if _, err := h(context.Background(), &auth.Context{}, &auth.ThreadsRead{}); err == nil {
		t.Error("a call without a user was decided")
	}
}

func TestInstallOwnerRefusesOverlap(t *testing.T) {
	noop := func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil }
	a := auth.New().On("threads:create", noop)
	err := InstallOwner(a, OwnerOptions{})
	if err == nil || !strings.Contains(err.Error(), `"threads:create"`) {
		t.Fatalf("InstallOwner over a threads:create handler: %v", err)
	}
	if h, p := a.Handler(auth.Threads, auth.Read); h != nil {
		t.Errorf("a failed install registered %q", p)
	}
	a = ownerAuth(t, OwnerOptions{})
	if err := InstallOwner(a, OwnerOptions{}); err == nil {
		t.Error("a second InstallOwner was accepted")
	}
}

// The preset through the real enforcer: alice's thread is invisible to bob.
func TestOwnerThroughEnforcer(t *testing.T) {
	tokens := map[string]string{"ta": "alice", "tb": "bob"}
	a := auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		id, ok := tokens[r.BearerToken()]
		if !ok {
			return nil, auth.Unauthorized("Invalid token")
		}
		return &auth.User{Identity: id}, nil
	})
	if err := InstallOwner(a, OwnerOptions{}); err != nil {
		t.Fatal(err)
	}
	e, err := authz.New(a, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	as := func(tok string) context.Context {
		r := httptest.NewRequest("GET", "/threads", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		ctx, err := e.Authenticate(r)
		if err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	create := &auth.ThreadsCreate{ThreadID: "t1", Metadata: map[string]any{}}
	if _, err := e.Authorize(as("ta"), create); err != nil {
		t.Fatal(err)
	}
	aliceThread := create.Metadata
	for tok, want := range map[string]bool{"ta": true, "tb": false} {
		scope, err := e.Authorize(as(tok), &auth.ThreadsRead{ThreadID: "t1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := scope.Match(aliceThread); got != want {
			t.Errorf("%s reads alice's thread: %v, want %v", tokens[tok], got, want)
		}
	}
	put := &auth.StorePut{Namespace: []string{"alice"}, Key: "k", Value: map[string]any{}}
	if _, err := e.Authorize(as("tb"), put); err != nil {
		t.Fatal(err)
	}
	if put.Namespace[0] != "bob" {
		t.Errorf("bob writes to %q", put.Namespace)
	}
	var he *auth.HTTPError
	if _, err := e.Authenticate(httptest.NewRequest("GET", "/threads", nil)); !errors.As(err, &he) {
		t.Errorf("no token: %v", err)
	}
}

// On threads and crons the preset does what the tutorial's part 2 global
// handler does: the same owner stamped and the same filter.
func TestOwnerMatchesTutorialPart2(t *testing.T) {
	tutorial := func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		auth.SetMetadata(v, "owner", c.User.Identity)
		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
	}
	a := ownerAuth(t, OwnerOptions{})
	for _, mk := range []func() auth.Value{
		func() auth.Value { return &auth.ThreadsCreate{Metadata: map[string]any{"k": 1}} },
		func() auth.Value { return &auth.ThreadsRead{} },
		func() auth.Value { return &auth.ThreadsUpdate{Metadata: map[string]any{"owner": "x"}} },
		func() auth.Value { return &auth.ThreadsDelete{} },
		func() auth.Value { return &auth.RunsCreate{} },
		func() auth.Value { return &auth.CronsCreate{} },
		func() auth.Value { return &auth.CronsUpdate{} },
		func() auth.Value { return &auth.CronsSearch{} },
	} {
		want, got := mk(), mk()
		wres, _ := tutorial(context.Background(), &auth.Context{User: user("alice")}, want)
		gres, err := decide(t, a, user("alice"), got)
		if err != nil {
			t.Fatal(err)
		}
		if gres.Denied() != wres.Denied() || !reflect.DeepEqual(gres.FilterMap(), wres.FilterMap()) || !reflect.DeepEqual(got, want) {
			t.Errorf("%T: preset gives %+v and %+v, the tutorial %+v and %+v", got, gres, got, wres, want)
		}
	}
}
