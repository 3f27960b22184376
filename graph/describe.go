package graph

import "strings"

// DrawableGraph is a graph's drawing in the shape of LangChain's
// Graph.to_json(), served by GET /assistants/{id}/graph.
type DrawableGraph struct {
	Nodes []DrawNode `json:"nodes"`
	Edges []DrawEdge `json:"edges"`
}

// DrawNode is a node of a drawing.
type DrawNode struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data any    `json:"data"`
}

// DrawEdge is an edge of a drawing.
type DrawEdge struct {
	Source      string `json:"source"`
	Target      string `json:"target"`
	Conditional bool   `json:"conditional,omitempty"`
	Data        string `json:"data,omitempty"`
}

// Draw describes the graph's nodes and edges, with __start__ and __end__.
func (g *Graph) Draw() DrawableGraph {
	d := DrawableGraph{Nodes: []DrawNode{{ID: START, Type: "schema", Data: START}}, Edges: []DrawEdge{}}
	for _, n := range g.nodeOrder {
		kind := "Node"
		if g.nodes[n].sub != nil {
			kind = "CompiledStateGraph"
		}
		d.Nodes = append(d.Nodes, DrawNode{ID: n, Type: "runnable", Data: map[string]any{"id": []string{"agentgate", "graph", kind}, "name": n}})
	}
	d.Nodes = append(d.Nodes, DrawNode{ID: END, Type: "schema", Data: END})
	seen := map[[2]string]bool{}
	add := func(e DrawEdge) {
		k := [2]string{e.Source, e.Target}
		if seen[k] {
			return
		}
		seen[k] = true
		d.Edges = append(d.Edges, e)
	}
	for _, from := range append([]string{START}, g.nodeOrder...) {
		for _, to := range g.edges[from] {
			add(DrawEdge{Source: from, Target: to})
		}
		for _, ch := range g.joinsFrom[from] {
			_, to, _ := strings.Cut(strings.TrimPrefix(ch, joinPrefix), nsSep)
			add(DrawEdge{Source: from, Target: to})
		}
		for _, br := range g.branches[from] {
			if br.pathMap == nil {
				for _, to := range append(append([]string(nil), g.nodeOrder...), END) {
					add(DrawEdge{Source: from, Target: to, Conditional: true})
				}
				continue
			}
			for _, k := range sortedKeys(br.pathMap) {
				to := br.pathMap[k]
				e := DrawEdge{Source: from, Target: to, Conditional: true}
				if k != to {
					e.Data = k
				}
				add(e)
			}
		}
		if n := g.nodes[from]; n != nil {
			for _, to := range n.ends {
				add(DrawEdge{Source: from, Target: to, Conditional: true})
			}
			if len(g.edges[from]) == 0 && len(g.branches[from]) == 0 && len(n.ends) == 0 && len(g.joinsFrom[from]) == 0 {
				add(DrawEdge{Source: from, Target: END})
			}
		}
	}
	return d
}

// Schemas are JSON schemas of a graph, as GET /assistants/{id}/schemas
// returns them (without graph_id).
type Schemas struct {
	Input   map[string]any `json:"input_schema"`
	Output  map[string]any `json:"output_schema"`
	State   map[string]any `json:"state_schema"`
	Config  map[string]any `json:"config_schema"`
	Context map[string]any `json:"context_schema"`
}

// WithConfigSchema sets the JSON schema of the graph's configurable keys.
func WithConfigSchema(s map[string]any) CompileOption {
	return func(g *Graph) { g.configSchema = s }
}

// WithContextSchema sets the JSON schema of the graph's run context.
func WithContextSchema(s map[string]any) CompileOption {
	return func(g *Graph) { g.contextSchema = s }
}

// Schemas returns the graph's schemas: one property per state key.
func (g *Graph) Schemas() Schemas {
	state := func(title string) map[string]any {
		props := map[string]any{}
		for _, name := range g.chanOrder {
			p := map[string]any{"title": name}
			for k, v := range g.channels[name].schema() {
				p[k] = v
			}
			props[name] = p
		}
		return map[string]any{"title": title, "type": "object", "properties": props}
	}
	obj := func(title string, s map[string]any) map[string]any {
		if s != nil {
			return s
		}
		return map[string]any{"title": title, "type": "object", "properties": map[string]any{}}
	}
	return Schemas{
		Input:   state(g.name + "Input"),
		Output:  state(g.name + "Output"),
		State:   state(g.name + "State"),
		Config:  obj("Configurable", g.configSchema),
		Context: obj("Context", g.contextSchema),
	}
}
