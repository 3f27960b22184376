package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// AuditLog writes one JSON line per authentication and authorization
// decision: time, request_id, identity, method, route, event, the deciding
// authenticator or handler, result (authenticated, unauthenticated, allow,
// filter, deny or error), filter_keys for a filter (never its values) and
// the response's status. It never writes a credential or a user's extra
// fields. It is safe for concurrent use; each line is written at once.
type AuditLog struct {
	log *slog.Logger
	c   io.Closer // the file OpenAuditLog opened; nil otherwise
}

// NewAuditLog writes the audit log to w (one Write per line).
func NewAuditLog(w io.Writer) *AuditLog {
	// Level and message are dropped; time is when the line is written.
	return &AuditLog{log: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	}))}
}

// OpenAuditLog opens path for appending (created 0600), or stderr for "-".
func OpenAuditLog(path string) (*AuditLog, error) {
	if path == "" {
		return nil, errors.New("audit log: empty path")
	}
	if path == "-" {
		return NewAuditLog(os.Stderr), nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	a := NewAuditLog(f)
	a.c = f
	return a, nil
}

// Close closes the file OpenAuditLog opened (never stderr).
func (a *AuditLog) Close() error {
	if a == nil || a.c == nil {
		return nil
	}
	return a.c.Close()
}

// auditRecord is one decision, written once the response status is known.
type auditRecord struct {
	event         string // "authenticate" or resource:action
	authenticator string // authentication only
	handler       string // authorization only: pattern, "(none)", or "" when unknown
	result        string
	keys          []string
}

func (a *AuditLog) write(rs *reqState, rec *auditRecord, status int) {
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("request_id", rs.rid),
		slog.String("identity", rs.identity), slog.String("method", rs.method), slog.String("route", rs.route),
		slog.String("event", rec.event))
	if rec.event == "authenticate" {
		attrs = append(attrs, slog.String("authenticator", rec.authenticator))
	} else if rec.handler != "" {
		attrs = append(attrs, slog.String("handler", rec.handler))
	}
	attrs = append(attrs, slog.String("result", rec.result))
	if rec.result == "filter" {
		attrs = append(attrs, slog.Any("filter_keys", rec.keys))
	}
	attrs = append(attrs, slog.Int("status", status))
	a.log.LogAttrs(context.Background(), slog.LevelInfo, "", attrs...)
}

// reqState is what the middleware tracks of one request: its status, and
// what authentication and authorization decided on the way.
type reqState struct {
	statusWriter
	rid, method, route string
	identity           string
	note               auth.AuthnNote
	audit              *AuditLog

	mu      sync.Mutex
	sent    int // the response status once known, else 0
	pending []auditRecord
}

type reqStateKey struct{}

func stateFrom(ctx context.Context) *reqState {
	rs, _ := ctx.Value(reqStateKey{}).(*reqState)
	return rs
}

// record writes rec now if the status is known, else when it is.
func (rs *reqState) record(rec auditRecord) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.sent != 0 {
		rs.audit.write(rs, &rec, rs.sent)
		return
	}
	rs.pending = append(rs.pending, rec)
}

// settle fixes the response status and writes pending records.
func (rs *reqState) settle(status int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.sent != 0 {
		return
	}
	rs.sent = status
	for i := range rs.pending {
		rs.audit.write(rs, &rs.pending[i], status)
	}
	rs.pending = nil
}

// routeOf is r's matched pattern without its method ("" before matching).
func routeOf(r *http.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// authenticated notes the outcome of Authenticate for the request log and
// the audit log.
func (rs *reqState) authenticated(ctx context.Context, err error) {
	if err == nil && ctx != nil {
		if id, ok := auth.IdentityFrom(ctx); ok && id.User != nil {
			rs.identity = id.User.Identity
		}
	}
	if rs.audit == nil {
		return
	}
	rec := auditRecord{event: "authenticate", authenticator: rs.note.Authenticator,
		result: "authenticated"}
	if err != nil {
		rec.result = "unauthenticated"
		if status, _, _, _ := errorResponse(err); status >= 500 {
			rec.result = "error"
		}
	}
	rs.record(rec)
}

// decider is an Authorizer that names the handler deciding an event
// (*authz.Enforcer).
type decider interface {
	Decider(resource, action string) string
}

// authorized notes an authorization decision in the audit log.
func (s *Server) authorized(r *http.Request, v auth.Value, sc storage.Scope, err error) {
	rs := stateFrom(r.Context())
	if rs == nil || rs.audit == nil {
		return
	}
	res, act := v.Event()
	rec := auditRecord{event: res + ":" + act, result: "allow"}
	if d, ok := s.authz.(decider); ok {
		if rec.handler = d.Decider(res, act); rec.handler == "" {
			rec.handler = "(none)"
		}
	}
	switch {
	case err != nil:
		rec.result = "deny"
		if status, _, _, _ := errorResponse(err); status >= 500 {
			rec.result = "error"
		}
	default:
		for _, f := range sc.Filters() {
			if !f.IsEmpty() {
				rec.result = "filter"
				rec.keys = append(rec.keys, f.Keys()...)
			}
		}
		slices.Sort(rec.keys)
		rec.keys = slices.Compact(rec.keys)
	}
	rs.record(rec)
}
