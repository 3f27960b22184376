// Package server is agentgate's HTTP layer: the route table, handlers that
// return errors, error mapping, CORS, limits and the OpenAPI document. It
// speaks the LangGraph Platform HTTP API.
//
// Every route that touches a tenant's data asks the Authorizer for a
// storage.Scope with the route's (resource, action) and uses only that scope
// for its storage calls.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/engine"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/encrypted"
)

// Authorizer decides an authorization event. v is the event's typed value
// (a pointer such as *auth.ThreadsCreate; v.Event() names resource and
// action); the Authorizer may change it (for example stamp
// metadata["owner"] or rewrite a store namespace) and the route reads it
// back afterwards. The returned scope is used for the storage calls the
// event covers. Errors deny: an *auth.HTTPError or *HTTPError gives its
// status, other errors a 500. *authz.Enforcer implements it.
type Authorizer interface {
	Authorize(ctx context.Context, v auth.Value) (storage.Scope, error)
}

// Authenticator turns a request to a protected route into a context that
// carries the caller's identity (read later by the Authorizer). Errors are
// mapped like handler errors (an *HTTPError keeps its status and headers).
type Authenticator interface {
	Authenticate(r *http.Request) (context.Context, error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
// (*authz.Enforcer implements Authenticator and Authorizer itself.)
type AuthenticatorFunc func(r *http.Request) (context.Context, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (context.Context, error) { return f(r) }

// Options configure a Server.
type Options struct {
	Store storage.Store
	// Encryption, when set, encrypts data at rest: New wraps Store in
	// storage/encrypted, so every route, worker and scheduler reads and
	// writes through it (docs/encryption.md).
	Encryption *encryption.Encryption
	// Graphs are the registered graphs by graph id.
	Graphs map[string]Graph
	// Authenticator runs before every protected route; nil means requests
	// are not authenticated.
	Authenticator Authenticator
	// Authorizer decides every (resource, action); nil allows everything.
	Authorizer Authorizer
	Logger     *slog.Logger
	Version    string
	HTTP       HTTPOptions
	Runs       RunsOptions
	// Items: store item TTL defaults (langgraph.json store.ttl).
	Items ItemsOptions
	// SweepInterval is how often expired threads and store items are
	// deleted (default 5 minutes).
	SweepInterval time.Duration
	// SweepLimit bounds the expired threads one sweep handles
	// (checkpointer.ttl.sweep_limit; 0: storage.DefaultSweepLimit).
	SweepLimit int
	// OpenAPISecurity documents authentication in /openapi.json.
	OpenAPISecurity *OpenAPISecurity
	// Metrics decide who may read GET /metrics; the zero value refuses
	// everyone.
	Metrics MetricsOptions
	// GraphConfigs: see engine.Options (LANGGRAPH_CONFIG).
	GraphConfigs map[string]map[string]any
	// RequestLog tunes the info-level line logged for each request.
	RequestLog RequestLogOptions
	// Tracer, when set, records a span per request (continuing the
	// client's W3C trace context) and for authentication, authorization,
	// storage calls and runs; nil traces nothing.
	Tracer trace.Tracer
	// Audit receives every authentication and authorization decision of
	// a request; nil means no audit log.
	Audit *AuditLog
	// App, when set, serves custom routes (langgraph.json http.app): the
	// server serves App(api), api being the complete API handler (its
	// middleware, authentication and routes). App may answer requests
	// itself, wrap them, or pass them to api. A panic in it answers 500.
	App func(api http.Handler) http.Handler
	// AppAuth authenticates the requests for custom routes (paths that
	// are not the API's) before App sees them (langgraph.json
	// http.enable_custom_route_auth): without valid credentials they are
	// answered 401, else App sees the caller (auth.IdentityFrom).
	AppAuth bool
	// UI holds the generative UI bundles by name (langgraph.json "ui",
	// built by package genui), served at /ui/{name}.
	UI map[string]UIBundle
}

// RunsOptions configure run execution.
type RunsOptions struct {
	// Broker carries run events; nil means an in-process broker.
	Broker broker.Broker
	// Workers is how many runs execute at once (default 10).
	Workers int
	// Lease, Poll and Timeout: see runs.Options.
	Lease, Poll, Timeout time.Duration
	// Heartbeat is the keep-alive period of streams and waits (default 5 s).
	Heartbeat time.Duration
	// CronPoll is how often due crons are looked for (default 5 s).
	CronPoll time.Duration
	// DisableWebhooks turns run webhooks off (langgraph.json
	// http.disable_webhooks); AllowPrivateWebhooks lets them reach loopback,
	// private and link-local addresses, which are refused by default.
	DisableWebhooks      bool
	AllowPrivateWebhooks bool
}

// HTTPOptions mirror langgraph.json "http".
type HTTPOptions struct {
	CORS                CORSOptions
	Disable             DisableOptions
	MaxBodyBytes        int64 // default 10 MiB; nesting is capped by MaxJSONDepth
	ConfigurableHeaders HeaderFilter
	// MountPrefix ("/api") serves everything under that path (mount.go);
	// "" serves at the root.
	MountPrefix string
}

// CORSOptions mirror langgraph.json "http.cors". Empty lists take the
// defaults: every origin, method and header; expose content-location,
// x-pagination-total and x-pagination-next.
type CORSOptions struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	AllowCredentials bool
	AllowOriginRegex string
	ExposeHeaders    []string
	MaxAge           int // seconds; 0 means 600
}

// DisableOptions turn off groups of routes (MCP: POST /mcp; A2A: /a2a/... and the agent card).
type DisableOptions struct {
	Assistants, Threads, Runs, Store, Meta, MCP, A2A, UI bool
}

// HeaderFilter selects the request headers copied into config.configurable
// (glob patterns, case-insensitive). Empty Includes means the defaults.
type HeaderFilter struct {
	Includes, Excludes []string
}

// Server serves the API.
type Server struct {
	opts    Options
	inner   http.Handler // handler before the mount prefix
	store   storage.Store
	authz   Authorizer
	authn   Authenticator
	audit   *AuditLog
	log     *slog.Logger
	graphs  map[string]Graph
	cors    *cors
	maxBody int64
	routes  []Route
	mux     *http.ServeMux
	handler http.Handler
	metrics http.Handler // MetricsHandler
	reqSeq  atomic.Uint64
	prom    *promMetrics
	reqPfx  string
	openapi []byte
	eng     *engine.Engine
	runs    *runs.Scheduler
	beat    time.Duration
	tracer  trace.Tracer // nil: off
	prop    propagation.TextMapPropagator
}

// DefaultMaxBodyBytes is the request body limit when none is configured.
const DefaultMaxBodyBytes = 10 << 20

// New builds a server and registers a system assistant for every graph.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server: Options.Store is required")
	}
	st, err := encrypted.New(opts.Store, opts.Encryption)
	if err != nil {
		return nil, fmt.Errorf("server: Options.Encryption: %w", err)
	}
	opts.Store = st
	s := &Server{
		opts:    opts,
		store:   opts.Store,
		authz:   opts.Authorizer,
		authn:   opts.Authenticator,
		audit:   opts.Audit,
		log:     opts.Logger,
		graphs:  maps.Clone(opts.Graphs),
		maxBody: opts.HTTP.MaxBodyBytes,
		tracer:  opts.Tracer,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.authz == nil {
		s.authz = allowAll{}
	}
	if s.graphs == nil {
		s.graphs = map[string]Graph{}
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.cors, err = newCORS(opts.HTTP.CORS); err != nil {
		return nil, err
	}
	s.reqPfx = newRequestIDPrefix()
	s.prom = newPromMetrics(s)
	var stObs storage.Observer = s.prom
	if s.tracer != nil {
		s.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
		stObs = tracedStorage{s.prom, s.tracer}
	}
	o := opts.Runs
	s.eng, err = engine.New(ctx, engine.Options{Store: opts.Store, Graphs: s.graphs, Authorizer: s.authz,
		Logger: s.log, Broker: o.Broker, Workers: o.Workers, Lease: o.Lease, Poll: o.Poll, Timeout: o.Timeout,
		CronPoll: o.CronPoll, NoCrons: opts.HTTP.Disable.Runs, SweepInterval: opts.SweepInterval, SweepLimit: opts.SweepLimit,
		DisableWebhooks: o.DisableWebhooks, AllowPrivateWebhooks: o.AllowPrivateWebhooks, LocalWebhooks: s.localWebhooks(opts),
		GraphConfigs: opts.GraphConfigs, RunObserver: s.prom, StorageObserver: stObs, SweepObserver: s.prom, Tracer: s.tracer})
	if err != nil {
		return nil, err
	}
	s.store, s.runs = s.eng.Store(), s.eng.Runs()
	if s.beat = o.Heartbeat; s.beat <= 0 {
		s.beat = 5 * time.Second
	}
	s.routes = Routes()
	sep := opts.Metrics.Separate
	s.mux = s.routeMux(func(rt *Route) bool { return !sep || rt.Pattern != metricsPattern })
	s.metrics = s.middleware(s.routeMux(func(rt *Route) bool { return rt.Pattern == metricsPattern }))
	if s.openapi, err = s.buildOpenAPI(); err != nil {
		return nil, err
	}
	s.handler = s.middleware(s.mux)
	if opts.App != nil {
		app := opts.App(s.handler)
		if app == nil {
			return nil, errors.New("server: Options.App returned a nil handler")
		}
		if opts.AppAuth && s.authn != nil {
			app = s.appAuth(app)
		}
		s.handler = s.guard(s.appCORS(app))
	}
	s.inner = s.handler
	if p := opts.HTTP.MountPrefix; p != "" {
		if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
			return nil, fmt.Errorf("server: HTTP.MountPrefix %q must start with / and not end with /", p)
		}
		s.handler = mount(p, s.handler)
	}
	if err := s.eng.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// localWebhooks is the receiver of relative webhooks: with custom routes,
// the server's own handler (set before the engine starts), called
// in-process as the Python server does: no address to learn or trust,
// and the same on every replica. Nil without custom routes.
func (s *Server) localWebhooks(opts Options) http.Handler {
	if opts.App == nil {
		return nil
	}
	// A relative webhook may name the path with or without the mount
	// prefix.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := s.opts.HTTP.MountPrefix; p != "" {
			if rest, ok := under(p, r.URL.Path); ok {
				r.URL.Path, r.URL.RawPath = rest, ""
			}
		}
		s.inner.ServeHTTP(w, r)
	})
}

