package authn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/agentgate/agentgate/auth"
)

// tokenEntry is one line of a token list. Only its digest is kept.
type tokenEntry struct {
	Token       string         `json:"token,omitempty"`
	SHA256      string         `json:"sha256,omitempty"`
	Identity    string         `json:"identity"`
	DisplayName string         `json:"display_name,omitempty"`
	Permissions []string       `json:"permissions,omitempty"`
	Extra       map[string]any `json:"extra,omitempty"`
}

// tokens is the static token / API key authenticator.
type tokens struct {
	name   string
	header string
	max    int
	byHash map[[sha256.Size]byte]tokenUser
}

type tokenUser struct {
	sum  [sha256.Size]byte
	user *auth.User
}

func (t *tokens) credentialHeader() string { return t.header }
func (t *tokens) linkName() string         { return t.name }

// parseTokenList reads a token list: {"tokens": [...]} or a bare array.
// source names the file or variable in errors, which never quote a token.
func parseTokenList(source string, data []byte, log *slog.Logger) (map[[sha256.Size]byte]tokenUser, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var doc struct {
			Tokens json.RawMessage `json:"tokens"`
		}
		if err := strict(data, &doc); err != nil || doc.Tokens == nil {
			return nil, fmt.Errorf("%s: expected {\"tokens\": [...]} or an array of tokens", source)
		}
		data = doc.Tokens
	}
	var list []tokenEntry
	if err := strict(data, &list); err != nil {
		return nil, fmt.Errorf("%s: not a token list: %s", source, scrub(err))
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: the token list is empty", source)
	}
	out := make(map[[sha256.Size]byte]tokenUser, len(list))
	for i, e := range list {
		where := fmt.Sprintf("%s: tokens[%d]", source, i)
		var sum [sha256.Size]byte
		switch {
		case e.Token != "" && e.SHA256 != "":
			return nil, fmt.Errorf("%s: give token or sha256, not both", where)
		case e.Token != "":
			if strings.TrimSpace(e.Token) != e.Token {
				return nil, fmt.Errorf("%s: token has leading or trailing space", where)
			}
			if len(e.Token) < 16 {
				log.Warn("authn: a static token is shorter than 16 characters; use long random tokens", "where", where)
			}
			sum = sha256.Sum256([]byte(e.Token))
		case e.SHA256 != "":
			b, err := hex.DecodeString(e.SHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("%s: sha256 must be 64 hex digits", where)
			}
			copy(sum[:], b)
		default:
			return nil, fmt.Errorf("%s: token or sha256 is required", where)
		}
		if e.Identity == "" {
			return nil, fmt.Errorf("%s: identity is required", where)
		}
		if auth.ClaimsStudio(&auth.User{Identity: e.Identity, Extra: e.Extra}) {
			field := fmt.Sprintf("extra.kind %q", e.Extra["kind"])
			if e.Identity == auth.StudioIdentity {
				field = fmt.Sprintf("identity %q", e.Identity)
			}
			return nil, fmt.Errorf("%s: %s is reserved for the Studio user (only Studio admission, x-auth-scheme: langsmith, makes it)", where, field)
		}
		if _, dup := out[sum]; dup {
			return nil, fmt.Errorf("%s: the same token appears twice", where)
		}
		u := &auth.User{Identity: e.Identity, DisplayName: e.DisplayName, Permissions: e.Permissions, Extra: e.Extra}
		if u.DisplayName == "" {
			u.DisplayName = u.Identity
		}
		if u.Permissions == nil {
			u.Permissions = []string{}
		}
		out[sum] = tokenUser{sum: sum, user: u}
	}
	return out, nil
}

// scrub drops a JSON error's offending value, which may be a secret.
func scrub(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field") {
		return msg
	}
	return "invalid JSON"
}

func (t *tokens) Authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	cred, ok := credential(r, t.header)
	if !ok {
		return nil, ErrNoCredentials
	}
	if len(cred) > t.max {
		return nil, invalid("Credential too large")
	}
	sum := sha256.Sum256(stringBytes(cred))
	e, found := t.byHash[sum]
	// The map lookup is by digest, so its timing says nothing useful about
	// the token; the comparison is constant-time all the same.
	if !found || subtle.ConstantTimeCompare(e.sum[:], sum[:]) != 1 {
		return nil, invalid("Invalid token")
	}
	return cloneUser(e.user), nil
}

// cached wraps an authenticator's verification with the chain's cache.
func cached(c *resultCache, link int, header string, verify func(ctx context.Context, cred string) (*auth.User, time.Time, error)) func(ctx context.Context, r *auth.Request) (*auth.User, error) {
	return func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		cred, ok := credential(r, header)
		if !ok {
			return nil, ErrNoCredentials
		}
		if c == nil {
			u, _, err := verify(ctx, cred)
			return u, err
		}
		k := keyOf(link, cred)
		if u, ok := c.get(k); ok {
			return u, nil
		}
		u, exp, err := verify(ctx, cred)
		if err != nil {
			return nil, err
		}
		c.put(k, u, exp)
		return u, nil
	}
}
