package runs

import (
	"encoding/json"
	"reflect"
	"testing"

	"pgregory.net/rapid"

	"github.com/agentgate/agentgate/internal/jsontext/jsontexttest"
)

// viaJSON is ParseKwargs' reference reading: the JSON round trip.
func viaJSON(m map[string]any) (Kwargs, error) {
	var k Kwargs
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	return k, err
}

// TestKwargsOfAgreesWithJSON: whenever the direct reading takes a map, it
// reads what the JSON round trip reads, and shares nothing with the map.
func TestKwargsOfAgreesWithJSON(t *testing.T) {
	keys := []string{"input", "command", "config", "context", "stream_mode", "interrupt_before", "interrupt_after",
		"feedback_keys", "webhook", "durability", "traceparent", "temporary", "subgraphs", "resumable", "Input", "other"}
	rapid.Check(t, func(t *rapid.T) {
		m := map[string]any{}
		for _, k := range rapid.SliceOfDistinct(rapid.SampledFrom(keys), rapid.ID[string]).Draw(t, "keys") {
			switch rapid.IntRange(0, 2).Draw(t, "shape") {
			case 0: // the kind the field has
				switch k {
				case "config", "context":
					m[k] = jsontexttest.Value(t, 3, false)
					if _, ok := m[k].(map[string]any); !ok {
						m[k] = map[string]any{"a": jsontexttest.Value(t, 2, false)}
					}
				case "stream_mode", "interrupt_before", "interrupt_after", "feedback_keys":
					m[k] = []any{rapid.String().Draw(t, "s"), "values"}
				case "webhook", "durability", "traceparent":
					m[k] = rapid.String().Draw(t, "s")
				case "temporary", "subgraphs", "resumable":
					m[k] = rapid.Bool().Draw(t, "b")
				default:
					m[k] = jsontexttest.Value(t, 3, false)
				}
			case 1:
				m[k] = nil
			default:
				m[k] = jsontexttest.Value(t, 3, false)
			}
		}
		direct, ok := kwargsOf(m)
		ref, err := viaJSON(m)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("read directly, but JSON fails: %v\n%#v", err, m)
		}
		if !reflect.DeepEqual(direct, ref) {
			t.Fatalf("direct %#v\nJSON   %#v\nof     %#v", direct, ref, m)
		}
		if in, ok := m["input"].(map[string]any); ok && direct.Input != nil {
			in["mutated"] = true
			if _, shared := direct.Input.(map[string]any)["mutated"]; shared {
				t.Fatal("the input is shared with the map")
			}
		}
	})
}

// TestKwargsMapRoundTrip: Map's output is read directly, as it was.
func TestKwargsMapRoundTrip(t *testing.T) {
	k := Kwargs{Input: map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}},
		Config: map[string]any{"configurable": map[string]any{"graph_id": "agent", "n": 2.0}}, Context: map[string]any{},
		StreamMode: []string{"values", "messages-tuple"}, InterruptBefore: []string{}, Webhook: "http://x/y",
		Temporary: true, Resumable: true, Durability: "sync", Traceparent: "00-1-2-01"}
	m, err := k.Map()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := kwargsOf(m)
	if !ok {
		t.Fatalf("Map's output %#v is not read directly", m)
	}
	if !reflect.DeepEqual(got, k) {
		t.Errorf("got %#v\nwant %#v", got, k)
	}
	m["command"] = map[string]any{"resume": "yes"}
	if _, ok := kwargsOf(m); ok {
		t.Error("a command is read directly")
	}
	if k, err := ParseKwargs(m); err != nil || k.Command == nil {
		t.Errorf("ParseKwargs with a command: %+v, %v", k.Command, err)
	}
	m["command"], m["stream_mode"] = nil, "values"
	if _, err := ParseKwargs(m); err == nil {
		t.Error("a string stream_mode parsed")
	}
}

// TestMapOfAgreesWithJSON: whenever Map builds its map directly, it is
// the map the JSON round trip gives.
func TestMapOfAgreesWithJSON(t *testing.T) {
	strs := rapid.SliceOfN(rapid.String(), -1, 3)
	rapid.Check(t, func(t *rapid.T) {
		k := Kwargs{Input: jsontexttest.Value(t, 3, false), StreamMode: strs.Draw(t, "modes"), InterruptBefore: strs.Draw(t, "before"),
			InterruptAfter: strs.Draw(t, "after"), FeedbackKeys: strs.Draw(t, "keys"),
			Webhook: rapid.String().Draw(t, "webhook"), Durability: rapid.SampledFrom([]string{"", "sync"}).Draw(t, "d"),
			Temporary: rapid.Bool().Draw(t, "t"), Subgraphs: rapid.Bool().Draw(t, "s"), Resumable: rapid.Bool().Draw(t, "r")}
		if rapid.Bool().Draw(t, "config") {
			k.Config = map[string]any{"configurable": map[string]any{"perms": strs.Draw(t, "perms"), "x": jsontexttest.Value(t, 2, false)}}
		}
		if rapid.Bool().Draw(t, "context") {
			k.Context = map[string]any{"c": jsontexttest.Value(t, 2, false), "bad": "\xff"}
		}
		direct, ok := k.mapOf()
		if !ok {
			return
		}
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var ref map[string]any
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(direct, ref) {
			t.Fatalf("direct %#v\nJSON   %#v", direct, ref)
		}
	})
}

// TestMapOfLeavesInvalidUTF8ToJSON: strings JSON would rewrite (invalid
// UTF-8) are not copied directly, wherever they are.
func TestMapOfLeavesInvalidUTF8ToJSON(t *testing.T) {
	for name, k := range map[string]Kwargs{
		"stream_mode":   {StreamMode: []string{"values", "\xff"}},
		"feedback_keys": {FeedbackKeys: []string{"\xff"}},
		"webhook":       {Webhook: "http://x/\xff"},
		"traceparent":   {Traceparent: "\xff"},
		"input":         {Input: map[string]any{"\xff": "x"}},
	} {
		if _, ok := k.mapOf(); ok {
			t.Errorf("%s with invalid UTF-8 was copied directly", name)
		}
	}
}
