// Package openai is an llm.ChatModel for OpenAI's Chat Completions API and
// for servers that speak it (vLLM, Ollama, LiteLLM, ...), built on the
// official openai-go SDK.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/google/uuid"
	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// DefaultBaseURL is OpenAI's own API.
const DefaultBaseURL = "https://api.openai.com/v1"

// Options configure a Model. Zero values take defaults.
type Options struct {
	// APIKey is sent as a bearer token; "" reads OPENAI_API_KEY. It may
	// stay empty only when a BaseURL is set (local servers need none).
	APIKey string
	// BaseURL is the API root, e.g. "http://localhost:11434/v1"; "" reads
	// OPENAI_BASE_URL, then DefaultBaseURL.
	BaseURL string
	// MaxTokens caps the reply (0: the server's default). OpenAI's API gets
	// max_completion_tokens, other base URLs the widely supported max_tokens.
	MaxTokens int
	// Temperature is sent when set.
	Temperature *float64
	// MaxRetries bounds retries of failed requests (429, 5xx, connection
	// errors) before any output: 0 means 2, negative means none.
	MaxRetries int
	// HTTPClient replaces the SDK's default client.
	HTTPClient *http.Client
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Model is a chat model on a Chat Completions endpoint. It implements
// llm.ChatModel and llm.ToolBinder and is safe for concurrent use.
type Model struct {
	client  sdk.Client
	model   string
	baseURL string
	opts    Options
	tools   []sdk.ChatCompletionToolUnionParam
}

var (
	_ llm.ChatModel  = (*Model)(nil)
	_ llm.ToolBinder = (*Model)(nil)
)

// New returns a Model that calls model (e.g. "gpt-4o-mini", or whatever
// name the server at BaseURL knows).
func New(model string, opts Options) (*Model, error) {
	if model == "" {
		return nil, errors.New("openai: model name is empty")
	}
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if opts.APIKey == "" {
		opts.APIKey, _ = lookup("OPENAI_API_KEY")
	}
	if opts.BaseURL == "" {
		opts.BaseURL, _ = lookup("OPENAI_BASE_URL")
	}
	custom := opts.BaseURL != ""
	if !custom {
		opts.BaseURL = DefaultBaseURL
	}
	if opts.APIKey == "" && !custom {
		return nil, errors.New("openai: no API key: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server")
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = 2
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	// Key and base URL are always set explicitly, so the SDK's own reading
	// of the process environment cannot override what was resolved here.
	ro := []option.RequestOption{
		option.WithBaseURL(opts.BaseURL),
		option.WithAPIKey(opts.APIKey),
		option.WithMaxRetries(opts.MaxRetries),
	}
	if opts.HTTPClient != nil {
		ro = append(ro, option.WithHTTPClient(opts.HTTPClient))
	}
	return &Model{client: sdk.NewClient(ro...), model: model, baseURL: opts.BaseURL, opts: opts}, nil
}

// BindTools returns a copy of m that offers tools to the model.
func (m *Model) BindTools(tools []llm.ToolSpec) llm.ChatModel {
	c := *m
	c.tools = make([]sdk.ChatCompletionToolUnionParam, 0, len(tools))
	for _, t := range tools {
		params := t.Parameters
		if params == nil {
			params = map[string]any{"type": "object", "properties": map[string]any{}}
		}
		fn := shared.FunctionDefinitionParam{Name: t.Name, Parameters: shared.FunctionParameters(params)}
		if t.Description != "" {
			fn.Description = sdk.String(t.Description)
		}
		c.tools = append(c.tools, sdk.ChatCompletionFunctionTool(fn))
	}
	return &c
}

// params builds the request body.
func (m *Model) params(messages []graph.Message) (sdk.ChatCompletionNewParams, error) {
	msgs, err := toParams(messages)
	if err != nil {
		return sdk.ChatCompletionNewParams{}, err
	}
	p := sdk.ChatCompletionNewParams{
		Model:         shared.ChatModel(m.model),
		Messages:      msgs,
		StreamOptions: sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
		Tools:         m.tools,
	}
	if m.opts.MaxTokens > 0 {
		if strings.TrimRight(m.baseURL, "/") == DefaultBaseURL {
			p.MaxCompletionTokens = sdk.Int(int64(m.opts.MaxTokens))
		} else {
			p.MaxTokens = sdk.Int(int64(m.opts.MaxTokens))
		}
	}
	if m.opts.Temperature != nil {
		p.Temperature = sdk.Float(*m.opts.Temperature)
	}
	return p, nil
}

// Stream implements llm.ChatModel. Content and tool-call deltas reach
// onChunk as AIMessageChunks sharing the reply's id. A failure is an
// *llm.Error, or ctx's error when ctx ended.
func (m *Model) Stream(ctx context.Context, messages []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	return llm.Traced(ctx, "openai", m.model, func(ctx context.Context) (graph.Message, error) {
		return m.stream(ctx, messages, onChunk)
	})
}

func (m *Model) stream(ctx context.Context, messages []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	p, err := m.params(messages)
	if err != nil {
		return graph.Message{}, &llm.Error{Provider: "openai", Kind: "bad_request", Message: err.Error(), Err: err}
	}
	w := &watch{}
	stream := m.client.Chat.Completions.NewStreaming(ctx, p, option.WithMiddleware(w.middleware))
	defer stream.Close()

	acc := newAccumulator("run-" + uuid.NewString())
	for stream.Next() {
		for _, c := range acc.add(stream.Current()) {
			if onChunk != nil {
				onChunk(c)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return graph.Message{}, err
	}
	if err := stream.Err(); err != nil {
		return graph.Message{}, toError(err, w)
	}
	if !w.done {
		return graph.Message{}, &llm.Error{Provider: "openai", Kind: "stream",
			Message: "stream ended before [DONE]"}
	}
	reply, err := acc.message()
	if err != nil {
		return graph.Message{}, &llm.Error{Provider: "openai", Kind: "stream", Message: err.Error(), Err: err}
	}
	return reply, nil
}

// String names the model, for logs.
func (m *Model) String() string { return fmt.Sprintf("openai:%s@%s", m.model, m.baseURL) }
