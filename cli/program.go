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
// stop a running server gracefully. It turns Go's heap profile sampling
// off (runtime.MemProfileRate) unless GODEBUG sets memprofilerate.
//
//	func main() {
//		os.Exit(cli.Main(cli.Program{Graphs: map[string]any{"agent": agent.Graph}, Auth: security.Auth}, os.Args[1:]))
//	}
func Main(p Program, args []string) int {
	stopHeapProfiling(os.Getenv("GODEBUG"))
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

// programValue reads a Program field that holds a *T or a func() *T
// (what names the field and noun its kind in messages); set is false when
// the field is nil.
func programValue[T any](what, noun string, v any) (x *T, set bool, err error) {
	switch f := v.(type) {
	case nil:
		return nil, false, nil
	case *T:
		return f, true, nil
	case func() *T:
		return f(), true, nil
	}
	return nil, true, fmt.Errorf("%s: a %T is not %s (want %T or %T)", what, v, noun, (*T)(nil), (func() *T)(nil))
}

// programAuth turns Program.Auth into an *auth.Auth (nil when unset).
func programAuth(v any) (*auth.Auth, error) {
	a, set, err := programValue[auth.Auth]("Program.Auth", "an auth", v)
	if err != nil || !set {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("Program.Auth: nil *auth.Auth")
	}
	return a, nil
}

// programEncryption turns Program.Encryption into an *encryption.Encryption
// (nil when unset), checked with Validate.
func programEncryption(v any) (*encryption.Encryption, error) {
	e, set, err := programValue[encryption.Encryption]("Program.Encryption", "an encryption", v)
	if err != nil || !set {
		return nil, err
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
