package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/wire"
)

var hi = []graph.Message{graph.Human("hi")}

// llmError asserts err is an *llm.Error of kind and status.
func llmError(t *testing.T, err error, kind string, status int) *llm.Error {
	t.Helper()
	var le *llm.Error
	if !errors.As(err, &le) {
		t.Fatalf("err = %v (%T), want *llm.Error", err, err)
	}
	if le.Provider != "anthropic" || le.Kind != kind || le.Status != status {
		t.Fatalf("err = %+v, want kind %q status %d", le, kind, status)
	}
	return le
}

func TestUnauthorizedIsAnAuthenticationErrorNotRetried(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		errorResponse(w, 401, "authentication_error", "invalid x-api-key", nil)
	})
	_, err := f.model(Options{}).Stream(context.Background(), hi, nil)
	le := llmError(t, err, KindAuthentication, 401)
	if !strings.Contains(le.Message, "invalid x-api-key") || !strings.Contains(err.Error(), "anthropic authentication error (HTTP 401)") {
		t.Errorf("message = %q, error = %q", le.Message, err)
	}
	var se *wire.StatusError
	if !errors.As(err, &se) || se.Status != 401 {
		t.Error("the answer's error is not wrapped")
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestClientErrorsAreBadRequests(t *testing.T) {
	for _, tc := range []struct {
		status int
		typ    string
		kind   string
	}{
		{400, "invalid_request_error", KindBadRequest},
		{403, "permission_error", KindAuthentication},
		{404, "not_found_error", KindBadRequest},
		{422, "invalid_request_error", KindBadRequest},
	} {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			errorResponse(w, tc.status, tc.typ, "no", nil)
		})
		_, err := f.model(Options{}).Stream(context.Background(), hi, nil)
		llmError(t, err, tc.kind, tc.status)
		if n := len(f.requests()); n != 1 {
			t.Errorf("HTTP %d: %d requests, want 1", tc.status, n)
		}
	}
}

func TestRateLimitIsRetriedAfterRetryAfter(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			errorResponse(w, 429, "rate_limit_error", "slow down", map[string]string{"retry-after": "1"})
			return
		}
		textReply(w, "made it")
	})
	reply, err := f.model(Options{}).Stream(context.Background(), hi, nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reply.Text() != "made it" {
		t.Fatalf("%d requests, reply %q", len(reqs), reply.Text())
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond {
		t.Errorf("retried after %v, retry-after said 1s", gap)
	}
}

func TestRateLimitBeyondRetriesCarriesRetryAfter(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		// retry-after-ms keeps the waits short; retry-after is reported.
		errorResponse(w, 429, "rate_limit_error", "slow down", map[string]string{"retry-after": "7", "retry-after-ms": "1"})
	})
	_, err := f.model(Options{}).Stream(context.Background(), hi, nil)
	le := llmError(t, err, KindRateLimit, 429)
	if le.RetryAfter != 7 {
		t.Errorf("RetryAfter = %v, want 7", le.RetryAfter)
	}
	if n := len(f.requests()); n != 1+DefaultMaxRetries {
		t.Errorf("%d requests, want %d", n, 1+DefaultMaxRetries)
	}
}

func TestServerErrorsAreRetriedWithinTheBound(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		typ        string
		maxRetries int
		requests   int
	}{
		{"500 with one retry", 500, "api_error", 1, 2},
		{"500 with the default", 500, "api_error", 0, 3},
		{"529 overloaded without retries", 529, "overloaded_error", -1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				errorResponse(w, tc.status, tc.typ, "try later", map[string]string{"retry-after-ms": "1"})
			})
			_, err := f.model(Options{MaxRetries: tc.maxRetries}).Stream(context.Background(), hi, nil)
			le := llmError(t, err, KindServer, tc.status)
			if !strings.Contains(le.Message, tc.typ+": try later") {
				t.Errorf("message = %q", le.Message)
			}
			if n := len(f.requests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestErrorEventMidStreamIsNotRetried(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		s := startSSE(w)
		s.messageStart("msg_err", `{"input_tokens":3,"output_tokens":1}`)
		s.textStart(0)
		s.textDelta(0, "Hel")
		s.event("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
	})
	var chunks []graph.Message
	_, err := f.model(Options{}).Stream(context.Background(), hi, func(c graph.Message) { chunks = append(chunks, c) })
	le := llmError(t, err, KindServer, 0)
	if le.Message != "overloaded_error: Overloaded" {
		t.Errorf("message = %q", le.Message)
	}
	if len(chunks) != 1 || len(f.requests()) != 1 {
		t.Errorf("%d chunks, %d requests; want 1 and 1", len(chunks), len(f.requests()))
	}
}

