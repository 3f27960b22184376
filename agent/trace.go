package agent

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentgate/agentgate/graph"
)

// tracerName is the instrumentation scope of tool call spans.
const tracerName = "github.com/agentgate/agentgate/agent"

// startToolSpan starts an "execute_tool <name>" span when ctx's span is
// recording (a traced run); otherwise it returns ctx and nil.
func startToolSpan(ctx context.Context, c graph.ToolCall) (context.Context, trace.Span) {
	ps := trace.SpanFromContext(ctx)
	if !ps.IsRecording() {
		return ctx, nil
	}
	return ps.TracerProvider().Tracer(tracerName).Start(ctx, "execute_tool "+c.Name,
		trace.WithAttributes(attribute.String("gen_ai.operation.name", "execute_tool"),
			attribute.String("gen_ai.tool.name", c.Name), attribute.String("gen_ai.tool.call.id", c.ID)))
}

// callTraced calls t in an "execute_tool" span when tracing.
func callTraced(ctx context.Context, t Tool, c graph.ToolCall) (_ any, err error) {
	ctx, sp := startToolSpan(ctx, c)
	if sp == nil {
		return t.Call(ctx, c.Args)
	}
	defer func() {
		if r := recover(); r != nil {
			endToolSpan(sp, fmt.Errorf("tool %q panicked: %v", c.Name, r))
			panic(r)
		}
		endToolSpan(sp, err)
	}()
	return t.Call(ctx, c.Args)
}

func endToolSpan(sp trace.Span, err error) {
	if err != nil {
		sp.RecordError(err)
		sp.SetStatus(codes.Error, err.Error())
	}
	sp.End()
}
