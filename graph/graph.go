package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// Graph is a compiled state graph. It is immutable and safe for concurrent
// runs.
type Graph struct {
	name            string
	channels        map[string]Channel
	chanOrder       []string
	nodes           map[string]*nodeSpec
	nodeOrder       []string
	edges           map[string][]string
	branches        map[string][]*branch
	startNode       *nodeSpec
	interruptBefore []string
	interruptAfter  []string
	configSchema    map[string]any
	contextSchema   map[string]any
	// pull lists START and the nodes with their trigger channel and task
	// path, shared read-only by every task.
	pull []pullSpec
	// joins maps a join channel to its sources; joinsFrom lists the join
	// channels a node writes.
	joins     map[string][]string
	joinsFrom map[string][]string
	// factory builds the graph per run (Dynamic); nil for a fixed graph.
	factory Factory
}

type pullSpec struct {
	node     *nodeSpec
	triggers []string
	path     []any
}

// Name returns the graph's name.
func (g *Graph) Name() string { return g.name }

// Nodes returns the node names in the order they were added.
func (g *Graph) Nodes() []string { return slices.Clone(g.nodeOrder) }

// Channels returns the state keys in the order they were declared.
func (g *Graph) Channels() []string { return slices.Clone(g.chanOrder) }

// Invoke runs the graph to its end (or its first interrupt) and returns
// the final state.
func (g *Graph) Invoke(ctx context.Context, input any, cfg RunConfig) (State, error) {
	res, err := g.Stream(ctx, input, cfg, nil)
	return res.Values, err
}

// Stream runs the graph, calling emit (which may be nil) for each event of
// the modes in cfg.StreamModes, from one goroutine at a time. An error
// from emit stops the run. input is a State (or any value whose JSON form
// is an object), a Command, or nil to continue from the checkpoint.
//
// Called from inside a node with a zero RunConfig and a nil emit, the
// graph runs as a subgraph of that node: in the node's checkpoint
// namespace, with the parent's checkpointer and stream, and an interrupt
// inside returns an *InterruptError for the node to return.
func (g *Graph) Stream(ctx context.Context, input any, cfg RunConfig, emit func(Event) error) (Result, error) {
	if tc := fromCtx(ctx); tc != nil && emit == nil && isZeroConfig(cfg) {
		return tc.l.runNested(ctx, tc.t, g, input)
	}
	// A namespace addresses a subgraph's checkpoints: run that subgraph.
	target, err := g.forNS(cfg.CheckpointNS)
	if err != nil {
		return Result{}, err
	}
	l, err := target.newLoop(cfg, emit)
	if err != nil {
		return Result{}, err
	}
	return l.run(ctx, input)
}

func isZeroConfig(c RunConfig) bool {
	return c.ThreadID == "" && c.Checkpointer == nil && c.CheckpointID == "" && c.RunID == "" &&
		c.StreamModes == nil && c.Command == nil && c.Configurable == nil && c.Context == nil
}

func (g *Graph) newLoop(cfg RunConfig, emit func(Event) error) (*loop, error) {
	l := &loop{
		g:        g,
		cfg:      cfg,
		saver:    cfg.Checkpointer,
		ns:       cfg.CheckpointNS,
		modes:    map[StreamMode]bool{},
		emitFn:   emit,
		emitMu:   &sync.Mutex{},
		vals:     map[string]any{},
		versions: map[string]int64{},
		seen:     map[string]map[string]int64{},
		step:     -2,
	}
	for _, m := range cfg.StreamModes {
		switch m {
		case "messages-tuple":
			m = ModeMessages
		case ModeValues, ModeUpdates, ModeMessages, ModeCustom, ModeDebug, ModeTasks, ModeCheckpoints, ModeEvents:
		default:
			return nil, fmt.Errorf("graph: unknown stream mode %q", m)
		}
		l.modes[m] = true
	}
	if l.ns != "" {
		l.nsPath = strings.Split(l.ns, checkpointSep)
	}
	if l.saver != nil && cfg.ThreadID == "" {
		return nil, errors.New("graph: a checkpointer needs a thread id")
	}
	l.limit = cfg.RecursionLimit
	if l.limit <= 0 {
		l.limit = defaultLimit
	}
	l.before, l.after = g.interruptBefore, g.interruptAfter
	if cfg.InterruptBefore != nil {
		l.before = cfg.InterruptBefore
	}
	if cfg.InterruptAfter != nil {
		l.after = cfg.InterruptAfter
	}
	return l, nil
}

// load reads the checkpoint the config addresses; a missing latest
// checkpoint leaves the loop empty, a missing given one is an error.
func (l *loop) load(ctx context.Context) error {
	if l.saver == nil {
		if l.cfg.CheckpointID != "" {
			return fmt.Errorf("graph: checkpoint %s: no checkpointer", l.cfg.CheckpointID)
		}
		return nil
	}
	tup, err := l.saver.GetTuple(ctx, checkpoint.Config{ThreadID: l.cfg.ThreadID, CheckpointNS: l.ns, CheckpointID: l.cfg.CheckpointID})
	if errors.Is(err, checkpoint.ErrNotFound) && l.cfg.CheckpointID == "" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("graph: load checkpoint: %w", err)
	}
	return l.restore(tup)
}

// Subgraphs returns the compiled graphs run by subgraph nodes, by node
// name.
func (g *Graph) Subgraphs() map[string]*Graph {
	out := map[string]*Graph{}
	for name, n := range g.nodes {
		if n.sub != nil {
			out[name] = n.sub
		}
	}
	return out
}
