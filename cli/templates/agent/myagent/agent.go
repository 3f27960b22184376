// Package myagent is this project's graph, named in langgraph.json as
// "graphs": {"agent": "./myagent:New"}: a ReAct agent (LangGraph's
// create_react_agent) that calls the Go tools below. Add your own tools
// with agent.NewTool: the argument struct becomes the tool's JSON Schema.
package myagent

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/agentgate/agentgate/agent"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/models"
)

// SystemPrompt is sent to the model first on every turn.
const SystemPrompt = "You are a helpful assistant. Use text_stats to count words or characters."

// New builds the agent on the model the run names in configurable.model,
// else AGENTGATE_MODEL, else the provider whose API key is set (see
// .env.example). The echo model (no key) answers without tools.
func New() (*graph.Graph, error) {
	reg, err := models.NewRegistry(nil)
	if err != nil {
		return nil, err
	}
	return Build(reg.RunModel())
}

// Build compiles the agent around model; tests pass their own.
func Build(model llm.ToolBinder) (*graph.Graph, error) {
	stats, err := TextStats()
	if err != nil {
		return nil, err
	}
	return agent.NewReact(model, []agent.Tool{stats}, agent.ReactOptions{
		SystemPrompt: SystemPrompt,
		Name:         "agent",
		// Set to pause before every tool call until a human approves it.
		InterruptBeforeTools: false,
	})
}

// StatsArgs are text_stats's arguments.
type StatsArgs struct {
	Text string `json:"text" jsonschema:"required,description=The text to measure"`
}

// Stats is text_stats's answer.
type Stats struct {
	Words      int `json:"words"`
	Characters int `json:"characters"`
}

// TextStats is the text_stats tool.
func TextStats() (agent.Tool, error) {
	return agent.NewTool("text_stats", "Count the words and characters of a text.",
		func(_ context.Context, in StatsArgs) (Stats, error) {
			return Stats{Words: len(strings.Fields(in.Text)), Characters: utf8.RuneCountInString(in.Text)}, nil
		})
}
