package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/agentgate/agentgate/graph"
)

func TestMessageJSONShape(t *testing.T) {
	m := graph.Message{Type: graph.AIType, Content: "hi", ID: "m1", ToolCalls: []graph.ToolCall{{Name: "search", Args: map[string]any{"q": "x"}, ID: "c1"}}}
	got := jsonOfT(t, m)
	want := map[string]any{
		"type": "ai", "content": "hi", "id": "m1", "name": nil,
		"additional_kwargs": map[string]any{}, "response_metadata": map[string]any{},
		"tool_calls":         []any{map[string]any{"name": "search", "args": map[string]any{"q": "x"}, "id": "c1", "type": "tool_call"}},
		"invalid_tool_calls": []any{}, "usage_metadata": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ai message JSON (-want +got):\n%s", diff)
	}
	tool := jsonOfT(t, graph.Tool("42", "c1")).(map[string]any)
	if tool["type"] != "tool" || tool["tool_call_id"] != "c1" || tool["status"] != "success" {
		t.Errorf("tool message JSON = %v", tool)
	}
	chunk := jsonOfT(t, graph.Message{Type: graph.ChunkType, Content: "He", ID: "run-1"}).(map[string]any)
	if chunk["type"] != "AIMessageChunk" || chunk["tool_call_chunks"] == nil {
		t.Errorf("chunk JSON = %v", chunk)
	}
	human := jsonOfT(t, graph.Human("yo")).(map[string]any)
	if _, ok := human["tool_calls"]; ok {
		t.Errorf("human message has tool_calls: %v", human)
	}
}

