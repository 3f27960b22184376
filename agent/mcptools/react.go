package mcptools

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentgate/agentgate/agent"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// ReactOptions configure NewReact.
type ReactOptions struct {
	// SystemPrompt, when set, is sent first to the model on every turn.
	SystemPrompt string
	// Name names the graph and the agent's AI messages.
	Name string
	// Servers are the MCP servers used when a run's configurable has no
	// "mcp_servers"; nil means none.
	Servers []string
	// InterruptBeforeTools asks a human before tools run (agent.ReactOptions).
	InterruptBeforeTools bool
}

// NewReact compiles a ReAct agent, as agent.NewReact, whose MCP tools are
// chosen per run: each turn the agent offers the model tools plus the
// tools of the servers named in the run's configurable "mcp_servers" (an
// assistant sets it in its config), or opts.Servers when the run names
// none. Names must be servers of pool; an unknown name fails the run.
func NewReact(model llm.ToolBinder, pool *Pool, tools []agent.Tool, opts ReactOptions) (*graph.Graph, error) {
	if model == nil {
		return nil, errors.New("mcptools: no model")
	}
	if pool == nil {
		return nil, errors.New("mcptools: no pool")
	}
	for _, n := range opts.Servers {
		if !pool.Has(n) {
			return nil, fmt.Errorf("mcptools: default mcp server %q is not configured (configured: %s)", n, pool.list())
		}
	}
	static := append([]agent.Tool(nil), tools...)
	toolsFor := func(ctx context.Context) ([]agent.Tool, error) {
		names, err := Selected(graph.Info(ctx).Configurable, opts.Servers)
		if err != nil {
			return nil, err
		}
		mcpTools, err := pool.Tools(ctx, names...)
		if err != nil {
			return nil, err
		}
		return append(append([]agent.Tool(nil), static...), mcpTools...), nil
	}
	return agent.NewReactWith(model, toolsFor, agent.ReactOptions{SystemPrompt: opts.SystemPrompt, Name: opts.Name,
		InterruptBeforeTools: opts.InterruptBeforeTools})
}
