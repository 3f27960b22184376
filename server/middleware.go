package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// middleware wraps the mux: request id, request metrics (by the mux
// pattern, which the mux sets on r), recover, CORS (with preflight), body
// limit, the request log and the audit log. Only when a log wants the
// request does it carry per-request log state.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var sp trace.Span
		if s.tracer != nil {
			r, sp = s.startRequestSpan(r)
		}
		h := w.Header()
		rid := r.Header.Get("X-Request-Id")
		if rid == "" || len(rid) > 200 {
			rid = s.nextRequestID()
		}
		h["X-Request-Id"] = []string{rid}
		logged := !s.opts.RequestLog.Off && s.log.Enabled(r.Context(), slog.LevelInfo)
		if !logged && s.audit == nil {
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			defer s.observe(sw, r, start, sp)
			defer s.recoverPanic(sw, r, rid)
			s.serve(next, sw, r)
			return
		}
		rs := &reqState{statusWriter: statusWriter{ResponseWriter: w, status: http.StatusOK},
			rid: rid, method: r.Method, audit: s.audit}
		rs.settled = rs.settle
		r = r.WithContext(context.WithValue(r.Context(), reqStateKey{}, rs))
		defer func() {
			rs.settle(rs.status)
			s.observe(&rs.statusWriter, r, start, sp)
			if logged {
				s.logRequest(r.Context(), r, rs, start)
			}
		}()
		defer s.recoverPanic(&rs.statusWriter, r, rid)
		s.serve(next, &rs.statusWriter, r)
	})
}

// serve applies CORS and the body limit, then calls next.
func (s *Server) serve(next http.Handler, w *statusWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && r.Context().Value(corsDone{}) == nil {
		if s.cors.handle(w, r, origin) {
			return // preflight answered
		}
	}
	if r.ContentLength > s.maxBody {
		writeDetail(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		// The server's own writer: it closes the connection after a too-large body.
		r.Body = http.MaxBytesReader(w.ResponseWriter, r.Body, s.maxBody)
	}
	next.ServeHTTP(w, r)
}

// observe counts a finished request (after recoverPanic has answered a
// panic with 500) and ends its span (nil when not tracing).
func (s *Server) observe(sw *statusWriter, r *http.Request, start time.Time, sp trace.Span) {
	s.prom.request(r.Pattern, sw.status, time.Since(start))
	if sp != nil {
		endRequestSpan(sp, r, sw.status)
	}
}

func (s *Server) recoverPanic(w http.ResponseWriter, r *http.Request, rid string) {
	v := recover()
	if v == nil {
		return
	}
	if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		panic(v)
	}
	s.log.ErrorContext(r.Context(), "panic serving request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("request_id", rid), slog.Any("panic", v),
		slog.String("stack", string(debug.Stack())))
	writeDetail(w, http.StatusInternalServerError, internalDetail)
}

// statusWriter records the status for the logs and calls settled with it
// when the response starts. It keeps Flush and the rest reachable through
// Unwrap (http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status  int
	wrote   bool
	settled func(status int)
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
		if w.settled != nil {
			w.settled(code)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
		if w.settled != nil {
			w.settled(w.status)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if !w.wrote {
		w.wrote = true
		if w.settled != nil {
			w.settled(w.status)
		}
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
