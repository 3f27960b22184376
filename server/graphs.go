package server

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
)

// Graph is a registered graph: the graph package's compiled state graph.
type Graph = *graph.Graph

// assistantGraphOf authorizes assistants:read and returns the assistant's
// graph.
func (s *Server) assistantGraphOf(r *http.Request) (string, Graph, error) {
	id, err := s.assistantID(r.PathValue("assistant_id"))
	if err != nil {
		return "", nil, err
	}
	scope, err := s.authorize(r, &auth.AssistantsRead{AssistantID: id})
	if err != nil {
		return "", nil, err
	}
	a, err := s.store.Assistants().Get(r.Context(), scope, id)
	if err != nil {
		return "", nil, assistantErr(err, id)
	}
	g := s.graphs[a.GraphID]
	if g == nil {
		return "", nil, notFound(fmt.Sprintf("Graph '%s' not found", a.GraphID))
	}
	// A dynamic graph is drawn and described as the assistant's config
	// builds it.
	conf, _ := a.Config["configurable"].(map[string]any)
	if g, err = g.For(r.Context(), graph.RunConfig{Configurable: conf, Context: a.Context}); err != nil {
		return "", nil, fmt.Errorf("building graph %q for assistant %s: %w", a.GraphID, id, err)
	}
	return a.GraphID, g, nil
}

// assistantGraph draws the graph; xray=true (or a depth) draws the nodes
// of subgraphs in place of their node, named "node:inner".
func (s *Server) assistantGraph(w http.ResponseWriter, r *http.Request) error {
	depth := 0
	switch x := r.URL.Query().Get("xray"); x {
	case "", "false":
	case "true":
		depth = math.MaxInt
	default:
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 {
			return invalid("Invalid value for 'xray': must be a boolean or a non-negative integer")
		}
		depth = n
	}
	_, g, err := s.assistantGraphOf(r)
	if err != nil {
		return err
	}
	return writeJSON(w, drawXray(g, depth))
}

// drawXray draws g with its subgraphs expanded depth levels deep: edges
// into a subgraph node go to the subgraph's first nodes, edges out of it
// leave from its last nodes.
func drawXray(g Graph, depth int) graph.DrawableGraph {
	d := g.Draw()
	if depth == 0 {
		return d
	}
	subs := g.Subgraphs()
	if len(subs) == 0 {
		return d
	}
	out := graph.DrawableGraph{Edges: []graph.DrawEdge{}}
	firsts, lasts := map[string][]string{}, map[string][]string{}
	var inner []graph.DrawEdge
	for _, n := range d.Nodes {
		sub := subs[n.ID]
		if sub == nil {
			out.Nodes = append(out.Nodes, n)
			continue
		}
		sd := drawXray(sub, depth-1)
		pfx := n.ID + ":"
		for _, sn := range sd.Nodes {
			if sn.ID != graph.START && sn.ID != graph.END {
				sn.ID = pfx + sn.ID
				out.Nodes = append(out.Nodes, sn)
			}
		}
		for _, e := range sd.Edges {
			switch {
			case e.Source == graph.START:
				firsts[n.ID] = append(firsts[n.ID], pfx+e.Target)
			case e.Target == graph.END:
				lasts[n.ID] = append(lasts[n.ID], pfx+e.Source)
			default:
				e.Source, e.Target = pfx+e.Source, pfx+e.Target
				inner = append(inner, e)
			}
		}
	}
	for _, e := range d.Edges {
		srcs, tgts := []string{e.Source}, []string{e.Target}
		if l, ok := lasts[e.Source]; ok {
			srcs = l
		}
		if f, ok := firsts[e.Target]; ok {
			tgts = f
		}
		for _, src := range srcs {
			for _, tgt := range tgts {
				e2 := e
				e2.Source, e2.Target = src, tgt
				out.Edges = append(out.Edges, e2)
			}
		}
	}
	out.Edges = append(out.Edges, inner...)
	return out
}

type graphSchema struct {
	GraphID string `json:"graph_id"`
	graph.Schemas
}

func (s *Server) assistantSchemas(w http.ResponseWriter, r *http.Request) error {
	gid, g, err := s.assistantGraphOf(r)
	if err != nil {
		return err
	}
	return writeJSON(w, graphSchema{GraphID: gid, Schemas: g.Schemas()})
}

// assistantSubgraphs lists the schemas of the graph's subgraphs by
// namespace ("parent|child" when recursing), optionally only those under
// the {namespace} path value.
func (s *Server) assistantSubgraphs(w http.ResponseWriter, r *http.Request) error {
	recurse, err := queryBool(r, "recurse")
	if err != nil {
		return err
	}
	_, g, err := s.assistantGraphOf(r)
	if err != nil {
		return err
	}
	out := map[string]subgraphSchemas{}
	collectSubgraphs(g, "", recurse, out)
	if ns := r.PathValue("namespace"); ns != "" {
		for k := range out {
			if k != ns && !strings.HasPrefix(k, ns+"|") {
				delete(out, k)
			}
		}
	}
	return writeJSON(w, out)
}

// subgraphSchemas is one subgraph's schemas under the Python server's
// keys (input_schema, ...) and the JS server's (state, input, output,
// config): the SDKs declare the first, the JS server and its clients use
// the second.
type subgraphSchemas struct {
	graph.Schemas
	State  map[string]any `json:"state"`
	Input  map[string]any `json:"input"`
	Output map[string]any `json:"output"`
	Config map[string]any `json:"config"`
}

func collectSubgraphs(g Graph, prefix string, recurse bool, out map[string]subgraphSchemas) {
	subs := g.Subgraphs()
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ns := n
		if prefix != "" {
			ns = prefix + "|" + n
		}
		sc := subs[n].Schemas()
		out[ns] = subgraphSchemas{Schemas: sc, State: sc.State, Input: sc.Input, Output: sc.Output, Config: sc.Config}
		if recurse {
			collectSubgraphs(subs[n], ns, recurse, out)
		}
	}
}
