// Package security is part 3 of the LangGraph custom-auth tutorial in Go:
// a real identity provider. The bearer token is checked by calling the
// provider's user-info endpoint (Supabase's GET /auth/v1/user), and the
// user's email travels with the identity. Threads are private as in part 2.
//
// Environment: SUPABASE_URL (e.g. https://xyz.supabase.co) and
// SUPABASE_SERVICE_KEY (sent as the apikey header).
package security

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/agentgate/agentgate/auth"
)

// Auth is what langgraph.json names: "auth": {"path": "./security:Auth"}.
var Auth = New(os.Getenv("SUPABASE_URL"), os.Getenv("SUPABASE_SERVICE_KEY"), &http.Client{Timeout: 5 * time.Second})

// New builds the Auth for a provider at baseURL.
func New(baseURL, serviceKey string, client *http.Client) *auth.Auth {
	baseURL = strings.TrimRight(baseURL, "/")
	return auth.New().
		Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
			token := r.BearerToken()
			if token == "" {
				return nil, auth.Unauthorized("Missing bearer token")
			}
			if baseURL == "" {
				return nil, fmt.Errorf("SUPABASE_URL is not set")
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/auth/v1/user", nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("apiKey", serviceKey)
			resp, err := client.Do(req)
			if err != nil {
				return nil, &auth.HTTPError{Status: http.StatusServiceUnavailable, Detail: "Identity provider unavailable"}
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return nil, auth.Unauthorized("Invalid token")
			}
			var u struct {
				ID    string `json:"id"`
				Email string `json:"email"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || u.ID == "" {
				return nil, auth.Unauthorized("Invalid token")
			}
			return &auth.User{Identity: u.ID, Extra: map[string]any{"email": u.Email}}, nil
		}).
		On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			if c.Resource == auth.Store {
				return auth.Result{}, auth.Forbidden("The store is not used in this example")
			}
			auth.SetMetadata(v, "owner", c.User.Identity)
			return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
		})
}
