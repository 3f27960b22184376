package policy

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, "nothing to install"},
		{`{"policy": "owner", "rule": {}}`, `unknown field "rule" (known keys: policy, owner, tenant, grants, rules, cost_limit`},
		{`{"policy": "owner", "owner": {"keys": "x"}}`, `unknown field "keys"`},
		{`{"policy": "owners"}`, `unknown policy "owners"`},
		{`{"owner": {}}`, `"owner" options need "policy": "owner"`},
		{`{"rules": {}}`, `"rules" is empty`},
		{`{"rules": {"*": 1}}`, `rules: expected a string, got a JSON number`},
		{`{"policy": true}`, `policy: expected a string, got a JSON bool`},
		{`{"policy": "owner", "owner": {"studio_sees_all": "yes"}}`, `owner.studio_sees_all: expected a boolean, got a JSON string`},
		{`{"rules": {"*": "true"}, "cost_limit": -1}`, `cost_limit: expected a non-negative integer`},
		{`{"policy": "owner"} {}`, "data after the JSON object"},
		{`{"rules": {"threads": "true", "crons": "true", "threads": "false"}}`, `rules: key "threads" appears twice`},
		{`{"policy": "owner", "policy": "owner"}`, `key "policy" appears twice`},
		{`{"policy": "owner"`, "unexpected EOF"},
		{`[]`, "cannot unmarshal array"},
		{`{"policy": "owner", "owner": {"key": "$and"}}`, "filter operator"},
		{`{"rules": {"threads": "nope"}}`, `rule "threads"`},
		// A valid filter alone, one level too deep once ANDed with the owner's $or.
		{`{"policy": "owner", "rules": {"assistants:read": "{\"$or\": [{\"$and\": [{\"a\": 1}, {\"b\": 2}]}, {\"c\": 3}]}"}}`,
			`rule "assistants:read": its filter cannot be combined with the owner filter on assistants:read`},
	} {
		_, err := ParseConfig([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	// The deep filter is fine without the owner preset.
	if _, err := ParseConfig([]byte(`{"rules": {"assistants:read": "{\"$or\": [{\"$and\": [{\"a\": 1}, {\"b\": 2}]}, {\"c\": 3}]}"}}`)); err != nil {
		t.Error(err)
	}
}

func installConfig(t *testing.T, raw string) *auth.Auth {
	t.Helper()
	c, err := ParseConfig([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New()
	if err := c.Install(a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConfigOwner(t *testing.T) {
	a := installConfig(t, `{"policy": "owner", "owner": {"key": "user_id"}}`)
	v := &auth.ThreadsCreate{}
	res, err := decide(t, a, user("alice"), v)
	if err != nil || v.Metadata["user_id"] != "alice" || !reflect.DeepEqual(res.FilterMap(), map[string]any{"user_id": "alice"}) {
		t.Errorf("%+v %v %v", res, err, v.Metadata)
	}
}

func TestConfigRulesAlone(t *testing.T) {
	a := installConfig(t, `{"rules": {"*": "false", "threads:read": "true"}}`)
	if _, p := a.Handler(auth.Threads, auth.Read); p != "threads:read" {
		t.Errorf("threads:read decided by %q", p)
	}
	res, _ := decide(t, a, user("a"), &auth.CronsRead{})
	if !res.Denied() {
		t.Error("the default deny did not apply")
	}
}

func TestConfigOwnerWithRules(t *testing.T) {
	a := installConfig(t, `{
		"policy": "owner",
		"rules": {
			"assistants:create": "\"admin\" in permissions",
			"threads:create":    "value.metadata.owner == user.identity && size(value.metadata) < 3",
			"threads:search":    "{\"team\": user.team}",
			"assistants:read":   "{\"$or\": [{\"public\": true}, {\"team\": user.team}]}",
			"store:put":         "value.namespace.size() <= 3"
		}
	}`)
	u := user("alice")
	u.Extra = map[string]any{"team": "red"}

	// Rules see the stamped value; false denies.
	if res, err := decide(t, a, u, &auth.AssistantsCreate{}); err != nil || !res.Denied() {
		t.Errorf("non-admin assistants:create: %+v %v", res, err)
	}
	admin := user("root", "admin")
	v := &auth.AssistantsCreate{}
	if res, err := decide(t, a, admin, v); err != nil || res.Denied() || v.Metadata["owner"] != "root" {
		t.Errorf("admin assistants:create: %+v %v %v", res, err, v.Metadata)
	}
	tc := &auth.ThreadsCreate{Metadata: map[string]any{"owner": "bob"}}
	if res, err := decide(t, a, u, tc); err != nil || res.Denied() || !reflect.DeepEqual(res.FilterMap(), map[string]any{"owner": "alice"}) {
		t.Errorf("threads:create: %+v %v (true keeps the owner filter)", res, err)
	}
	if res, _ := decide(t, a, u, &auth.ThreadsCreate{Metadata: map[string]any{"a": 1, "b": 2}}); !res.Denied() {
		t.Error("threads:create with 3 metadata keys was allowed")
	}

	// A rule filter is ANDed with the owner filter.
	res, err := decide(t, a, u, &auth.ThreadsSearch{})
	if err != nil || !reflect.DeepEqual(res.FilterMap(), map[string]any{"owner": "alice", "team": "red"}) {
		t.Errorf("threads:search: %v %v", res.FilterMap(), err)
	}
	res, err = decide(t, a, u, &auth.AssistantsRead{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		doc  map[string]any
		want bool
	}{
		{map[string]any{"owner": "alice", "team": "red"}, true},
		{map[string]any{"owner": "alice", "public": true}, true},
		{map[string]any{"created_by": "system", "public": true}, true},
		{map[string]any{"owner": "alice"}, false},
		{map[string]any{"owner": "bob", "team": "red"}, false},
	} {
		if got := sees(t, res, c.doc); got != c.want {
			t.Errorf("assistants:read filter %v on %v: %v, want %v", res.FilterMap(), c.doc, got, c.want)
		}
	}

	// Events without a rule get the owner preset alone; store rules see the
	// rewritten namespace.
	if res, _ := decide(t, a, u, &auth.CronsRead{}); !reflect.DeepEqual(res.FilterMap(), map[string]any{"owner": "alice"}) {
		t.Errorf("crons:read: %v", res.FilterMap())
	}
	put := &auth.StorePut{Namespace: []string{"a", "b"}}
	if res, _ := decide(t, a, u, put); res.Denied() || put.Namespace[0] != "alice" {
		t.Errorf("store:put 2 labels: %+v %q", res, put.Namespace)
	}
	if res, _ := decide(t, a, u, &auth.StorePut{Namespace: []string{"a", "b", "c"}}); !res.Denied() {
		t.Error("store:put with 4 labels after the rewrite was allowed")
	}
}

func TestConfigInstallRefusesOverlap(t *testing.T) {
	noop := func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil }
	for _, raw := range []string{`{"policy": "owner"}`, `{"rules": {"crons:read": "true"}}`, `{"policy": "owner", "rules": {"crons": "true"}}`} {
		c, err := ParseConfig([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		a := auth.New().On("crons:read", noop)
		if err := c.Install(a); err == nil || !strings.Contains(err.Error(), `"crons:read"`) {
			t.Errorf("%s over a crons:read handler: %v", raw, err)
		}
	}
	// Installing one Config twice is the same overlap.
	c, _ := ParseConfig([]byte(`{"policy": "owner"}`))
	a := auth.New()
	if err := c.Install(a); err != nil {
		t.Fatal(err)
	}
	if err := c.Install(a); err == nil {
		t.Error("a second Install was accepted")
	}
}

// A Config built in Go rather than parsed is checked when installed.
func TestConfigLiteral(t *testing.T) {
	if err := (&Config{Policy: "owner", Rules: map[string]string{"*": "1"}}).Install(auth.New()); err == nil {
		t.Error("a Config with a bad rule installed")
	}
	a := auth.New()
	if err := (&Config{Rules: map[string]string{"*": "true"}}).Install(a); err != nil {
		t.Fatal(err)
	}
	if _, p := a.Handler(auth.Store, auth.Get); p != "*" {
		t.Errorf("pattern %q", p)
	}
}

func TestAnd(t *testing.T) {
	or := map[string]any{"$or": []any{map[string]any{"a": 1}, map[string]any{"b": 1}}}
	for _, tc := range []struct{ a, b, want map[string]any }{
		{nil, map[string]any{"x": 1}, map[string]any{"x": 1}},
		{map[string]any{"x": 1}, map[string]any{}, map[string]any{"x": 1}},
		{map[string]any{"x": 1}, map[string]any{"y": 2}, map[string]any{"x": 1, "y": 2}},
		{map[string]any{"x": 1}, map[string]any{"x": 2}, map[string]any{"$and": []any{map[string]any{"x": 1}, map[string]any{"x": 2}}}},
		{or, or, map[string]any{"$and": []any{or, or}}},
		{map[string]any{"x": 1}, or, map[string]any{"x": 1, "$or": or["$or"]}},
	} {
		if got := and(tc.a, tc.b); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("and(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
