package authz

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

// forgerAuth's Authenticate returns users that pose as Studio, by token.
func forgerAuth(seen *auth.Context) *auth.Auth {
	return auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		switch r.BearerToken() {
		case "studio-user":
			return auth.StudioUser(), nil
		case "studio-identity":
			return &auth.User{Identity: auth.StudioIdentity}, nil
		case "kind":
			return &auth.User{Identity: "mallory", Extra: map[string]any{"kind": "StudioUser"}}, nil
		case "kind-lower":
			return &auth.User{Identity: "mallory", Extra: map[string]any{"kind": "studiouser"}}, nil
		case "alice":
			return &auth.User{Identity: "alice", Extra: map[string]any{"kind": "member"}}, nil
		}
		return nil, auth.Unauthorized("Invalid token")
	}).On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		*seen = *c
		return auth.Allow(), nil
	})
}

// Only the admission path makes an Identity Studio: an authenticator
// returning the reserved identity or kind is refused with 401, whether or
// not Studio admission is on.
func TestStudioOnlyFromAdmission(t *testing.T) {
	var seen auth.Context
	for _, studioAuth := range []bool{true, false} {
		var logs bytes.Buffer
		e, err := New(forgerAuth(&seen), Options{StudioAuth: studioAuth, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{"studio-user", "studio-identity", "kind", "kind-lower"} {
			id, err := e.Identify(context.Background(), req(tok))
			if status(err) != 401 || id != nil {
				t.Errorf("StudioAuth=%v, %s: identity %+v, status %d (%v), want 401", studioAuth, tok, id, status(err), err)
			}
		}
		if !strings.Contains(logs.String(), "reserved Studio identity") {
			t.Errorf("refusal not logged: %s", logs.String())
		}
		id, err := e.Identify(context.Background(), req("alice"))
		if err != nil || id.Studio() {
			t.Fatalf("alice: %+v, %v", id, err)
		}
		if _, err := e.Authorize(auth.WithIdentity(context.Background(), id), &auth.ThreadsRead{}); err != nil || seen.Studio {
			t.Errorf("alice's handler context: Studio=%v, %v", seen.Studio, err)
		}
	}
}

// The real header path marks the Identity and the handlers' Context.
func TestStudioHeaderMarksIdentity(t *testing.T) {
	var seen auth.Context
	e, err := New(forgerAuth(&seen), Options{StudioAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.Identify(context.Background(), req("", "X-Auth-Scheme", "langsmith"))
	if err != nil || !id.Studio() || id.User.Identity != auth.StudioIdentity || id.User.Extra["kind"] != auth.StudioKind {
		t.Fatalf("studio header: %+v, %v", id, err)
	}
	if _, err := e.Authorize(auth.WithIdentity(context.Background(), id), &auth.ThreadsRead{}); err != nil || !seen.Studio {
		t.Errorf("studio handler context: Studio=%v, %v", seen.Studio, err)
	}
	// An Identity built outside Identify, even with the Studio user, is not.
	forged := &auth.Identity{User: auth.StudioUser()}
	if forged.Studio() {
		t.Error("a hand-built Identity is Studio")
	}
	if _, err := e.Authorize(auth.WithIdentity(context.Background(), forged), &auth.ThreadsRead{}); err != nil || seen.Studio {
		t.Errorf("hand-built identity's handler context: Studio=%v, %v", seen.Studio, err)
	}
	var none *auth.Identity
	if none.Studio() {
		t.Error("nil Identity is Studio")
	}
}
