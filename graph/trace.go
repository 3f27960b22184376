package graph

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of node spans.
const tracerName = "github.com/agentgate/agentgate/graph"

// startNodeSpan starts a "node <name>" span for a task when ctx's span is
// recording (a traced run); otherwise it returns ctx and nil.
func startNodeSpan(ctx context.Context, t *task) (context.Context, trace.Span) {
	ps := trace.SpanFromContext(ctx)
	if !ps.IsRecording() {
		return ctx, nil
	}
	return ps.TracerProvider().Tracer(tracerName).Start(ctx, "node "+t.name,
		trace.WithAttributes(attribute.String("langgraph.node", t.name), attribute.Int("langgraph.step", t.step),
			attribute.String("langgraph.task_id", t.id), attribute.String("langgraph.checkpoint_ns", t.ns)))
}

// endNodeSpan ends a task's span with its outcome.
func endNodeSpan(sp trace.Span, t *task) {
	switch {
	case t.interrupted:
		sp.SetAttributes(attribute.Bool("langgraph.interrupted", true))
	case t.err != nil:
		sp.RecordError(t.err)
		sp.SetStatus(codes.Error, t.err.Error())
	}
	sp.End()
}
