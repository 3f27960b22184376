package policy

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

func benchDecide(b *testing.B, h auth.Handler, c *auth.Context, v func() auth.Value) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := h(ctx, c, v())
		if err != nil || res.Denied() {
			b.Fatal(res, err)
		}
	}
}

func benchContext() *auth.Context {
	u := &auth.User{Identity: "alice", DisplayName: "alice", Permissions: []string{"read", "write"},
		Extra: map[string]any{"email": "alice@example.com", "team": "red"}}
	return &auth.Context{User: u, Permissions: u.Permissions, Resource: auth.Threads, Action: auth.Read}
}

// The typical rule: admins see everything, others their own resources.
func BenchmarkRuleUserFilter(b *testing.B) {
	rs, err := CompileRules(map[string]string{"threads": `"admin" in permissions ? {} : {"owner": user.identity}`})
	if err != nil {
		b.Fatal(err)
	}
	benchDecide(b, rs.Handler(), benchContext(), func() auth.Value { return &auth.ThreadsRead{ThreadID: "t"} })
}

// A rule reading the event value (built from its JSON form on first use).
func BenchmarkRuleValue(b *testing.B) {
	rs, err := CompileRules(map[string]string{"threads:create": `value.metadata.?owner.orValue(user.identity) == user.identity`})
	if err != nil {
		b.Fatal(err)
	}
	benchDecide(b, rs.Handler(), benchContext(), func() auth.Value {
		return &auth.ThreadsCreate{ThreadID: "t", Metadata: map[string]any{"topic": "x", "n": 1}}
	})
}

// A constant rule, folded at compile time.
func BenchmarkRuleConstant(b *testing.B) {
	rs, err := CompileRules(map[string]string{"*": `true`})
	if err != nil {
		b.Fatal(err)
	}
	benchDecide(b, rs.Handler(), benchContext(), func() auth.Value { return &auth.ThreadsRead{ThreadID: "t"} })
}

// The owner preset, for comparison.
func BenchmarkOwner(b *testing.B) {
	h, err := OwnerHandler(OwnerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchDecide(b, h, benchContext(), func() auth.Value { return &auth.ThreadsCreate{ThreadID: "t"} })
}
