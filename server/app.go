package server

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// guard runs the custom routes handler (Options.App): a panic in it is
// logged and answered 500 {"detail": ...}, or cuts the response short when
// it had started.
// Panics inside the API handler are answered by its own middleware.
func (s *Server) guard(app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic in custom routes (http.app)",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("request_id", r.Header.Get("X-Request-Id")), slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())))
			if sw.wrote {
				panic(http.ErrAbortHandler) // cut the response short
			}
			writeDetail(sw, http.StatusInternalServerError, internalDetail)
		}()
		app.ServeHTTP(sw, r)
	})
}
