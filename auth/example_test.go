package auth_test

import (
	"context"
	"fmt"

	"github.com/agentgate/agentgate/auth"
)

// The LangGraph tutorial's part 1 and 2 in Go: a token table, and every
// resource stamped with and filtered by its owner.
func Example() {
	tokens := map[string]string{"user1-token": "user1", "user2-token": "user2"}

	a := auth.New()
	a.Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		id, ok := tokens[r.BearerToken()]
		if !ok {
			return nil, auth.Unauthorized("Invalid token")
		}
		return &auth.User{Identity: id}, nil
	})
	a.On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		auth.SetMetadata(v, "owner", c.User.Identity)
		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
	})
	fmt.Println(a.Validate())

	h, pattern := a.Handler(auth.Threads, auth.Create)
	v := &auth.ThreadsCreate{ThreadID: "t1"}
	r, _ := h(context.Background(), &auth.Context{User: &auth.User{Identity: "user1"}}, v)
	fmt.Println(pattern, v.Metadata, r.FilterMap())
	// Output:
	// <nil>
	// * map[owner:user1] map[owner:user1]
}

// Handlers typed by their value: the event must match the value type.
func ExampleOn() {
	a := auth.New()
	auth.On(a, "store:put", func(ctx context.Context, c *auth.Context, v *auth.StorePut) (auth.Result, error) {
		if len(v.Namespace) == 0 || v.Namespace[0] != c.User.Identity {
			return auth.Result{}, auth.Forbidden("Not authorized")
		}
		return auth.Allow(), nil
	})
	h, _ := a.Handler(auth.Store, auth.Put)
	_, err := h(context.Background(), &auth.Context{User: &auth.User{Identity: "alice"}},
		&auth.StorePut{Namespace: []string{"bob", "notes"}, Key: "k"})
	fmt.Println(err)
	// Output: 403: Not authorized
}
