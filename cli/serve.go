package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/config"
	"github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/agentgate/agentgate/storage/postgres"
	"github.com/agentgate/agentgate/storage/sqlite"
	"github.com/agentgate/agentgate/tracing"
)

// runServer is "agentgate dev" and "agentgate serve"; args start with the
// command.
func runServer(ctx context.Context, p Program, mode string, args []string, e env) int {
	f, code, done := parseServerFlags(mode, args[1:], e)
	if done {
		return code
	}
	level, _ := parseLevel(f.logLevel)
	log := newLogger(e.stderr, f.logFormat, level)
	run := serve
	if reloads(f, e) {
		run = func(ctx context.Context, _ Program, f serverFlags, e env, log *slog.Logger) error {
			return superviseDev(ctx, f, e, log)
		}
	}
	if err := run(ctx, p, f, e, log); err != nil {
		fmt.Fprintf(e.stderr, "agentgate %s: %v\n", mode, err)
		return exitError
	}
	return exitOK
}

// serve loads everything, listens, prints the listening line and serves
// until ctx is cancelled; then it drains open requests and closes the store.
// Any error before the listener is bound means the server never starts.
func serve(ctx context.Context, p Program, f serverFlags, e env, log *slog.Logger) error {
	cfg, err := loadConfig(f.config, f.configExplicit, p, log)
	if err != nil {
		return err
	}
	if err := cfg.ApplyEnv(); err != nil {
		return err
	}
	if err := execProject(ctx, cfg, p, f.args, e); err != nil {
		return err
	}
	graphs, err := resolveGraphs(cfg, p, builtinGraphs(e.getenv, cfg))
	if err != nil {
		return err
	}
	if cfg.HTTP.App != "" && p.HTTP == nil {
		// Only when the program was built without the package; never
		// serve without the routes.
		return fmt.Errorf("%s: http.app: %q is not part of this program (run it with `agentgate dev`, which builds it)", cfg.File, cfg.HTTP.App)
	}
	logBuiltinModel(cfg, e.getenv, log)
	checkUnsupported(cfg, log)
	a, err := buildAuth(ctx, cfg, p, log)
	if err != nil {
		return err
	}
	studio := f.studioAuth || f.mode == "dev" && !(cfg.Auth != nil && cfg.Auth.DisableStudioAuth)
	enf, err := enforcer(a, studio, log)
	if err != nil {
		return err
	}
	audit, err := openAuditLog(f, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = audit.Close() }()
	apiSec, err := openAPISecurity(cfg, a != nil, log)
	if err != nil {
		return err
	}
	enc, encDesc, err := loadEncryption(cfg, p, e.getenv)
	if err != nil {
		return err
	}
	ui, err := buildUI(cfg, log)
	if err != nil {
		return err
	}
	store, where, err := openStore(ctx, f, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	metrics, err := metricsOptions(f)
	if err != nil {
		return err
	}
	graphConf, err := graphConfigs(e)
	if err != nil {
		return err
	}
	bk, closeBroker, brokerDesc, err := openBroker(ctx, f, log)
	if err != nil {
		return err
	}
	defer closeBroker()
	tp, err := tracing.FromEnv(ctx, e.getenv)
	if err != nil {
		return fmt.Errorf("OpenTelemetry traces: %w", err)
	}
	defer shutdownTracing(ctx, tp, log)
	opts := server.Options{
		Store:      store,
		Encryption: enc,
		Graphs:     graphs,
		Logger:     log,
		Version:    version(),
		HTTP:       httpOptions(cfg.HTTP),
		Runs: server.RunsOptions{DisableWebhooks: cfg.HTTP.DisableWebhooks,
			AllowPrivateWebhooks: f.allowPrivateWebhooks, Workers: f.jobs, Broker: bk},
		Metrics:    metrics,
		RequestLog: f.requestLog,
		Audit:      audit,
		Tracer:     tp.TracerOrNil(),
	}
	opts.OpenAPISecurity = apiSec
	opts.Items, opts.SweepInterval = storeTTL(cfg.Store.TTL)
	opts.SweepInterval, opts.SweepLimit = checkpointSweep(cfg.Checkpointer, opts.SweepInterval)
	opts.GraphConfigs = graphConf
	opts.App = p.HTTP
	opts.AppAuth = cfg.HTTP.EnableCustomRouteAuth
	opts.UI = ui
	if enf != nil {
		opts.Authenticator, opts.Authorizer = enf, enf
	}
	srv, err := server.New(ctx, opts)
	if err != nil {
		return err
	}
	// Stops the workers before the broker and store close on every path
	// (Close is idempotent).
	defer srv.Close()
	ln, err := listen(f, e)
	if err != nil {
		return err
	}
	servers := []*http.Server{httpServer(srv.Handler(), log)}
	listeners := []net.Listener{ln}
	url := "http://" + ln.Addr().String()
	metricsURL := ""
	if f.metricsAddr != "" {
		mln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen on --metrics-addr %s: %w", f.metricsAddr, err)
		}
		servers = append(servers, httpServer(srv.MetricsHandler(), log))
		listeners = append(listeners, mln)
		metricsURL = "http://" + mln.Addr().String() + "/metrics"
	}
	served := make(chan error, len(servers))
	for i, hs := range servers {
		go func() { served <- hs.Serve(listeners[i]) }()
	}
	go reclaimMemory(ctx, log)
	// The log line first: whoever waits for the stdout line (a supervisor, a
	// test) then finds the startup summary already written.
	log.Info("agentgate started", "mode", f.mode, "url", url, "store", where, "broker", brokerDesc, "jobs", f.jobs,
		"graphs", graphIDs(graphs), "config", cfg.File, "auth", authSummary(cfg, a, studio), "encryption", encDesc,
		"metrics", metricsSummary(metrics, metricsURL), "traces", tracesSummary(tp), "version", version())
	fmt.Fprintf(e.stdout, "agentgate listening on %s\n", url)
	releaseStartupPages(log)
	if f.mode == "dev" {
		log.Info("API docs at " + url + cfg.HTTP.MountPrefix + "/docs")
	}

	var serveErr error
	select {
	case err := <-served:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		log.Info("shutting down", "timeout", f.shutdownTimeout.String())
	}
	// One budget for everything: open requests drain while running runs
	// stop (their context ended with ctx); runs that ignore it are abandoned.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
	defer cancel()
	runsDone := make(chan []string, 1)
	go func() { runsDone <- srv.Shutdown(sctx) }()
	for _, hs := range servers {
		if err := hs.Shutdown(sctx); err != nil {
			log.Warn("open requests did not finish in time; closing them", "err", err)
			_ = hs.Close()
		}
	}
	if abandoned := <-runsDone; len(abandoned) > 0 {
		log.Warn("runs did not stop within the shutdown timeout; abandoned and requeued", "runs", abandoned)
	}
	if serveErr != nil {
		return serveErr
	}
	for range servers {
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	log.Info("stopped")
	return nil
}

// listen binds f.addr, or takes over the socket a reloading dev passed
// down (listenFDEnv).
func listen(f serverFlags, e env) (net.Listener, error) {
	if fd := e.getenv(listenFDEnv); fd != "" && f.mode == "dev" {
		return inheritedListener(fd)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	return ln, nil
}

// httpServer serves h with the listener settings of agentgate.
func httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler: h,
		// No ReadTimeout or WriteTimeout: either would cut long SSE streams.
		// Bodies are bounded by the server's body limit.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// metricsOptions decides who reads GET /metrics: a token (file, else env)
// and/or a separate address; with neither, dev leaves it open and serve
// refuses it (403), as its run counts span every tenant.
func metricsOptions(f serverFlags) (server.MetricsOptions, error) {
	o := server.MetricsOptions{Token: f.metricsToken, Separate: f.metricsAddr != ""}
	if f.metricsTokenFile != "" {
		b, err := os.ReadFile(f.metricsTokenFile)
		if err != nil {
			return o, fmt.Errorf("--metrics-token-file: %w", err)
		}
		o.Token = strings.TrimSpace(string(b))
		if o.Token == "" {
			return o, fmt.Errorf("--metrics-token-file %s is empty", f.metricsTokenFile)
		}
	}
	o.Open = f.mode == "dev" && o.Token == "" && !o.Separate
	return o, nil
}

// metricsSummary describes GET /metrics access for the startup log.
func metricsSummary(o server.MetricsOptions, separateURL string) string {
	where := "on the main address"
	if o.Separate {
		where = "only at " + separateURL
	}
	switch {
	case o.Token != "":
		return where + ", bearer token required"
	case o.Separate:
		return where + ", open to anyone who reaches it"
	case o.Open:
		return "open to anyone on the main address (dev); set --metrics-addr or a metrics token to restrict it"
	}
	return "off (403); set --metrics-addr or --metrics-token-file / AGENTGATE_METRICS_TOKEN to enable it"
}

// loadConfig loads --config. A missing default langgraph.json is fine (no
// graphs); a missing file that was named explicitly is an error.
func loadConfig(path string, explicit bool, p Program, log *slog.Logger) (*config.Config, error) {
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		wd, werr := os.Getwd()
		if werr != nil {
			return nil, werr
		}
		if len(p.Graphs) > 0 {
			log.Info("no langgraph.json in the current directory; serving the program's graphs (use --config to name one)", "dir", wd)
		} else {
			log.Info("no langgraph.json in the current directory; running with no graphs (use --config to name one)", "dir", wd)
		}
		return &config.Config{File: "", Dir: wd, Graphs: map[string]config.Graph{}, Env: map[string]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	for _, k := range cfg.Ignored {
		log.Info("langgraph.json: ignoring key agentgate does not use", "key", k)
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	return cfg, nil
}

// checkUnsupported warns about settings agentgate parses but does not
// apply.
func checkUnsupported(cfg *config.Config, log *slog.Logger) {
	if cfg.Store.Index != nil {
		log.Warn("langgraph.json: store.index is ignored: semantic search is not supported; store search matches on filters and namespaces only")
	}
}

// storeTTL maps langgraph.json store.ttl to the server's item options and
// sweep interval.
func storeTTL(t *config.StoreTTL) (server.ItemsOptions, time.Duration) {
	var o server.ItemsOptions
	if t == nil {
		return o, 0
	}
	if t.DefaultTTLMinutes != nil {
		o.DefaultTTL = server.Minutes(*t.DefaultTTLMinutes)
	}
	o.NoRefreshOnRead = t.RefreshOnRead != nil && !*t.RefreshOnRead
	var every time.Duration
	if t.SweepIntervalMinutes != nil {
		every = time.Duration(*t.SweepIntervalMinutes) * time.Minute
	}
	return o, every
}

// threadTTL is the TTL new threads get from langgraph.json
// checkpointer.ttl (nil: none).
func threadTTL(c *config.Checkpointer) *storage.ThreadTTL {
	if c == nil || c.TTL == nil || c.TTL.DefaultTTLMinutes == nil {
		return nil
	}
	return &storage.ThreadTTL{Strategy: c.TTL.Strategy, Minutes: *c.TTL.DefaultTTLMinutes}
}

// checkpointSweep applies checkpointer.ttl's sweep interval (one sweeper
// serves it and store.ttl: the shorter interval wins) and sweep limit.
func checkpointSweep(c *config.Checkpointer, every time.Duration) (time.Duration, int) {
	if c == nil || c.TTL == nil {
		return every, 0
	}
	if m := c.TTL.SweepIntervalMinutes; m != nil {
		if d := time.Duration(*m) * time.Minute; every == 0 || d < every {
			every = d
		}
	}
	limit := 0
	if c.TTL.SweepLimit != nil {
		limit = int(*c.TTL.SweepLimit)
	}
	return every, limit
}

// resolveGraphs maps every configured graph to a compiled graph: built-in
// ones from the registry, Go packages from the Program (by graph id), and
// the Program's other graphs as they are.
func resolveGraphs(cfg *config.Config, p Program, builtins map[string]builtinGraph) (map[string]server.Graph, error) {
	out := make(map[string]server.Graph, len(cfg.Graphs)+len(p.Graphs))
	for _, id := range cfg.GraphIDs() {
		g := cfg.Graphs[id]
		switch g.Kind {
		case config.GraphBuiltin:
			if _, dup := p.Graphs[id]; dup {
				return nil, fmt.Errorf("%s: graphs.%s: the program also defines graph %q; rename one of them", cfg.File, id, id)
			}
			mk, ok := builtins[g.Builtin]
			if !ok {
				return nil, fmt.Errorf("%s: graphs.%s: unknown built-in graph %q (built-in graphs: %s)",
					cfg.File, id, g.Builtin, builtinNames(builtins))
			}
			compiled, err := mk()
			if err != nil {
				return nil, fmt.Errorf("%s: graphs.%s: build %q: %w", cfg.File, id, g.Ref, err)
			}
			out[id] = compiled
		case config.GraphGoPackage:
			v, ok := p.Graphs[id]
			if !ok { // execProject builds a program that has it
				return nil, fmt.Errorf("%s: graphs.%s: %q is not part of this program (run it with `agentgate dev`, which builds it)", cfg.File, id, g.Ref)
			}
			compiled, err := programGraph(id, v)
			if err != nil {
				return nil, fmt.Errorf("%s: graphs.%s: %q: %w", cfg.File, id, g.Ref, err)
			}
			out[id] = compiled
		default:
			return nil, fmt.Errorf("%s: graphs.%s: unsupported graph %q", cfg.File, id, g.Ref)
		}
	}
	for _, id := range programGraphIDs(p) {
		if _, done := out[id]; done {
			continue
		}
		compiled, err := programGraph(id, p.Graphs[id])
		if err != nil {
			return nil, err
		}
		out[id] = compiled
	}
	return out, nil
}

func graphIDs(m map[string]server.Graph) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// authSummary describes the auth in effect for the startup log.
func authSummary(cfg *config.Config, a *auth.Auth, studio bool) string {
	if a == nil {
		return "none"
	}
	var parts []string
	if ca := cfg.Auth; ca != nil {
		if ca.Path != "" {
			parts = append(parts, "path "+ca.Path)
		}
		if ca.Authn != nil {
			parts = append(parts, fmt.Sprintf("%d authenticators", len(ca.Authn.Authenticators)))
		}
		if ca.Policy != nil {
			if ca.Policy.Policy != "" {
				parts = append(parts, "policy "+ca.Policy.Policy)
			}
			if ca.Policy.Tenant != nil {
				parts = append(parts, "tenant "+ca.Policy.Tenant.Claim)
			}
			if len(ca.Policy.Grants) > 0 {
				parts = append(parts, fmt.Sprintf("%d grants", len(ca.Policy.Grants)))
			}
			if len(ca.Policy.Rules) > 0 {
				parts = append(parts, fmt.Sprintf("%d rules", len(ca.Policy.Rules)))
			}
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "program")
	}
	if studio {
		parts = append(parts, "studio admitted")
	}
	return strings.Join(parts, ", ")
}

// loadEncryption returns the encryption at rest: langgraph.json
// "encryption.path" (Program.Encryption) or the built-in AES mode of
// LANGGRAPH_AES_KEY, never both; nil when neither is set. It describes it
// for the log.
func loadEncryption(cfg *config.Config, p Program, getenv func(string) string) (*encryption.Encryption, string, error) {
	custom, err := programEncryption(p.Encryption)
	if err != nil {
		if c := cfg.Encryption; c != nil {
			return nil, "", fmt.Errorf("encryption.path %q: %w", c.Path, err)
		}
		return nil, "", err
	}
	builtin, err := encryption.AESFromEnv(getenv)
	if err != nil {
		return nil, "", fmt.Errorf("encryption at rest: %w", err)
	}
	switch {
	case custom != nil && builtin != nil:
		return nil, "", fmt.Errorf("encryption at rest: both %s and a custom encryption (langgraph.json encryption.path or Program.Encryption) are set; use one", encryption.EnvAESKey)
	case builtin != nil:
		return builtin, builtin.Name, nil
	case custom != nil:
		name := custom.Name
		if name == "" {
			name = "custom"
		}
		return custom, name, nil
	}
	return nil, "off", nil
}

// openStore opens the storage backend and describes it for the log.
func openStore(ctx context.Context, f serverFlags, cfg *config.Config) (storage.Store, string, error) {
	if f.mode == "dev" {
		if f.memory {
			return memory.NewWith(memory.Options{ThreadTTL: threadTTL(cfg.Checkpointer)}), "memory", nil
		}
		dir := filepath.Join(cfg.Dir, ".agentgate")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, "", fmt.Errorf("create %s: %w", dir, err)
		}
		return openSQLite(ctx, filepath.Join(dir, "agentgate.db"), f.dbTimeout, threadTTL(cfg.Checkpointer))
	}
	db := strings.TrimSpace(f.database)
	switch {
	case db == "":
		return nil, "", errors.New("no database: set --database or AGENTGATE_DATABASE to a SQLite file path")
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return openPostgres(ctx, db, f.dbTimeout, threadTTL(cfg.Checkpointer))
	case strings.Contains(db, "://"):
		return nil, "", fmt.Errorf("--database %q: want a SQLite file path or a postgres:// URL", db)
	}
	return openSQLite(ctx, db, f.dbTimeout, threadTTL(cfg.Checkpointer))
}

// storeTimeout maps --db-timeout (0: no limit) to the backends' Timeout
// (0: their default; negative: none).
func storeTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// openPostgres connects to a Postgres URL (within 10 s) and migrates it;
// an unreachable database refuses the start.
func openPostgres(ctx context.Context, u string, timeout time.Duration, ttl *storage.ThreadTTL) (storage.Store, string, error) {
	shown := u
	if pu, err := url.Parse(u); err == nil {
		shown = pu.Redacted()
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := postgres.OpenWith(cctx, u, postgres.Options{Timeout: storeTimeout(timeout), ThreadTTL: ttl})
	if err != nil {
		return nil, "", fmt.Errorf("--database %s: %w", shown, err)
	}
	return st, "postgres " + shown, nil
}

func openSQLite(ctx context.Context, path string, timeout time.Duration, ttl *storage.ThreadTTL) (storage.Store, string, error) {
	st, err := sqlite.OpenWith(ctx, path, sqlite.Options{Timeout: storeTimeout(timeout), ThreadTTL: ttl})
	if err != nil {
		return nil, "", fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	return st, "sqlite:" + path, nil
}

// openAuditLog opens --audit-log, or else langgraph.json auth.audit_log;
// nil when neither is set.
func openAuditLog(f serverFlags, cfg *config.Config) (*server.AuditLog, error) {
	path, key := f.auditLog, "--audit-log"
	if path == "" && cfg.Auth != nil {
		path, key = cfg.Auth.AuditLog, "auth.audit_log"
	}
	if path == "" {
		return nil, nil
	}
	a, err := server.OpenAuditLog(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return a, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
