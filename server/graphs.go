package server

import (
	"fmt"
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
	return a.GraphID, g, nil
}

func (s *Server) assistantGraph(w http.ResponseWriter, r *http.Request) error {
	if x := r.URL.Query().Get("xray"); x != "" && x != "true" && x != "false" {
		if n, err := strconv.Atoi(x); err != nil || n < 0 {
			return invalid("Invalid value for 'xray': must be a boolean or a non-negative integer")
		}
	}
	_, g, err := s.assistantGraphOf(r)
	if err != nil {
		return err
	}
	return writeJSON(w, g.Draw())
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
	out := map[string]graph.Schemas{}
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

func collectSubgraphs(g Graph, prefix string, recurse bool, out map[string]graph.Schemas) {
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
		out[ns] = subs[n].Schemas()
		if recurse {
			collectSubgraphs(subs[n], ns, recurse, out)
		}
	}
}
