package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

const viewerPolicy = `{"policy": "owner", "grants": {
	"threads:read": "\"viewer\" in permissions",
	"threads:search": "\"viewer\" in permissions"}}`

// member is a user of an org (the org_id claim), with permissions.
func member(id, org string, perms ...string) *auth.User {
	u := user(id, perms...)
	if org != "" {
		u.Extra = map[string]any{"org_id": org}
	}
	return u
}

// create runs a create event as u and returns the stored metadata.
func create(t *testing.T, a *auth.Auth, u *auth.User) map[string]any {
	t.Helper()
	v := &auth.ThreadsCreate{ThreadID: "t", Metadata: map[string]any{}}
	if res, err := decide(t, a, u, v); err != nil || res.Denied() {
		t.Fatalf("%s creates: %+v %v", u.Identity, res, err)
	}
	return v.Metadata
}

func mustDecide(t *testing.T, a *auth.Auth, u *auth.User, v auth.Value) auth.Result {
	t.Helper()
	res, err := decide(t, a, u, v)
	if err != nil {
		t.Fatalf("%s %T: %v", u.Identity, v, err)
	}
	return res
}

func TestGrantViewerViaPermissions(t *testing.T) {
	a := installConfig(t, viewerPolicy)
	alice, viewer, bob := user("alice"), user("vera", "viewer"), user("bob")
	doc := create(t, a, alice)

	for _, v := range []auth.Value{&auth.ThreadsRead{ThreadID: "t"}, &auth.ThreadsSearch{}} {
		if res := mustDecide(t, a, viewer, v); !sees(t, res, doc) || res.FilterMap() != nil {
			t.Errorf("viewer %T: %+v, want a plain allow", v, res)
		}
		if sees(t, mustDecide(t, a, bob, v), doc) {
			t.Errorf("bob %T sees alice's thread", v)
		}
	}
	// Everything else stays the owner's.
	for _, v := range []auth.Value{
		&auth.ThreadsUpdate{ThreadID: "t"}, &auth.ThreadsDelete{ThreadID: "t"},
		&auth.RunsCreate{ThreadID: "t"}, &auth.CronsCreate{ThreadID: "t"}, &auth.CronsSearch{},
	} {
		if sees(t, mustDecide(t, a, viewer, v), doc) {
			t.Errorf("viewer %T reaches alice's thread", v)
		}
	}
	// The viewer's own writes are stamped with the viewer.
	if md := create(t, a, viewer); md["owner"] != "vera" {
		t.Errorf("viewer's thread metadata %v", md)
	}
}

func TestGrantAdminViaClaim(t *testing.T) {
	a := installConfig(t, `{"policy": "owner", "grants": {"*": "user.?role.orValue(\"\") == \"admin\""}}`)
	admin := user("root")
	admin.Extra = map[string]any{"role": "admin"}
	alice := user("alice")
	for _, v := range nonStoreValues() {
		if res := mustDecide(t, a, admin, v); res.FilterMap() != nil || res.Denied() {
			t.Errorf("admin %T: %+v, want a plain allow", v, res)
		}
		if _, act := v.Event(); act != auth.Create && sees(t, mustDecide(t, a, alice, v), map[string]any{"owner": "root"}) {
			t.Errorf("alice %T reaches root's", v)
		}
	}
	// Store: no owner prefix for the admin, alice's stays.
	put := &auth.StorePut{Namespace: []string{"alice", "notes"}, Key: "k"}
	mustDecide(t, a, admin, put)
	if !reflect.DeepEqual(put.Namespace, []string{"alice", "notes"}) {
		t.Errorf("admin's namespace rewritten to %q", put.Namespace)
	}
	put = &auth.StorePut{Namespace: []string{"notes"}, Key: "k"}
	mustDecide(t, a, alice, put)
	if put.Namespace[0] != "alice" {
		t.Errorf("alice's namespace %q", put.Namespace)
	}
}

// A granted update reaches another's resource but does not take it over.
func TestGrantedUpdateKeepsOwner(t *testing.T) {
	a := installConfig(t, `{"policy": "owner", "grants": {"threads:update": "\"editor\" in permissions"}}`)
	v := &auth.ThreadsUpdate{ThreadID: "t", Metadata: map[string]any{"owner": "mallory", "k": 1}}
	res := mustDecide(t, a, user("ed", "editor"), v)
	if res.FilterMap() != nil || !reflect.DeepEqual(v.Metadata, map[string]any{"k": 1}) {
		t.Errorf("granted update: %+v, metadata %v; want no filter and the owner key dropped", res, v.Metadata)
	}
	// A granted create is still the creator's.
	a = installConfig(t, `{"policy": "owner", "grants": {"threads": "true"}}`)
	if md := create(t, a, user("ed")); md["owner"] != "ed" {
		t.Errorf("granted create metadata %v", md)
	}
}

