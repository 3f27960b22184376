package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authcheck"
	"github.com/agentgate/agentgate/server"
)

// runAuth is "agentgate auth <subcommand>"; args start with "auth".
func runAuth(ctx context.Context, p Program, args []string, e env) int {
	const usage = `Usage: agentgate auth check [flags]

Load langgraph.json and its auth as "agentgate dev" does (building Go
packages if it names any), without listening, and print which
authorization handler decides each protected route. Exits with status 1
when the auth configuration is broken; warns about routes no handler
covers (they are allowed for every authenticated user).
`
	if len(args) < 2 || args[1] != "check" {
		if len(args) >= 2 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help" || args[1] == "help") {
			fmt.Fprint(e.stdout, usage)
			return exitOK
		}
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	fs := flag.NewFlagSet("auth check", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	path := fs.String("config", "langgraph.json", "`path` of langgraph.json, or the directory holding it")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args[2:], e); done {
		return code
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
	if err := authCheck(ctx, p, *path, explicit, args, e); err != nil {
		fmt.Fprintf(e.stderr, "agentgate auth check: %v\n", err)
		return exitError
	}
	return exitOK
}

func authCheck(ctx context.Context, p Program, path string, explicit bool, args []string, e env) error {
	log := newLogger(e.stderr, "text", 0)
	cfg, err := loadConfig(path, explicit, p, log)
	if err != nil {
		return err
	}
	if err := cfg.ApplyEnv(); err != nil {
		return err
	}
	if err := execProject(ctx, cfg, p, args, e); err != nil {
		return err
	}
	// The graphs and auth must load (as dev and serve would); the route
	// table is static, so nothing is started.
	if _, err := resolveGraphs(cfg, p, builtinGraphs(e.getenv, cfg)); err != nil {
		return err
	}
	a, err := buildAuth(ctx, cfg, p, log)
	if err != nil {
		return err
	}
	if _, err := enforcer(a, false, log); err != nil {
		return err
	}
	if a == nil {
		fmt.Fprintln(e.stdout, "no authentication is configured (auth.path, auth.authenticators or Program.Auth): every request is admitted.")
		a = auth.New()
	} else {
		fmt.Fprintf(e.stdout, "auth: %s\n\n", authSummary(cfg, a, false))
	}
	return authcheck.Write(e.stdout, authcheck.Report(server.Routes(), a))
}
