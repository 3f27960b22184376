package models

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// ConfigKey is the key of a run's configurable that names its model, as
// LangGraph templates' configurable.model.
const ConfigKey = "model"

// maxCached bounds the clients a Registry keeps: specs come from callers,
// so models beyond it are built per use rather than kept.
const maxCached = 32

// Registry builds and caches chat models by spec, and knows the default
// model. A graph owns one; it is safe for concurrent use.
type Registry struct {
	env          func(string) string
	spec, reason string
	mu           sync.Mutex
	cache        map[string]llm.ChatModel
}

// NewRegistry returns a Registry reading env (nil: os.Getenv), whose
// default model is Default(env). It fails when that default cannot be
// built (a bad AGENTGATE_MODEL, or its provider's key missing).
func NewRegistry(env func(string) string) (*Registry, error) {
	if env == nil {
		env = os.Getenv
	}
	r := &Registry{env: env, cache: map[string]llm.ChatModel{}}
	r.spec, r.reason = Default(env)
	if _, err := r.Model(r.spec); err != nil {
		if strings.TrimSpace(env(EnvModel)) != "" {
			return nil, fmt.Errorf("%s: %w", EnvModel, err)
		}
		return nil, err
	}
	return r, nil
}

// Default returns the default model's spec and why it was chosen.
func (r *Registry) Default() (spec, reason string) { return r.spec, r.reason }

// Model returns the model named spec ("" names the default), built once.
func (r *Registry) Model(spec string) (llm.ChatModel, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		spec = r.spec
	}
	r.mu.Lock()
	m, ok := r.cache[spec]
	r.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := Init(spec, r.env)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cache[spec]; ok {
		return c, nil
	}
	if len(r.cache) < maxCached {
		r.cache[spec] = m
	}
	return m, nil
}

// ForRun returns the model the run of ctx names in configurable.model
// (which holds the assistant's and the run's config), else the default.
func (r *Registry) ForRun(ctx context.Context) (llm.ChatModel, error) {
	v, ok := graph.Info(ctx).Configurable[ConfigKey]
	if !ok || v == nil {
		return r.Model("")
	}
	spec, isString := v.(string)
	if !isString {
		return nil, fmt.Errorf("models: configurable.%s must be a string such as \"openai:gpt-4.1-mini\", not %T", ConfigKey, v)
	}
	m, err := r.Model(spec)
	if err != nil {
		return nil, fmt.Errorf("configurable.%s: %w", ConfigKey, err)
	}
	return m, nil
}

// RunModel returns a model that answers each call with ForRun's model. It
// can be bound to tools: a model that cannot call tools (the echo model)
// then answers without them.
func (r *Registry) RunModel() llm.ToolBinder { return runModel{reg: r} }

type runModel struct {
	reg   *Registry
	tools []llm.ToolSpec
}

// Stream implements llm.ChatModel.
func (m runModel) Stream(ctx context.Context, messages []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	model, err := m.reg.ForRun(ctx)
	if err != nil {
		return graph.Message{}, err
	}
	if tb, ok := model.(llm.ToolBinder); ok && len(m.tools) > 0 {
		model = tb.BindTools(m.tools)
	}
	return model.Stream(ctx, messages, onChunk)
}

// BindTools implements llm.ToolBinder.
func (m runModel) BindTools(tools []llm.ToolSpec) llm.ChatModel {
	m.tools = slices.Clone(tools)
	return m
}
