package security

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
)

func TestTokens(t *testing.T) {
	e, err := authz.New(Auth, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]int{"": 401, "bogus": 401, "user1-token": 200, "user2-token": 200} {
		r := httptest.NewRequest("GET", "/threads/search", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		id, err := e.Identify(context.Background(), r)
		var he *auth.HTTPError
		switch {
		case want == 200 && err != nil:
			t.Errorf("%q: %v", token, err)
		case want == 200 && id.User.Identity != users[token]:
			t.Errorf("%q: identity %q", token, id.User.Identity)
		case want == 401 && (!errors.As(err, &he) || he.Status != 401):
			t.Errorf("%q: want 401, got %v", token, err)
		}
	}
}
