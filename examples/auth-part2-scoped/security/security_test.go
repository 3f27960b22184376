package security

import (
	"context"
	"errors"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
)

func TestScopedHandlers(t *testing.T) {
	e, err := authz.New(Auth, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithIdentity(context.Background(), &auth.Identity{User: &auth.User{Identity: "user1"}})
	create := &auth.ThreadsCreate{ThreadID: "t1"}
	if _, err := e.Authorize(ctx, create); err != nil || create.Metadata["owner"] != "user1" {
		t.Fatalf("threads:create: %v %v", err, create.Metadata)
	}
	scope, err := e.Authorize(ctx, &auth.RunsCreate{ThreadID: "t1"})
	if err != nil || scope.Match(map[string]any{"owner": "user2"}) || !scope.Match(map[string]any{"owner": "user1"}) {
		t.Errorf("threads:create_run scope wrong: %v", err)
	}
	var he *auth.HTTPError
	for _, v := range []auth.Value{&auth.AssistantsCreate{}, &auth.AssistantsSearch{}, &auth.StorePut{Namespace: []string{"user2"}}} {
		if _, err := e.Authorize(ctx, v); !errors.As(err, &he) || he.Status != 403 {
			t.Errorf("%T: want 403, got %v", v, err)
		}
	}
	if _, err := e.Authorize(ctx, &auth.StoreGet{Namespace: []string{"user1", "x"}}); err != nil {
		t.Errorf("own store namespace: %v", err)
	}
}
