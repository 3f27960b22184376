package llm_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// TestSpanOnlyUnderRecordingSpan: no span without a traced caller; under
// one, a "chat <model>" child with the usage or the error.
func TestSpanOnlyUnderRecordingSpan(t *testing.T) {
	if _, sp := llm.StartSpan(context.Background(), "openai", "m"); sp != nil {
		t.Fatal("a span without a traced caller")
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "node")
	_, sp := llm.StartSpan(ctx, "anthropic", "claude-x")
	llm.EndSpan(sp, graph.Message{UsageMetadata: map[string]any{"input_tokens": 3, "output_tokens": float64(5)}}, nil)
	_, sp = llm.StartSpan(ctx, "anthropic", "claude-x")
	llm.EndSpan(sp, graph.Message{}, errors.New("overloaded"))
	parent.End()
	ended := rec.Ended()
	if len(ended) != 3 {
		t.Fatalf("%d spans", len(ended))
	}
	ok, failed := ended[0], ended[1]
	if ok.Name() != "chat claude-x" || ok.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("span %q parent %v", ok.Name(), ok.Parent().SpanID())
	}
	want := map[attribute.Key]attribute.Value{"gen_ai.provider.name": attribute.StringValue("anthropic"),
		"gen_ai.usage.input_tokens": attribute.IntValue(3), "gen_ai.usage.output_tokens": attribute.Int64Value(5)}
	got := map[attribute.Key]attribute.Value{}
	for _, a := range ok.Attributes() {
		got[a.Key] = a.Value
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k].Emit(), v.Emit())
		}
	}
	if failed.Status().Code != codes.Error || failed.Status().Description != "overloaded" {
		t.Errorf("failed call status %v", failed.Status())
	}
}
