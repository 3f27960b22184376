package server

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// RequestLogOptions tune the info-level line logged for each request
// (method, route pattern, status, duration_ms, identity, request_id,
// trace_id; at debug level also the request headers, credentials redacted).
type RequestLogOptions struct {
	// Off logs no request lines.
	Off bool
	// SkipRate is the fraction of successful (below 400) requests left out
	// at random, 0..1: 0 logs every request, 1 only errors.
	SkipRate float64
	// Health also logs successful GET /ok, left out by default.
	Health bool
}

// redacted replaces the value of a header that may carry a credential.
const redacted = "[REDACTED]"

// logRequest writes the request line of a finished request.
func (s *Server) logRequest(ctx context.Context, r *http.Request, rs *reqState, start time.Time) {
	o := s.opts.RequestLog
	status := rs.status
	route := routeOf(r)
	if status < 400 && (route == "/ok" && !o.Health || o.SkipRate > 0 && rand.Float64() < o.SkipRate) {
		return
	}
	attrs := [9]slog.Attr{
		slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("identity", rs.identity), slog.String("request_id", rs.rid),
		slog.String("trace_id", s.logTraceID(ctx, r)),
	}
	n := 7
	if s.log.Enabled(ctx, slog.LevelDebug) {
		attrs[n] = slog.String("path", r.URL.Path)
		attrs[n+1] = slog.Any("headers", s.redactHeaders(r.Header))
		n += 2
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs[:n]...)
}

// logTraceID is the request span's trace id when tracing, else the one of
// the client's traceparent header.
func (s *Server) logTraceID(ctx context.Context, r *http.Request) string {
	if s.tracer != nil {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			return sc.TraceID().String()
		}
	}
	return traceID(r.Header.Get("Traceparent"))
}

// traceID returns the trace id of a W3C traceparent header
// ("00-<32 hex>-<16 hex>-<2 hex>"), "" when absent or malformed.
func traceID(tp string) string {
	tp = strings.TrimSpace(tp)
	if len(tp) < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' || tp[:2] == "ff" {
		return ""
	}
	if len(tp) > 55 && (tp[:2] == "00" || tp[55] != '-') {
		return ""
	}
	if !lowerHex(tp[:2]) || !lowerHex(tp[3:35]) || !lowerHex(tp[36:52]) || !lowerHex(tp[53:55]) {
		return ""
	}
	id := tp[3:35]
	if id == strings.Repeat("0", 32) || tp[36:52] == strings.Repeat("0", 16) {
		return ""
	}
	return id
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// redactHeaders returns the request headers (lower-case names, values
// joined by ", ") with credentials and every header that
// http.configurable_headers excludes replaced by [REDACTED].
func (s *Server) redactHeaders(h http.Header) map[string]string {
	ex := s.opts.HTTP.ConfigurableHeaders.Excludes
	out := make(map[string]string, len(h))
	for name, vs := range h {
		n := strings.ToLower(name)
		if neverConfigurable(n) || matchAny(ex, n) || strings.Contains(n, "token") ||
			strings.Contains(n, "secret") || strings.Contains(n, "api-key") {
			out[n] = redacted
			continue
		}
		out[n] = strings.Join(vs, ", ")
	}
	return out
}
