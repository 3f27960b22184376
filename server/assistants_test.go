package server

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/storage"
)

func TestSystemAssistants(t *testing.T) {
	ts := newTestServer(t, Options{})
	var a storage.Assistant
	ts.ok(200, "GET", "/assistants/agent", nil).json(t, &a)
	if a.AssistantID != "fe096781-5601-53d2-b2f6-0d3403f7e9ca" || a.GraphID != "agent" || a.Name != "agent" ||
		a.Metadata["created_by"] != "system" || a.Version != 1 {
		t.Fatalf("system assistant %+v", a)
	}
	ts.ok(200, "GET", "/assistants/fe096781-5601-53d2-b2f6-0d3403f7e9ca", nil)
	ts.ok(200, "GET", "/assistants/FE096781-5601-53D2-B2F6-0D3403F7E9CA", nil)
	// Registration is idempotent across restarts on the same store.
	if _, err := New(context.Background(), Options{Store: ts.srv.store, Graphs: testGraphs(t)}); err != nil {
		t.Fatal(err)
	}
	var n int
	ts.ok(200, "POST", "/assistants/count", nil).json(t, &n)
	if n != 2 {
		t.Fatalf("count %d", n)
	}
}

func TestAssistantLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newTestServer(t, Options{Store: st})
		var a storage.Assistant
		ts.ok(200, "POST", "/assistants", map[string]any{
			"graph_id": "agent", "name": "bot", "config": map[string]any{"configurable": map[string]any{"model": "x"}},
			"metadata": map[string]any{"team": "a"}, "description": "d",
		}).json(t, &a)
		if a.Name != "bot" || a.GraphID != "agent" || a.Version != 1 || a.Metadata["team"] != "a" ||
			a.Description == nil || *a.Description != "d" {
			t.Fatalf("created %+v", a)
		}
		path := "/assistants/" + a.AssistantID

		// Conflict and if_exists.
		ts.ok(409, "POST", "/assistants", map[string]any{"graph_id": "agent", "assistant_id": a.AssistantID})
		var same storage.Assistant
		ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "agent", "assistant_id": a.AssistantID, "if_exists": "do_nothing"}).json(t, &same)
		if same.Name != "bot" {
			t.Fatalf("do_nothing returned %+v", same)
		}
		var def storage.Assistant
		ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "other"}).json(t, &def)
		if def.Name != "Untitled" {
			t.Fatalf("default name %q", def.Name)
		}

		// Patch makes version 2 and merges metadata.
		var p storage.Assistant
		ts.ok(200, "PATCH", path, map[string]any{"name": "bot2", "metadata": map[string]any{"env": "prod"}}).json(t, &p)
		if p.Version != 2 || p.Name != "bot2" || p.Metadata["team"] != "a" || p.Metadata["env"] != "prod" {
			t.Fatalf("patched %+v", p)
		}
		ts.ok(422, "PATCH", path, map[string]any{"graph_id": "nope"})

		// Versions, newest first.
		var vs []storage.AssistantVersion
		ts.ok(200, "POST", path+"/versions", map[string]any{}).json(t, &vs)
		if len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 {
			t.Fatalf("versions %+v", vs)
		}
		ts.ok(200, "POST", path+"/versions", map[string]any{"limit": 1}).json(t, &vs)
		if len(vs) != 1 || vs[0].Version != 2 {
			t.Fatalf("versions limit 1: %+v", vs)
		}

		// Latest.
		var l storage.Assistant
		ts.ok(200, "POST", path+"/latest", map[string]any{"version": 1}).json(t, &l)
		if l.Version != 1 || l.Name != "bot" {
			t.Fatalf("latest %+v", l)
		}
		ts.ok(422, "POST", path+"/latest", map[string]any{})
		ts.ok(404, "POST", path+"/latest", map[string]any{"version": 9})

		// Search with pagination headers and select.
		r := ts.ok(200, "POST", "/assistants/search", map[string]any{"limit": 2})
		var page []storage.Assistant
		r.json(t, &page)
		if len(page) != 2 || r.header.Get("X-Pagination-Next") != "2" || r.header.Get("X-Pagination-Total") != "3" {
			t.Fatalf("page 1: %d rows, headers %v", len(page), r.header)
		}
		r = ts.ok(200, "POST", "/assistants/search", map[string]any{"limit": 2, "offset": 2})
		r.json(t, &page)
		if len(page) != 2 || r.header.Get("X-Pagination-Next") != "" || r.header.Get("X-Pagination-Total") != "4" {
			t.Fatalf("page 2: %d rows, headers %v", len(page), r.header)
		}
		var sel []map[string]any
		ts.ok(200, "POST", "/assistants/search", map[string]any{"graph_id": "agent", "metadata": map[string]any{"team": "a"},
			"select": []string{"assistant_id", "name"}}).json(t, &sel)
		if len(sel) != 1 || len(sel[0]) != 2 || sel[0]["name"] != "bot" {
			t.Fatalf("select %v", sel)
		}
		var byName []storage.Assistant
		ts.ok(200, "POST", "/assistants/search", map[string]any{"sort_by": "name", "sort_order": "asc"}).json(t, &byName)
		if len(byName) != 4 || byName[0].Name != "agent" || byName[3].Name != "Untitled" {
			t.Fatalf("sorted %+v", byName)
		}
		var n int
		ts.ok(200, "POST", "/assistants/count", map[string]any{"graph_id": "agent"}).json(t, &n)
		if n != 2 {
			t.Fatalf("count %d", n)
		}

		// Delete, with the threads that used it.
		th := ts.createThread(map[string]any{"assistant_id": a.AssistantID})
		keep := ts.createThread(map[string]any{"assistant_id": def.AssistantID})
		ts.ok(204, "DELETE", path+"?delete_threads=true", nil)
		ts.ok(404, "GET", path, nil)
		ts.ok(404, "DELETE", path, nil)
		ts.ok(404, "GET", "/threads/"+th.ThreadID, nil)
		ts.ok(200, "GET", "/threads/"+keep.ThreadID, nil)
		ts.ok(404, "GET", "/assistants/00000000-0000-0000-0000-000000000009", nil)
	})
}

