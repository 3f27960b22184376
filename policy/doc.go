// Package policy is authorization configured without code: the owner
// preset (the LangGraph custom-auth tutorial's part 2 in one line), grants
// (CEL bools that lift the owner filter per event), a tenant key (a claim
// every resource is stamped and filtered with) and CEL rules per event that
// allow, deny or return a filter. All install as ordinary handlers on an
// *auth.Auth, so the server enforces them like handlers written in Go.
//
//	cfg, err := policy.ParseConfig([]byte(`{"policy": "owner",
//		"rules": {"assistants:create": "\"admin\" in permissions"}}`))
//	if err != nil { ... } // unknown keys, bad patterns, CEL type errors
//	err = cfg.Install(a)
//
// Rules are type-checked when compiled, bounded by a cost limit and
// evaluated with the request's context. docs/policy.md describes the
// variables rules see and the JSON shape.
package policy
