package policy

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

func rulesAuth(t *testing.T, rules map[string]string, opts ...RulesOption) *auth.Auth {
	t.Helper()
	rs, err := CompileRules(rules, opts...)
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New()
	if err := rs.Install(a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRulesBool(t *testing.T) {
	a := rulesAuth(t, map[string]string{
		"*":              "false",
		"threads":        "true",
		"threads:create": `"writer" in permissions`,
	})
	for _, tc := range []struct {
		u    *auth.User
		v    auth.Value
		deny bool
	}{
		{user("alice"), &auth.ThreadsRead{}, false},
		{user("alice"), &auth.ThreadsCreate{}, true},
		{user("alice", "writer"), &auth.ThreadsCreate{}, false},
		{user("alice", "writer"), &auth.AssistantsCreate{}, true},
		{user("alice"), &auth.StoreGet{}, true},
	} {
		res, err := decide(t, a, tc.u, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if res.Denied() != tc.deny || res.FilterMap() != nil {
			r, act := tc.v.Event()
			t.Errorf("%s with %v on %s:%s: %+v, want denied=%v and no filter", tc.u.Identity, tc.u.Permissions, r, act, res, tc.deny)
		}
	}
}

func TestRulesFilter(t *testing.T) {
	a := rulesAuth(t, map[string]string{
		"threads": `"admin" in permissions ? {} : {"owner": user.identity}`,
		"crons":   `{"$or": [{"owner": user.identity}, {"team": user.team}]}`,
	})
	res, err := decide(t, a, user("alice"), &auth.ThreadsRead{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.FilterMap(), map[string]any{"owner": "alice"}) {
		t.Errorf("alice's filter %v", res.FilterMap())
	}
	if sees(t, res, map[string]any{"owner": "bob"}) || !sees(t, res, map[string]any{"owner": "alice"}) {
		t.Error("alice's filter does not isolate her")
	}
	res, _ = decide(t, a, user("root", "admin"), &auth.ThreadsRead{})
	if res.FilterMap() == nil || len(res.FilterMap()) != 0 || !sees(t, res, map[string]any{"owner": "bob"}) {
		t.Errorf("admin's filter %v, want {} (everything)", res.FilterMap())
	}

	u := user("carol")
	u.Extra = map[string]any{"team": "red"}
	res, err = decide(t, a, u, &auth.CronsSearch{})
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]bool{`owner=carol`: true, `team=red`: true, `team=blue`: false} {
		k, v, _ := strings.Cut(doc, "=")
		if got := sees(t, res, map[string]any{k: v}); got != want {
			t.Errorf("filter %v on %s: %v, want %v", res.FilterMap(), doc, got, want)
		}
	}
}

func TestRulesVariables(t *testing.T) {
	rules := map[string]string{
		"store:put":      `value.namespace.size() > 0 && value.namespace[0] == user.identity`,
		"threads:search": `value.limit <= 100 && action == "search" && resource == "threads"`,
		"threads:create": `!has(value.metadata.owner) || value.metadata.owner == user.identity`,
		"assistants":     `user.is_authenticated && user.display_name == "Alice A." && user.email.endsWith("@corp.com")`,
		"crons:create":   `value.?metadata.?tier.orValue("free") == "paid"`,
	}
	a := rulesAuth(t, rules)
	alice := user("alice")
	alice.DisplayName = "Alice A."
	alice.Extra = map[string]any{"email": "alice@corp.com"}
	anon := user("anon")
	anon.Anonymous = true
	anon.Extra = map[string]any{"email": "x@corp.com"}
	for _, tc := range []struct {
		u     *auth.User
		v     auth.Value
		allow bool
	}{
		{alice, &auth.StorePut{Namespace: []string{"alice", "n"}}, true},
		{alice, &auth.StorePut{Namespace: []string{"bob"}}, false},
		{alice, &auth.StorePut{}, false},
		{alice, &auth.ThreadsSearch{Limit: 100}, true},
		{alice, &auth.ThreadsSearch{Limit: 101}, false},
		{alice, &auth.ThreadsCreate{Metadata: map[string]any{}}, true},
		{alice, &auth.ThreadsCreate{Metadata: map[string]any{"owner": "alice"}}, true},
		{alice, &auth.ThreadsCreate{Metadata: map[string]any{"owner": "bob"}}, false},
		{alice, &auth.AssistantsRead{}, true},
		{anon, &auth.AssistantsRead{}, false},
		{alice, &auth.CronsCreate{}, false},
		{alice, &auth.CronsCreate{Metadata: map[string]any{"tier": "paid"}}, true},
	} {
		res, err := decide(t, a, tc.u, tc.v)
		if err != nil {
			t.Errorf("%T: %v", tc.v, err)
			continue
		}
		if res.Denied() == tc.allow {
			r, act := tc.v.Event()
			t.Errorf("%s on %s:%s %+v: denied=%v, want allowed=%v (rule %s)", tc.u.Identity, r, act, tc.v, res.Denied(), tc.allow, rules[r+":"+act])
		}
	}
}

// A user's extra fields of any Go type reach rules through their JSON form.
func TestRulesUserExtraGoTypes(t *testing.T) {
	type org struct {
		Name  string `json:"name"`
		Seats int    `json:"seats"`
	}
	a := rulesAuth(t, map[string]string{"*": `user.org.name == "acme" && user.org.seats > 2 && user.tags[1] == "b"`})
	u := user("alice")
	u.Extra = map[string]any{"org": org{"acme", 3}, "tags": []string{"a", "b"}}
	res, err := decide(t, a, u, &auth.ThreadsRead{})
	if err != nil || res.Denied() {
		t.Errorf("%+v, %v", res, err)
	}
	u.Extra["org"] = func() {}
	if _, err := decide(t, a, u, &auth.ThreadsRead{}); err == nil || !strings.Contains(err.Error(), `user field "org"`) {
		t.Errorf("a user field with no JSON form: %v", err)
	}
}

func TestRulesCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		rules map[string]string
		want  []string
	}{
		{map[string]string{"threads:create": `user.identity == nope`},
			[]string{`rule "threads:create"`, "undeclared reference to 'nope'", "| user.identity == nope", "^"}},
		{map[string]string{"threads": `user.identity ==`},
			[]string{`rule "threads"`, "Syntax error", "^"}},
		{map[string]string{"*": `1 + 2`},
			[]string{`rule "*"`, "must return a bool (allow or deny) or a map (a filter), it returns int"}},
		{map[string]string{"*": `[true]`}, []string{"it returns list(bool)"}},
		{map[string]string{"*": `{1: "a"}`}, []string{`rule "*"`, "string keys", "int keys"}},
		{map[string]string{"*": `"admin" in permissions ? true : {"owner": user.identity}`},
			[]string{"no matching overload", "^"}},
		{map[string]string{"*": `permissions.size() == "1"`}, []string{"no matching overload for '_==_'"}},
		{map[string]string{"thread:create": `true`}, []string{`rule "thread:create"`, "not an event pattern"}},
		{map[string]string{"store:create_run": `true`}, []string{"not an event pattern"}},
		{map[string]string{"threads": `true`, "threads:*": `false`}, []string{`rules "threads" and "threads:*" name the same events`}},
		{map[string]string{"*": `  `}, []string{`rule "*": empty expression`}},
		{map[string]string{"*": `{"k": [1, 2]}`}, []string{`rule "*" returned an invalid filter`, "a list needs an operator"}},
		{map[string]string{"*": `{"$or": [{"a": 1}]}`}, []string{"invalid filter", "at least 2"}},
		{map[string]string{"*": `1 / 0 == 1`}, []string{`rule "*" always fails`, "division by zero"}},
		{map[string]string{"*": `dyn("yes")`}, []string{`rule "*" returned a value of type string, want a bool or a filter map`}},
	} {
		_, err := CompileRules(tc.rules)
		if err == nil {
			t.Errorf("%v compiled", tc.rules)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.rules, err, w)
			}
		}
	}

	// Every bad rule is reported, not only the first.
	_, err := CompileRules(map[string]string{"threads": "nope", "crons": "1"})
	if err == nil || !strings.Contains(err.Error(), `rule "threads"`) || !strings.Contains(err.Error(), `rule "crons"`) {
		t.Errorf("two bad rules: %v", err)
	}
}

