package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// appAuth authenticates the requests for custom routes before app sees
// them (Options.AppAuth). Requests for the API's own paths go on as they
// are: the API authenticates its protected routes itself, and /ok, /info
// and /docs stay open as without custom routes.
func (s *Server) appAuth(app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, p := s.mux.Handler(r); p != "" && p != "/" {
			app.ServeHTTP(w, r)
			return
		}
		ctx, err := s.authn.Authenticate(r)
		s.prom.authenticated(err)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if ctx != nil {
			r = r.WithContext(ctx)
		}
		app.ServeHTTP(w, r)
	})
}

// corsDone marks a request whose CORS headers appCORS has set, so that the
// API's middleware does not set them again.
type corsDone struct{}

// appCORS applies the CORS settings to every request before the custom
// routes see it, as LangGraph's outermost CORS middleware does: routes the
// app answers itself get the same headers as the API's, and preflights
// are answered for them too.
func (s *Server) appCORS(app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			if s.cors.handle(w, r, origin) {
				return // preflight answered
			}
			r = r.WithContext(context.WithValue(r.Context(), corsDone{}, true))
		}
		app.ServeHTTP(w, r)
	})
}

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
