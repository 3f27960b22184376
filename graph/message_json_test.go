package graph_test

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"

	"github.com/agentgate/agentgate/graph"
)

// mapJSON is how Message.MarshalJSON wrote messages before it used a
// struct: a map, so keys sorted.
func mapJSON(m graph.Message) ([]byte, error) {
	orEmpty := func(x map[string]any) map[string]any {
		if x == nil {
			return map[string]any{}
		}
		return x
	}
	nilIf := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	out := map[string]any{
		"type": m.Type, "content": m.Content, "additional_kwargs": orEmpty(m.AdditionalKwargs),
		"response_metadata": orEmpty(m.ResponseMetadata), "name": nilIf(m.Name), "id": nilIf(m.ID),
	}
	if m.Content == nil {
		out["content"] = ""
	}
	switch m.Type {
	case graph.AIType, graph.ChunkType:
		tc := make([]graph.ToolCall, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			if c.Type == "" {
				c.Type = "tool_call"
			}
			if c.Args == nil {
				c.Args = map[string]any{}
			}
			tc[i] = c
		}
		out["tool_calls"], out["invalid_tool_calls"] = tc, []any{}
		out["usage_metadata"] = nil
		if m.UsageMetadata != nil {
			out["usage_metadata"] = m.UsageMetadata
		}
		if m.Type == graph.ChunkType {
			tcc := m.ToolCallChunks
			if tcc == nil {
				tcc = []any{}
			}
			out["tool_call_chunks"] = tcc
		}
	case graph.ToolType:
		status := m.Status
		if status == "" {
			status = "success"
		}
		out["tool_call_id"], out["status"], out["artifact"] = m.ToolCallID, status, m.Artifact
	}
	return json.Marshal(out)
}

func TestMessageJSONIsTheSortedMapEncoding(t *testing.T) {
	str := rapid.SampledFrom([]string{"", "x", "<b>&é", "\u2028"})
	val := rapid.SampledFrom([]any{nil, "", "text", 1.5, []any{}, []any{map[string]any{"type": "text", "text": "t"}}, map[string]any{}})
	obj := rapid.SampledFrom([]map[string]any{nil, {}, {"z": 1.0, "a": "b"}})
	rapid.Check(t, func(t *rapid.T) {
		m := graph.Message{
			Type:             rapid.SampledFrom([]string{graph.HumanType, graph.AIType, graph.SystemType, graph.ToolType, graph.ChunkType, graph.RemoveType, "other"}).Draw(t, "type"),
			Content:          val.Draw(t, "content"),
			ID:               str.Draw(t, "id"),
			Name:             str.Draw(t, "name"),
			ToolCallID:       str.Draw(t, "tool_call_id"),
			Status:           rapid.SampledFrom([]string{"", "error"}).Draw(t, "status"),
			Artifact:         val.Draw(t, "artifact"),
			AdditionalKwargs: obj.Draw(t, "additional_kwargs"),
			ResponseMetadata: obj.Draw(t, "response_metadata"),
			UsageMetadata:    obj.Draw(t, "usage_metadata"),
		}
		for range rapid.IntRange(0, 2).Draw(t, "calls") {
			m.ToolCalls = append(m.ToolCalls, graph.ToolCall{Name: str.Draw(t, "n"), ID: str.Draw(t, "i"),
				Args: obj.Draw(t, "args"), Type: rapid.SampledFrom([]string{"", "tool_call"}).Draw(t, "t")})
		}
		if rapid.Bool().Draw(t, "chunks") {
			m.ToolCallChunks = []any{map[string]any{"index": 0.0, "args": "{"}}
		}
		got, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mapJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("message %+v\n got %s\nwant %s", m, got, want)
		}
	})
}

// BenchmarkMessageJSON compares MarshalJSON with the map encoding it
// replaced, on an AI message chunk as a model stream sends them.
func BenchmarkMessageJSON(b *testing.B) {
	m := graph.Message{Type: graph.ChunkType, ID: "run-1b7c0a4e-8f1e-4a55-9b53-0c2d7f1e9a10", Content: "Hello",
		ResponseMetadata: map[string]any{"model_provider": "openai"}}
	for name, enc := range map[string]func(graph.Message) ([]byte, error){
		"struct": func(m graph.Message) ([]byte, error) { return json.Marshal(m) },
		"map":    mapJSON,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