func TestRulesRuntimeErrors(t *testing.T) {
	a := rulesAuth(t, map[string]string{
		"threads:create": `value.metadata.owner == user.identity`,             // no such key
		"threads:read":   `user.identity == "a" ? dyn(true) : dyn("maybe")`,   // wrong type at runtime
		"threads:update": `{"k": value.metadata}`,                             // an object needs $eq
		"threads:delete": `dyn({1: user.identity})`,                           // non-string keys
		"threads:search": `user.identity == "" ? {} : {"at": duration("1s")}`, // no JSON form
	})
	for _, tc := range []struct {
		v    auth.Value
		want string
	}{
		{&auth.ThreadsCreate{Metadata: map[string]any{}}, "no such key: owner"},
		{&auth.ThreadsRead{}, "returned a value of type string"},
		{&auth.ThreadsUpdate{Metadata: map[string]any{"a": 1}}, "invalid filter"},
		{&auth.ThreadsDelete{}, "map keys must be strings"},
		{&auth.ThreadsSearch{}, "has no JSON form"},
	} {
		_, err := decide(t, a, user("b"), tc.v)
		var he *auth.HTTPError
		if err == nil || errors.As(err, &he) {
			t.Errorf("%T: %v, want an internal error (500)", tc.v, err)
			continue
		}
		r, act := tc.v.Event()
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), fmt.Sprintf("rule %q", r+":"+act)) {
			t.Errorf("%T: error %q, want the rule name and %q", tc.v, err, tc.want)
		}
	}
	if res, err := decide(t, a, user("a"), &auth.ThreadsRead{}); err != nil || res.Denied() {
		t.Errorf("the dyn rule's true branch: %+v, %v", res, err)
	}
}

