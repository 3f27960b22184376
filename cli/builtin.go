package cli

import (
	"sort"
	"strings"

	"github.com/agentgate/agentgate/graphs/approval"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/server"
)

// builtinGraph builds one graph compiled into the binary.
type builtinGraph func() (server.Graph, error)

// builtinGraphs is the registry behind "builtin:<name>" in langgraph.json.
// It is built on each call: no package state.
func builtinGraphs() map[string]builtinGraph {
	return map[string]builtinGraph{
		// The chatbot answers with the echo model: no API key needed.
		"chatbot": func() (server.Graph, error) { return chatbot.New(llm.Echo{}) },
		// The approval graph interrupts for a human decision (resume with a command).
		"approval": func() (server.Graph, error) { return approval.New() },
	}
}

func builtinNames(m map[string]builtinGraph) string {
	if len(m) == 0 {
		return "none yet"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
