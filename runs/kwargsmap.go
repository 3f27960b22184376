package runs

import (
	"unicode/utf8"

	"github.com/agentgate/agentgate/internal/jsontext"
)

// kwargsOf reads m as ParseKwargs' JSON round trip would, when m holds only
// Kwargs' own keys with JSON values (objects, arrays, strings, float64,
// bools, nulls); ok is false for anything else, which the round trip then
// reads (other keys, which JSON matches without case; a command; numbers
// of other types; values of the wrong kind, which are errors there).
func kwargsOf(m map[string]any) (k Kwargs, ok bool) {
	for key, v := range m {
		switch key {
		case "input":
			k.Input, ok = jsonCopy(v)
		case "command":
			ok = v == nil
		case "config":
			k.Config, ok = objectOf(v)
		case "context":
			k.Context, ok = objectOf(v)
		case "stream_mode":
			k.StreamMode, ok = stringsOf(v)
		case "interrupt_before":
			k.InterruptBefore, ok = stringsOf(v)
		case "interrupt_after":
			k.InterruptAfter, ok = stringsOf(v)
		case "feedback_keys":
			k.FeedbackKeys, ok = stringsOf(v)
		case "webhook":
			k.Webhook, ok = stringOf(v)
		case "durability":
			k.Durability, ok = stringOf(v)
		case "traceparent":
			k.Traceparent, ok = stringOf(v)
		case "temporary":
			k.Temporary, ok = boolOf(v)
		case "subgraphs":
			k.Subgraphs, ok = boolOf(v)
		case "resumable":
			k.Resumable, ok = boolOf(v)
		default:
			ok = false
		}
		if !ok {
			return Kwargs{}, false
		}
	}
	return k, true
}

// mapOf is Map's JSON round trip when k holds JSON values only: the keys
// and values encoding/json would write and read back.
func (k Kwargs) mapOf() (map[string]any, bool) {
	if k.Command != nil {
		return nil, false
	}
	m := make(map[string]any, 16)
	var ok bool
	if m["input"], ok = jsonCopy(k.Input); !ok {
		return nil, false
	}
	m["command"] = nil
	if m["config"], ok = objectOrNull(k.Config); !ok {
		return nil, false
	}
	if m["context"], ok = objectOrNull(k.Context); !ok {
		return nil, false
	}
	if m["stream_mode"], ok = stringList(k.StreamMode); !ok {
		return nil, false
	}
	if m["interrupt_before"], ok = stringList(k.InterruptBefore); !ok {
		return nil, false
	}
	if m["interrupt_after"], ok = stringList(k.InterruptAfter); !ok {
		return nil, false
	}
	if len(k.FeedbackKeys) > 0 { // omitempty
		if m["feedback_keys"], ok = stringList(k.FeedbackKeys); !ok {
			return nil, false
		}
	}
	for _, f := range [...][2]string{{"webhook", k.Webhook}, {"durability", k.Durability}, {"traceparent", k.Traceparent}} {
		if f[1] == "" { // omitempty
			continue
		}
		if !utf8.ValidString(f[1]) { // JSON would replace invalid UTF-8
			return nil, false
		}
		m[f[0]] = f[1]
	}
	m["temporary"], m["subgraphs"], m["resumable"] = k.Temporary, k.Subgraphs, k.Resumable
	return m, true
}

// objectOrNull copies an object, which is null (a nil any) when nil.
func objectOrNull(v map[string]any) (any, bool) {
	if v == nil {
		return nil, true
	}
	return objectOf(v)
}

// stringList is a string list as JSON reads it back (null for nil); ok is
// false when a string is not valid UTF-8, which JSON would replace.
func stringList(s []string) (any, bool) {
	if s == nil {
		return nil, true
	}
	out := make([]any, len(s))
	for i, v := range s {
		if !utf8.ValidString(v) {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// jsonCopy copies a JSON value (a top-level string list becomes the array
// JSON reads back); ok is false for any other Go value.
func jsonCopy(v any) (any, bool) {
	if x, ok := v.([]string); ok {
		return stringList(x)
	}
	return jsontext.Copy(v)
}

// objectOf copies a JSON object (nil for null).
func objectOf(v any) (map[string]any, bool) {
	if v == nil {
		return nil, true
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, false
	}
	c, ok := jsontext.Copy(v)
	if !ok {
		return nil, false
	}
	return c.(map[string]any), true
}

// stringsOf reads a JSON array of strings (nil for null).
func stringsOf(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	x, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(x))
	for i, e := range x {
		if out[i], ok = e.(string); !ok || !utf8.ValidString(out[i]) {
			return nil, false
		}
	}
	return out, true
}

// stringOf reads a JSON string ("" for null, as JSON leaves the field).
func stringOf(v any) (string, bool) {
	if v == nil {
		return "", true
	}
	s, ok := v.(string)
	return s, ok && utf8.ValidString(s)
}

// boolOf reads a JSON bool (false for null).
func boolOf(v any) (bool, bool) {
	if v == nil {
		return false, true
	}
	b, ok := v.(bool)
	return b, ok
}
