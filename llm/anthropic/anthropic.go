// Package anthropic is an llm.ChatModel for Anthropic's Messages API. It
// speaks the streaming endpoint's wire format itself (docs/models.md says
// why not the official SDK), streams replies as LangChain
// AIMessageChunks and returns the whole reply as an AI message in
// LangChain's shape.
package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/wire"
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
	// BaseURL of the API; "" reads ANTHROPIC_BASE_URL, else
	// DefaultBaseURL.
	BaseURL string
	// MaxTokens caps the reply; 0 means DefaultMaxTokens.
	MaxTokens int64
	// Temperature is sent when set (API version 2026-10-21, which this
	// package speaks, deprecated it).
	Temperature *float64
	// MaxRetries bounds the retries of 408, 409, 429 and 5xx responses and
	// of failed connections (retry-after is honoured); 0 means
	// DefaultMaxRetries and a negative value means none.
	MaxRetries int
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Model is a Claude model. It implements llm.ChatModel and llm.ToolBinder
// and is safe for concurrent use.
type Model struct {
	key, url    string
	retries     int
	client      *http.Client
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
	if base == "" {
		base = DefaultBaseURL
	}
	var temp *float64
	if opts.Temperature != nil {
		t := *opts.Temperature
		temp = &t
	}
	return &Model{
		key:         key,
		url:         strings.TrimRight(base, "/") + "/v1/messages",
		retries:     retries,
		client:      opts.HTTPClient,
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
	req, err := m.body(messages)
	if err != nil {
		return graph.Message{}, &llm.Error{Provider: provider, Kind: KindBadRequest, Message: err.Error(), Err: err}
	}
	h := http.Header{"Authorization": {"Bearer " + m.key}, "Anthropic-Version": {apiVersion}, "Accept": {"text/event-stream"}}
	res, err := wire.Post(ctx, wire.Request{URL: m.url, Header: h, Body: req, MaxRetries: m.retries, Client: m.client})
	if err != nil {
		if ctx.Err() != nil {
			return graph.Message{}, ctx.Err()
		}
		return graph.Message{}, requestError(err)
	}
	defer res.Body.Close()
	acc := newAccumulator(m.model, onChunk)
	events := wire.NewEvents(res.Body)
	for !acc.stopped {
		ev, err := events.Next()
		if ctx.Err() != nil {
			return graph.Message{}, ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			break // message() tells a stream that ended early
		}
		if err != nil {
			return graph.Message{}, streamError("stream interrupted: "+err.Error(), err)
		}
		if err := m.take(acc, ev); err != nil {
			return graph.Message{}, err
		}
	}
	return acc.message()
}

// take folds one server-sent event into acc.
func (m *Model) take(acc *accumulator, ev wire.Event) error {
	if ev.Name == "ping" {
		return nil
	}
	var data event
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		return streamError("malformed event: "+err.Error(), err)
	}
	// An error comes as "event: error", or as an error object alone.
	if ev.Name == "error" || data.Type == "error" && data.Error != nil {
		var ae apiError
		if data.Error != nil {
			ae = *data.Error
		}
		return eventError(ae)
	}
	switch data.Type {
	case "message_start", "content_block_start", "content_block_delta", "content_block_stop",
		"message_delta", "message_stop":
	default:
		return nil // event types added to the API later
	}
	if err := acc.add(data); err != nil {
		return streamError("malformed stream: "+err.Error(), err)
	}
	return nil
}

// body builds the request body.
func (m *Model) body(messages []graph.Message) ([]byte, error) {
	system, msgs, err := convertMessages(messages)
	if err != nil {
		return nil, err
	}
	tools, err := convertTools(m.tools)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(body{Model: m.model, MaxTokens: m.maxTokens, System: system, Messages: msgs,
		Tools: tools, Temperature: m.temperature, Stream: true})
	if err != nil {
		return nil, fmt.Errorf("encoding the request: %w", err)
	}
	return b, nil
}
