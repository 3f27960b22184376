// Package agent builds tool-calling agents on the graph runtime: Go
// functions as tools (NewTool, with a JSON Schema derived from their
// argument struct), a node that runs the tool calls of the last AI message
// (ToolNode), and a prebuilt ReAct agent (NewReact), as LangGraph's
// create_react_agent.
package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"

	"github.com/agentgate/agentgate/llm"
)

// Tool is something a model may call.
type Tool interface {
	// Spec names and describes the tool, with the JSON Schema of its
	// arguments.
	Spec() llm.ToolSpec
	// Call runs the tool with the arguments the model gave. The result
	// becomes a tool message: a string as is, anything else as JSON.
	Call(ctx context.Context, args map[string]any) (any, error)
}

// ArgsError is a tool call's arguments that do not fit the tool.
type ArgsError struct {
	Tool string
	Err  error
}

func (e *ArgsError) Error() string {
	return fmt.Sprintf("invalid arguments for tool %q: %v", e.Tool, e.Err)
}

func (e *ArgsError) Unwrap() error { return e.Err }

// validName is what OpenAI and Anthropic accept as a tool name.
func validName(name string) bool {
	return regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`).MatchString(name)
}

// NewTool makes fn a tool. In is a struct (or a map with string keys)
// whose JSON Schema, derived by reflection, describes the arguments: json
// tags name the fields, a field is required unless it is a pointer or
// tagged omitempty, and `jsonschema:"description=...,enum=...,required"`
// adds keywords. Arguments are decoded into In with encoding/json;
// unknown or missing required arguments are an *ArgsError.
func NewTool[In any, Out any](name, description string, fn func(context.Context, In) (Out, error)) (Tool, error) {
	if !validName(name) {
		return nil, fmt.Errorf("agent: tool name %q: use 1-64 letters, digits, _ or -", name)
	}
	if fn == nil {
		return nil, fmt.Errorf("agent: tool %q has no function", name)
	}
	params, err := argsSchema(reflect.TypeFor[In]())
	if err != nil {
		return nil, fmt.Errorf("agent: tool %q: %w", name, err)
	}
	return &funcTool[In, Out]{
		spec: llm.ToolSpec{Name: name, Description: description, Parameters: params},
		fn:   fn,
	}, nil
}

type funcTool[In, Out any] struct {
	spec llm.ToolSpec
	fn   func(context.Context, In) (Out, error)
}

// Spec implements Tool; the parameters are a copy.
func (t *funcTool[In, Out]) Spec() llm.ToolSpec {
	s := t.spec
	s.Parameters = deepCopy(t.spec.Parameters).(map[string]any)
	return s
}

// Call implements Tool.
func (t *funcTool[In, Out]) Call(ctx context.Context, args map[string]any) (any, error) {
	in, err := t.decode(args)
	if err != nil {
		return nil, &ArgsError{Tool: t.spec.Name, Err: err}
	}
	return t.fn(ctx, in)
}

func (t *funcTool[In, Out]) decode(args map[string]any) (In, error) {
	var in In
	if args == nil {
		args = map[string]any{}
	}
	b, err := json.Marshal(args)
	if err != nil {
		return in, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return in, err
	}
	if err := checkRequired(t.spec.Parameters, generic, ""); err != nil {
		return in, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, err
	}
	return in, nil
}

// deepCopy copies the maps and slices of a schema.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	case []string:
		return append([]string{}, x...)
	}
	return v
}

// content is a tool result as a tool message's content.
func content(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.RawMessage:
		return string(x), nil
	case nil:
		return "null", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("result is not JSON: %w", err)
	}
	return string(b), nil
}