func jsonOfT(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMessageRoundTrip(t *testing.T) {
	in := graph.Message{
		Type: graph.AIType, Content: []any{map[string]any{"type": "text", "text": "a"}, map[string]any{"type": "text", "text": "b"}},
		ID: "x", Name: "bot", ToolCalls: []graph.ToolCall{{Name: "f", Args: map[string]any{"n": 1.0}, ID: "c", Type: "tool_call"}},
		AdditionalKwargs: map[string]any{"k": "v"}, ResponseMetadata: map[string]any{"model": "m"}, UsageMetadata: map[string]any{"input_tokens": 3.0},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out graph.Message
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	if out.Text() != "ab" {
		t.Errorf("Text() = %q", out.Text())
	}
}

func TestToMessagesShorthands(t *testing.T) {
	ms, err := graph.ToMessages([]any{
		map[string]any{"role": "user", "content": "u"},
		map[string]any{"role": "assistant", "content": "a"},
		map[string]any{"type": "system", "content": "s", "id": "fixed"},
		"plain",
		[]any{"ai", "pair"},
		map[string]any{"lc": 1.0, "type": "constructor", "id": []any{"langchain", "schema", "messages", "HumanMessage"}, "kwargs": map[string]any{"content": "lc"}},
		map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": "c", "type": "function", "function": map[string]any{"name": "f", "arguments": `{"x":1}`}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Type+":"+m.Text())
		if m.ID == "" {
			t.Errorf("message %v has no id", m)
		}
	}
	want := []string{"human:u", "ai:a", "system:s", "human:plain", "ai:pair", "human:lc", "ai:"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
	if ms[2].ID != "fixed" {
		t.Errorf("given id replaced: %q", ms[2].ID)
	}
	if tc := ms[6].ToolCalls; len(tc) != 1 || tc[0].Name != "f" || tc[0].Args["x"] != 1.0 {
		t.Errorf("OpenAI tool call = %+v", tc)
	}
	if _, err := graph.ToMessages(map[string]any{"role": "alien", "content": "x"}); err == nil || !strings.Contains(err.Error(), "alien") {
		t.Errorf("unknown role: err = %v", err)
	}
}

func TestAddMessages(t *testing.T) {
	a, b, c := graph.Human("a"), graph.AI("b"), graph.Human("c")
	a.ID, b.ID, c.ID = "1", "2", "3"
	left := []graph.Message{a, b}
	b2 := graph.AI("b2")
	b2.ID = "2"
	got, err := graph.AddMessages(left, []graph.Message{b2, c})
	if err != nil {
		t.Fatal(err)
	}
	texts := func(ms []graph.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID+"="+m.Text())
		}
		return out
	}
	if diff := cmp.Diff([]string{"1=a", "2=b2", "3=c"}, texts(got)); diff != "" {
		t.Errorf("replace+append (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1=a", "2=b"}, texts(left)); diff != "" {
		t.Errorf("left was modified: %s", diff)
	}
	got, err = graph.AddMessages(got, []graph.Message{graph.RemoveMessage("1")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2=b2", "3=c"}, texts(got)); diff != "" {
		t.Errorf("remove (-want +got):\n%s", diff)
	}
	if _, err := graph.AddMessages(got, []graph.Message{graph.RemoveMessage("nope")}); err == nil {
		t.Error("removing a missing id: no error")
	}
	d := graph.Human("d")
	d.ID = "4"
	got, err = graph.AddMessages(got, []graph.Message{graph.RemoveMessage(graph.RemoveAllID), d})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"4=d"}, texts(got)); diff != "" {
		t.Errorf("remove all (-want +got):\n%s", diff)
	}
}

// TestPropertyAddMessages checks add_messages' rules: messages keep the
// position where their id first appeared (left first, then new ids in
// order), the last write of an id wins, an id whose last write is a
// removal is gone, and inputs are not modified.
func TestPropertyAddMessages(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := []string{"a", "b", "c", "d", "e"}
		var left []graph.Message
		known := map[string]bool{}
		var order []string
		final := map[string]string{}
		for _, id := range rapid.SliceOfNDistinct(rapid.SampledFrom(ids), 0, 5, rapid.ID[string]).Draw(t, "left") {
			m := graph.Human("L" + id)
			m.ID = id
			left = append(left, m)
			known[id] = true
			order = append(order, id)
			final[id] = m.Text()
		}
		leftCopy := append([]graph.Message(nil), left...)
		var right []graph.Message
		for i, n := 0, rapid.IntRange(0, 6).Draw(t, "n"); i < n; i++ {
			id := rapid.SampledFrom(ids).Draw(t, "id")
			if known[id] && rapid.Bool().Draw(t, "remove") {
				right = append(right, graph.RemoveMessage(id))
				final[id] = ""
				continue
			}
			m := graph.AI(fmt.Sprintf("R%d%s", i, id))
			m.ID = id
			right = append(right, m)
			if !known[id] {
				known[id] = true
				order = append(order, id)
			}
			final[id] = m.Text()
		}
		var want []string
		for _, id := range order {
			if final[id] != "" {
				want = append(want, id+"="+final[id])
			}
		}
		got, err := graph.AddMessages(left, right)
		if err != nil {
			t.Fatal(err)
		}
		var gotKeys []string
		for _, m := range got {
			gotKeys = append(gotKeys, m.ID+"="+m.Text())
		}
		if diff := cmp.Diff(want, gotKeys); diff != "" {
			t.Fatalf("AddMessages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(leftCopy, left); diff != "" {
			t.Fatalf("left was modified:\n%s", diff)
		}
	})
}

func FuzzToMessages(f *testing.F) {
	for _, s := range []string{`"hi"`, `[{"role":"user","content":"x"}]`, `{"type":"ai","content":[{"type":"text","text":"t"}],"tool_calls":[{"name":"f","args":{}}]}`, `[["ai","y"]]`, `{"lc":1,"type":"constructor","id":["HumanMessage"],"kwargs":{"content":"z"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			return
		}
		ms, err := graph.ToMessages(v)
		if err != nil {
			return
		}
		// Whatever was accepted marshals and reads back.
		b, err := json.Marshal(ms)
		if err != nil {
			t.Fatal(err)
		}
		var back []graph.Message
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("re-reading %s: %v", b, err)
		}
		if len(back) != len(ms) {
			t.Fatalf("%d messages came back, want %d", len(back), len(ms))
		}
	})
}
