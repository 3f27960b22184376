package graph

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Message types, as LangChain spells them on the wire.
const (
	HumanType   = "human"
	AIType      = "ai"
	SystemType  = "system"
	ToolType    = "tool"
	ChunkType   = "AIMessageChunk"
	RemoveType  = "remove"
	RemoveAllID = "__remove_all__"
)

// Message is a chat message in LangChain's JSON shape. Content is a string
// or a list of content blocks.
type Message struct {
	Type             string         `json:"type"`
	Content          any            `json:"content"`
	ID               string         `json:"id,omitempty"`
	Name             string         `json:"name,omitempty"`
	ToolCalls        []ToolCall     `json:"tool_calls,omitempty"`
	ToolCallChunks   []any          `json:"tool_call_chunks,omitempty"`
	ToolCallID       string         `json:"tool_call_id,omitempty"`
	Status           string         `json:"status,omitempty"`
	Artifact         any            `json:"artifact,omitempty"`
	AdditionalKwargs map[string]any `json:"additional_kwargs,omitempty"`
	ResponseMetadata map[string]any `json:"response_metadata,omitempty"`
	UsageMetadata    map[string]any `json:"usage_metadata,omitempty"`
}

// ToolCall is a tool invocation requested by an AI message.
type ToolCall struct {
	Name string         `json:"name"`
	Args map[string]any `json:"args"`
	ID   string         `json:"id"`
	Type string         `json:"type,omitempty"`
}

// Human, AI, System and Tool build messages.
func Human(content string) Message  { return Message{Type: HumanType, Content: content} }
func AI(content string) Message     { return Message{Type: AIType, Content: content} }
func System(content string) Message { return Message{Type: SystemType, Content: content} }
func Tool(content, toolCallID string) Message {
	return Message{Type: ToolType, Content: content, ToolCallID: toolCallID}
}

// RemoveMessage returns a message that, written to a messages channel,
// removes the message with that id (RemoveAllID removes all of them).
func RemoveMessage(id string) Message { return Message{Type: RemoveType, ID: id, Content: ""} }

