package openai

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentgate/agentgate/llm"
	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// watch sees each HTTP attempt of one Stream call: the last status and
// whether the streamed body carried the closing "data: [DONE]" line, which
// the SDK's stream does not report.
type watch struct {
	status int
	opened bool // a 2xx response's body is being streamed
	done   bool
}

func (w *watch) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if err != nil || res == nil {
		return res, err
	}
	w.status = res.StatusCode
	if res.StatusCode < 300 && res.Body != nil {
		w.opened = true
		res.Body = &doneBody{ReadCloser: res.Body, w: w}
	}
	return res, err
}

// doneBody passes the body through, looking at line starts for [DONE].
type doneBody struct {
	io.ReadCloser
	w    *watch
	line []byte // the current line's first bytes
	long bool   // the current line is too long to be [DONE]
}

func (b *doneBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	for _, c := range p[:n] {
		if c == '\n' || c == '\r' {
			if s := strings.TrimSpace(string(b.line)); !b.long && (s == "data: [DONE]" || s == "data:[DONE]") {
				b.w.done = true
			}
			b.line, b.long = b.line[:0], false
			continue
		}
		if len(b.line) < 24 {
			b.line = append(b.line, c)
		} else {
			b.long = true
		}
	}
	return n, err
}

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

// toError maps a failed stream to an *llm.Error. Errors before any
// response are "server" (unreachable); errors while streaming are "stream".
func toError(err error, w *watch) *llm.Error {
	e := &llm.Error{Provider: "openai", Err: err}
	var ae *sdk.Error
	var se *ssestream.StreamError
	switch {
	case errors.As(err, &ae):
		e.Status, e.Kind, e.Message = ae.StatusCode, kindOf(ae.StatusCode), ae.Message
		if e.Kind == "rate_limit" {
			e.RetryAfter = retryAfter(ae.Response)
		}
		if e.Message == "" {
			e.Message = http.StatusText(ae.StatusCode)
		}
	case errors.As(err, &se):
		e.Kind, e.Message = "stream", se.Message
		var ev struct {
			Error struct{ Message string }
		}
		if json.Unmarshal(se.Event.Data, &ev) == nil && ev.Error.Message != "" {
			e.Message = "error event: " + ev.Error.Message
		}
	case w.opened:
		e.Kind, e.Message = "stream", "malformed or interrupted stream: "+err.Error()
	case w.status >= 400: // an error body the SDK could not read
		e.Status, e.Kind, e.Message = w.status, kindOf(w.status), err.Error()
	default:
		e.Kind, e.Message = "server", "request failed: "+err.Error()
	}
	return e
}

// retryAfter reads the server's advice in seconds: retry-after-ms, or
// retry-after as seconds or an HTTP date. 0 means none.
func retryAfter(res *http.Response) float64 {
	if res == nil {
		return 0
	}
	if v, err := strconv.ParseFloat(res.Header.Get("Retry-After-Ms"), 64); err == nil && v > 0 {
		return v / 1000
	}
	v := res.Header.Get("Retry-After")
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
