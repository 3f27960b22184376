package server

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// middleware wraps the mux: request id, request metrics (by the mux
// pattern, which the mux sets on r), recover, CORS (with preflight), body
// limit and a debug-level access log.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer s.observe(sw, r, start)
		w = sw
		h := w.Header()
		rid := r.Header.Get("X-Request-Id")
		if rid == "" || len(rid) > 200 {
			rid = s.nextRequestID()
		}
		h["X-Request-Id"] = []string{rid}
		defer s.recoverPanic(w, r, rid)

		if origin := r.Header.Get("Origin"); origin != "" {
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
			r.Body = http.MaxBytesReader(sw.ResponseWriter, r.Body, s.maxBody)
		}
		next.ServeHTTP(w, r)
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.DebugContext(r.Context(), "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)),
				slog.String("request_id", rid))
		}
	})
}

// observe counts a finished request (after recoverPanic has answered a
// panic with 500).
func (s *Server) observe(sw *statusWriter, r *http.Request, start time.Time) {
	s.prom.request(r.Pattern, sw.status, time.Since(start))
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

// statusWriter records the status for metrics and the access log. It keeps Flush and
// the rest reachable through Unwrap (http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
