package server

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// Traces (Options.Tracer): a server span per request, continuing the
// client's W3C trace context, with children for authenticate, authorize
// and every storage call. With no tracer none of this runs.

// startRequestSpan starts the request span under the client's context.
func (s *Server) startRequestSpan(r *http.Request) (*http.Request, trace.Span) {
	ctx := s.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, sp := s.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path)))
	return r.WithContext(ctx), sp
}

// endRequestSpan names the span "METHOD route" and ends it with the status.
func endRequestSpan(sp trace.Span, r *http.Request, status int) {
	if route := routeOf(r); route != "" && route != "/" {
		sp.SetName(r.Method + " " + route)
		sp.SetAttributes(attribute.String("http.route", route))
	}
	sp.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		sp.SetStatus(codes.Error, http.StatusText(status))
	}
	sp.End()
}

// endSpan ends sp, recording err.
func endSpan(sp trace.Span, err error) {
	if err != nil {
		sp.RecordError(err)
		sp.SetStatus(codes.Error, err.Error())
	}
	sp.End()
}

// authenticateTraced is Authenticate in an "authenticate" span; the
// context returned has the request span current again.
func (s *Server) authenticateTraced(r *http.Request) (context.Context, error) {
	parent := trace.SpanFromContext(r.Context())
	ctx, sp := s.tracer.Start(r.Context(), "authenticate")
	out, err := s.authn.Authenticate(r.WithContext(ctx))
	if err == nil {
		if id, ok := auth.IdentityFrom(out); ok && id.User != nil {
			sp.SetAttributes(attribute.String("enduser.id", id.User.Identity))
		}
	}
	endSpan(sp, err)
	if out != nil {
		out = trace.ContextWithSpan(out, parent)
	}
	return out, err
}

// endAuthorizeSpan ends an "authorize" span.
func endAuthorizeSpan(sp trace.Span, v auth.Value, err error) {
	res, act := v.Event()
	sp.SetAttributes(attribute.String("agentgate.resource", res), attribute.String("agentgate.action", act))
	endSpan(sp, err)
}

// tracedStorage observes storage calls for the metrics and as spans
// under the caller's span (calls without one make no span).
type tracedStorage struct {
	storage.Observer
	tracer trace.Tracer
}

func (o tracedStorage) StorageCallContext(ctx context.Context, method string, t0 time.Time, err error) {
	now := time.Now()
	o.StorageCall(method, now.Sub(t0))
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	_, sp := o.tracer.Start(ctx, "storage "+method, trace.WithTimestamp(t0),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.operation.name", method)))
	if err != nil {
		sp.RecordError(err)
		sp.SetStatus(codes.Error, err.Error())
	}
	sp.End(trace.WithTimestamp(now))
}
