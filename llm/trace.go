package llm

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentgate/agentgate/graph"
)

// tracerName is the instrumentation scope of model call spans.
const tracerName = "github.com/agentgate/agentgate/llm"

// StartSpan starts a "chat <model>" span when ctx's span is recording
// (a traced run); otherwise it returns ctx and nil at no cost.
func StartSpan(ctx context.Context, provider, model string) (context.Context, trace.Span) {
	ps := trace.SpanFromContext(ctx)
	if !ps.IsRecording() {
		return ctx, nil
	}
	return ps.TracerProvider().Tracer(tracerName).Start(ctx, "chat "+model,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", provider), attribute.String("gen_ai.request.model", model)))
}

// EndSpan ends a model call span with its token usage or error.
func EndSpan(sp trace.Span, reply graph.Message, err error) {
	if err != nil {
		sp.RecordError(err)
		sp.SetStatus(codes.Error, err.Error())
	}
	u := reply.UsageMetadata
	for _, k := range [...]string{"input_tokens", "output_tokens"} {
		switch n := u[k].(type) {
		case int:
			sp.SetAttributes(attribute.Int("gen_ai.usage."+k, n))
		case int64:
			sp.SetAttributes(attribute.Int64("gen_ai.usage."+k, n))
		case float64:
			sp.SetAttributes(attribute.Int64("gen_ai.usage."+k, int64(n)))
		}
	}
	sp.End()
}

// Traced runs stream under a model call span (StartSpan, EndSpan) when
// ctx's span is recording, and plainly otherwise.
func Traced(ctx context.Context, provider, model string, stream func(context.Context) (graph.Message, error)) (graph.Message, error) {
	ctx, sp := StartSpan(ctx, provider, model)
	if sp == nil {
		return stream(ctx)
	}
	reply, err := stream(ctx)
	EndSpan(sp, reply, err)
	return reply, err
}
