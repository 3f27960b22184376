package authz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

// An *auth.HTTPError from user code keeps its status only when it is 4xx
// or 5xx; any other status becomes an internal error (a logged 500) that
// no longer unwraps to the HTTPError, even when user code wrapped it.
func TestUserHTTPErrorStatus(t *testing.T) {
	a := auth.New().
		Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
			if s := r.Header("X-Fail"); s != "" {
				n, _ := strconv.Atoi(s)
				return nil, fmt.Errorf("wrapped: %w", auth.Error(n, "from authenticate"))
			}
			return &auth.User{Identity: "alice"}, nil
		}).
		On("threads:search", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			n, _ := strconv.Atoi(c.User.Identity)
			return auth.Result{}, auth.Error(n, "from handler")
		})
	e, err := New(a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		status int
		want   int
	}{{200, 500}, {302, 500}, {0, 500}, {600, 500}, {399, 500}, {-1, 500}, {400, 400}, {401, 401}, {503, 503}, {599, 599}} {
		s := strconv.Itoa(c.status)
		_, err := e.Identify(context.Background(), req("", "X-Fail", s))
		if status(err) != c.want {
			t.Errorf("authenticate %d: status %d (%v), want %d", c.status, status(err), err, c.want)
		}
		if c.want == 500 && !strings.Contains(err.Error(), "status "+s+" (only 400-599") {
			t.Errorf("authenticate %d: cause %q does not say why", c.status, err)
		}
		ctx := auth.WithIdentity(context.Background(), &auth.Identity{User: &auth.User{Identity: s}})
		_, err = e.Authorize(ctx, &auth.ThreadsSearch{})
		if status(err) != c.want {
			t.Errorf("handler %d: status %d (%v), want %d", c.status, status(err), err, c.want)
		}
		var he *auth.HTTPError
		if c.want == 500 && errors.As(err, &he) {
			t.Errorf("handler %d: the internal error still unwraps to %v", c.status, he)
		}
	}
}
