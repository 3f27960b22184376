package runs

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TraceparentKey is the kwargs key holding the W3C traceparent of the
// request that created a run (set only when tracing): the run's span is
// its child.
const TraceparentKey = "traceparent"

// Traceparent returns the W3C traceparent of ctx's span, "" without one.
func Traceparent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c[TraceparentKey]
}

// startRunSpan starts the "run" span under the creating request's trace
// context; nil when not tracing.
func (s *Scheduler) startRunSpan(ctx context.Context, kwargs map[string]any, runID, threadID string, attempt int) (context.Context, trace.Span) {
	t := s.opts.Tracer
	if t == nil {
		return ctx, nil
	}
	if tp, _ := kwargs[TraceparentKey].(string); tp != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{TraceparentKey: tp})
	}
	return t.Start(ctx, "run", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("agentgate.run_id", runID),
			attribute.String("agentgate.thread_id", threadID), attribute.Int("agentgate.attempt", attempt)))
}

// endRunSpan ends a run span with the run's status.
func endRunSpan(sp trace.Span, status string, err error) {
	sp.SetAttributes(attribute.String("agentgate.run_status", status))
	if err != nil {
		sp.RecordError(err)
	}
	if status != "success" && status != "interrupted" {
		sp.SetStatus(codes.Error, "run "+status)
	}
	sp.End()
}

// injectTrace sets the traceparent header of a webhook call.
func injectTrace(ctx context.Context, h map[string][]string) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(h))
	}
}
