package anthropic

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	sdk "github.com/anthropics/anthropic-sdk-go/v2"
)

// convertMessages turns a LangChain conversation into Anthropic's: system
// messages become the system parameter, human and tool messages user turns,
// AI messages assistant turns. Consecutive turns of one role are merged, so
// tool results answering one AI message share a user turn.
func convertMessages(msgs []graph.Message) ([]sdk.TextBlockParam, []sdk.MessageParam, error) {
	var system []sdk.TextBlockParam
	var out []sdk.MessageParam
	// add appends blocks as a turn of role, merging with the last turn.
	add := func(user bool, blocks []sdk.ContentBlockParamUnion) {
		if len(blocks) == 0 {
			return
		}
		if n := len(out); n > 0 {
			if last := out[n-1]; user && last.OfUser != nil {
				last.OfUser.Content = append(last.OfUser.Content, blocks...)
				return
			} else if !user && last.OfAssistant != nil {
				last.OfAssistant.Content = append(last.OfAssistant.Content, blocks...)
				return
			}
		}
		if user {
			out = append(out, sdk.NewUserMessage(blocks...))
		} else {
			out = append(out, sdk.NewAssistantMessage(blocks...))
		}
	}
	for i, m := range msgs {
		switch m.Type {
		case graph.SystemType:
			if t := m.Text(); t != "" {
				system = append(system, sdk.TextBlockParam{Text: t})
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
			add(true, []sdk.ContentBlockParamUnion{b})
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
func assistantBlocks(m graph.Message) ([]sdk.ContentBlockParamUnion, error) {
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
		blocks = append(blocks, sdk.NewToolUseBlock(tc.ID, args, tc.Name))
	}
	return blocks, nil
}

// toolResult is a tool message as a tool_result block.
func toolResult(m graph.Message) (sdk.ContentBlockParamUnion, error) {
	if m.ToolCallID == "" {
		return sdk.ContentBlockParamUnion{}, fmt.Errorf("tool message without tool_call_id")
	}
	r := sdk.ToolResultBlockParam{ToolUseID: m.ToolCallID}
	if m.Status == "error" {
		r.IsError = sdk.Bool(true)
	}
	blocks, err := contentBlocks(m.Content, nil)
	if err != nil {
		return sdk.ContentBlockParamUnion{}, err
	}
	for _, b := range blocks {
		var c sdk.ToolResultBlockParamContentUnion
		switch {
		case b.OfText != nil:
			c.OfText = b.OfText
		case b.OfImage != nil:
			c.OfImage = b.OfImage
		case b.OfSearchResult != nil:
			c.OfSearchResult = b.OfSearchResult
		case b.OfDocument != nil:
			c.OfDocument = b.OfDocument
		default:
			return sdk.ContentBlockParamUnion{}, fmt.Errorf("tool result: unsupported %s block", *b.GetType())
		}
		r.Content = append(r.Content, c)
	}
	return sdk.ContentBlockParamUnion{OfToolResult: &r}, nil
}

// contentBlocks converts a message's content: a string, or a list of
// strings and content blocks (Anthropic's own, which pass through, and
// LangChain's image_url). Empty text is dropped, as the API refuses it, and
// so are tool_use blocks whose id is in skipToolUse.
func contentBlocks(content any, skipToolUse map[string]bool) ([]sdk.ContentBlockParamUnion, error) {
	switch c := content.(type) {
	case nil:
		return nil, nil
	case string:
		if c == "" {
			return nil, nil
		}
		return []sdk.ContentBlockParamUnion{sdk.NewTextBlock(c)}, nil
	case []any:
		var out []sdk.ContentBlockParamUnion
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

func contentBlock(x any, skipToolUse map[string]bool) (sdk.ContentBlockParamUnion, bool, error) {
	var none sdk.ContentBlockParamUnion
	if s, ok := x.(string); ok {
		return sdk.NewTextBlock(s), s != "", nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return none, false, fmt.Errorf("content block of type %T", x)
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "text":
		if s, _ := m["text"].(string); s == "" {
			return none, false, nil
		}
	case "tool_use":
		if id, _ := m["id"].(string); skipToolUse[id] {
			return none, false, nil
		}
	case "image_url":
		return imageURL(m)
	}
	// Anthropic's own block shapes: let the SDK read them.
	raw, err := json.Marshal(m)
	if err != nil {
		return none, false, err
	}
	var b sdk.ContentBlockParamUnion
	if err := json.Unmarshal(raw, &b); err != nil || b.GetType() == nil {
		return none, false, fmt.Errorf("unsupported content block %q", typ)
	}
	return b, true, nil
}

// imageURL converts LangChain's {"type": "image_url", "image_url": {"url":
// ...}}: a data: URL becomes a base64 image, anything else a URL image.
func imageURL(m map[string]any) (sdk.ContentBlockParamUnion, bool, error) {
	u, _ := m["image_url"].(string)
	if mm, ok := m["image_url"].(map[string]any); ok {
		u, _ = mm["url"].(string)
	}
	if u == "" {
		return sdk.ContentBlockParamUnion{}, false, fmt.Errorf("image_url block without a url")
	}
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		mediaType, data, ok := strings.Cut(rest, ";base64,")
		if !ok {
			return sdk.ContentBlockParamUnion{}, false, fmt.Errorf("image_url: data URL is not base64")
		}
		return sdk.NewImageBlockBase64(mediaType, data), true, nil
	}
	return sdk.NewImageBlock(sdk.URLImageSourceParam{URL: u}), true, nil
}

// convertTools turns tool specs into Anthropic custom tools; a spec's
// Parameters is the input_schema and must be an object schema.
func convertTools(specs []llm.ToolSpec) ([]sdk.ToolUnionParam, error) {
	var out []sdk.ToolUnionParam
	for _, s := range specs {
		if s.Name == "" {
			return nil, fmt.Errorf("tool without a name")
		}
		schema := sdk.ToolInputSchemaParam{ExtraFields: map[string]any{}}
		for k, v := range s.Parameters {
			switch k {
			case "type":
				if v != "object" {
					return nil, fmt.Errorf("tool %q: parameters must be an object schema", s.Name)
				}
			case "properties":
				schema.Properties = v
			case "required":
				req, err := stringList(v)
				if err != nil {
					return nil, fmt.Errorf("tool %q: required: %w", s.Name, err)
				}
				schema.Required = req
			default:
				schema.ExtraFields[k] = v
			}
		}
		if schema.Properties == nil {
			schema.Properties = map[string]any{}
		}
		t := sdk.ToolParam{Name: s.Name, InputSchema: schema}
		if s.Description != "" {
			t.Description = sdk.String(s.Description)
		}
		out = append(out, sdk.ToolUnionParam{OfTool: &t})
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
