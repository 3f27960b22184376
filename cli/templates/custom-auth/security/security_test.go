package security

import (
	"context"
	"errors"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
)

func as(identity string) context.Context {
	return auth.WithIdentity(context.Background(), &auth.Identity{User: &auth.User{Identity: identity}})
}

func TestOwnerStampAndFilter(t *testing.T) {
	e, err := authz.New(Auth, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.ThreadsCreate{ThreadID: "t1", Metadata: map[string]any{"owner": "user2"}}
	if _, err := e.Authorize(as("user1"), v); err != nil {
		t.Fatal(err)
	}
	if v.Metadata["owner"] != "user1" {
		t.Errorf("owner not (re)stamped: %v", v.Metadata)
	}
	scope, err := e.Authorize(as("user2"), &auth.ThreadsRead{ThreadID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if scope.Match(v.Metadata) {
		t.Error("user2 can see user1's thread")
	}
}

func TestStoreNamespaceMustBeOwn(t *testing.T) {
	e, _ := authz.New(Auth, authz.Options{})
	if _, err := e.Authorize(as("user1"), &auth.StorePut{Namespace: []string{"user1", "notes"}, Key: "k"}); err != nil {
		t.Errorf("own namespace refused: %v", err)
	}
	var he *auth.HTTPError
	if _, err := e.Authorize(as("user1"), &auth.StorePut{Namespace: []string{"user2", "notes"}}); !errors.As(err, &he) || he.Status != 403 {
		t.Errorf("another user's namespace: want 403, got %v", err)
	}
}