// The most specific grant decides, as for rules.
func TestGrantPrecedence(t *testing.T) {
	a := installConfig(t, `{"policy": "owner", "grants": {"threads": "true", "threads:delete": "false", "*:search": "true"}}`)
	bobs := map[string]any{"owner": "bob"}
	for _, tc := range []struct {
		v    auth.Value
		want bool
	}{
		{&auth.ThreadsRead{}, true},
		{&auth.ThreadsUpdate{}, true},
		{&auth.ThreadsDelete{}, false},
		{&auth.ThreadsSearch{}, true},
		{&auth.CronsSearch{}, true},
		{&auth.CronsRead{}, false},
	} {
		if got := sees(t, mustDecide(t, a, user("alice"), tc.v), bobs); got != tc.want {
			t.Errorf("%T: alice sees bob's = %v, want %v", tc.v, got, tc.want)
		}
	}
}

const tenantPolicy = `{"policy": "owner", "tenant": {"claim": "org_id"}}`

func TestTenantIsolation(t *testing.T) {
	for _, raw := range []string{tenantPolicy, `{"tenant": {"claim": "org_id"}}`} {
		a := installConfig(t, raw)
		alice, ann, bob := member("alice", "acme"), member("ann", "acme"), member("bob", "globex")
		doc := create(t, a, alice)
		if doc["tenant"] != "acme" {
			t.Fatalf("%s: metadata %v, want tenant acme", raw, doc)
		}
		owner := strings.Contains(raw, "owner")
		for _, v := range nonStoreValues() {
			if _, act := v.Event(); act == auth.Create {
				continue
			}
			if sees(t, mustDecide(t, a, bob, v), doc) {
				t.Errorf("%s: bob (globex) %T sees acme's thread", raw, v)
			}
			if got := sees(t, mustDecide(t, a, ann, v), doc); got == owner {
				t.Errorf("%s: ann (acme) %T sees alice's = %v", raw, v, got)
			}
		}
		// A PATCH cannot move a thread to another tenant.
		up := &auth.ThreadsUpdate{Metadata: map[string]any{"tenant": "globex"}}
		mustDecide(t, a, alice, up)
		if up.Metadata["tenant"] != "acme" {
			t.Errorf("%s: update metadata %v", raw, up.Metadata)
		}
		// Store: the tenant label comes first, then the owner's.
		put := &auth.StorePut{Namespace: []string{"notes"}, Key: "k"}
		mustDecide(t, a, alice, put)
		want := []string{"acme", "notes"}
		if owner {
			want = []string{"acme", "alice", "notes"}
		}
		if !reflect.DeepEqual(put.Namespace, want) {
			t.Errorf("%s: namespace %q, want %q", raw, put.Namespace, want)
		}
		again := &auth.StoreGet{Namespace: want, Key: "k"}
		mustDecide(t, a, alice, again)
		if !reflect.DeepEqual(again.Namespace, want) {
			t.Errorf("%s: sending the namespace back gives %q", raw, again.Namespace)
		}
		ls := &auth.StoreListNamespaces{MaxDepth: 1}
		mustDecide(t, a, alice, ls)
		if ls.MaxDepth != 1+len(want)-1 {
			t.Errorf("%s: max_depth %d", raw, ls.MaxDepth)
		}
	}
}

func TestTenantWithViewerGrant(t *testing.T) {
	a := installConfig(t, `{"policy": "owner", "tenant": {"claim": "org_id"},
		"grants": {"threads:read": "\"viewer\" in permissions", "threads:search": "\"viewer\" in permissions"}}`)
	alice := member("alice", "acme")
	vera, victor := member("vera", "acme", "viewer"), member("victor", "globex", "viewer")
	doc := create(t, a, alice)
	for _, v := range []auth.Value{&auth.ThreadsRead{ThreadID: "t"}, &auth.ThreadsSearch{}} {
		res := mustDecide(t, a, vera, v)
		if !sees(t, res, doc) {
			t.Errorf("vera (acme viewer) %T does not see alice's thread (filter %v)", v, res.FilterMap())
		}
		if !reflect.DeepEqual(res.FilterMap(), map[string]any{"tenant": "acme"}) {
			t.Errorf("vera %T: filter %v, want the tenant part only", v, res.FilterMap())
		}
		if sees(t, mustDecide(t, a, victor, v), doc) {
			t.Errorf("victor (globex viewer) %T sees acme's thread", v)
		}
	}
	for _, v := range []auth.Value{&auth.ThreadsUpdate{ThreadID: "t"}, &auth.ThreadsDelete{ThreadID: "t"}, &auth.RunsCreate{ThreadID: "t"}} {
		if sees(t, mustDecide(t, a, vera, v), doc) {
			t.Errorf("vera %T reaches alice's thread", v)
		}
	}
	// A store grant drops the owner label, never the tenant's.
	a = installConfig(t, `{"policy": "owner", "tenant": {"claim": "org_id"}, "grants": {"store": "\"viewer\" in permissions"}}`)
	get := &auth.StoreGet{Namespace: []string{"alice", "notes"}, Key: "k"}
	mustDecide(t, a, vera, get)
	if !reflect.DeepEqual(get.Namespace, []string{"acme", "alice", "notes"}) {
		t.Errorf("vera reads %q", get.Namespace)
	}
	get = &auth.StoreGet{Namespace: []string{"acme", "alice", "notes"}, Key: "k"}
	mustDecide(t, a, victor, get)
	if get.Namespace[0] != "globex" {
		t.Errorf("victor reads %q", get.Namespace)
	}
}