// Close stops the run workers (runs they were executing are requeued by
// the next start, see runs.Scheduler.Stop).
func (s *Server) Close() error { return s.eng.Close() }

// Shutdown is Close waiting for running runs at most until ctx ends: runs
// whose graph ignores cancellation are abandoned (logged, leases released,
// requeued) and their ids returned.
func (s *Server) Shutdown(ctx context.Context) (abandoned []string) { return s.eng.Shutdown(ctx) }

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler serves only GET /metrics (its route table entry), for a
// listener of its own (MetricsOptions.Separate); other paths answer 404.
func (s *Server) MetricsHandler() http.Handler { return s.metrics }

// routeMux builds a mux from the table entries keep selects (disabled
// ones left out); unmatched requests get notFound.
func (s *Server) routeMux(keep func(*Route) bool) *http.ServeMux {
	mux := http.NewServeMux()
	for i := range s.routes {
		rt := &s.routes[i]
		if keep(rt) && !s.disabled(rt) {
			mux.Handle(rt.Method+" "+rt.Pattern, s.endpoint(rt))
		}
	}
	mux.HandleFunc("/", s.notFound(mux))
	return mux
}

// Routes returns a copy of the route table (for documentation and checks).
func (s *Server) Routes() []Route { return Routes() }

func (s *Server) disabled(rt *Route) bool {
	d := s.opts.HTTP.Disable
	switch rt.group() {
	case groupMeta:
		return d.Meta && rt.Pattern != "/ok"
	case groupAssistants:
		return d.Assistants
	case groupThreads:
		return d.Threads
	case groupRuns:
		return d.Runs
	case groupStore:
		return d.Store
	case groupMCP:
		return d.MCP
	case groupA2A:
		return d.A2A
	case groupUI:
		return d.UI
	}
	return false
}

