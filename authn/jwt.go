package authn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/golang-jwt/jwt/v5"
)

// jwtAuth verifies JWTs of one issuer. It is responsible for a credential
// that is a JWT whose (unverified) iss is its issuer; the verification then
// checks iss again along with everything else.
type jwtAuth struct {
	name      string
	header    string
	issuer    string
	max       int
	validator *jwt.Validator // iss, aud, exp, nbf, iat with leeway
	algs      []string       // allowed algorithms
	secret    []byte         // HS*; nil when keys is set
	keys      *keySet        // JWKS or OIDC
	claims    claimMapper
	log       *slog.Logger
	run       func(ctx context.Context, r *auth.Request) (*auth.User, error)
}

func (j *jwtAuth) credentialHeader() string { return j.header }
func (j *jwtAuth) linkName() string         { return j.name }

func (j *jwtAuth) Authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	return j.run(ctx, r)
}

// peekIssuer returns the unverified iss of a compact JWS, ok false when
// cred is not shaped like one.
func peekIssuer(cred string) (string, bool) {
	first := strings.IndexByte(cred, '.')
	if first < 0 {
		return "", false
	}
	rest := cred[first+1:]
	second := strings.IndexByte(rest, '.')
	if second < 0 || strings.IndexByte(rest[second+1:], '.') >= 0 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(rest[:second])
	if err != nil {
		return "", false
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return "", false
	}
	return c.Iss, c.Iss != ""
}

// verify follows the steps of jwt.Parser.ParseWithClaims (allowed
// algorithm, key, signature, claims) on one decoding of the token, which
// also tells whether the token is this issuer's.
func (j *jwtAuth) verify(ctx context.Context, cred string) (*auth.User, time.Time, error) {
	if len(cred) > j.max {
		if strings.Count(cred, ".") == 2 {
			return nil, time.Time{}, invalid("Token too large")
		}
		return nil, time.Time{}, ErrNoCredentials
	}
	tok, claims, err := parseUnverified(cred)
	if err != nil {
		if iss, ok := peekIssuer(cred); !ok || iss != j.issuer {
			return nil, time.Time{}, ErrNoCredentials
		}
		return nil, time.Time{}, j.failure(ctx, err)
	}
	if iss, _ := claims["iss"].(string); iss != j.issuer {
		return nil, time.Time{}, ErrNoCredentials
	}
	if !slices.Contains(j.algs, tok.Method.Alg()) {
		return nil, time.Time{}, j.failure(ctx, errAlgorithm)
	}
	kf := j.hmacKey
	if j.keys != nil {
		kf = j.keys.keyfunc(ctx)
	}
	key, err := kf(tok)
	if err != nil {
		return nil, time.Time{}, j.failure(ctx, err)
	}
	if err := tok.Method.Verify(cred[:strings.LastIndexByte(cred, '.')], tok.Signature, key); err != nil {
		return nil, time.Time{}, j.failure(ctx, fmt.Errorf("%w: %w", jwt.ErrTokenSignatureInvalid, err))
	}
	if err := j.validator.Validate(claims); err != nil {
		return nil, time.Time{}, j.failure(ctx, err)
	}
	u, err := j.claims.user(claims)
	if err != nil {
		j.log.InfoContext(ctx, "authn: token claims do not map to a user", "authenticator", j.name, "error", err)
		return nil, time.Time{}, invalid("Token has no usable identity")
	}
	var exp time.Time
	if e, err := claims.GetExpirationTime(); err == nil && e != nil {
		exp = e.Time
	}
	return u, exp, nil
}

func (j *jwtAuth) hmacKey(t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
		return nil, errAlgorithm
	}
	return j.secret, nil
}

// failure turns a verification error into the client's answer.
func (j *jwtAuth) failure(ctx context.Context, err error) error {
	if errors.Is(err, errUnavailable) {
		j.log.WarnContext(ctx, "authn: cannot verify tokens: keys unavailable", "authenticator", j.name, "error", err)
		return unavailable("Identity provider unavailable")
	}
	detail := "Invalid token"
	switch {
	case errors.Is(err, errNoKid):
		detail = "Token has no key id"
	case errors.Is(err, errUnknownKey):
		detail = "Unknown signing key"
	case errors.Is(err, errAlgorithm), errors.Is(err, jwt.ErrTokenUnverifiable):
		detail = "Signing algorithm not allowed"
	case errors.Is(err, jwt.ErrTokenMalformed):
		detail = "Malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		detail = "Invalid signature"
	case errors.Is(err, jwt.ErrTokenExpired):
		detail = "Token is expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		detail = "Token is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		detail = "Token issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		detail = "Invalid issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		detail = "Invalid audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		detail = "Token is missing a required claim"
	}
	j.log.DebugContext(ctx, "authn: token rejected", "authenticator", j.name, "error", err)
	return invalid(detail)
}