func TestRulesCostLimit(t *testing.T) {
	perms := make([]string, 200)
	for i := range perms {
		perms[i] = fmt.Sprint("p", i)
	}
	rule := map[string]string{"*": `permissions.exists(p, permissions.exists(q, p + q == "x"))`}
	_, err := decide(t, rulesAuth(t, rule), user("a", perms...), &auth.ThreadsRead{})
	if err == nil || !strings.Contains(err.Error(), "cost limit exceeded") {
		t.Errorf("40 000 iterations under the default limit: %v", err)
	}
	res, err := decide(t, rulesAuth(t, rule, WithCostLimit(10_000_000)), user("a", perms...), &auth.ThreadsRead{})
	if err != nil || !res.Denied() {
		t.Errorf("with a higher limit: %+v, %v", res, err)
	}
	res, err = decide(t, rulesAuth(t, rule), user("a", perms[:10]...), &auth.ThreadsRead{})
	if err != nil || !res.Denied() {
		t.Errorf("a small input under the default limit: %+v, %v", res, err)
	}
}

func TestRulesContext(t *testing.T) {
	perms := make([]string, 5000)
	for i := range perms {
		perms[i] = fmt.Sprint("p", i)
	}
	a := rulesAuth(t, map[string]string{"*": `permissions.exists(p, p == "none")`})
	h, _ := a.Handler(auth.Threads, auth.Read)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u := user("a", perms...)
	_, err := h(ctx, &auth.Context{User: u, Permissions: u.Permissions}, &auth.ThreadsRead{})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("evaluation under a cancelled context: %v", err)
	}
}

func TestRulesConstantFolded(t *testing.T) {
	rs, err := CompileRules(map[string]string{
		"*":          "false",
		"threads":    `{"public": true}`,
		"assistants": `true || user.identity == ""`,
		"crons":      `user.identity == "" || true`,
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{"*": true, "threads": true, "assistants": true, "crons": false} {
		k, _ := parsePattern(p)
		if got := rs.byPattern[k].constant != nil; got != want {
			t.Errorf("%q folded = %v, want %v", p, got, want)
		}
	}
	// A folded rule still needs no user to decide.
	res, err := rs.Handler()(context.Background(), nil, &auth.StoreGet{})
	if err != nil || !res.Denied() {
		t.Errorf("folded false: %+v, %v", res, err)
	}
}

func TestRulesPrecedence(t *testing.T) {
	rules := map[string]string{
		"*":              `{"rule": "*"}`,
		"*:read":         `{"rule": "*:read"}`,
		"threads":        `{"rule": "threads"}`,
		"threads:create": `{"rule": "threads:create"}`,
	}
	rs, err := CompileRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New()
	if err := rs.Install(a); err != nil {
		t.Fatal(err)
	}
	if got := rs.Patterns(); !reflect.DeepEqual(got, []string{"*", "*:read", "threads", "threads:create"}) {
		t.Errorf("Patterns() = %q", got)
	}
	for _, tc := range []struct {
		v    auth.Value
		want string
	}{
		{&auth.ThreadsCreate{}, "threads:create"},
		{&auth.ThreadsRead{}, "threads"},
		{&auth.AssistantsRead{}, "*:read"},
		{&auth.CronsDelete{}, "*"},
	} {
		installed, _ := decide(t, a, user("u"), tc.v)
		direct, _ := rs.Handler()(context.Background(), &auth.Context{User: user("u")}, tc.v)
		for _, res := range []auth.Result{installed, direct} {
			if got := res.FilterMap()["rule"]; got != tc.want {
				t.Errorf("%T decided by %v, want %q", tc.v, got, tc.want)
			}
		}
	}
	if res, err := (&Rules{}).Handler()(context.Background(), nil, &auth.ThreadsRead{}); err != nil || res.Denied() {
		t.Errorf("no rule: %+v, %v; want allowed", res, err)
	}
}

func TestRulesInstallRefusesOverlap(t *testing.T) {
	rs, err := CompileRules(map[string]string{"threads:create": "true", "crons": "false"})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New()
	if err := InstallOwner(a, OwnerOptions{}); err != nil {
		t.Fatal(err)
	}
	err = rs.Install(a)
	if err == nil || !strings.Contains(err.Error(), `overlaps the handler already registered for "*"`) || !strings.Contains(err.Error(), "policy.Config") {
		t.Errorf("rules over the owner preset: %v", err)
	}
	if _, p := a.Handler(auth.Crons, auth.Read); p != "*" {
		t.Errorf("a refused install registered %q", p)
	}
	// The reverse order is refused as well.
	a = auth.New()
	if err := rs.Install(a); err != nil {
		t.Fatal(err)
	}
	if err := InstallOwner(a, OwnerOptions{}); err == nil || !strings.Contains(err.Error(), "threads:create") && !strings.Contains(err.Error(), `"crons"`) {
		t.Errorf("owner preset over rules: %v", err)
	}
}

func TestRulesValueFieldsChecked(t *testing.T) {
	for _, tc := range []struct {
		rules map[string]string
		want  []string
	}{
		{map[string]string{"threads:create": `value.metdata.owner == user.identity`},
			[]string{`rule "threads:create"`, `value has no field "metdata" in threads:create`, "if_exists, metadata, thread_id, ttl", "<input>:1:6", "| value.metdata.owner", "| .....^"}},
		{map[string]string{"threads:read": `has(value.metadata)`}, []string{`value has no field "metadata" in threads:read`}},
		{map[string]string{"store": `value.?filter.hasValue()`}, []string{`value has no field "filter" in store`}[:0]},
		{map[string]string{"store:get": `value.?filter.hasValue()`}, []string{`value has no field "filter" in store:get`}},
		{map[string]string{"*:read": "\ntrue &&\n  value.cron_id != \"\""}, []string{`value has no field "cron_id" in *:read`}[:0]},
		{map[string]string{"*:read": "\ntrue &&\n  value.cronid != \"\""}, []string{`<input>:3:8`, "|   value.cronid"}},
	} {
		_, err := CompileRules(tc.rules)
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%v: %v", tc.rules, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%v compiled", tc.rules)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.rules, err, w)
			}
		}
	}
}

