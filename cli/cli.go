package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/server"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed (bad config, cannot listen, ...)
	exitUsage = 2 // bad command line
)

// env is what a command may touch of the process: output streams and the
// environment. Tests pass their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// exec replaces the process with a built project binary; it returns
	// only on failure.
	exec func(binary string, args []string) error
	// child returns the command that runs agentgate again with args, as the
	// server process of a reloading dev; nil: dev serves in this process.
	child func(args []string) *exec.Cmd
}

const usage = `agentgate is an agent server that speaks the LangGraph Platform HTTP API.

Usage:
  agentgate <command> [flags]

Commands:
  dev         run a local development server (127.0.0.1:2024, SQLite under .agentgate/)
  serve       run a production server (address, database and log format from flags or env)
  new         create a project from a template (agentgate new --list)
  build       build the server for a langgraph.json that names Go packages; print its path
  auth check  print which authorization handler covers each route
  version     print the version

Run "agentgate <command> --help" for a command's flags.
`

// run executes the command line args with p's graphs and auth and returns
// the exit code.
func run(ctx context.Context, p Program, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runServer(ctx, p, "dev", args, e)
	case "serve":
		return runServer(ctx, p, "serve", args, e)
	case "build":
		return runBuild(ctx, p, args, e)
	case "new":
		return runNew(ctx, rest, e)
	case "auth":
		return runAuth(ctx, p, args, e)
	case "version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), "Usage: agentgate version\n\nPrint the version of agentgate and of Go it was built with.\n")
		}
		if code, done := parseFlags(fs, rest, e); done {
			return code
		}
		fmt.Fprintf(e.stdout, "agentgate %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "agentgate: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// parseFlags parses args; done reports that the command must return code
// now (help was asked for, or the flags are wrong).
func parseFlags(fs *flag.FlagSet, args []string, e env) (code int, done bool) {
	if code, done := parseOnce(fs, args, e); done {
		return code, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "agentgate %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, true
	}
	return exitOK, false
}

// parseOnce parses args up to the first positional argument, printing the
// usage for --help (to stdout) or after a flag error.
func parseOnce(fs *flag.FlagSet, args []string, e env) (code int, done bool) {
	usage := fs.Usage
	fs.Usage = func() {} // printed below, to stdout for --help
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(e.stdout)
		fs.Usage()
		return exitOK, true
	case err != nil: // the flag package printed the error
		fs.Usage()
		return exitUsage, true
	}
	return exitOK, false
}

// version is the module version the binary was built from, with the VCS
// revision when the build recorded one.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if v == "(devel)" && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v = "devel-" + rev
		if modified == "true" {
			v += "-dirty"
		}
	}
	return v
}

// serverFlags are the options of dev and serve after parsing.
type serverFlags struct {
	mode            string   // "dev" or "serve"
	args            []string // the whole command line, for a project binary
	studioAuth      bool
	addr            string
	config          string
	configExplicit  bool
	memory          bool
	noReload        bool // dev --no-reload
	database        string
	logFormat       string
	logLevel        string
	shutdownTimeout time.Duration
	// dbTimeout bounds each storage call's database work (--db-timeout);
	// 0 means no bound.
	dbTimeout time.Duration
	// allowPrivateWebhooks lets run webhooks reach loopback and private
	// networks (refused by default).
	allowPrivateWebhooks bool
	// jobs is how many runs execute at once (--n-jobs-per-worker).
	jobs int
	// redis is the parsed --redis-url; nil keeps run events in process.
	redis *redis.Options
	// redisShown is --redis-url without its password, for messages.
	redisShown string
	// metricsAddr is --metrics-addr: GET /metrics is served there alone.
	metricsAddr string
	// metricsTokenFile is --metrics-token-file; metricsToken is
	// AGENTGATE_METRICS_TOKEN, used when no file is named.
	metricsTokenFile, metricsToken string
	// auditLog is --audit-log (a path, "-" for stderr); it wins over
	// langgraph.json auth.audit_log.
	auditLog string
	// requestLog tunes the info-level request lines (--request-log-sample,
	// --no-request-log, --log-health-checks).
	requestLog server.RequestLogOptions
	// events bound the run events kept in process.
	events eventFlags
}

