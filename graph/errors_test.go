package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

func TestErrorMessageIsTheNodesOwn(t *testing.T) {
	inner := mustCompile(t, graph.New().AddChannel("x", graph.LastValue[int]()).
		AddNode("fails", func(context.Context, graph.State) (any, error) { return nil, errors.New("Boo!") }).
		AddEdge(graph.START, "fails"))
	outer := mustCompile(t, graph.New().AddChannel("x", graph.LastValue[int]()).
		AddSubgraph("child", inner).AddEdge(graph.START, "child"))
	_, err := outer.Invoke(context.Background(), graph.State{"x": 1}, graph.RunConfig{})
	if err == nil {
		t.Fatal("no error")
	}
	if got := graph.ErrorMessage(err); got != "Boo!" {
		t.Errorf("ErrorMessage = %q, want Boo!", got)
	}
	// The error itself still says where it happened.
	if !strings.Contains(err.Error(), `"child"`) {
		t.Errorf("error %q does not name the node", err)
	}
	if got := graph.ErrorMessage(&graph.RecursionError{Limit: 3}); !strings.Contains(got, "Recursion limit of 3") {
		t.Errorf("ErrorMessage(recursion) = %q", got)
	}
}
