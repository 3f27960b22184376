package authn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/agentgate/agentgate/auth"
)

// userinfo asks an identity provider who a token belongs to, Supabase style
// (GET /auth/v1/user with the caller's token), and maps the JSON answer.
type userinfo struct {
	name    string
	header  string
	url     string
	forward string      // header the token is sent in
	static  http.Header // extra headers (e.g. Supabase's apikey)
	client  *http.Client
	timeout time.Duration
	max     int
	claims  claimMapper
	log     *slog.Logger
	run     func(ctx context.Context, r *auth.Request) (*auth.User, error)
}

func (u *userinfo) credentialHeader() string { return u.header }
func (u *userinfo) linkName() string         { return u.name }

func (u *userinfo) Authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	return u.run(ctx, r)
}

func (u *userinfo) verify(ctx context.Context, cred string) (*auth.User, time.Time, error) {
	if len(cred) > u.max {
		return nil, time.Time{}, invalid("Credential too large")
	}
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	for k, v := range u.static {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if strings.EqualFold(u.forward, "authorization") {
		req.Header.Set("Authorization", "Bearer "+cred)
	} else {
		req.Header.Set(u.forward, cred)
	}
	resp, err := u.client.Do(req)
	if err != nil {
		u.log.WarnContext(ctx, "authn: user-info endpoint unreachable", "authenticator", u.name, "error", err)
		return nil, time.Time{}, unavailable("Identity provider unavailable")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode < 400:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		u.log.WarnContext(ctx, "authn: user-info endpoint failed", "authenticator", u.name, "status", resp.StatusCode)
		return nil, time.Time{}, unavailable("Identity provider unavailable")
	default: // 400, 401, 403, 404...: the provider does not know this token
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, time.Time{}, invalid("Invalid token")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil || len(body) > maxDocumentBytes {
		return nil, time.Time{}, unavailable("Identity provider unavailable")
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		u.log.WarnContext(ctx, "authn: user-info answer is not a JSON object", "authenticator", u.name)
		return nil, time.Time{}, unavailable("Identity provider unavailable")
	}
	user, err := u.claims.user(doc)
	if err != nil {
		u.log.WarnContext(ctx, "authn: user-info answer does not map to a user", "authenticator", u.name, "error", err)
		return nil, time.Time{}, invalid("Invalid token")
	}
	return user, unverifiedExpiry(cred), nil
}

// unverifiedExpiry is the exp of a JWT-shaped token, unverified: it only
// ever shortens how long the cache keeps the provider's answer.
func unverifiedExpiry(cred string) time.Time {
	parts := strings.Split(cred, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return time.Time{}
	}
	sec, err := c.Exp.Float64()
	if err != nil || sec <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(sec), 0)
}

// noRedirects keeps the caller's token from following a redirect.
func noRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}