func TestAssistantGraphAndSchemas(t *testing.T) {
	ts := newTestServer(t, Options{})
	var d struct {
		Nodes []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"nodes"`
		Edges []struct {
			Source string `json:"source"`
			Target string `json:"target"`
		} `json:"edges"`
	}
	ts.ok(200, "GET", "/assistants/agent/graph", nil).json(t, &d)
	if len(d.Nodes) != 3 || d.Nodes[0].ID != "__start__" || d.Nodes[1].ID != "agent" || d.Nodes[2].ID != "__end__" || len(d.Edges) != 2 {
		t.Fatalf("graph %+v", d)
	}
	ts.ok(200, "GET", "/assistants/agent/graph?xray=true", nil)
	ts.ok(200, "GET", "/assistants/agent/graph?xray=2", nil)
	ts.ok(422, "GET", "/assistants/agent/graph?xray=deep", nil)

	var sc map[string]any
	ts.ok(200, "GET", "/assistants/fe096781-5601-53d2-b2f6-0d3403f7e9ca/schemas", nil).json(t, &sc)
	if sc["graph_id"] != "agent" {
		t.Fatalf("schemas %v", sc)
	}
	for _, k := range []string{"input_schema", "output_schema", "state_schema", "config_schema", "context_schema"} {
		if _, ok := sc[k].(map[string]any); !ok {
			t.Fatalf("schemas lack %s: %v", k, sc)
		}
	}
	props := sc["state_schema"].(map[string]any)["properties"].(map[string]any)
	if props["messages"] == nil || props["note"] == nil {
		t.Fatalf("state schema %v", props)
	}

	var subs map[string]any
	ts.ok(200, "GET", "/assistants/agent/subgraphs?recurse=true", nil).json(t, &subs)
	if len(subs) != 0 {
		t.Fatalf("subgraphs %v", subs)
	}
	ts.ok(200, "GET", "/assistants/agent/subgraphs/child", nil)
	ts.ok(422, "GET", "/assistants/agent/subgraphs?recurse=maybe", nil)
	ts.ok(404, "GET", "/assistants/00000000-0000-0000-0000-000000000009/graph", nil)
	ts.ok(404, "GET", "/assistants/00000000-0000-0000-0000-000000000009/schemas", nil)
}

func TestAssistantSubgraphs(t *testing.T) {
	leaf := func(name string) *graph.Graph {
		g, err := graph.New().
			AddChannel("note", graph.LastValue[string]()).
			AddNode("work", func(ctx context.Context, s graph.State) (any, error) { return nil, nil }).
			AddEdge(graph.START, "work").
			Compile(graph.WithName(name))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	wrap := func(name, node string, sub *graph.Graph) *graph.Graph {
		g, err := graph.New().
			AddChannel("note", graph.LastValue[string]()).
			AddSubgraph(node, sub).
			AddEdge(graph.START, node).
			Compile(graph.WithName(name))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	nested := wrap("parent", "child", wrap("child", "grandchild", leaf("grandchild")))
	noop := func(ctx context.Context, s graph.State) (any, error) { return nil, nil }
	middle, err := graph.New().
		AddChannel("note", graph.LastValue[string]()).
		AddNode("before", noop).
		AddSubgraph("child", leaf("child")).
		AddNode("after", noop).
		AddEdge(graph.START, "before").AddEdge("before", "child").AddEdge("child", "after").AddEdge("after", graph.END).
		Compile()
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Options{Graphs: map[string]Graph{"nested": nested, "middle": middle}})

	keys := func(path string) []string {
		var m map[string]map[string]any
		ts.ok(200, "GET", path, nil).json(t, &m)
		var out []string
		for k, v := range m {
			// The Python server's keys and the JS server's, same schemas.
			for py, js := range map[string]string{"state_schema": "state", "input_schema": "input", "output_schema": "output", "config_schema": "config"} {
				if v[py] == nil || !reflect.DeepEqual(v[py], v[js]) {
					t.Fatalf("%s: %s has %s %v and %s %v", path, k, py, v[py], js, v[js])
				}
			}
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if got := keys("/assistants/nested/subgraphs"); !slices.Equal(got, []string{"child"}) {
		t.Fatalf("subgraphs %v", got)
	}
	if got := keys("/assistants/nested/subgraphs?recurse=true"); !slices.Equal(got, []string{"child", "child|grandchild"}) {
		t.Fatalf("recursive subgraphs %v", got)
	}
	if got := keys("/assistants/nested/subgraphs/child?recurse=true"); !slices.Equal(got, []string{"child", "child|grandchild"}) {
		t.Fatalf("subgraphs under child %v", got)
	}
	if got := keys("/assistants/nested/subgraphs/other"); len(got) != 0 {
		t.Fatalf("subgraphs under other %v", got)
	}

	// xray draws subgraph nodes in place of their node.
	draw := func(q string) string {
		var d struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"nodes"`
			Edges []struct {
				Source string `json:"source"`
				Target string `json:"target"`
			} `json:"edges"`
		}
		ts.ok(200, "GET", "/assistants/nested/graph"+q, nil).json(t, &d)
		var parts []string
		for _, n := range d.Nodes {
			parts = append(parts, n.ID)
		}
		parts = append(parts, "/")
		for _, e := range d.Edges {
			parts = append(parts, e.Source+">"+e.Target)
		}
		return strings.Join(parts, " ")
	}
	var mid struct {
		Edges []struct {
			Source string `json:"source"`
			Target string `json:"target"`
		} `json:"edges"`
	}
	ts.ok(200, "GET", "/assistants/middle/graph?xray=true", nil).json(t, &mid)
	var midEdges []string
	for _, e := range mid.Edges {
		midEdges = append(midEdges, e.Source+">"+e.Target)
	}
	sort.Strings(midEdges)
	if want := []string{"__start__>before", "after>__end__", "before>child:work", "child:work>after"}; !slices.Equal(midEdges, want) {
		t.Errorf("middle xray edges %v, want %v", midEdges, want)
	}
	for q, want := range map[string]string{
		"":            "__start__ child __end__ / __start__>child child>__end__",
		"?xray=false": "__start__ child __end__ / __start__>child child>__end__",
		"?xray=1":     "__start__ child:grandchild __end__ / __start__>child:grandchild child:grandchild>__end__",
		"?xray=true":  "__start__ child:grandchild:work __end__ / __start__>child:grandchild:work child:grandchild:work>__end__",
		"?xray=5":     "__start__ child:grandchild:work __end__ / __start__>child:grandchild:work child:grandchild:work>__end__",
	} {
		if got := draw(q); got != want {
			t.Errorf("graph%s:\n got %s\nwant %s", q, got, want)
		}
	}
}