// Text returns the content as text: the string itself, or the "text" of
// text blocks joined.
func (m Message) Text() string {
	switch c := m.Content.(type) {
	case string:
		return c
	case []any:
		var b strings.Builder
		for _, blk := range c {
			if mm, ok := blk.(map[string]any); ok && mm["type"] == "text" {
				s, _ := mm["text"].(string)
				b.WriteString(s)
			} else if s, ok := blk.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// MarshalJSON writes LangChain's shape: empty maps and lists that LangChain
// always sends are present, and a missing name or id is null. Keys come
// in sorted order.
func (m Message) MarshalJSON() ([]byte, error) {
	out := messageJSON{
		Type:             m.Type,
		Content:          m.Content,
		AdditionalKwargs: orEmpty(m.AdditionalKwargs),
		ResponseMetadata: orEmpty(m.ResponseMetadata),
		Name:             nilIfEmpty(m.Name),
		ID:               nilIfEmpty(m.ID),
	}
	if m.Content == nil {
		out.Content = ""
	}
	switch m.Type {
	case AIType, ChunkType:
		tc := make([]ToolCall, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			if c.Type == "" {
				c.Type = "tool_call"
			}
			if c.Args == nil {
				c.Args = map[string]any{}
			}
			tc[i] = c
		}
		invalid, usage := []any{}, nilIfNilMap(m.UsageMetadata)
		out.ToolCalls, out.InvalidToolCalls, out.UsageMetadata = &tc, &invalid, &usage
		if m.Type == ChunkType {
			tcc := m.ToolCallChunks
			if tcc == nil {
				tcc = []any{}
			}
			out.ToolCallChunks = &tcc
		}
	case ToolType:
		status := m.Status
		if status == "" {
			status = "success"
		}
		out.ToolCallID, out.Status, out.Artifact = &m.ToolCallID, &status, &m.Artifact
	}
	return json.Marshal(out)
}

// messageJSON is what Message.MarshalJSON writes, its fields in key order;
// the pointers are the keys of some message types only.
type messageJSON struct {
	AdditionalKwargs map[string]any `json:"additional_kwargs"`
	Artifact         *any           `json:"artifact,omitempty"`
	Content          any            `json:"content"`
	ID               any            `json:"id"`
	InvalidToolCalls *[]any         `json:"invalid_tool_calls,omitempty"`
	Name             any            `json:"name"`
	ResponseMetadata map[string]any `json:"response_metadata"`
	Status           *string        `json:"status,omitempty"`
	ToolCallChunks   *[]any         `json:"tool_call_chunks,omitempty"`
	ToolCallID       *string        `json:"tool_call_id,omitempty"`
	ToolCalls        *[]ToolCall    `json:"tool_calls,omitempty"`
	Type             string         `json:"type"`
	UsageMetadata    *any           `json:"usage_metadata,omitempty"`
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nilIfNilMap(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// UnmarshalJSON accepts LangChain's shape, the SDK shorthand
// {"role": "user", "content": "..."}, and LangChain's serialised
// constructor form {"lc": 1, "type": "constructor", "id": [..., "HumanMessage"], "kwargs": {...}}.
func (m *Message) UnmarshalJSON(b []byte) error {
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	msg, err := messageFromMap(d)
	if err != nil {
		return err
	}
	*m = msg
	return nil
}

func messageFromMap(d map[string]any) (Message, error) {
	if d["type"] == "constructor" {
		kw, _ := d["kwargs"].(map[string]any)
		ids, _ := d["id"].([]any)
		if kw == nil || len(ids) == 0 {
			return Message{}, fmt.Errorf("message: bad serialised constructor")
		}
		cls, _ := ids[len(ids)-1].(string)
		kw2 := make(map[string]any, len(kw)+1)
		for k, v := range kw {
			kw2[k] = v
		}
		kw2["type"] = strings.TrimSuffix(cls, "Message")
		if cls == "AIMessageChunk" {
			kw2["type"] = ChunkType
		}
		d = kw2
	}
	t, _ := d["type"].(string)
	if t == "" {
		t, _ = d["role"].(string)
	}
	typ, err := normType(t)
	if err != nil {
		return Message{}, err
	}
	m := Message{Type: typ, Content: d["content"]}
	if m.Content == nil {
		m.Content = ""
	}
	m.ID, _ = d["id"].(string)
	m.Name, _ = d["name"].(string)
	m.ToolCallID, _ = d["tool_call_id"].(string)
	m.Status, _ = d["status"].(string)
	m.Artifact = d["artifact"]
	m.AdditionalKwargs, _ = d["additional_kwargs"].(map[string]any)
	m.ResponseMetadata, _ = d["response_metadata"].(map[string]any)
	m.UsageMetadata, _ = d["usage_metadata"].(map[string]any)
	if tcc, ok := d["tool_call_chunks"].([]any); ok && len(tcc) > 0 {
		m.ToolCallChunks = tcc
	}
	if raw, ok := d["tool_calls"].([]any); ok {
		for _, x := range raw {
			tc, ok := x.(map[string]any)
			if !ok {
				return Message{}, fmt.Errorf("message: tool call is not an object")
			}
			c := ToolCall{}
			c.ID, _ = tc["id"].(string)
			c.Type, _ = tc["type"].(string)
			if fn, ok := tc["function"].(map[string]any); ok { // OpenAI shape
				c.Name, _ = fn["name"].(string)
				if s, ok := fn["arguments"].(string); ok && s != "" {
					_ = json.Unmarshal([]byte(s), &c.Args)
				}
			} else {
				c.Name, _ = tc["name"].(string)
				c.Args, _ = tc["args"].(map[string]any)
			}
			if c.Args == nil {
				c.Args = map[string]any{}
			}
			m.ToolCalls = append(m.ToolCalls, c)
		}
	}
	return m, nil
}

func normType(t string) (string, error) {
	switch strings.ToLower(t) {
	case "human", "user":
		return HumanType, nil
	case "ai", "assistant":
		return AIType, nil
	case "system", "developer":
		return SystemType, nil
	case "tool", "function":
		return ToolType, nil
	case "aimessagechunk", "ai_chunk":
		return ChunkType, nil
	case "remove":
		return RemoveType, nil
	case "":
		return "", fmt.Errorf("message: missing type or role")
	}
	return "", fmt.Errorf("message: unknown type %q", t)
}

// ToMessages converts a value written to a messages channel into messages:
// a Message or *Message, a slice of them, a LangChain or {"role",
// "content"} dict, a list of such dicts, a string (a human message), or a
// [role, content] pair. Messages without an id get a new UUID.
func ToMessages(v any) ([]Message, error) {
	var out []Message
	var add func(x any, top bool) error
	add = func(x any, top bool) error {
		switch x := x.(type) {
		case nil:
			return nil
		case Message:
			out = append(out, x)
		case *Message:
			if x != nil {
				out = append(out, *x)
			}
		case []Message:
			out = append(out, x...)
		case string:
			out = append(out, Human(x))
		case map[string]any:
			m, err := messageFromMap(x)
			if err != nil {
				return err
			}
			out = append(out, m)
		case []any:
			if !top {
				// A [role, content] pair.
				if len(x) == 2 {
					r, ok1 := x[0].(string)
					c, ok2 := x[1].(string)
					if ok1 && ok2 {
						t, err := normType(r)
						if err != nil {
							return err
						}
						out = append(out, Message{Type: t, Content: c})
						return nil
					}
				}
				return fmt.Errorf("message: cannot read %v as a message", x)
			}
			for _, e := range x {
				if err := add(e, false); err != nil {
					return err
				}
			}
		case []map[string]any:
			for _, e := range x {
				if err := add(e, false); err != nil {
					return err
				}
			}
		default:
			// Anything else: try its JSON form.
			b, err := json.Marshal(x)
			if err != nil {
				return fmt.Errorf("message: cannot read %T as a message", x)
			}
			var g any
			if err := json.Unmarshal(b, &g); err != nil {
				return err
			}
			switch g.(type) {
			case map[string]any, []any:
				return add(g, top)
			}
			return fmt.Errorf("message: cannot read %T as a message", x)
		}
		return nil
	}
	if err := add(v, true); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].ID == "" {
			out[i].ID = uuid.NewString()
		}
	}
	return out, nil
}

// AddMessages merges right into left the way LangGraph's add_messages does:
// a message whose id is already present replaces it in place, a remove
// message deletes the message with its id (RemoveAllID deletes everything
// before it), anything else is appended. Neither input is modified.
func AddMessages(left, right []Message) ([]Message, error) {
	// Handle remove-all: only what follows the last one counts.
	for i := len(right) - 1; i >= 0; i-- {
		if right[i].Type == RemoveType && right[i].ID == RemoveAllID {
			left = nil
			right = right[i+1:]
			break
		}
	}
	out := make([]Message, len(left), len(left)+len(right))
	copy(out, left)
	idx := make(map[string]int, len(out))
	for i, m := range out {
		if m.ID != "" {
			idx[m.ID] = i
		}
	}
	removed := map[string]bool{}
	for _, m := range right {
		if i, ok := idx[m.ID]; ok && m.ID != "" {
			if m.Type == RemoveType {
				removed[m.ID] = true
				continue
			}
			out[i] = m
			delete(removed, m.ID)
			continue
		}
		if m.Type == RemoveType {
			return nil, fmt.Errorf("attempting to delete a message with an id that doesn't exist ('%s')", m.ID)
		}
		idx[m.ID] = len(out)
		out = append(out, m)
	}
	if len(removed) > 0 {
		kept := out[:0:0]
		for _, m := range out {
			if !removed[m.ID] {
				kept = append(kept, m)
			}
		}
		out = kept
	}
	return out, nil
}
