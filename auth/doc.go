// Package auth is what users program against to secure agentgate: an
// Authenticate function that turns a request into a User, and authorization
// handlers per resource and action that allow, deny, or narrow what the
// caller sees with a metadata filter that the server enforces on every query.
//
// It follows the LangGraph custom-auth model: exactly one handler runs for
// an event, the most specific one registered ("threads:create", then
// "threads", then "*:create", then "*"). With no handler, the event is
// allowed.
//
//	a := auth.New()
//	a.Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
//		user, ok := tokens[r.BearerToken()]
//		if !ok {
//			return nil, auth.Unauthorized("Invalid token")
//		}
//		return &auth.User{Identity: user}, nil
//	})
//	a.On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
//		auth.SetMetadata(v, "owner", c.User.Identity)
//		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
//	})
//
// The package has no storage and no server; it imports only the standard
// library.
package auth
