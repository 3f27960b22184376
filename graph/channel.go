package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Channel says how a state key stores values and combines the writes made
// to it in one step. Make one with LastValue, Reduce or Messages.
type Channel interface {
	// coerce converts a written value (a Go value or its JSON-decoded form)
	// to the channel's value type.
	coerce(v any) (any, error)
	// reduce folds one step's writes into the current value (has is false
	// when the channel is empty).
	reduce(cur any, has bool, writes []any) (any, error)
	// decode reads a value as stored in a checkpoint or a pending write.
	decode(raw json.RawMessage) (any, error)
	schema() map[string]any
	// empty is the value the channel shows before anything is written
	// (ok false: the channel is left out of the state). As in LangGraph,
	// where a reducer channel starts from its type's empty value (messages
	// are []), reducers show their type's zero value and last-value
	// channels nothing.
	empty() (v any, ok bool)
}

// LastValue keeps the last value written; two writes in one step are an
// error. Values are converted to T (through JSON when they are not a T).
func LastValue[T any]() Channel { return lastValue[T]{} }

// Reduce combines writes with fn, starting from the current value (T's zero
// value when empty), in the step's deterministic write order.
func Reduce[T any](fn func(cur, update T) T) Channel { return reducer[T]{fn: fn} }

// Messages is a list of messages merged with LangGraph's add_messages
// semantics (see AddMessages); writes may be anything ToMessages accepts.
func Messages() Channel { return messagesChannel{} }

func convert[T any](v any) (T, error) {
	var zero T
	if v == nil {
		return zero, nil
	}
	if t, ok := v.(T); ok {
		return t, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return zero, err
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return zero, fmt.Errorf("expected %v, got %T", reflect.TypeFor[T](), v)
	}
	return out, nil
}

func decodeAs[T any](raw json.RawMessage) (any, error) {
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func schemaFor[T any]() map[string]any {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array"}
	case reflect.Map, reflect.Struct:
		return map[string]any{"type": "object"}
	}
	return map[string]any{}
}

type lastValue[T any] struct{}

func (lastValue[T]) coerce(v any) (any, error) { return convert[T](v) }

func (lastValue[T]) reduce(cur any, has bool, writes []any) (any, error) {
	if len(writes) != 1 {
		return nil, errMultipleWrites
	}
	return writes[0], nil
}

func (lastValue[T]) decode(raw json.RawMessage) (any, error) { return decodeAs[T](raw) }
func (lastValue[T]) schema() map[string]any                  { return schemaFor[T]() }
func (lastValue[T]) empty() (any, bool)                      { return nil, false }

var errMultipleWrites = fmt.Errorf("can receive only one value per step; use a reducer to handle multiple values")

type reducer[T any] struct{ fn func(cur, update T) T }

func (reducer[T]) coerce(v any) (any, error) { return convert[T](v) }

func (r reducer[T]) reduce(cur any, has bool, writes []any) (any, error) {
	var acc T
	if has && cur != nil {
		c, err := convert[T](cur)
		if err != nil {
			return nil, err
		}
		acc = c
	}
	for _, w := range writes {
		u, err := convert[T](w)
		if err != nil {
			return nil, err
		}
		acc = r.fn(clip(acc), u)
	}
	return acc, nil
}

// clip caps a slice at its length, so that a reducer appending to the
// current value gets a new array instead of writing into one that earlier
// states (and events still being sent) share.
func clip[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	if rv.Kind() == reflect.Interface {
		rv = rv.Elem()
		if rv.Kind() != reflect.Slice {
			return v
		}
		out := reflect.New(reflect.TypeFor[T]()).Elem()
		out.Set(rv.Slice3(0, rv.Len(), rv.Len()))
		return out.Interface().(T)
	}
	if rv.Kind() == reflect.Slice && rv.Cap() > rv.Len() {
		rv.Set(rv.Slice3(0, rv.Len(), rv.Len()))
	}
	return v
}

func (reducer[T]) decode(raw json.RawMessage) (any, error) { return decodeAs[T](raw) }
func (reducer[T]) schema() map[string]any                  { return schemaFor[T]() }

// empty is T's zero value, with a slice or map made empty rather than nil
// (so that it is [] or {} in JSON); T's that have no useful zero value
// (pointers, interfaces, funcs, channels) show nothing.
func (reducer[T]) empty() (any, bool) {
	t := reflect.TypeFor[T]()
	switch t.Kind() {
	case reflect.Slice:
		return reflect.MakeSlice(t, 0, 0).Interface(), true
	case reflect.Map:
		return reflect.MakeMap(t).Interface(), true
	case reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return nil, false
	}
	var zero T
	return zero, true
}

type messagesChannel struct{}

func (messagesChannel) coerce(v any) (any, error) {
	ms, err := ToMessages(v)
	if err != nil {
		return nil, err
	}
	return ms, nil
}

func (messagesChannel) reduce(cur any, has bool, writes []any) (any, error) {
	left, _ := cur.([]Message)
	for _, w := range writes {
		right, ok := w.([]Message)
		if !ok {
			var err error
			if right, err = ToMessages(w); err != nil {
				return nil, err
			}
		}
		var err error
		if left, err = AddMessages(left, right); err != nil {
			return nil, err
		}
	}
	if left == nil {
		left = []Message{}
	}
	return left, nil
}

func (messagesChannel) decode(raw json.RawMessage) (any, error) {
	var out []Message
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (messagesChannel) empty() (any, bool) { return []Message{}, true }

// schema marks the channel as a message list, as LangGraph's
// MessagesValue does, so that clients such as Studio show a chat.
func (messagesChannel) schema() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{"type": "object"}, "langgraph_type": "messages"}
}

// WithSchema returns ch with extra merged into the JSON schema of its
// state key (extra's keys win): an enum, a description, or
// "langgraph_type": "messages" for a custom reducer over messages.
func WithSchema(ch Channel, extra map[string]any) Channel {
	return schemaChannel{Channel: ch, extra: extra}
}

type schemaChannel struct {
	Channel
	extra map[string]any
}

func (c schemaChannel) schema() map[string]any {
	out := map[string]any{}
	for k, v := range c.Channel.schema() {
		out[k] = v
	}
	for k, v := range c.extra {
		out[k] = v
	}
	return out
}