func TestErrorDataWithoutAnEventNameIsAnError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		s := startSSE(w)
		s.messageStart("msg_err", `{"input_tokens":3,"output_tokens":1}`)
		fmt.Fprint(w, "data: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}\n\n")
		w.(http.Flusher).Flush()
	})
	_, err := f.model(Options{}).Stream(context.Background(), hi, nil)
	le := llmError(t, err, KindRateLimit, 0)
	if le.Message != "rate_limit_error: slow" || len(f.requests()) != 1 {
		t.Errorf("message = %q, %d requests", le.Message, len(f.requests()))
	}
}

func TestBrokenStreamsAreStreamErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		tail func(s sse)
		want string
	}{
		{"ends before message_stop", func(s sse) {}, "before message_stop"},
		{"connection cut", func(s sse) {
			s.w.Write([]byte("event: content_block_delta\ndata: {\"type\":\"content_blo"))
			s.w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, "stream interrupted"},
		{"data is not JSON", func(s sse) { s.event("content_block_delta", `{"type": "content_block_delta", "index": 0,`) }, "malformed event"},
		{"delta for a block that never started", func(s sse) { s.textDelta(5, "x") }, "did not start"},
		{"tool args are not JSON", func(s sse) {
			s.toolStart(1, "toolu_x", "f")
			s.jsonDelta(1, `{"a": `)
			s.blockStop(1)
			s.messageDelta("max_tokens", 5)
			s.messageStop()
		}, "toolu_x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				s := startSSE(w)
				s.messageStart("msg_broken", `{"input_tokens":3,"output_tokens":1}`)
				s.textStart(0)
				s.textDelta(0, "partial")
				tc.tail(s)
			})
			_, err := f.model(Options{}).Stream(context.Background(), hi, nil)
			le := llmError(t, err, KindStream, 0)
			t.Logf("error: %v", err)
			if !strings.Contains(le.Message, tc.want) {
				t.Errorf("message = %q, want it to mention %q", le.Message, tc.want)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests, want 1: a stream that began is never retried", n)
			}
		})
	}
}

func TestNoServerIsAStreamError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	m := f.model(Options{MaxRetries: -1})
	f.srv.Close()
	_, err := m.Stream(context.Background(), hi, nil)
	le := llmError(t, err, KindStream, 0)
	if !strings.HasPrefix(le.Message, "request failed: ") {
		t.Errorf("message = %q", le.Message)
	}
}

func TestUnsendableConversationFailsBeforeAnyRequest(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { textReply(w, "ok") })
	m := f.model(Options{})
	for name, msgs := range map[string][]graph.Message{
		"only a system message": {graph.System("s")},
		"tool without id":       {graph.Human("q"), {Type: graph.ToolType, Content: "x"}},
		"unknown block":         {{Type: graph.HumanType, Content: []any{map[string]any{"type": "hologram"}}}},
		"remove message":        {graph.Human("q"), graph.RemoveMessage("x")},
	} {
		_, err := m.Stream(context.Background(), msgs, nil)
		var le *llm.Error
		if !errors.As(err, &le) || le.Kind != KindBadRequest {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestRetryAfterHeaderForms(t *testing.T) {
	h := http.Header{}
	if got := retryAfter(h); got != 0 {
		t.Errorf("no header: %v", got)
	}
	h.Set("Retry-After-Ms", "1500")
	if got := retryAfter(h); got != 1.5 {
		t.Errorf("retry-after-ms: %v", got)
	}
	h.Set("Retry-After", "2")
	if got := retryAfter(h); got != 2 {
		t.Errorf("retry-after: %v", got)
	}
	h.Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
	if got := retryAfter(h); got < 28 || got > 30 {
		t.Errorf("retry-after date: %v", got)
	}
}
