package security

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/agentgate/agentgate/authz"
)

func TestAPIKeyCarriesGitHubToken(t *testing.T) {
	e, err := authz.New(Auth, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/threads", nil)
	r.Header.Set("x-api-key", "key-alice")
	id, err := e.Identify(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if id.User.Identity != "alice" || id.User.Extra["github_token"] != "ghp_alice_example_token" {
		t.Errorf("user = %+v", id.User)
	}
	r.Header.Set("x-api-key", "nope")
	if _, err := e.Identify(context.Background(), r); err == nil {
		t.Error("unknown key accepted")
	}
}
