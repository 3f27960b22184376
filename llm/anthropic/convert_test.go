package anthropic

import (
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/google/go-cmp/cmp"
)

func TestContentBlockListsConvert(t *testing.T) {
	msgs := []graph.Message{
		{Type: graph.SystemType, Content: []any{map[string]any{"type": "text", "text": "Rules."}}},
		graph.System("More rules."),
		{Type: graph.HumanType, Content: []any{
			"look:",
			map[string]any{"type": "text", "text": ""},
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:image/png;base64,iVBORw0K"}},
			map[string]any{"type": "image_url", "image_url": "https://example.test/cat.jpg"},
			map[string]any{"type": "image", "source": map[string]any{"type": "url", "url": "https://example.test/dog.jpg"}},
			map[string]any{"type": "text", "text": "what are these?", "cache_control": map[string]any{"type": "ephemeral"}},
		}},
		graph.Human("and quickly"), // merged into the same user turn
		graph.AI(""),               // nothing to send: dropped
		{Type: graph.AIType, Content: []any{
			map[string]any{"type": "text", "text": "A cat", "index": 0},
			map[string]any{"type": "tool_use", "id": "t1", "name": "zoom", "input": map[string]any{"x": 1}},
			map[string]any{"type": "tool_use", "id": "t2", "name": "pan", "input": map[string]any{}},
		}, ToolCalls: []graph.ToolCall{{ID: "t1", Name: "zoom", Args: map[string]any{"x": 2.0}}}},
		{Type: graph.ToolType, ToolCallID: "t1", Content: []any{map[string]any{"type": "text", "text": "zoomed"}}},
		{Type: graph.ToolType, ToolCallID: "t2", Content: ""},
	}
	system, out, err := convertMessages(msgs)
	if err != nil {
		t.Fatal(err)
	}
	wantSystem := parseJSON(t, `[{"type": "text", "text": "Rules."}, {"type": "text", "text": "More rules."}]`)
	if d := cmp.Diff(wantSystem, asJSON(t, system)); d != "" {
		t.Errorf("system (-want +got):\n%s", d)
	}
	want := parseJSON(t, `[
		{"role": "user", "content": [
			{"type": "text", "text": "look:"},
			{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}},
			{"type": "image", "source": {"type": "url", "url": "https://example.test/cat.jpg"}},
			{"type": "image", "source": {"type": "url", "url": "https://example.test/dog.jpg"}},
			{"type": "text", "text": "what are these?", "cache_control": {"type": "ephemeral"}},
			{"type": "text", "text": "and quickly"}
		]},
		{"role": "assistant", "content": [
			{"type": "text", "text": "A cat"},
			{"type": "tool_use", "id": "t2", "name": "pan", "input": {}},
			{"type": "tool_use", "id": "t1", "name": "zoom", "input": {"x": 2}}
		]},
		{"role": "user", "content": [
			{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "zoomed"}]},
			{"type": "tool_result", "tool_use_id": "t2"}
		]}
	]`)
	if d := cmp.Diff(want, asJSON(t, out)); d != "" {
		t.Errorf("messages (-want +got):\n%s", d)
	}
}

func TestToolSchemaWithoutPropertiesGetsAnEmptyObject(t *testing.T) {
	tools, err := convertTools(simpleTools())
	if err != nil {
		t.Fatal(err)
	}
	want := parseJSON(t, `[
		{"name": "now", "input_schema": {"type": "object", "properties": {}}},
		{"name": "echo", "description": "Echo.", "input_schema": {"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]}}
	]`)
	if d := cmp.Diff(want, asJSON(t, tools)); d != "" {
		t.Errorf("tools (-want +got):\n%s", d)
	}
	if _, err := convertTools(append(simpleTools(), simpleTools()[0])); err != nil {
		t.Errorf("duplicate names are the API's to refuse, got %v", err)
	}
}

func simpleTools() []llm.ToolSpec {
	return []llm.ToolSpec{
		{Name: "now"},
		{Name: "echo", Description: "Echo.", Parameters: map[string]any{
			"type": "object", "properties": map[string]any{"s": map[string]any{"type": "string"}}, "required": []string{"s"},
		}},
	}
}
