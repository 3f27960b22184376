package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// ReactOptions configure NewReact.
type ReactOptions struct {
	// SystemPrompt, when set, is sent first to the model on every turn (it
	// is not stored in the state).
	SystemPrompt string
	// InterruptBeforeTools stops the run before any tool runs, with an
	// interrupt whose value lists the pending tool calls. Resume with
	// graph.Command{Resume: map[string]any{"approve": true}} (or true) to
	// run them; anything else (false, {"approve": false, "reason": "..."})
	// answers each call with a "denied by the user" tool message and the
	// model continues.
	InterruptBeforeTools bool
	// Name names the graph and the agent's AI messages.
	Name string
}

// Node names of the ReAct graph, as create_react_agent names them.
const (
	AgentNode = "agent"
	ToolsNode = "tools"
)

// NewReact compiles a ReAct agent: the "agent" node asks model (bound to
// the tools, so it must be an llm.ToolBinder when tools are given) and
// streams its reply; when the reply calls tools the "tools" node runs them
// and the agent goes again, otherwise the run ends. The state is
// "messages" with add_messages semantics. The run's recursion limit bounds
// the number of turns.
func NewReact(model llm.ChatModel, tools []Tool, opts ReactOptions) (*graph.Graph, error) {
	if model == nil {
		return nil, errors.New("agent: no model")
	}
	byName, err := index(tools)
	if err != nil {
		return nil, err
	}
	bound := model
	if len(tools) > 0 {
		tb, ok := model.(llm.ToolBinder)
		if !ok {
			return nil, fmt.Errorf("agent: model %T cannot call tools (it does not implement llm.ToolBinder)", model)
		}
		bound = tb.BindTools(specsOf(tools))
	}
	toolsFor := func(context.Context) (map[string]Tool, error) { return byName, nil }
	return compileReact(func(context.Context) (llm.ChatModel, error) { return bound, nil }, toolsFor,
		len(tools) > 0, opts)
}

// NewReactWith is NewReact with the tools chosen per run: toolsFor is
// called on each turn (for example with the MCP servers a run names) and
// model is bound to what it returns.
func NewReactWith(model llm.ToolBinder, toolsFor func(context.Context) ([]Tool, error), opts ReactOptions) (*graph.Graph, error) {
	if model == nil || toolsFor == nil {
		return nil, errors.New("agent: no model or no tools function")
	}
	byName := func(ctx context.Context) (map[string]Tool, error) {
		tools, err := toolsFor(ctx)
		if err != nil {
			return nil, err
		}
		return index(tools)
	}
	bind := func(ctx context.Context) (llm.ChatModel, error) {
		tools, err := toolsFor(ctx)
		if err != nil || len(tools) == 0 {
			return model, err
		}
		if _, err := index(tools); err != nil {
			return nil, err
		}
		return model.BindTools(specsOf(tools)), nil
	}
	return compileReact(bind, byName, true, opts)
}

func specsOf(tools []Tool) []llm.ToolSpec {
	specs := make([]llm.ToolSpec, len(tools))
	for i, t := range tools {
		specs[i] = t.Spec()
	}
	return specs
}

// compileReact builds the graph: bind gives the turn's model, toolsFor the
// turn's tools by name; withTools adds the tools node and its routing.
func compileReact(bind func(context.Context) (llm.ChatModel, error),
	toolsFor func(context.Context) (map[string]Tool, error), withTools bool, opts ReactOptions) (*graph.Graph, error) {
	b := graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode(AgentNode, agentNode(bind, opts)).
		AddEdge(graph.START, AgentNode)
	if withTools {
		tn := toolsNode(toolsFor)
		if opts.InterruptBeforeTools {
			tn = approvalNode(toolsFor)
		}
		route := func(_ context.Context, s graph.State) (any, error) {
			if hasToolCalls(s) {
				return ToolsNode, nil
			}
			return graph.END, nil
		}
		b.AddNode(ToolsNode, tn).
			AddConditionalEdges(AgentNode, route, map[string]string{ToolsNode: ToolsNode, graph.END: graph.END}).
			AddEdge(ToolsNode, AgentNode)
	} else {
		b.AddEdge(AgentNode, graph.END)
	}
	var copts []graph.CompileOption
	if opts.Name != "" {
		copts = append(copts, graph.WithName(opts.Name))
	}
	return b.Compile(copts...)
}

// agentNode asks the turn's model and streams its reply as message chunks.
func agentNode(bind func(context.Context) (llm.ChatModel, error), opts ReactOptions) graph.NodeFunc {
	return func(ctx context.Context, state graph.State) (any, error) {
		model, err := bind(ctx)
		if err != nil {
			return nil, err
		}
		msgs, err := graph.ToMessages(state["messages"])
		if err != nil {
			return nil, err
		}
		if opts.SystemPrompt != "" {
			msgs = append([]graph.Message{graph.System(opts.SystemPrompt)}, msgs...)
		}
		reply, err := model.Stream(ctx, msgs, func(c graph.Message) { graph.StreamChunk(ctx, c) })
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

// toolsNode runs the last AI message's tool calls over the turn's tools (a
// call of a tool not among them is an error tool message).
func toolsNode(toolsFor func(context.Context) (map[string]Tool, error)) graph.NodeFunc {
	return func(ctx context.Context, state graph.State) (any, error) {
		byName, ai, err := pending(ctx, state, toolsFor)
		if err != nil {
			return nil, err
		}
		out := runCalls(ctx, byName, ai.ToolCalls)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return graph.State{"messages": out}, nil
	}
}

// pending returns the turn's tools and the AI message whose calls they run.
func pending(ctx context.Context, state graph.State, toolsFor func(context.Context) (map[string]Tool, error)) (map[string]Tool, graph.Message, error) {
	byName, err := toolsFor(ctx)
	if err != nil {
		return nil, graph.Message{}, err
	}
	ai, err := lastAI(state)
	return byName, ai, err
}

// approvalNode is the tools node behind a human: it interrupts with the
// pending calls and runs them only when the answer approves.
func approvalNode(toolsFor func(context.Context) (map[string]Tool, error)) graph.NodeFunc {
	return func(ctx context.Context, state graph.State) (any, error) {
		byName, ai, err := pending(ctx, state, toolsFor)
		if err != nil {
			return nil, err
		}
		if len(ai.ToolCalls) == 0 {
			return nil, nil
		}
		answer, err := graph.Interrupt(ctx, map[string]any{
			"question":   "Run these tool calls?",
			"tool_calls": ai.ToolCalls,
		})
		if err != nil {
			return nil, err
		}
		ok, reason := approved(answer)
		if !ok {
			text := "denied by the user"
			if reason != "" {
				text += ": " + reason
			}
			out := make([]graph.Message, len(ai.ToolCalls))
			for i, c := range ai.ToolCalls {
				out[i] = toolMessage(c, text, "error")
			}
			return graph.State{"messages": out}, nil
		}
		out := runCalls(ctx, byName, ai.ToolCalls)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return graph.State{"messages": out}, nil
	}
}

// approved reads a resume value: true or {"approve": true} approve;
// anything else denies, with an optional {"reason": "..."}.
func approved(v any) (ok bool, reason string) {
	b, err := json.Marshal(v)
	if err != nil {
		return false, ""
	}
	if json.Unmarshal(b, &ok) == nil {
		return ok, ""
	}
	var d struct {
		Approve bool   `json:"approve"`
		Reason  string `json:"reason"`
	}
	if json.Unmarshal(b, &d) != nil {
		return false, ""
	}
	return d.Approve, d.Reason
}
