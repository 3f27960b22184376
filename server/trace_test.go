package server

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	collpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graphs/react"
	"github.com/agentgate/agentgate/internal/fakeopenai"
	"github.com/agentgate/agentgate/llm/models"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/agentgate/agentgate/tracing"
)

// collector is a test OTLP/HTTP endpoint keeping the spans it receives.
type collector struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req collpb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
			t.Errorf("collector: bad export %s %q", r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "bad", 400)
			return
		}
		c.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				c.spans = append(c.spans, ss.Spans...)
			}
		}
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ = proto.Marshal(&collpb.ExportTraceServiceResponse{})
		_, _ = w.Write(b)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// named returns the received spans called name.
func (c *collector) named(name string) []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range c.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func (c *collector) all() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.spans...)
}

// one waits for exactly one span called name.
func (c *collector) one(t *testing.T, p *tracing.Provider, name string) *tracepb.Span {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_ = p.ForceFlush(context.Background())
		if s := c.named(name); len(s) == 1 {
			return s[0]
		} else if len(s) > 1 || time.Now().After(deadline) {
			var names []string
			for _, s := range c.all() {
				names = append(names, s.Name)
			}
			t.Fatalf("%d spans %q; received %q", len(s), name, names)
		}
	}
}

// attr is a span attribute as text.
func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			if v, ok := a.Value.Value.(*commonpb.AnyValue_IntValue); ok {
				return strconv.FormatInt(v.IntValue, 10)
			}
			return a.Value.GetStringValue()
		}
	}
	return ""
}

