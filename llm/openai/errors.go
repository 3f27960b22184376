package openai

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/wire"
)

// kindOf maps an HTTP error status to an llm.Error kind.
func kindOf(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "authentication"
	case status == http.StatusTooManyRequests:
		return "rate_limit"
	case status >= 500:
		return "server"
	}
	return "bad_request"
}

// requestError maps a failed request to an *llm.Error: an error answer
// keeps its status and message; no answer at all is "server"
// (unreachable).
func requestError(err error) *llm.Error {
	e := &llm.Error{Provider: "openai", Err: err}
	var se *wire.StatusError
	if !errors.As(err, &se) {
		e.Kind, e.Message = "server", "request failed: "+err.Error()
		return e
	}
	e.Status, e.Kind = se.Status, kindOf(se.Status)
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(se.Body, &body) == nil {
		e.Message = body.Error.Message
	}
	if e.Message == "" {
		e.Message = http.StatusText(se.Status)
	}
	if e.Kind == "rate_limit" {
		e.RetryAfter = retryAfter(se.Header)
	}
	return e
}

func streamError(msg string, err error) *llm.Error {
	return &llm.Error{Provider: "openai", Kind: "stream", Message: msg, Err: err}
}

// retryAfter reads the server's advice in seconds: retry-after-ms, or
// retry-after as seconds or an HTTP date. 0 means none.
func retryAfter(h http.Header) float64 {
	if v, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && v > 0 {
		return v / 1000
	}
	v := h.Get("Retry-After")
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return s
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t).Seconds(); d > 0 {
			return d
		}
	}
	return 0
}
