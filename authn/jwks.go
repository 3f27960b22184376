package authn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Errors a key set's keyfunc returns; jwtAuth maps them to responses.
var (
	errUnavailable = errors.New("identity provider unavailable")
	errUnknownKey  = errors.New("unknown signing key")
	errNoKid       = errors.New("token has no kid")
	errAlgorithm   = errors.New("algorithm not allowed by the issuer")
)

// misconfigError is a definite answer from the identity provider that
// contradicts the configuration (wrong issuer, no common algorithm); Build
// fails on it rather than start.
type misconfigError struct{ msg string }

func (e *misconfigError) Error() string { return e.msg }

const maxDocumentBytes = 1 << 20 // JWKS, discovery and user-info answers

// keySet is the verification keys of one issuer: fetched from a JWKS URL
// (found by OIDC discovery when not given), refreshed when older than
// refresh and when a token names an unknown kid, but never more often than
// once per minRefetch. Keys older than maxStale (no successful fetch since)
// are not trusted: tokens get a 503 until a fetch succeeds.
type keySet struct {
	issuer     string
	discover   bool
	client     *http.Client
	timeout    time.Duration
	refresh    time.Duration
	minRefetch time.Duration
	maxStale   time.Duration
	now        func() time.Time
	log        *slog.Logger
	store      jwkset.Storage
	kf         keyfunc.Keyfunc

	mu          sync.Mutex
	jwksURL     string   // given, or discovered
	algs        []string // allowed algorithms (narrowed by discovery)
	lastAttempt time.Time
	lastKidTry  time.Time // last fetch for an unknown kid
	lastSuccess time.Time
	lastErr     error
	inflight    chan struct{}
}

func newKeySet(issuer, jwksURL string, algs []string, client *http.Client, timeout, refresh, minRefetch, maxStale time.Duration, now func() time.Time, log *slog.Logger) (*keySet, error) {
	store := jwkset.NewMemoryStorage()
	kf, err := keyfunc.New(keyfunc.Options{Storage: store, UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
	if err != nil {
		return nil, err
	}
	return &keySet{issuer: issuer, jwksURL: jwksURL, discover: jwksURL == "", algs: algs, client: client,
		timeout: timeout, refresh: refresh, minRefetch: minRefetch, maxStale: maxStale, now: now, log: log,
		store: store, kf: kf}, nil
}

// keyfunc returns the jwt.Keyfunc for one verification.
func (ks *keySet) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errNoKid
		}
		ks.mu.Lock()
		algs, last := ks.algs, ks.lastSuccess
		ks.mu.Unlock()
		if !slices.Contains(algs, t.Method.Alg()) {
			return nil, errAlgorithm
		}
		if last.IsZero() || ks.now().Sub(last) >= ks.refresh {
			// No keys yet, or due for the periodic refresh.
			ks.update(ctx, false)
		}
		key, err := ks.kf.KeyfuncCtx(ctx)(t)
		if errors.Is(err, jwkset.ErrKeyNotFound) && ks.update(ctx, true) {
			key, err = ks.kf.KeyfuncCtx(ctx)(t)
		}
		ks.mu.Lock()
		last, lastErr := ks.lastSuccess, ks.lastErr
		ks.mu.Unlock()
		if last.IsZero() || ks.now().Sub(last) > ks.maxStale {
			return nil, fmt.Errorf("%w: %v", errUnavailable, lastErr)
		}
		if errors.Is(err, jwkset.ErrKeyNotFound) {
			if lastErr != nil {
				return nil, fmt.Errorf("%w: %v", errUnavailable, lastErr)
			}
			return nil, errUnknownKey
		}
		return key, err
	}
}

// update fetches the key set unless a fetch is under way (it then waits
// for it) or the last attempt of the same kind (periodic, or for an
// unknown kid) was less than minRefetch ago. It reports whether the keys
// may have changed.
func (ks *keySet) update(ctx context.Context, unknownKid bool) bool {
	ks.mu.Lock()
	if ch := ks.inflight; ch != nil {
		ks.mu.Unlock()
		select {
		case <-ch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	now := ks.now()
	last := &ks.lastAttempt
	if unknownKid {
		last = &ks.lastKidTry
	}
	if !last.IsZero() && now.Sub(*last) < ks.minRefetch {
		ks.mu.Unlock()
		return false
	}
	ch := make(chan struct{})
	ks.inflight, *last = ch, now
	ks.mu.Unlock()

	// The fetch serves every waiting request: a caller going away must not
	// cancel it, the timeout bounds it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ks.timeout)
	err := ks.fetch(fctx)
	cancel()

	ks.mu.Lock()
	ks.inflight = nil
	if err == nil {
		ks.lastSuccess, ks.lastErr = ks.now(), nil
	} else {
		ks.lastErr = err
	}
	ks.mu.Unlock()
	close(ch)
	if err != nil {
		ks.log.Warn("authn: fetching the issuer's keys failed", "issuer", ks.issuer, "error", err)
	}
	return err == nil
}

func (ks *keySet) fetch(ctx context.Context) error {
	ks.mu.Lock()
	u := ks.jwksURL
	ks.mu.Unlock()
	if u == "" {
		var err error
		if u, err = ks.discoverJWKS(ctx); err != nil {
			return err
		}
	}
	var doc jwkset.JWKSMarshal
	if err := getJSON(ctx, ks.client, u, &doc); err != nil {
		return fmt.Errorf("JWKS %s: %w", u, err)
	}
	keys := make([]jwkset.JWK, 0, len(doc.Keys))
	for _, m := range doc.Keys {
		if m.KTY == jwkset.KtyOct {
			continue // HMAC secrets never come from a JWKS
		}
		k, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			ks.log.Debug("authn: skipping a JWKS key", "issuer", ks.issuer, "kid", m.KID, "error", err)
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return fmt.Errorf("JWKS %s has no usable signing keys", u)
	}
	return ks.store.KeyReplaceAll(ctx, keys)
}

// discoverJWKS reads {issuer}/.well-known/openid-configuration.
func (ks *keySet) discoverJWKS(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(ks.issuer, "/") + "/.well-known/openid-configuration"
	var doc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := getJSON(ctx, ks.client, u, &doc); err != nil {
		return "", fmt.Errorf("OIDC discovery %s: %w", u, err)
	}
	if doc.Issuer != ks.issuer {
		return "", &misconfigError{fmt.Sprintf("OIDC discovery %s: issuer %q does not match the configured %q", u, doc.Issuer, ks.issuer)}
	}
	if !isHTTPURL(doc.JWKSURI) {
		return "", &misconfigError{fmt.Sprintf("OIDC discovery %s: jwks_uri %q is not an http(s) URL", u, doc.JWKSURI)}
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if len(doc.Algs) > 0 {
		var common []string
		for _, a := range ks.algs {
			if slices.Contains(doc.Algs, a) {
				common = append(common, a)
			}
		}
		if len(common) == 0 {
			return "", &misconfigError{fmt.Sprintf("OIDC discovery %s: the issuer signs with %v, none of the configured algorithms %v", u, doc.Algs, ks.algs)}
		}
		ks.algs = common
	}
	ks.jwksURL = doc.JWKSURI
	return doc.JWKSURI, nil
}

// getJSON GETs u and decodes a 200 answer of at most maxDocumentBytes.
func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxDocumentBytes {
		return fmt.Errorf("answer larger than %d bytes", maxDocumentBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}
