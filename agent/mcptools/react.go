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
}

// NewReact compiles a ReAct agent, as agent.NewReact, whose MCP tools are
// chosen per run: each turn the agent offers the model tools plus the
// tools of the servers named in the run's configurable "mcp_servers" (an
// assistant sets it in its config), or opts.Servers when the run names
// none. Names must be servers of pool; an unknown name fails the run.
// Human approval of tool calls (InterruptBeforeTools) is not offered here.
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
	resolve := func(ctx context.Context) ([]agent.Tool, error) {
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
	route := func(_ context.Context, s graph.State) (any, error) {
		if callsTools(s) {
			return agent.ToolsNode, nil
		}
		return graph.END, nil
	}
	b := graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode(agent.AgentNode, agentNode(model, resolve, opts)).
		AddNode(agent.ToolsNode, toolsNode(resolve)).
		AddEdge(graph.START, agent.AgentNode).
		AddConditionalEdges(agent.AgentNode, route, map[string]string{agent.ToolsNode: agent.ToolsNode, graph.END: graph.END}).
		AddEdge(agent.ToolsNode, agent.AgentNode)
	var copts []graph.CompileOption
	if opts.Name != "" {
		copts = append(copts, graph.WithName(opts.Name))
	}
	return b.Compile(copts...)
}

// agentNode binds the run's tools, asks the model and streams its reply.
func agentNode(model llm.ToolBinder, resolve func(context.Context) ([]agent.Tool, error), opts ReactOptions) graph.NodeFunc {
	return func(ctx context.Context, state graph.State) (any, error) {
		tools, err := resolve(ctx)
		if err != nil {
			return nil, err
		}
		var bound llm.ChatModel = model
		if len(tools) > 0 {
			specs := make([]llm.ToolSpec, len(tools))
			seen := map[string]bool{}
			for i, t := range tools {
				specs[i] = t.Spec()
				if seen[specs[i].Name] {
					return nil, fmt.Errorf("mcptools: two tools are named %q", specs[i].Name)
				}
				seen[specs[i].Name] = true
			}
			bound = model.BindTools(specs)
		}
		msgs, err := graph.ToMessages(state["messages"])
		if err != nil {
			return nil, err
		}
		if opts.SystemPrompt != "" {
			msgs = append([]graph.Message{graph.System(opts.SystemPrompt)}, msgs...)
		}
		reply, err := bound.Stream(ctx, msgs, func(c graph.Message) { graph.StreamChunk(ctx, c) })
		if err != nil {
			return nil, err
		}
		if reply.Type == "" || reply.Type == graph.ChunkType {
			reply.Type = graph.AIType
		}
		if opts.Name != "" && reply.Name == "" {
			reply.Name = opts.Name
		}
		return graph.State{"messages": []graph.Message{reply}}, nil
	}
}

// toolsNode runs the last AI message's tool calls with agent.ToolNode
// over the run's tools: a call of a tool the run did not select is an
// error tool message, as any unknown tool.
func toolsNode(resolve func(context.Context) ([]agent.Tool, error)) graph.NodeFunc {
	return func(ctx context.Context, state graph.State) (any, error) {
		tools, err := resolve(ctx)
		if err != nil {
			return nil, err
		}
		return agent.ToolNode(tools...)(ctx, state)
	}
}

// callsTools reports whether the last message is an AI message with tool
// calls.
func callsTools(s graph.State) bool {
	msgs, err := graph.ToMessages(s["messages"])
	if err != nil || len(msgs) == 0 {
		return false
	}
	last := msgs[len(msgs)-1]
	return (last.Type == graph.AIType || last.Type == graph.ChunkType) && len(last.ToolCalls) > 0
}