func TestTenantMissingClaim(t *testing.T) {
	a := installConfig(t, tenantPolicy+"\n")
	odd := member("odd", "")
	odd.Extra = map[string]any{"org_id": 7}
	for _, u := range []*auth.User{member("nobody", ""), odd, member("empty", "")} {
		if u.Identity == "empty" {
			u.Extra = map[string]any{"org_id": ""}
		}
		for _, v := range append(nonStoreValues(), &auth.StoreGet{Key: "k"}, &auth.StoreListNamespaces{}) {
			_, err := decide(t, a, u, v)
			var he *auth.HTTPError
			if !errors.As(err, &he) || he.Status != 403 || !strings.Contains(he.Detail, `"org_id"`) {
				t.Errorf("%s %T: %v, want 403 naming the claim", u.Identity, v, err)
			}
		}
	}
}

func TestTenantSystemAssistants(t *testing.T) {
	for _, raw := range []string{tenantPolicy, `{"tenant": {"claim": "org_id", "key": "org"}}`} {
		a := installConfig(t, raw)
		bob := member("bob", "globex")
		for _, v := range []auth.Value{&auth.AssistantsRead{}, &auth.AssistantsSearch{}} {
			res := mustDecide(t, a, bob, v)
			if !sees(t, res, map[string]any{"created_by": "system"}) {
				t.Errorf("%s %T: the graphs' assistants are hidden (filter %v)", raw, v, res.FilterMap())
			}
			if sees(t, res, map[string]any{"owner": "bob", "tenant": "acme", "org": "acme"}) {
				t.Errorf("%s %T: bob sees acme's assistant", raw, v)
			}
		}
		_, err := decide(t, a, bob, &auth.AssistantsCreate{Metadata: map[string]any{"created_by": "system"}})
		var he *auth.HTTPError
		if !errors.As(err, &he) || he.Status != 403 {
			t.Errorf("%s: posing as a system assistant: %v", raw, err)
		}
	}
}

func TestGrantAndTenantConfigErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"policy": "owner", "grants": {"threads:read": "\"viewer\" in permission"}}`, `grant "threads:read":` + "\nERROR: <input>:1:13: undeclared reference to 'permission'"},
		{`{"policy": "owner", "grants": {"threads:read": "{\"a\": 1}"}}`, `grant "threads:read": must return a bool (granted or not)`},
		{`{"policy": "owner", "grants": {"threads:read": "value.metadata.x"}}`, `grant "threads:read":` + "\nERROR: <input>:1:6: value has no field \"metadata\""},
		{`{"policy": "owner", "grants": {"thread:read": "true"}}`, `grant "thread:read": "thread:read" is not an event pattern`},
		{`{"policy": "owner", "grants": {"threads": "true", "threads:*": "true"}}`, `grants "threads" and "threads:*" name the same events`},
		{`{"grants": {"threads:read": "true"}}`, `grants: grants lift the owner filter, so they need "policy": "owner"`},
		{`{"tenant": {}}`, `tenant.claim: missing`},
		{`{"tenant": {"claim": "org_id", "clam": 1}}`, `unknown field "clam"`},
		{`{"tenant": {"claim": "identity"}}`, `tenant.claim: "identity" is a standard user field`},
		{`{"tenant": {"claim": 1}}`, `tenant.claim: expected a string, got a JSON number`},
		{`{"policy": "owner", "tenant": {"claim": "org_id", "key": "owner"}}`, `tenant.key: "owner" is also the owner key`},
		{`{"tenant": {"claim": "org_id", "key": "$or"}}`, `tenant.key: "$or" is a filter operator`},
	} {
		_, err := ParseConfig([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	// A grant that returns a map at run time is an error, not a grant.
	a := installConfig(t, `{"policy": "owner", "grants": {"threads:read": "user.x"}}`)
	u := user("a")
	u.Extra = map[string]any{"x": map[string]any{"a": 1}}
	if _, err := decide(t, a, u, &auth.ThreadsRead{}); err == nil || !strings.Contains(err.Error(), `grant "threads:read" returned`) {
		t.Errorf("map-valued grant: %v", err)
	}
}
