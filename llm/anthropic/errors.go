package anthropic

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/agentgate/agentgate/llm"
	sdk "github.com/anthropics/anthropic-sdk-go/v2"
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

// toError maps an SDK error to an *llm.Error. An error response carries
// its HTTP status; an "event: error" in a 200 stream has none, so its
// error type decides; anything else (no connection, a dropped one, bad
// JSON) is a stream error. started says whether events had arrived.
func toError(err error, started bool) error {
	var ae *sdk.Error
	if !errors.As(err, &ae) {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn) || errors.As(err, &typ):
			return streamError("malformed event: "+err.Error(), err)
		case started:
			return streamError("stream interrupted: "+err.Error(), err)
		}
		return streamError("request failed: "+err.Error(), err)
	}
	e := &llm.Error{Provider: provider, Message: ae.Message, Err: err}
	typ := string(ae.Type())
	if e.Message == "" {
		e.Message = ae.RawJSON()
	}
	if typ != "" {
		e.Message = typ + ": " + e.Message
	}
	if ae.StatusCode >= 400 {
		e.Status = ae.StatusCode
		e.Kind = kindOfStatus(ae.StatusCode)
		if ae.Response != nil && ae.StatusCode == http.StatusTooManyRequests {
			e.RetryAfter = retryAfter(ae.Response.Header)
		}
		return e
	}
	e.Kind = kindOfType(typ)
	return e
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
