package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/agentgate/agentgate/config"
	"github.com/agentgate/agentgate/internal/userbuild"
)

// projectBinaryEnv is set in the environment of a project binary that
// agentgate built and started, so that it never builds itself again.
const projectBinaryEnv = "AGENTGATE_PROJECT_BINARY"

// projectSpec returns what to build for cfg: every graph, the auth and the
// custom routes and encryption that name Go packages. missing reports whether p lacks any of them (then p
// cannot serve cfg and the project binary must).
func projectSpec(cfg *config.Config, p Program) (spec userbuild.Spec, missing, any bool) {
	spec = userbuild.Spec{ProjectDir: cfg.Dir, Graphs: map[string]userbuild.Ref{}}
	for id, g := range cfg.Graphs {
		if g.Kind != config.GraphGoPackage {
			continue
		}
		any = true
		spec.Graphs[id] = userbuild.Ref{Dir: g.Dir, Symbol: g.Symbol}
		if _, ok := p.Graphs[id]; !ok {
			missing = true
		}
	}
	if a := cfg.Auth; a != nil && a.Path != "" {
		any = true
		spec.Auth = &userbuild.Ref{Dir: a.Dir, Symbol: a.Symbol}
		if p.Auth == nil {
			missing = true
		}
	}
	if h := cfg.HTTP; h.App != "" {
		any = true
		spec.HTTP = &userbuild.Ref{Dir: h.AppDir, Symbol: h.AppSymbol}
		if p.HTTP == nil {
			missing = true
		}
	}
	if c := cfg.Encryption; c != nil {
		any = true
		spec.Encryption = &userbuild.Ref{Dir: c.Dir, Symbol: c.Symbol}
		if p.Encryption == nil {
			missing = true
		}
	}
	return spec, missing, any
}

// buildProject builds the project binary for spec, saying so on stderr.
func buildProject(ctx context.Context, cfg *config.Config, spec userbuild.Spec, e env) (string, error) {
	fmt.Fprintf(e.stderr, "agentgate: %s names Go packages; building the project binary (cached under %s)\n",
		cfg.File, ".agentgate/bin")
	b := &userbuild.Builder{Stderr: e.stderr}
	bin, built, err := b.Build(ctx, spec)
	if err != nil {
		return "", fmt.Errorf("%s: %w", cfg.File, err)
	}
	if built {
		fmt.Fprintf(e.stderr, "agentgate: built %s\n", bin)
	} else {
		fmt.Fprintf(e.stderr, "agentgate: sources unchanged; using %s\n", bin)
	}
	return bin, nil
}

// execProject runs the command in the project binary when langgraph.json
// names Go packages that p does not provide. It returns nil when p serves
// cfg itself; otherwise it returns only on failure.
func execProject(ctx context.Context, cfg *config.Config, p Program, args []string, e env) error {
	spec, missing, _ := projectSpec(cfg, p)
	if !missing {
		return nil
	}
	if self := e.getenv(projectBinaryEnv); self != "" {
		return fmt.Errorf("%s: the project binary %s does not provide every Go package langgraph.json names; delete %s and retry",
			cfg.File, self, ".agentgate/bin")
	}
	bin, err := buildProject(ctx, cfg, spec, e)
	if err != nil {
		return err
	}
	if e.exec == nil {
		return fmt.Errorf("cannot start %s from here", bin)
	}
	if err := e.exec(bin, args); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	return nil
}

// runBuild is "agentgate build": it builds the project binary and prints
// its path. Without Go packages in langgraph.json the running binary serves
// the project as it is, and its path is printed.
func runBuild(ctx context.Context, p Program, args []string, e env) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	path := fs.String("config", "langgraph.json", "`path` of langgraph.json, or the directory holding it")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: agentgate build [flags]

Build a server binary for a langgraph.json whose graphs, auth.path or
http.app name Go packages ("./dir:Name"): agentgate generates a main package importing
them, builds it inside your Go module (against copies of go.mod and go.sum
under <config dir>/.agentgate/build that the go command may complete; yours
are not changed) and caches the binary under <config dir>/.agentgate/bin by
a hash of the sources. The binary's path is
printed on stdout; it takes the same commands as agentgate ("dev",
"serve", ...). "agentgate dev" and "serve" do this by themselves.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args[1:], e); done {
		return code
	}
	log := newLogger(e.stderr, "text", 0)
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(e.stderr, "agentgate build: %v\n", err)
		return exitError
	}
	spec, _, named := projectSpec(cfg, Program{})
	if !named {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintf(e.stderr, "agentgate build: %v\n", err)
			return exitError
		}
		log.Info("langgraph.json names no Go packages: this agentgate binary serves it as it is")
		fmt.Fprintln(e.stdout, self)
		return exitOK
	}
	bin, err := buildProject(ctx, cfg, spec, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "agentgate build: %v\n", err)
		return exitError
	}
	fmt.Fprintln(e.stdout, bin)
	return exitOK
}