// endpoint adapts a route's handler: authentication for protected routes,
// then the handler, then error mapping.
func (s *Server) endpoint(rt *Route) http.Handler {
	h := rt.Handler
	protected := rt.Protected || rt.Authenticated
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs := stateFrom(r.Context())
		if rs != nil {
			rs.route = routeOf(r)
		}
		if protected && s.authn != nil {
			ar := r
			if rs != nil && rs.audit != nil {
				ar = r.WithContext(auth.WithAuthnNote(r.Context(), &rs.note))
			}
			var ctx context.Context
			var err error
			if s.tracer != nil {
				ctx, err = s.authenticateTraced(ar)
			} else {
				ctx, err = s.authn.Authenticate(ar)
			}
			s.prom.authenticated(err)
			if rs != nil {
				rs.authenticated(ctx, err)
			}
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if ctx != nil && ctx != r.Context() {
				r = r.WithContext(ctx)
			}
		}
		if err := h(s, w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// notFound answers every request no route of mux matched: 405 with Allow
// when the path exists under other methods, 404 otherwise.
func (s *Server) notFound(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range [...]string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if m == r.Method || (m == "GET" && r.Method == "HEAD") {
				continue
			}
			r2 := *r
			r2.Method = m
			if _, p := mux.Handler(&r2); p != "" && p != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			if slices.Contains(allow, "GET") {
				allow = append(allow, "HEAD")
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeDetail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		writeDetail(w, http.StatusNotFound, "Not Found")
	}
}

// authorize asks the Authorizer for the scope of v's event. A zero scope
// with no error fails closed.
// The decision goes to the audit log.
func (s *Server) authorize(r *http.Request, v auth.Value) (sc storage.Scope, err error) {
	if s.audit != nil {
		defer func() { s.authorized(r, v, sc, err) }()
	}
	ctx := r.Context()
	if s.tracer != nil {
		var sp trace.Span
		ctx, sp = s.tracer.Start(ctx, "authorize")
		defer func() { endAuthorizeSpan(sp, v, err) }()
	}
	sc, err = s.authz.Authorize(ctx, v)
	res, act := v.Event()
	if err == nil && sc.Check() != nil {
		err = &HTTPError{Status: http.StatusInternalServerError,
			Cause: errors.New("authorizer returned no scope for " + res + ":" + act)}
	}
	s.prom.authorized(res, act, sc, err)
	if err != nil {
		return storage.Scope{}, err
	}
	return sc, nil
}

func (s *Server) nextRequestID() string {
	return s.reqPfx + strconv.FormatUint(s.reqSeq.Add(1), 36)
}
