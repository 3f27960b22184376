package anthropic

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fake is a local stand-in for POST /v1/messages that speaks Anthropic's
// SSE wire format. respond answers the n-th request (from 0).
type fake struct {
	t       *testing.T
	srv     *httptest.Server
	respond func(w http.ResponseWriter, r *http.Request, n int)

	mu   sync.Mutex
	reqs []request
}

// request is what the fake received.
type request struct {
	Header http.Header
	Body   map[string]any
	At     time.Time
}

func newFake(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *fake {
	t.Helper()
	f := &fake{t: t, respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve)) // 127.0.0.1
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		f.t.Errorf("fake: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading body: %v", err)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("fake: body is not JSON: %v", err)
	}
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, request{Header: r.Header.Clone(), Body: body, At: time.Now()})
	f.mu.Unlock()
	f.respond(w, r, n)
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// model returns a Model talking to the fake; opts may set more.
func (f *fake) model(opts Options) *Model {
	f.t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = "test-key"
	}
	opts.BaseURL = f.srv.URL
	opts.HTTPClient = f.srv.Client()
	opts.LookupEnv = noEnv
	m, err := New("claude-test", opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func noEnv(string) (string, bool) { return "", false }

// sse writes events to a streaming response.
type sse struct {
	w http.ResponseWriter
}

func startSSE(w http.ResponseWriter) sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return sse{w}
}

// event writes one event; data is JSON text.
func (s sse) event(name, data string) {
	fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, data)
	s.w.(http.Flusher).Flush()
}

const testModelName = "claude-test-20260101"

func (s sse) messageStart(id, usage string) {
	s.event("message_start", `{"type":"message_start","message":{"id":"`+id+`","type":"message","role":"assistant","content":[],"model":"`+testModelName+`","stop_reason":null,"stop_sequence":null,"usage":`+usage+`}}`)
}

func (s sse) textStart(index int) {
	s.event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}`, index))
}

func (s sse) textDelta(index int, text string) {
	b, _ := json.Marshal(text)
	s.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, index, b))
}

func (s sse) toolStart(index int, id, name string) {
	s.event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"tool_use","id":%q,"name":%q,"input":{}}}`, index, id, name))
}

func (s sse) jsonDelta(index int, partial string) {
	b, _ := json.Marshal(partial)
	s.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"input_json_delta","partial_json":%s}}`, index, b))
}

func (s sse) blockStop(index int) {
	s.event("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, index))
}

func (s sse) ping() { s.event("ping", `{"type": "ping"}`) }

func (s sse) messageDelta(stop string, outputTokens int) {
	s.event("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":%d}}`, stop, outputTokens))
}

func (s sse) messageStop() { s.event("message_stop", `{"type":"message_stop"}`) }

// textReply streams a whole text reply made of pieces.
func textReply(w http.ResponseWriter, pieces ...string) {
	s := startSSE(w)
	s.messageStart("msg_text", `{"input_tokens":25,"output_tokens":1}`)
	s.textStart(0)
	s.ping()
	for _, p := range pieces {
		s.textDelta(0, p)
	}
	s.blockStop(0)
	s.messageDelta("end_turn", 15)
	s.messageStop()
}

// errorResponse writes an Anthropic JSON error body.
func errorResponse(w http.ResponseWriter, status int, typ, msg string, header map[string]string) {
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"error","error":{"type":%q,"message":%q}}`, typ, msg)
}
