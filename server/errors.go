package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// HTTPError is auth.HTTPError: one error type carries the status, the
// client-facing detail, extra headers and a cause that is only logged, from
// user code (Authenticate, handlers) and from the server alike. Status must
// be 400-599; any other is answered as a 500 and logged.
type HTTPError = auth.HTTPError

// Errorf-like constructors for the common cases.
func httpErr(status int, detail string) *HTTPError {
	return &HTTPError{Status: status, Detail: detail}
}

func invalid(detail string) *HTTPError  { return httpErr(http.StatusUnprocessableEntity, detail) }
func notFound(detail string) *HTTPError { return httpErr(http.StatusNotFound, detail) }

// notFoundBy phrases a storage not-found, keeping it as the cause (the
// metrics count 404s that a filtered scope gave, storage.HiddenEvent).
func notFoundBy(err error, detail string) *HTTPError {
	return &HTTPError{Status: http.StatusNotFound, Detail: detail, Cause: err}
}

// retryAfter is the Retry-After (seconds) of a 503 for an unavailable
// database.
const retryAfter = "2"

// internalDetail is the detail of every 500 whose cause is not shown.
const internalDetail = "Internal Server Error"

// errorStatus reports whether an HTTPError's status may reach the client:
// only 4xx and 5xx. Anything else (0, 200, a 302 with a Location header,
// 600) would turn a failure into a success or a redirect.
func errorStatus(status int) bool { return status >= 400 && status <= 599 }

// errorResponse decides status, detail and headers for err. An HTTPError
// whose status is not 4xx or 5xx is an internal error (a logged 500).
func errorResponse(err error) (status int, detail string, hdr http.Header, internal bool) {
	var he *HTTPError
	if errors.As(err, &he) {
		if !errorStatus(he.Status) {
			return http.StatusInternalServerError, internalDetail, nil, true
		}
		return he.Status, he.Message(), he.Headers, he.Status >= 500
	}
	if errors.Is(err, storage.ErrUnavailable) {
		// The database did not answer in time: the client may retry.
		d := "Service Unavailable"
		if se := (*storage.Error)(nil); errors.As(err, &se) && se.Detail != "" {
			d = se.Detail
		}
		return http.StatusServiceUnavailable, d, http.Header{"Retry-After": {retryAfter}}, true
	}
	kinds := [...]struct {
		kind   error
		status int
	}{
		{storage.ErrNotFound, http.StatusNotFound},
		{storage.ErrConflict, http.StatusConflict},
		{storage.ErrForbidden, http.StatusForbidden},
		{storage.ErrInvalid, http.StatusUnprocessableEntity},
	}
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			var se *storage.Error
			d := http.StatusText(k.status)
			if errors.As(err, &se) && se.Detail != "" {
				d = se.Detail
			}
			return k.status, d, nil, false
		}
	}
	return http.StatusInternalServerError, internalDetail, nil, true
}

// bareNotFound reports a storage.ErrNotFound without a client-facing
// detail, which the caller should phrase.
func bareNotFound(err error) bool {
	var se *storage.Error
	return errors.Is(err, storage.ErrNotFound) && !errors.As(err, &se)
}

// writeError writes err as {"detail": ...} and logs internal causes.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, detail, hdr, internal := errorResponse(err)
	s.prom.errorAnswered(status, err)
	if internal {
		s.log.ErrorContext(r.Context(), "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Any("error", err))
	}
	for k, vs := range hdr {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	writeDetail(w, status, detail)
}

// writeDetail writes {"detail": detail} with status.
func writeDetail(w http.ResponseWriter, status int, detail string) {
	b := make([]byte, 0, len(detail)+16)
	b = append(b, `{"detail":`...)
	b = appendJSONString(b, detail)
	b = append(b, '}')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
