package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Builder assembles a state graph. Its methods record mistakes and Compile
// reports them all.
type Builder struct {
	channels  map[string]Channel
	chanOrder []string
	nodes     map[string]*nodeSpec
	nodeOrder []string
	edges     map[string][]string
	branches  map[string][]*branch
	joins     []joinEdge
	errs      []error
}

type joinEdge struct {
	from []string
	to   string
}

type nodeSpec struct {
	name string
	fn   NodeFunc
	sub  *Graph
	ends []string
}

type branch struct {
	router  RouterFunc
	pathMap map[string]string // nil: the router names nodes directly
}

// NodeOption configures a node.
type NodeOption func(*nodeSpec)

// Ends declares where a node may go with Command.Goto (used for validation
// and drawing).
func Ends(nodes ...string) NodeOption {
	return func(n *nodeSpec) { n.ends = append(n.ends, nodes...) }
}

// New returns an empty builder.
func New() *Builder {
	return &Builder{
		channels: map[string]Channel{},
		nodes:    map[string]*nodeSpec{},
		edges:    map[string][]string{},
		branches: map[string][]*branch{},
	}
}

func (b *Builder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

func reserved(name string) bool {
	return name == "" || strings.HasPrefix(name, "__") || strings.ContainsAny(name, ":|") || strings.HasPrefix(name, "branch:")
}

// AddChannel declares a state key.
func (b *Builder) AddChannel(name string, ch Channel) *Builder {
	switch {
	case reserved(name):
		b.errorf("channel name %q is reserved or invalid", name)
	case b.channels[name] != nil:
		b.errorf("channel %q is declared twice", name)
	case ch == nil:
		b.errorf("channel %q has no kind", name)
	default:
		b.channels[name] = ch
		b.chanOrder = append(b.chanOrder, name)
	}
	return b
}

// AddNode adds a node.
func (b *Builder) AddNode(name string, fn NodeFunc, opts ...NodeOption) *Builder {
	if fn == nil {
		b.errorf("node %q has no function", name)
		return b
	}
	return b.addNode(&nodeSpec{name: name, fn: fn}, opts)
}

// AddSubgraph adds a compiled graph as a node: it runs with the parent's
// state as input (keys it does not declare are ignored) and its output
// values become the node's update. Its checkpoints live in the namespace
// "name:task_id" of the parent's thread; its interrupts interrupt the
// parent.
func (b *Builder) AddSubgraph(name string, g *Graph, opts ...NodeOption) *Builder {
	if g == nil {
		b.errorf("subgraph %q is nil", name)
		return b
	}
	return b.addNode(&nodeSpec{name: name, sub: g}, opts)
}

func (b *Builder) addNode(n *nodeSpec, opts []NodeOption) *Builder {
	switch {
	case reserved(n.name):
		b.errorf("node name %q is reserved or invalid", n.name)
		return b
	case b.nodes[n.name] != nil:
		b.errorf("node %q is added twice", n.name)
		return b
	}
	for _, o := range opts {
		o(n)
	}
	b.nodes[n.name] = n
	b.nodeOrder = append(b.nodeOrder, n.name)
	return b
}

// AddEdge makes to run after from.
func (b *Builder) AddEdge(from, to string) *Builder {
	if from == END {
		b.errorf("END cannot be the start of an edge")
		return b
	}
	if to == START {
		b.errorf("START cannot be the end of an edge")
		return b
	}
	if slices.Contains(b.edges[from], to) {
		b.errorf("edge %s -> %s is added twice", from, to)
		return b
	}
	b.edges[from] = append(b.edges[from], to)
	return b
}

// AddJoinEdge makes to run once after every node of from has run (a
// barrier, like LangGraph's add_edge([a, b], c)), however many steps apart
// they finish.
func (b *Builder) AddJoinEdge(from []string, to string) *Builder {
	if len(from) < 2 {
		b.errorf("a join edge to %q needs at least two sources", to)
		return b
	}
	for _, f := range from {
		if f == END || f == START {
			b.errorf("join edge to %q: %s cannot be a source", to, f)
			return b
		}
	}
	b.joins = append(b.joins, joinEdge{from: append([]string(nil), from...), to: to})
	return b
}

// AddConditionalEdges routes after from with router. pathMap, when not
// nil, maps the router's results to node names (and lists every possible
// destination); without it the router returns node names.
func (b *Builder) AddConditionalEdges(from string, router RouterFunc, pathMap map[string]string) *Builder {
	if from == END {
		b.errorf("END cannot be the start of an edge")
		return b
	}
	if router == nil {
		b.errorf("conditional edge from %q has no router", from)
		return b
	}
	b.branches[from] = append(b.branches[from], &branch{router: router, pathMap: pathMap})
	return b
}

// CompileOption configures Compile.
type CompileOption func(*Graph)

// WithName names the graph (used in schemas and drawings).
func WithName(name string) CompileOption { return func(g *Graph) { g.name = name } }

// WithInterruptBefore stops a run before these nodes run ("*": all).
func WithInterruptBefore(nodes ...string) CompileOption {
	return func(g *Graph) { g.interruptBefore = nodes }
}

// WithInterruptAfter stops a run after these nodes ran ("*": all).
func WithInterruptAfter(nodes ...string) CompileOption {
	return func(g *Graph) { g.interruptAfter = nodes }
}

// Compile validates the graph and returns it ready to run.
func (b *Builder) Compile(opts ...CompileOption) (*Graph, error) {
	errs := append([]error(nil), b.errs...)
	known := func(n string) bool { return n == START || n == END || b.nodes[n] != nil }
	for _, name := range b.nodeOrder {
		if b.channels[name] != nil {
			errs = append(errs, fmt.Errorf("node %q has the name of a state key", name))
		}
	}
	if len(b.channels) == 0 {
		errs = append(errs, errors.New("graph has no state channels"))
	}
	for _, from := range sortedKeys(b.edges) {
		if !known(from) {
			errs = append(errs, fmt.Errorf("edge starts at unknown node %q", from))
		}
		for _, to := range b.edges[from] {
			if !known(to) {
				errs = append(errs, fmt.Errorf("edge %s -> %s ends at unknown node %q", from, to, to))
			}
		}
	}
	for _, from := range sortedKeys(b.branches) {
		if !known(from) {
			errs = append(errs, fmt.Errorf("conditional edge starts at unknown node %q", from))
		}
		for _, br := range b.branches[from] {
			for _, k := range sortedKeys(br.pathMap) {
				if to := br.pathMap[k]; !known(to) || to == START {
					errs = append(errs, fmt.Errorf("conditional edge from %q maps %q to unknown node %q", from, k, to))
				}
			}
		}
	}
	for _, j := range b.joins {
		for _, f := range j.from {
			if b.nodes[f] == nil {
				errs = append(errs, fmt.Errorf("join edge to %q starts at unknown node %q", j.to, f))
			}
		}
		if b.nodes[j.to] == nil {
			errs = append(errs, fmt.Errorf("join edge ends at unknown node %q", j.to))
		}
	}
	for _, name := range b.nodeOrder {
		for _, to := range b.nodes[name].ends {
			if !known(to) || to == START {
				errs = append(errs, fmt.Errorf("node %q declares unknown destination %q", name, to))
			}
		}
	}
	if len(b.edges[START]) == 0 && len(b.branches[START]) == 0 {
		errs = append(errs, errors.New("graph has no entry point: add an edge from START"))
	}
	// The compiled graph keeps its own copies: later builder calls do not
	// change it.
	g := &Graph{
		name:      "LangGraph",
		channels:  maps.Clone(b.channels),
		chanOrder: slices.Clone(b.chanOrder),
		nodes:     maps.Clone(b.nodes),
		nodeOrder: slices.Clone(b.nodeOrder),
		edges:     cloneLists(b.edges),
		branches:  cloneLists(b.branches),
		joins:     map[string][]string{},
		joinsFrom: map[string][]string{},
	}
	joinTriggers := map[string][]string{}
	for _, j := range b.joins {
		srcs := append([]string(nil), j.from...)
		sort.Strings(srcs)
		ch := joinPrefix + strings.Join(srcs, "+") + nsSep + j.to
		g.joins[ch] = srcs
		for _, f := range srcs {
			g.joinsFrom[f] = append(g.joinsFrom[f], ch)
		}
		joinTriggers[j.to] = append(joinTriggers[j.to], ch)
	}
	for _, o := range opts {
		o(g)
	}
	for _, n := range append(append([]string(nil), g.interruptBefore...), g.interruptAfter...) {
		if n != "*" && b.nodes[n] == nil {
			errs = append(errs, fmt.Errorf("interrupt list names unknown node %q", n))
		}
	}
	if len(errs) == 0 {
		if err := g.checkReachesEnd(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("graph: invalid: %w", errors.Join(errs...))
	}
	g.startNode = &nodeSpec{name: START, fn: func(_ context.Context, s State) (any, error) { return s, nil }}
	g.pull = make([]pullSpec, 0, len(g.nodeOrder)+1)
	g.pull = append(g.pull, pullSpec{node: g.startNode, triggers: []string{START}, path: []any{pullPath, START}})
	for _, name := range g.nodeOrder {
		trig := append([]string{branchPrefix + name}, joinTriggers[name]...)
		g.pull = append(g.pull, pullSpec{node: g.nodes[name], triggers: trig, path: []any{pullPath, name}})
	}
	return g, nil
}

// successors returns where a node can go; any is true when a router
// without a path map (or a Command without declared ends) may go anywhere.
func (g *Graph) successors(name string) (out []string, any bool) {
	out = append(out, g.edges[name]...)
	for _, br := range g.branches[name] {
		if br.pathMap == nil {
			any = true
		}
		for _, k := range sortedKeys(br.pathMap) {
			out = append(out, br.pathMap[k])
		}
	}
	if n := g.nodes[name]; n != nil {
		out = append(out, n.ends...)
	}
	for _, ch := range g.joinsFrom[name] {
		_, to, _ := strings.Cut(strings.TrimPrefix(ch, joinPrefix), nsSep)
		out = append(out, to)
	}
	if len(out) == 0 && !any {
		// A node without edges ends the run.
		out = append(out, END)
	}
	return out, any
}

// checkReachesEnd fails when no node reachable from START can finish.
func (g *Graph) checkReachesEnd() error {
	seen := map[string]bool{START: true}
	queue := []string{START}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		next, anyDest := g.successors(n)
		if anyDest {
			return nil
		}
		for _, s := range next {
			if s == END {
				return nil
			}
			if !seen[s] {
				seen[s] = true
				queue = append(queue, s)
			}
		}
	}
	return errors.New("no path from START reaches END")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func cloneLists[V any](m map[string][]V) map[string][]V {
	out := make(map[string][]V, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}