func parseServerFlags(mode string, args []string, e env) (serverFlags, int, bool) {
	f := serverFlags{mode: mode, args: append([]string{mode}, args...)}
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&f.config, "config", "langgraph.json", "`path` of langgraph.json, or the directory holding it")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to wait on SIGINT/SIGTERM for open requests and running runs together; runs still executing then are abandoned (logged) and requeued")
	fs.BoolVar(&f.allowPrivateWebhooks, "allow-private-webhooks", false, "let run webhooks call loopback, private and link-local addresses (refused by default)")
	jobs := defaultJobs
	if v := strings.TrimSpace(e.getenv("N_JOBS_PER_WORKER")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fmt.Fprintf(e.stderr, "agentgate %s: N_JOBS_PER_WORKER=%q: want a whole number of at least 1\n", mode, v)
			return f, exitUsage, true
		}
		jobs = n
	}
	dbTimeout := defaultDBTimeout
	if v := strings.TrimSpace(e.getenv("AGENTGATE_DB_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fmt.Fprintf(e.stderr, "agentgate %s: AGENTGATE_DB_TIMEOUT=%q: want a duration such as 10s (0: no limit)\n", mode, v)
			return f, exitUsage, true
		}
		dbTimeout = d
	}
	fs.DurationVar(&f.dbTimeout, "db-timeout", dbTimeout, "how long one database call may take before the request fails with 503 and Retry-After; 0: no limit (env AGENTGATE_DB_TIMEOUT)")
	fs.IntVar(&f.jobs, "n-jobs-per-worker", jobs, "how many runs execute at once in this process (env N_JOBS_PER_WORKER)")
	var redisURL string
	fs.StringVar(&redisURL, "redis-url", strings.TrimSpace(e.getenv("REDIS_URI")), "Redis `URL` (redis://, rediss:// or unix://) carrying run stream events between replicas (env REDIS_URI); empty keeps them in this process")
	fs.StringVar(&f.metricsAddr, "metrics-addr", strings.TrimSpace(e.getenv("AGENTGATE_METRICS_ADDR")), "`address` (host:port) that serves GET /metrics alone; the main address then answers 404 there (env AGENTGATE_METRICS_ADDR)")
	fs.StringVar(&f.metricsTokenFile, "metrics-token-file", "", "`path` of a file holding the token GET /metrics requires as \"Authorization: Bearer <token>\" (or env AGENTGATE_METRICS_TOKEN, the token itself)")
	f.metricsToken = strings.TrimSpace(e.getenv("AGENTGATE_METRICS_TOKEN"))
	fs.StringVar(&f.auditLog, "audit-log", "", "`path` of the audit log of authentication and authorization decisions (JSON lines, appended, created 0600); - for stderr; overrides langgraph.json auth.audit_log")
	sample := 1.0
	fs.Float64Var(&sample, "request-log-sample", 1, "fraction (0 to 1) of successful requests logged at info level; errors are always logged")
	fs.BoolVar(&f.requestLog.Off, "no-request-log", false, "log no line per request")
	fs.BoolVar(&f.requestLog.Health, "log-health-checks", false, "also log successful GET /ok requests")
	if err := f.events.register(fs, e); err != nil {
		fmt.Fprintf(e.stderr, "agentgate %s: %v\n", mode, err)
		return f, exitUsage, true
	}
	var host string
	var port int
	switch mode {
	case "dev":
		fs.StringVar(&host, "host", "127.0.0.1", "`host` to listen on")
		fs.IntVar(&port, "port", 2024, "`port` to listen on (0: any free port)")
		fs.BoolVar(&f.noReload, "no-reload", false, "do not restart the server when langgraph.json, its env file or the Go packages it names change")
		fs.BoolVar(&f.memory, "memory", false, "keep everything in memory instead of SQLite under <config dir>/.agentgate/")
		fs.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
		f.logFormat = "text"
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), `Usage: agentgate dev [flags]

Run a local development server. Data lives in SQLite at
<config dir>/.agentgate/agentgate.db (add .agentgate/ to your .gitignore),
or in memory with --memory. Logs are text on stderr. Once the port is bound,
one line "agentgate listening on http://HOST:PORT" is printed on stdout.
When langgraph.json names Go packages ("./dir:Name" graphs, auth.path,
http.app),
they are built into a project binary first (cached; see "agentgate build").
The server runs as a child process that is rebuilt and restarted on the
same address when langgraph.json, its env file or the Go sources of the
packages it names change (polled twice a second); a failed build or a bad
config keeps the previous server running. --no-reload turns this off.
Requests with "x-auth-scheme: langsmith" are admitted as the Studio user
unless auth.disable_studio_auth is true. GET /metrics (run counts of every
tenant) is open to anyone unless --metrics-addr or a metrics token is set.

Flags:
`)
			fs.PrintDefaults()
		}
	case "serve":
		fs.StringVar(&f.addr, "addr", envOr(e, "AGENTGATE_ADDR", ":8123"), "`address` to listen on, host:port (env AGENTGATE_ADDR)")
		fs.StringVar(&f.database, "database", e.getenv("AGENTGATE_DATABASE"), "SQLite database file `path`, or a postgres:// URL (env AGENTGATE_DATABASE); required")
		fs.StringVar(&f.logFormat, "log-format", envOr(e, "AGENTGATE_LOG_FORMAT", "json"), "log `format`: json or text (env AGENTGATE_LOG_FORMAT)")
		fs.StringVar(&f.logLevel, "log-level", envOr(e, "AGENTGATE_LOG_LEVEL", "info"), "log `level`: debug, info, warn or error (env AGENTGATE_LOG_LEVEL)")
		fs.BoolVar(&f.studioAuth, "studio-auth", false, "admit requests with \"x-auth-scheme: langsmith\" as the Studio user without authentication (dev does unless auth.disable_studio_auth)")
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), `Usage: agentgate serve [flags]

Run a production server. Flags override the environment variables named
below. Logs go to stderr. Once the port is bound, one line
"agentgate listening on http://HOST:PORT" is printed on stdout.
GET /metrics (run counts of every tenant) answers 403 unless
--metrics-addr (served there alone) or a metrics token
(--metrics-token-file or AGENTGATE_METRICS_TOKEN) is set.
A database call slower than --db-timeout fails its request with 503 and
Retry-After instead of holding it. On SIGINT/SIGTERM, running runs are
cancelled and requeued; the server exits within --shutdown-timeout.

Flags:
`)
			fs.PrintDefaults()
		}
	}
	if code, done := parseFlags(fs, args, e); done {
		return f, code, true
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "config" {
			f.configExplicit = true
		}
	})
	if mode == "dev" {
		if port < 0 || port > 65535 {
			fmt.Fprintf(e.stderr, "agentgate dev: --port %d is out of range (0-65535)\n", port)
			return f, exitUsage, true
		}
		f.addr = net.JoinHostPort(host, strconv.Itoa(port))
	}
	if f.dbTimeout < 0 {
		fmt.Fprintf(e.stderr, "agentgate %s: --db-timeout %s: want 0 (no limit) or more\n", mode, f.dbTimeout)
		return f, exitUsage, true
	}
	if f.jobs < 1 {
		fmt.Fprintf(e.stderr, "agentgate %s: --n-jobs-per-worker %d: want at least 1\n", mode, f.jobs)
		return f, exitUsage, true
	}
	if err := f.events.check(); err != nil {
		fmt.Fprintf(e.stderr, "agentgate %s: %v\n", mode, err)
		return f, exitUsage, true
	}
	if redisURL != "" {
		// url.Parse errors quote the whole URL, password included.
		u, err := url.Parse(redisURL)
		if err != nil {
			fmt.Fprintf(e.stderr, "agentgate %s: --redis-url (or REDIS_URI) is not a valid URL; want redis://[user:password@]host:port[/db]\n", mode)
			return f, exitUsage, true
		}
		f.redisShown = u.Redacted()
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			fmt.Fprintf(e.stderr, "agentgate %s: --redis-url %q: %v\n", mode, f.redisShown, err)
			return f, exitUsage, true
		}
		f.redis = opt
	}
	if !(sample >= 0 && sample <= 1) {
		fmt.Fprintf(e.stderr, "agentgate %s: --request-log-sample %v: want a fraction from 0 to 1\n", mode, sample)
		return f, exitUsage, true
	}
	f.requestLog.SkipRate = 1 - sample
	if f.logFormat != "json" && f.logFormat != "text" {
		fmt.Fprintf(e.stderr, "agentgate %s: log format %q: want json or text\n", mode, f.logFormat)
		return f, exitUsage, true
	}
	if _, err := parseLevel(f.logLevel); err != nil {
		fmt.Fprintf(e.stderr, "agentgate %s: %v\n", mode, err)
		return f, exitUsage, true
	}
	return f, exitOK, false
}

// defaultDBTimeout is the default of --db-timeout.
const defaultDBTimeout = 10 * time.Second

// defaultJobs is the default of --n-jobs-per-worker (as in LangGraph).
const defaultJobs = 10

func envOr(e env, name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}
