package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

// The "events" mode reports the graph's and each node's runs like
// astream_events v2: starts and ends in order, nodes parented by the graph.
func TestEventsModeChainEvents(t *testing.T) {
	g := chain3(t)
	var seq []string
	var graphID string
	_, err := g.Stream(context.Background(), graph.State{}, graph.RunConfig{RunID: "run-1", StreamModes: []graph.StreamMode{graph.ModeEvents}},
		func(ev graph.Event) error {
			m := ev.Data.(map[string]any)
			seq = append(seq, m["event"].(string)+":"+m["name"].(string))
			parents := m["parent_ids"].([]string)
			switch {
			case m["name"] == "LangGraph":
				graphID = m["run_id"].(string)
				if len(parents) != 0 {
					t.Errorf("graph parents %v", parents)
				}
			case len(parents) != 1 || parents[0] != "run-1":
				t.Errorf("%s parents %v", m["name"], parents)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := "on_chain_start:LangGraph on_chain_start:a on_chain_stream:a on_chain_end:a on_chain_start:b on_chain_stream:b on_chain_end:b " +
		"on_chain_start:c on_chain_stream:c on_chain_end:c on_chain_end:LangGraph"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("events:\n%s\nwant\n%s", got, want)
	}
	if graphID != "run-1" {
		t.Errorf("graph run id %q", graphID)
	}
}
