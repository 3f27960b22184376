package isolation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// client calls the server as one user (token "" sends no credentials).
type client struct {
	t       *testing.T
	base    string
	token   string
	timeout time.Duration // per request, body included
}

// Timeouts: A's requests may wait for a run of the echo model; B's must be
// refused quickly, and a stream or wait that B should not get is cut short.
const (
	timeoutA = 30 * time.Second
	timeoutB = 3 * time.Second
)

// response is what came back. timedOut is set when the response did not
// end within the request timeout (an SSE stream or a wait that stayed
// open); body then holds what arrived before, and status is 0 when not even
// the status line came.
type response struct {
	status   int
	header   http.Header
	body     []byte
	timedOut bool
}

// do sends one request; body is JSON text ("" for none); hdr are extra
// header name/value pairs.
func (c client) do(method, path, body string, hdr ...string) response {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return response{timedOut: true} // no status line in time
		}
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, body: b}
	if err != nil {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
		}
		out.timedOut = true
	}
	return out
}

// must sends a request that has to succeed with want and decodes the JSON
// body into v (when v is not nil).
func (c client) must(want int, method, path, body string, v any) response {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != want || r.timedOut {
		c.t.Fatalf("%s %s %s: status %d (timed out %v), want %d: %s", method, path, body, r.status, r.timedOut, want, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, r.body, err)
		}
	}
	return r
}

// js marshals v (test data only, cannot fail).
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

type obj = map[string]any