// Every field of a value is present, even nil lists and omitted scalars.
func TestRulesValueFieldsPresent(t *testing.T) {
	a := rulesAuth(t, map[string]string{
		"store:list_namespaces": `value.namespace.size() == 0 && value.suffix == [] && value.max_depth == 0`,
		"threads:read":          `value.run_id == "" && value.thread_id == "t"`,
		"threads:search":        `value.ids == [] && value.values == {} && value.metadata == {} && value.limit == 10`,
		"assistants:create":     `value.description == null && value.config == {}`,
	})
	for _, v := range []auth.Value{&auth.StoreListNamespaces{}, &auth.ThreadsRead{ThreadID: "t"},
		&auth.ThreadsSearch{Limit: 10}, &auth.AssistantsCreate{}} {
		res, err := decide(t, a, user("u"), v)
		if err != nil || res.Denied() {
			t.Errorf("%T: %+v %v", v, res, err)
		}
	}
	// All value types are known to the field check.
	if got, want := len(eventValues()), len(auth.Events()); got != want {
		t.Errorf("%d value types for %d events", got, want)
	}
	seen := map[string]bool{}
	for _, v := range eventValues() {
		r, act := v.Event()
		seen[r+":"+act] = true
	}
	for _, ev := range auth.Events() {
		if !seen[ev[0]+":"+ev[1]] {
			t.Errorf("no value type for %s:%s", ev[0], ev[1])
		}
	}
}

// Rules and the preset are shared by all requests.
func TestConcurrentUse(t *testing.T) {
	c, err := ParseConfig([]byte(`{"policy": "owner", "rules": {"threads": "{\"team\": user.team}", "crons": "value.limit < 50"}}`))
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New()
	if err := c.Install(a); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := range 8 {
		go func() {
			u := user(fmt.Sprint("u", g))
			u.Extra = map[string]any{"team": fmt.Sprint("t", g)}
			for i := range 200 {
				h, _ := a.Handler(auth.Threads, auth.Read)
				res, err := h(context.Background(), &auth.Context{User: u}, &auth.ThreadsRead{})
				if err != nil || res.FilterMap()["team"] != u.Extra["team"] || res.FilterMap()["owner"] != u.Identity {
					done <- fmt.Errorf("%s: %+v %v", u.Identity, res, err)
					return
				}
				h, _ = a.Handler(auth.Crons, auth.Search)
				if res, err := h(context.Background(), &auth.Context{User: u}, &auth.CronsSearch{Limit: i % 100}); err != nil || res.Denied() != (i%100 >= 50) {
					done <- fmt.Errorf("%s crons limit %d: %+v %v", u.Identity, i%100, res, err)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
