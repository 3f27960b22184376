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
		specs := make([]llm.ToolSpec, len(tools))
		for i, t := range tools {
			specs[i] = t.Spec()
		}
		bound = tb.BindTools(specs)
	}
	b := graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode(AgentNode, agentNode(bound, opts)).
		AddEdge(graph.START, AgentNode)
	if len(tools) > 0 {
		tn := ToolNode(tools...)
		if opts.InterruptBeforeTools {
			tn = approvalNode(byName)
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

// agentNode asks the model and streams its reply as message chunks.
func agentNode(model llm.ChatModel, opts ReactOptions) graph.NodeFunc {
	return func(ctx context.Context, state graph.State) (any, error) {
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

// approvalNode is the tools node behind a human: it interrupts with the
// pending calls and runs them only when the answer approves.
func approvalNode(byName map[string]Tool) graph.NodeFunc {
	return func(ctx context.Context, state graph.State) (any, error) {
		ai, err := lastAI(state)
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
