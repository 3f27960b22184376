package anthropic

import (
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// convertMessages turns a LangChain conversation into Anthropic's: system
// messages become the system parameter, human and tool messages user turns,
// AI messages assistant turns. Consecutive turns of one role are merged, so
// tool results answering one AI message share a user turn.
func convertMessages(msgs []graph.Message) ([]blockParam, []turn, error) {
	var system []blockParam
	var out []turn
	// add appends blocks as a turn of role, merging with the last turn.
	add := func(user bool, blocks []blockParam) {
		if len(blocks) == 0 {
			return
		}
		role := "assistant"
		if user {
			role = "user"
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
			return
		}
		out = append(out, turn{Role: role, Content: blocks})
	}
	for i, m := range msgs {
		switch m.Type {
		case graph.SystemType:
			if t := m.Text(); t != "" {
				system = append(system, blockParam{"type": "text", "text": t})
			}
		case graph.HumanType:
			blocks, err := contentBlocks(m.Content, nil)
			if err != nil {
				return nil, nil, fmt.Errorf("message %d: %w", i, err)
			}
			add(true, blocks)
		case graph.AIType, graph.ChunkType:
			blocks, err := assistantBlocks(m)
			if err != nil {
				return nil, nil, fmt.Errorf("message %d: %w", i, err)
			}
			add(false, blocks)
		case graph.ToolType:
			b, err := toolResult(m)
			if err != nil {
				return nil, nil, fmt.Errorf("message %d: %w", i, err)
			}
			add(true, []blockParam{b})
		default:
			return nil, nil, fmt.Errorf("message %d: cannot send a %q message", i, m.Type)
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("no user or assistant messages to send")
	}
	return system, out, nil
}

// assistantBlocks is the content of an AI message followed by its tool
// calls; tool_use blocks in the content that repeat a tool call are dropped.
func assistantBlocks(m graph.Message) ([]blockParam, error) {
	calls := make(map[string]bool, len(m.ToolCalls))
	for _, tc := range m.ToolCalls {
		calls[tc.ID] = true
	}
	blocks, err := contentBlocks(m.Content, calls)
	if err != nil {
		return nil, err
	}
	for _, tc := range m.ToolCalls {
		if tc.ID == "" || tc.Name == "" {
			return nil, fmt.Errorf("tool call without id or name")
		}
		args := tc.Args
		if args == nil {
			args = map[string]any{}
		}
		blocks = append(blocks, blockParam{"type": "tool_use", "id": tc.ID, "name": tc.Name, "input": args})
	}
	return blocks, nil
}

// toolResult is a tool message as a tool_result blockParam.
func toolResult(m graph.Message) (blockParam, error) {
	if m.ToolCallID == "" {
		return nil, fmt.Errorf("tool message without tool_call_id")
	}
	r := blockParam{"type": "tool_result", "tool_use_id": m.ToolCallID}
	if m.Status == "error" {
		r["is_error"] = true
	}
	blocks, err := contentBlocks(m.Content, nil)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		switch t := b["type"]; t {
		case "text", "image", "search_result", "document":
		default:
			return nil, fmt.Errorf("tool result: unsupported %s blockParam", t)
		}
	}
	if len(blocks) > 0 {
		r["content"] = blocks
	}
	return r, nil
}

// contentBlocks converts a message's content: a string, or a list of
// strings and content blocks (Anthropic's own, which pass through with
// their known fields, and LangChain's image_url). Empty text is dropped, as
// the API refuses it, and so are tool_use blocks whose id is in
// skipToolUse.
func contentBlocks(content any, skipToolUse map[string]bool) ([]blockParam, error) {
	switch c := content.(type) {
	case nil:
		return nil, nil
	case string:
		if c == "" {
			return nil, nil
		}
		return []blockParam{{"type": "text", "text": c}}, nil
	case []any:
		var out []blockParam
		for _, x := range c {
			b, ok, err := contentBlock(x, skipToolUse)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, b)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("content of type %T", content)
}

func contentBlock(x any, skipToolUse map[string]bool) (blockParam, bool, error) {
	if s, ok := x.(string); ok {
		return blockParam{"type": "text", "text": s}, s != "", nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, false, fmt.Errorf("content block of type %T", x)
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "text":
		if s, _ := m["text"].(string); s == "" {
			return nil, false, nil
		}
	case "tool_use":
		if id, _ := m["id"].(string); skipToolUse[id] {
			return nil, false, nil
		}
	case "image_url":
		return imageURL(m)
	}
	keys, ok := blockFields(typ)
	if !ok {
		return nil, false, fmt.Errorf("unsupported content block %q", typ)
	}
	b := blockParam{"type": typ}
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			b[k] = v
		}
	}
	return b, true, nil
}

// imageURL converts LangChain's {"type": "image_url", "image_url": {"url":
// ...}}: a data: URL becomes a base64 image, anything else a URL image.
func imageURL(m map[string]any) (blockParam, bool, error) {
	u, _ := m["image_url"].(string)
	if mm, ok := m["image_url"].(map[string]any); ok {
		u, _ = mm["url"].(string)
	}
	if u == "" {
		return nil, false, fmt.Errorf("image_url blockParam without a url")
	}
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		mediaType, data, ok := strings.Cut(rest, ";base64,")
		if !ok {
			return nil, false, fmt.Errorf("image_url: data URL is not base64")
		}
		return blockParam{"type": "image", "source": map[string]any{"type": "base64", "media_type": mediaType, "data": data}}, true, nil
	}
	return blockParam{"type": "image", "source": map[string]any{"type": "url", "url": u}}, true, nil
}

// convertTools turns tool specs into Anthropic custom tools; a spec's
// Parameters is the input_schema and must be an object schema.
func convertTools(specs []llm.ToolSpec) ([]toolParam, error) {
	var out []toolParam
	for _, s := range specs {
		if s.Name == "" {
			return nil, fmt.Errorf("tool without a name")
		}
		schema := map[string]any{"type": "object"}
		for k, v := range s.Parameters {
			switch k {
			case "type":
				if v != "object" {
					return nil, fmt.Errorf("tool %q: parameters must be an object schema", s.Name)
				}
			case "required":
				req, err := stringList(v)
				if err != nil {
					return nil, fmt.Errorf("tool %q: required: %w", s.Name, err)
				}
				schema[k] = req
			default:
				schema[k] = v
			}
		}
		if schema["properties"] == nil {
			schema["properties"] = map[string]any{}
		}
		out = append(out, toolParam{Name: s.Name, Description: s.Description, InputSchema: schema})
	}
	return out, nil
}

// stringList reads a JSON list of strings.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case []string:
		return v, nil
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("not a list of strings")
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("not a list of strings")
}
