// Package openai is an llm.ChatModel for OpenAI's Chat Completions API and
// for servers that speak it (vLLM, Ollama, LiteLLM, ...). It speaks the
// streaming endpoint's wire format itself (docs/models.md says why not
// the official SDK).
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/wire"
	"github.com/google/uuid"
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
	// Organization and Project are sent as OpenAI-Organization and
	// OpenAI-Project when set; "" reads OPENAI_ORG_ID and OPENAI_PROJECT_ID.
	Organization, Project string
	// MaxTokens caps the reply (0: the server's default). OpenAI's API gets
	// max_completion_tokens, other base URLs the widely supported max_tokens.
	MaxTokens int
	// Temperature is sent when set.
	Temperature *float64
	// MaxRetries bounds retries of failed requests (429, 5xx, connection
	// errors) before any output: 0 means 2, negative means none.
	MaxRetries int
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Model is a chat model on a Chat Completions endpoint. It implements
// llm.ChatModel and llm.ToolBinder and is safe for concurrent use.
type Model struct {
	model   string
	baseURL string
	opts    Options
	tools   []tool
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
	if opts.Organization == "" {
		opts.Organization, _ = lookup("OPENAI_ORG_ID")
	}
	if opts.Project == "" {
		opts.Project, _ = lookup("OPENAI_PROJECT_ID")
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
	return &Model{model: model, baseURL: opts.BaseURL, opts: opts}, nil
}

// BindTools returns a copy of m that offers tools to the model.
func (m *Model) BindTools(tools []llm.ToolSpec) llm.ChatModel {
	c := *m
	c.tools = make([]tool, 0, len(tools))
	for _, t := range tools {
		params := t.Parameters
		if params == nil {
			params = map[string]any{"type": "object", "properties": map[string]any{}}
		}
		c.tools = append(c.tools, tool{Type: "function",
			Function: function{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	return &c
}

// body builds the request body.
func (m *Model) body(messages []graph.Message) ([]byte, error) {
	msgs, err := toParams(messages)
	if err != nil {
		return nil, err
	}
	r := request{Model: m.model, Messages: msgs, Stream: true, Tools: m.tools,
		Temperature: m.opts.Temperature}
	r.StreamOptions.IncludeUsage = true
	if n := m.opts.MaxTokens; n > 0 {
		if strings.TrimRight(m.baseURL, "/") == DefaultBaseURL {
			r.MaxCompletionTokens = &n
		} else {
			r.MaxTokens = &n
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the request: %w", err)
	}
	return b, nil
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
	body, err := m.body(messages)
	if err != nil {
		return graph.Message{}, &llm.Error{Provider: "openai", Kind: "bad_request", Message: err.Error(), Err: err}
	}
	h := http.Header{"Accept": {"text/event-stream"}}
	if k := m.opts.APIKey; k != "" {
		h.Set("Authorization", "Bearer "+k)
	}
	if o := m.opts.Organization; o != "" {
		h.Set("OpenAI-Organization", o)
	}
	if p := m.opts.Project; p != "" {
		h.Set("OpenAI-Project", p)
	}
	res, err := wire.Post(ctx, wire.Request{URL: strings.TrimRight(m.baseURL, "/") + "/chat/completions",
		Header: h, Body: body, MaxRetries: m.opts.MaxRetries, Client: m.opts.HTTPClient})
	if err != nil {
		if ctx.Err() != nil {
			return graph.Message{}, ctx.Err()
		}
		return graph.Message{}, requestError(err)
	}
	defer res.Body.Close()

	acc := newAccumulator("run-" + uuid.NewString())
	events := wire.NewEvents(res.Body)
	for {
		ev, err := events.Next()
		if ctx.Err() != nil {
			return graph.Message{}, ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			return graph.Message{}, streamError("stream ended before [DONE]", nil)
		}
		if err != nil {
			return graph.Message{}, streamError("malformed or interrupted stream: "+err.Error(), err)
		}
		if string(bytes.TrimSpace(ev.Data)) == "[DONE]" {
			break
		}
		var c chunk
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return graph.Message{}, streamError("malformed chunk: "+err.Error(), err)
		}
		if c.Error != nil {
			return graph.Message{}, streamError("error event: "+c.Error.Message, nil)
		}
		for _, ch := range acc.add(c) {
			if onChunk != nil {
				onChunk(ch)
			}
		}
	}
	reply, err := acc.message()
	if err != nil {
		return graph.Message{}, &llm.Error{Provider: "openai", Kind: "stream", Message: err.Error(), Err: err}
	}
	return reply, nil
}

// String names the model, for logs.
func (m *Model) String() string { return fmt.Sprintf("openai:%s@%s", m.model, m.baseURL) }
