// Package anthropic is an llm.ChatModel for Anthropic's Messages API, built
// on the official Go SDK. It streams replies as LangChain AIMessageChunks
// and returns the whole reply as an AI message in LangChain's shape.
package anthropic

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// Defaults for the zero Options.
const (
	DefaultMaxTokens  = 4096
	DefaultMaxRetries = 2
)

// Options configure a Model. Empty fields take the defaults below.
type Options struct {
	// APIKey; "" reads ANTHROPIC_API_KEY.
	APIKey string
	// BaseURL of the API; "" reads ANTHROPIC_BASE_URL, else the SDK's
	// production URL.
	BaseURL string
	// MaxTokens caps the reply; 0 means DefaultMaxTokens.
	MaxTokens int64
	// Temperature is sent when set. API version 2026-10-21, which this SDK
	// speaks, deprecated it, so it goes into the body as a raw field.
	Temperature *float64
	// MaxRetries bounds the SDK's retries of 408, 409, 429 and 5xx
	// responses and of failed connections (retry-after is honoured);
	// 0 means DefaultMaxRetries and a negative value means none.
	MaxRetries int
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Model is a Claude model. It implements llm.ChatModel and llm.ToolBinder
// and is safe for concurrent use.
type Model struct {
	client      sdk.Client
	model       string
	maxTokens   int64
	temperature *float64
	tools       []llm.ToolSpec
}

var (
	_ llm.ChatModel  = (*Model)(nil)
	_ llm.ToolBinder = (*Model)(nil)
)

// New returns the model named model (for example "claude-sonnet-5-5").
// Nothing is read from the environment but ANTHROPIC_API_KEY and
// ANTHROPIC_BASE_URL, and only when the options leave them empty.
func New(model string, opts Options) (*Model, error) {
	if model == "" {
		return nil, errors.New("anthropic: no model name")
	}
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	key, base := opts.APIKey, opts.BaseURL
	if key == "" {
		key, _ = lookup("ANTHROPIC_API_KEY")
	}
	if base == "" {
		base, _ = lookup("ANTHROPIC_BASE_URL")
	}
	if key == "" {
		return nil, errors.New("anthropic: no API key: set Options.APIKey or ANTHROPIC_API_KEY")
	}
	retries := opts.MaxRetries
	switch {
	case retries == 0:
		retries = DefaultMaxRetries
	case retries < 0:
		retries = 0
	}
	maxTokens := opts.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	ro := []option.RequestOption{
		// The SDK would otherwise read more of the environment and profile
		// files; this package resolves its own settings.
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(key),
		option.WithMaxRetries(retries),
	}
	if base != "" {
		ro = append(ro, option.WithBaseURL(base))
	}
	if opts.HTTPClient != nil {
		ro = append(ro, option.WithHTTPClient(opts.HTTPClient))
	}
	var temp *float64
	if opts.Temperature != nil {
		t := *opts.Temperature
		temp = &t
	}
	return &Model{
		client:      sdk.NewClient(ro...),
		model:       model,
		maxTokens:   maxTokens,
		temperature: temp,
	}, nil
}

// BindTools implements llm.ToolBinder: the returned model offers tools on
// every request. Specs are checked when a request is built.
func (m *Model) BindTools(tools []llm.ToolSpec) llm.ChatModel {
	c := *m
	c.tools = slices.Clone(tools)
	return &c
}

// Stream implements llm.ChatModel. Text deltas and tool-call argument
// deltas reach onChunk as AIMessageChunks sharing the reply's id. Errors
// are *llm.Error, except the context's own error when ctx ends.
func (m *Model) Stream(ctx context.Context, messages []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	return llm.Traced(ctx, provider, m.model, func(ctx context.Context) (graph.Message, error) {
		return m.stream(ctx, messages, onChunk)
	})
}

func (m *Model) stream(ctx context.Context, messages []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	params, err := m.params(messages)
	if err != nil {
		return graph.Message{}, &llm.Error{Provider: provider, Kind: KindBadRequest, Message: err.Error(), Err: err}
	}
	var ro []option.RequestOption
	if m.temperature != nil {
		ro = append(ro, option.WithJSONSet("temperature", *m.temperature))
	}
	stream := m.client.Messages.NewStreaming(ctx, params, ro...)
	defer stream.Close()
	acc := newAccumulator(m.model, onChunk)
	for stream.Next() {
		if err := acc.add(stream.Current()); err != nil {
			return graph.Message{}, streamError("malformed stream: "+err.Error(), err)
		}
	}
	err = stream.Err()
	if ctxErr := ctx.Err(); ctxErr != nil && (err != nil || !acc.stopped) {
		return graph.Message{}, ctxErr
	}
	if err != nil {
		return graph.Message{}, toError(err, acc.started)
	}
	return acc.message()
}

// params builds the request body.
func (m *Model) params(messages []graph.Message) (sdk.MessageNewParams, error) {
	system, msgs, err := convertMessages(messages)
	if err != nil {
		return sdk.MessageNewParams{}, err
	}
	tools, err := convertTools(m.tools)
	if err != nil {
		return sdk.MessageNewParams{}, err
	}
	return sdk.MessageNewParams{
		Model:     m.model,
		MaxTokens: m.maxTokens,
		System:    system,
		Messages:  msgs,
		Tools:     tools,
	}, nil
}