// TestTracesToCollector: with a tracer exporting over OTLP/HTTP, a request
// carrying a client traceparent produces the request span (the client's
// span its parent), authenticate, authorize and storage spans, and the run
// it creates the run, node, model and tool spans, all in the client's
// trace; the webhook and the request log carry that trace.
func TestTracesToCollector(t *testing.T) {
	col := newCollector(t)
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(col.srv.URL+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	tp := tracing.New(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(50*time.Millisecond)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	fake := fakeopenai.New(t,
		fakeopenai.Reply{ToolCalls: []fakeopenai.ToolCall{{ID: "call_calc", Name: "calculator", Args: `{"expression": "6 * 7"}`}}},
		fakeopenai.Reply{Text: "42"})
	env := map[string]string{"OPENAI_BASE_URL": fake.URL(), "OPENAI_API_KEY": "test", "AGENTGATE_MODEL": "openai:gpt-fake"}
	reg, err := models.NewRegistry(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	agentGraph, err := react.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	hookTP := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookTP <- r.Header.Get("Traceparent")
	}))
	defer hook.Close()
	authn := AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		return auth.WithIdentity(r.Context(), &auth.Identity{User: &auth.User{Identity: "alice"}}), nil
	})
	ts := newTestServer(t, Options{Graphs: map[string]Graph{"agent": agentGraph}, Authenticator: authn,
		Tracer: tp.Tracer(), Runs: RunsOptions{AllowPrivateWebhooks: true}})

	const traceID, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ts.ok(200, "POST", "/runs/wait", map[string]any{"assistant_id": "agent",
		"input":   map[string]any{"messages": []any{map[string]any{"role": "user", "content": "6*7?"}}},
		"webhook": hook.URL + "/done"}, "Traceparent", "00-"+traceID+"-"+clientSpan+"-01")

	select {
	case got := <-hookTP:
		if !strings.HasPrefix(got, "00-"+traceID+"-") {
			t.Errorf("webhook traceparent %q, want trace %s", got, traceID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not called")
	}

	hexID := func(b []byte) string { return hex.EncodeToString(b) }
	req := col.one(t, tp, "POST /runs/wait")
	if hexID(req.TraceId) != traceID || hexID(req.ParentSpanId) != clientSpan || req.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("request span: trace %x parent %x kind %v", req.TraceId, req.ParentSpanId, req.Kind)
	}
	if attr(req, "http.response.status_code") != "200" || attr(req, "http.route") != "/runs/wait" {
		t.Errorf("request span attributes %v", req.Attributes)
	}
	childOf := func(s, parent *tracepb.Span) {
		t.Helper()
		if hexID(s.TraceId) != traceID || hexID(s.ParentSpanId) != hexID(parent.SpanId) {
			t.Errorf("span %q: trace %x parent %x, want %s under %q %x", s.Name, s.TraceId, s.ParentSpanId, traceID, parent.Name, parent.SpanId)
		}
	}
	authnSpan := col.one(t, tp, "authenticate")
	childOf(authnSpan, req)
	if attr(authnSpan, "enduser.id") != "alice" {
		t.Errorf("authenticate attributes %v", authnSpan.Attributes)
	}
	authz := col.one(t, tp, "authorize")
	childOf(authz, req)
	if attr(authz, "agentgate.resource") != "threads" || attr(authz, "agentgate.action") != "create_run" {
		t.Errorf("authorize attributes %v", authz.Attributes)
	}
	childOf(col.one(t, tp, "storage Runs.Create"), req)
	run := col.one(t, tp, "run")
	childOf(run, req)
	if attr(run, "agentgate.run_status") != "success" {
		t.Errorf("run attributes %v", run.Attributes)
	}
	var agentNode *tracepb.Span
	for deadline := time.Now().Add(5 * time.Second); agentNode == nil; time.Sleep(20 * time.Millisecond) {
		for _, n := range col.named("node agent") {
			agentNode = n
			childOf(n, run)
		}
		if time.Now().After(deadline) {
			t.Fatal("no node agent span")
		}
	}
	tools := col.one(t, tp, "node tools")
	childOf(tools, run)
	childOf(col.one(t, tp, "execute_tool calculator"), tools)
	chats := col.named("chat gpt-fake")
	if len(chats) != 2 {
		t.Fatalf("%d model call spans, want 2", len(chats))
	}
	for _, c := range chats {
		if attr(c, "gen_ai.provider.name") != "openai" || c.Kind != tracepb.Span_SPAN_KIND_CLIENT {
			t.Errorf("model span %v %v", c.Kind, c.Attributes)
		}
		if hexID(c.TraceId) != traceID {
			t.Errorf("model span in trace %x", c.TraceId)
		}
	}
	if !strings.Contains(ts.logs.String(), "trace_id="+traceID) {
		t.Errorf("request log without the trace id:\n%s", ts.logs.String())
	}
	// Without a client traceparent the request starts a trace, which the
	// log line names.
	ts.ok(200, "POST", "/threads", map[string]any{})
	own := col.one(t, tp, "POST /threads")
	if len(own.ParentSpanId) != 0 || !strings.Contains(ts.logs.String(), "trace_id="+hexID(own.TraceId)) {
		t.Errorf("new trace %x (parent %x) not in the request log:\n%s", own.TraceId, own.ParentSpanId, ts.logs.String())
	}
}

// TestNoTracerNoTrace: without a tracer a client's traceparent is neither
// stored with the run nor passed to the webhook.
func TestNoTracerNoTrace(t *testing.T) {
	hookTP := make(chan []string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookTP <- r.Header.Values("Traceparent")
	}))
	defer hook.Close()
	ts := newRunServer(t, nil, Options{Runs: RunsOptions{AllowPrivateWebhooks: true}})
	th := ts.createThread(nil).ThreadID
	var run struct {
		RunID  string         `json:"run_id"`
		Kwargs map[string]any `json:"kwargs"`
	}
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "who", "input": map[string]any{},
		"webhook": hook.URL + "/done"}, "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").json(t, &run)
	if run.Kwargs == nil {
		t.Fatal("run without kwargs")
	}
	if _, ok := run.Kwargs["traceparent"]; ok {
		t.Errorf("kwargs carry a traceparent: %v", run.Kwargs)
	}
	select {
	case got := <-hookTP:
		if len(got) != 0 {
			t.Errorf("webhook traceparent %q without tracing", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not called")
	}
}

// BenchmarkGetThreadTraced is BenchmarkGetThread/memory with tracing on
// (spans recorded, none exported): the cost of the request, authorize and
// storage spans.
func BenchmarkGetThreadTraced(b *testing.B) {
	tp := tracing.New()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	benchGetThreadOpts(b, Options{Store: memory.New(), Tracer: tp.Tracer()})
}
