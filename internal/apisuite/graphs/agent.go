package graphs

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/agentgate/agentgate/graph"
)

// fakeModel is the suite's FakeListChatModel: it answers its responses in
// turn (cycling), streaming them one character at a time under one id.
type fakeModel struct {
	mu        sync.Mutex
	responses []string
	next      int
}

func (m *fakeModel) invoke(ctx context.Context) graph.Message {
	m.mu.Lock()
	text := m.responses[m.next]
	m.next = (m.next + 1) % len(m.responses)
	m.mu.Unlock()
	id := newID()
	for _, r := range text {
		graph.StreamChunk(ctx, graph.Message{ID: id, Content: string(r)})
	}
	msg := graph.AI(text)
	msg.ID = id
	return msg
}

// models keeps one fake model per thread, as the suite does, so that a
// thread's answers alternate "begin", "end".
type models struct {
	mu        sync.Mutex
	responses []string
	byThread  map[string]*fakeModel
}

func (ms *models) get(ctx context.Context) *fakeModel {
	thread := graph.Info(ctx).ThreadID
	if t, ok := graph.Info(ctx).Configurable["thread_id"].(string); ok && t != "" {
		thread = t
	}
	if thread == "" {
		thread = "$"
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.byThread == nil {
		ms.byThread = map[string]*fakeModel{}
	}
	m, ok := ms.byThread[thread]
	if !ok {
		m = &fakeModel{responses: ms.responses}
		ms.byThread[thread] = m
	}
	return m
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func sleep(ctx context.Context, ms float64) error {
	t := time.NewTimer(time.Duration(ms * float64(time.Millisecond)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func lastMessage(s graph.State) (graph.Message, bool) {
	msgs, _ := s["messages"].([]graph.Message)
	if len(msgs) == 0 {
		return graph.Message{}, false
	}
	return msgs[len(msgs)-1], true
}

// The agent's shared-state store keys.
var (
	sharedNS   = []string{"sharedState", "data"}
	sharedKey  = "user_id"
	checkNS    = []string{"inputtedState", "data"}
	checkKey   = "my_key"
	agentModel = &models{responses: []string{"begin", "end"}}
)

// Agent is the suite's "agent": agent -> tool -> agent ... until the fake
// model says "end", with an interrupt flag, a sleep (seconds, or steps of
// ms with custom events), a store write in agent, a store read in tool and
// a checkSharedState branch.
func Agent() (*graph.Graph, error) {
	return agentWith(DefaultStore())
}

func agentWith(store Store) (*graph.Graph, error) {
	b := graph.New().AddChannel("messages", graph.Messages())
	for _, k := range []string{"sharedStateValue", "interrupt", "keyOne", "keyTwo", "sleep", "sharedStateFromStoreConfig"} {
		b.AddChannel(k, graph.LastValue[any]())
	}
	return b.
		AddNode("agent", func(ctx context.Context, s graph.State) (any, error) {
			if s["interrupt"] == true {
				if _, err := graph.Interrupt(ctx, "i want to interrupt"); err != nil {
					return nil, err
				}
			}
			if sl := s["sleep"]; sl != nil {
				if last, ok := lastMessage(s); ok && last.Type == graph.HumanType {
					switch v := sl.(type) {
					case float64:
						if err := sleep(ctx, v*1000); err != nil {
							return nil, err
						}
					case map[string]any:
						steps, _ := v["steps"].(float64)
						ms, _ := v["ms"].(float64)
						for step := 0; step < int(steps); step++ {
							graph.WriteCustom(ctx, map[string]any{"type": "sleep", "step": step})
							if err := sleep(ctx, ms); err != nil {
								return nil, err
							}
						}
					}
				}
			}
			resp := agentModel.get(ctx).invoke(ctx)
			userID := graph.Info(ctx).Configurable["user_id"]
			if store != nil && s["sharedStateFromStoreConfig"] == nil {
				if err := store.Put(ctx, sharedNS, sharedKey, map[string]any{"id": userID}); err != nil {
					return nil, err
				}
			}
			return graph.State{"interrupt": false, "messages": []graph.Message{resp}}, nil
		}).
		AddNode("tool", func(ctx context.Context, s graph.State) (any, error) {
			var shared any
			if store != nil {
				v, err := store.Get(ctx, sharedNS, sharedKey)
				if err != nil {
					return nil, err
				}
				shared = v
			}
			last, ok := lastMessage(s)
			if !ok {
				return graph.State{"messages": []graph.Message{}, "sharedStateFromStoreConfig": shared}, nil
			}
			return graph.State{
				"messages":                   []graph.Message{graph.Tool("tool_call__"+last.Text(), "tool_call_id")},
				"sharedStateFromStoreConfig": shared,
			}, nil
		}).
		AddNode("checkSharedState", func(ctx context.Context, s graph.State) (any, error) {
			if store != nil {
				v, err := store.Get(ctx, checkNS, checkKey)
				if err != nil {
					return nil, err
				}
				m, _ := v.(map[string]any)
				if m == nil || m["isTrue"] != true {
					return nil, fmt.Errorf("Value is not true")
				}
			}
			return graph.State{}, nil
		}).
		AddEdge(graph.START, "agent").
		AddConditionalEdges("agent", func(ctx context.Context, s graph.State) (any, error) {
			msgs, _ := s["messages"].([]graph.Message)
			if len(msgs) > 0 {
				switch msgs[0].Text() {
				case "should_end":
					return graph.END, nil
				case "___check_state_value":
					return "checkSharedState", nil
				}
			}
			if last, ok := lastMessage(s); ok && last.Text() == "end" {
				return graph.END, nil
			}
			return "tool", nil
		}, map[string]string{"tool": "tool", "checkSharedState": "checkSharedState", graph.END: graph.END}).
		AddEdge("tool", "agent").
		AddEdge("checkSharedState", graph.END).
		Compile(graph.WithConfigSchema(map[string]any{
			"type":       "object",
			"properties": map[string]any{"model_name": map[string]any{"type": "string"}},
			"$schema":    "http://json-schema.org/draft-07/schema#",
		}))
}

var simpleModel = &models{responses: []string{"begin", "end\u2028"}}

// AgentSimple is the suite's "agent_simple": the model answers, and while
// its answer does not start with "end" a Send runs "tool" with the last
// message. It writes the first message's text to the store under the
// caller's identity (or "ALL") and answers "end: <header>" when the
// x-configurable-header configurable is set.
func AgentSimple() (*graph.Graph, error) {
	return agentSimpleWith(DefaultStore())
}

func agentSimpleWith(store Store) (*graph.Graph, error) {
	b := graph.New()
	for _, k := range []string{"key_one", "key_two", "sleep"} {
		b.AddChannel(k, graph.LastValue[any]())
	}
	return b.AddChannel("messages", graph.Messages()).
		AddNode("agent", func(ctx context.Context, s graph.State) (any, error) {
			conf := graph.Info(ctx).Configurable
			user := "ALL"
			if u, ok := conf["langgraph_auth_user"].(map[string]any); ok {
				if id, ok := u["identity"].(string); ok {
					user = id
				}
			}
			if h, ok := conf["x-configurable-header"]; ok && h != nil {
				return graph.State{"messages": fmt.Sprintf("end: %v", h)}, nil
			}
			if store != nil {
				v, err := store.Get(ctx, []string{user}, "key_one")
				if err != nil {
					return nil, err
				}
				if v == nil {
					var text any
					if last, ok := lastMessage(s); ok {
						text = last.Content
					}
					if err := store.Put(ctx, []string{user}, "key_one", map[string]any{"text": text}); err != nil {
						return nil, err
					}
				}
			}
			return graph.State{"messages": []graph.Message{simpleModel.get(ctx).invoke(ctx)}}, nil
		}).
		AddNode("tool", func(ctx context.Context, s graph.State) (any, error) {
			last, _ := lastMessage(s)
			return graph.State{"messages": []graph.Message{graph.Tool("tool_call__"+last.Text(), "tool_call_id")}}, nil
		}).
		AddEdge(graph.START, "agent").
		AddConditionalEdges("agent", func(ctx context.Context, s graph.State) (any, error) {
			last, _ := lastMessage(s)
			if len(last.Text()) >= 3 && last.Text()[:3] == "end" {
				return graph.END, nil
			}
			return graph.Send{Node: "tool", Arg: graph.State{"messages": []graph.Message{last}}}, nil
		}, nil).
		AddEdge("tool", "agent").
		Compile()
}
