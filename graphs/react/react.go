// Package react is agentgate's built-in ReAct agent ("builtin:agent"):
// agent.NewReact with a few safe tools (current_time, calculator, whoami)
// and the model the run names in configurable.model, else the default
// model (see llm/models).
package react

import (
	"github.com/agentgate/agentgate/agent"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm/models"
)

// SystemPrompt is the built-in agent's system prompt.
const SystemPrompt = "You are a helpful assistant. Use the tools when they help: " +
	"current_time for the date and time, calculator for any arithmetic, " +
	"whoami to learn who you are talking to."

// New compiles the built-in agent on reg's models. A model that cannot
// call tools (the echo model) answers without them.
func New(reg *models.Registry) (*graph.Graph, error) {
	tools, err := Tools()
	if err != nil {
		return nil, err
	}
	return agent.NewReact(reg.RunModel(), tools, agent.ReactOptions{SystemPrompt: SystemPrompt, Name: "agent"})
}
