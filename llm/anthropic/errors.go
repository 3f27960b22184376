package anthropic

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/wire"
)

const provider = "anthropic"

// Kinds of llm.Error this package returns.
const (
	KindAuthentication = "authentication"
	KindRateLimit      = "rate_limit"
	KindServer         = "server"
	KindBadRequest     = "bad_request"
	KindStream         = "stream"
)

// requestError maps a failed request to an *llm.Error: an error answer
// keeps its status, and its error type decides the message; no answer at
// all is a stream error ("request failed").
func requestError(err error) *llm.Error {
	var se *wire.StatusError
	if !errors.As(err, &se) {
		return streamError("request failed: "+err.Error(), err)
	}
	var body struct{ Error apiError }
	_ = json.Unmarshal(se.Body, &body)
	e := &llm.Error{Provider: provider, Status: se.Status, Kind: kindOfStatus(se.Status), Err: err,
		Message: errorMessage(body.Error, se.Body)}
	if se.Status == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(se.Header)
	}
	return e
}

// eventError maps an "event: error" in a 200 stream, which has no status:
// its error type decides the kind.
func eventError(ae apiError) *llm.Error {
	return &llm.Error{Provider: provider, Kind: kindOfType(ae.Type), Message: errorMessage(ae, nil)}
}

// errorMessage is "type: message", or the raw body when there is none.
func errorMessage(ae apiError, raw []byte) string {
	msg := ae.Message
	if msg == "" {
		msg = strings.TrimSpace(string(raw))
	}
	if ae.Type != "" {
		msg = ae.Type + ": " + msg
	}
	return msg
}

func kindOfStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuthentication
	case status == http.StatusTooManyRequests:
		return KindRateLimit
	case status == http.StatusRequestTimeout || status >= 500: // 529 is overloaded
		return KindServer
	}
	return KindBadRequest // 400, 404, 413, 422 and the rest of 4xx
}

// kindOfType maps Anthropic's error types, as sent in a mid-stream error
// event.
func kindOfType(typ string) string {
	switch typ {
	case "authentication_error", "permission_error":
		return KindAuthentication
	case "rate_limit_error":
		return KindRateLimit
	case "overloaded_error", "api_error", "timeout_error":
		return KindServer
	case "invalid_request_error", "not_found_error", "request_too_large":
		return KindBadRequest
	}
	return KindStream
}

// retryAfter reads retry-after (seconds or an HTTP date), else
// retry-after-ms, as seconds; 0 when absent.
func retryAfter(h http.Header) float64 {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			return s
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := time.Until(t).Seconds(); d > 0 {
				return d
			}
		}
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return ms / 1000
		}
	}
	return 0
}

func streamError(msg string, err error) *llm.Error {
	return &llm.Error{Provider: provider, Kind: KindStream, Message: msg, Err: err}
}
