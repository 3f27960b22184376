package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"syscall"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/graph"
)

// Program is what a main package hands to Main: its own graphs, auth and
// custom routes.
// The agentgate command passes an empty Program; a main generated from
// langgraph.json, or written by hand (library mode), passes its values.
type Program struct {
	// Graphs by graph id. A value is a *graph.Graph, a func() *graph.Graph,
	// a func() (*graph.Graph, error), or a graph.Factory (or a func of its
	// type) that builds the graph of each run from its config (see
	// graph.Dynamic). langgraph.json graphs named
	// "./dir:Name" are looked up here by id; ids that langgraph.json does
	// not name are served too.
	Graphs map[string]any
	// Auth is a *auth.Auth or a func() *auth.Auth, or nil. It stands for
	// langgraph.json "auth.path" and is combined with the built-in
	// authenticators and policies the file configures.
	Auth any
	// HTTP, when set, serves custom routes; it stands for langgraph.json
	// "http.app". The server serves HTTP(api), api being agentgate's
	// complete handler (middleware, authentication and routes): HTTP may
	// answer requests itself (its routes take precedence), wrap them, or
	// pass them to api, which still authenticates them.
	HTTP func(api http.Handler) http.Handler
	// Encryption is a *encryption.Encryption or a func() returning one,
	// or nil. It stands for langgraph.json "encryption.path"; data is then
	// encrypted at rest with its hooks (see docs/encryption.md).
	Encryption any
}

// Main runs the agentgate command line args (without the program name)
// with p's graphs and auth, and returns the exit code. SIGINT and SIGTERM
// stop a running server gracefully.
//
//	func main() {
//		os.Exit(cli.Main(cli.Program{Graphs: map[string]any{"agent": agent.Graph}, Auth: security.Auth}, os.Args[1:]))
//	}
func Main(p Program, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, p, args, env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, exec: execBinary, child: selfCommand})
}

// selfCommand runs this executable again with args.
func selfCommand(args []string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	return exec.Command(self, args...)
}

// programGraph turns one Program graph value into a compiled graph.
func programGraph(id string, v any) (*graph.Graph, error) {
	var g *graph.Graph
	var err error
	switch f := v.(type) {
	case *graph.Graph:
		g = f
	case func() *graph.Graph:
		g = f()
	case func() (*graph.Graph, error):
		g, err = f()
	case graph.Factory:
		g, err = graph.Dynamic(context.Background(), f)
	case func(context.Context, graph.RunConfig) (*graph.Graph, error):
		g, err = graph.Dynamic(context.Background(), f)
	default:
		return nil, fmt.Errorf("Program.Graphs[%q]: a %T is not a graph (want *graph.Graph, func() *graph.Graph, func() (*graph.Graph, error) or graph.Factory)", id, v)
	}
	if err != nil {
		return nil, fmt.Errorf("Program.Graphs[%q]: %w", id, err)
	}
	if g == nil {
		return nil, fmt.Errorf("Program.Graphs[%q]: nil graph", id)
	}
	return g, nil
}

// programAuth turns Program.Auth into an *auth.Auth (nil when unset).
func programAuth(v any) (*auth.Auth, error) {
	var a *auth.Auth
	switch f := v.(type) {
	case nil:
		return nil, nil
	case *auth.Auth:
		a = f
	case func() *auth.Auth:
		a = f()
	default:
		return nil, fmt.Errorf("Program.Auth: a %T is not an auth (want *auth.Auth or func() *auth.Auth)", v)
	}
	if a == nil {
		return nil, fmt.Errorf("Program.Auth: nil *auth.Auth")
	}
	return a, nil
}

// programEncryption turns Program.Encryption into an *encryption.Encryption
// (nil when unset), checked with Validate.
func programEncryption(v any) (*encryption.Encryption, error) {
	var e *encryption.Encryption
	switch f := v.(type) {
	case nil:
		return nil, nil
	case *encryption.Encryption:
		e = f
	case func() *encryption.Encryption:
		e = f()
	default:
		return nil, fmt.Errorf("Program.Encryption: a %T is not an encryption (want *encryption.Encryption or func() *encryption.Encryption)", v)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("Program.Encryption: %w", err)
	}
	return e, nil
}

func programGraphIDs(p Program) []string {
	ids := make([]string, 0, len(p.Graphs))
	for id := range p.Graphs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
