// Package wire sends JSON requests to model providers' HTTP APIs and reads
// their server-sent event streams. It retries as the providers' official
// SDKs do: 408, 409, 429, 5xx and failed connections, unless the answer's
// x-should-retry header says otherwise, waiting what retry-after-ms or
// retry-after ask for (up to a minute), else 0.5 s doubling up to 8 s, less
// up to a quarter of jitter.
package wire

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// maxErrorBody bounds what is read of an error answer's body.
const maxErrorBody = 1 << 20

// Request is one POST of a JSON body.
type Request struct {
	URL    string
	Header http.Header // besides Content-Type, which is JSON
	Body   []byte
	// MaxRetries bounds the retries after the first attempt.
	MaxRetries int
	// Client sends the request; nil means http.DefaultClient.
	Client *http.Client
}

// StatusError is an answer with a status of 300 or more: the last one
// when retries ran out or the status is not retried.
type StatusError struct {
	Status int
	Header http.Header
	Body   []byte // up to 1 MiB
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, bytes.TrimSpace(e.Body))
}

// Post sends req until an answer is 2xx, is not retried or retries run
// out. It returns the 2xx response, whose body the caller closes, a
// *StatusError, the transport's error, or ctx's error when ctx ended.
func Post(ctx context.Context, req Request) (*http.Response, error) {
	client := req.Client
	if client == nil {
		client = http.DefaultClient
	}
	for attempt := 0; ; attempt++ {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
		if err != nil {
			return nil, err
		}
		for k, v := range req.Header {
			hr.Header[k] = v
		}
		hr.Header.Set("Content-Type", "application/json")
		res, err := client.Do(hr)
		if err == nil && res.StatusCode < 300 {
			return res, nil
		}
		var last error
		retry := true
		if err != nil {
			last = err
		} else {
			body, rerr := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
			_ = res.Body.Close()
			se := &StatusError{Status: res.StatusCode, Header: res.Header, Body: body}
			last = se
			switch should, ok := shouldRetryHeader(res.Header); {
			case ok:
				retry = should
			case rerr != nil: // a dropped body is a connection error
			default:
				retry = retried(res.StatusCode)
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !retry || attempt >= req.MaxRetries {
			return nil, last
		}
		var h http.Header
		if res != nil {
			h = res.Header
		}
		t := time.NewTimer(Delay(h, attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// retried says whether an answer's status is worth another attempt.
func retried(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests || status >= 500
}

// shouldRetryHeader reads x-should-retry: "true" or "false".
func shouldRetryHeader(h http.Header) (retry, ok bool) {
	switch h.Get("X-Should-Retry") {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// maxAdvice is the longest retry-after honoured; longer advice gets the
// default backoff.
const maxAdvice = time.Minute

// Delay is the wait before retry number attempt+1: what h asks for
// (RetryAfter) up to a minute, else 0.5 s × 2^attempt up to 8 s, less up
// to a quarter.
func Delay(h http.Header, attempt int) time.Duration {
	if d, ok := RetryAfter(h); ok && d <= maxAdvice {
		return d
	}
	d := min(500*time.Millisecond<<min(attempt, 5), 8*time.Second)
	return d - rand.N(d/4)
}

// RetryAfter reads retry-after-ms (milliseconds), else retry-after
// (seconds or an HTTP date). ok is false when neither is set or readable;
// a date in the past is 0.
func RetryAfter(h http.Header) (d time.Duration, ok bool) {
	if h == nil {
		return 0, false
	}
	if v, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && v >= 0 && v < 1e9 {
		return time.Duration(v * float64(time.Millisecond)), true
	}
	v := h.Get("Retry-After")
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < 1e6 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)), true
	}
	return 0, false
}
