package anthropic

// The Messages API wire format, as much of it as this package sends and
// reads (https://docs.anthropic.com/en/api/messages).

// apiVersion is the anthropic-version header sent.
const apiVersion = "2026-10-21"

// DefaultBaseURL is Anthropic's own API.
const DefaultBaseURL = "https://api.anthropic.com"

// blockParam is a content block as sent: {"type": ..., ...}.
type blockParam = map[string]any

// body is the request of POST /v1/messages.
type body struct {
	Model       string       `json:"model"`
	MaxTokens   int64        `json:"max_tokens"`
	System      []blockParam `json:"system,omitempty"`
	Messages    []turn       `json:"messages"`
	Tools       []toolParam  `json:"tools,omitempty"`
	Temperature *float64     `json:"temperature,omitempty"`
	Stream      bool         `json:"stream"`
}

// turn is one message of the conversation.
type turn struct {
	Role    string       `json:"role"`
	Content []blockParam `json:"content"`
}

type toolParam struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	InputSchema map[string]any `json:"input_schema"`
}

// blockFields lists the keys a content block of type typ may carry when
// blockParam; others (LangChain's "index", say) are dropped. ok is false for a
// type this package does not send.
func blockFields(typ string) (keys []string, ok bool) {
	switch typ {
	case "text":
		return []string{"text", "cache_control", "citations"}, true
	case "image":
		return []string{"source", "cache_control"}, true
	case "document":
		return []string{"source", "cache_control", "citations", "context", "title"}, true
	case "search_result":
		return []string{"source", "title", "content", "cache_control", "citations"}, true
	case "thinking":
		return []string{"thinking", "signature"}, true
	case "redacted_thinking":
		return []string{"data"}, true
	case "tool_use", "server_tool_use":
		return []string{"id", "name", "input", "cache_control"}, true
	case "tool_result":
		return []string{"tool_use_id", "content", "is_error", "cache_control"}, true
	case "web_search_tool_result":
		return []string{"tool_use_id", "content", "cache_control"}, true
	}
	return nil, false
}

// usage is a message's token counts; message_delta's are cumulative and
// may leave fields out (nil).
type usage struct {
	InputTokens              *int64 `json:"input_tokens"`
	OutputTokens             int64  `json:"output_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
}

// event is one streamed event's data, whatever its type.
type event struct {
	Type    string `json:"type"`
	Message struct {
		ID    string `json:"id"`
		Model string `json:"model"`
		Usage usage  `json:"usage"`
	} `json:"message"`
	Index        int64 `json:"index"`
	ContentBlock struct {
		Type  string `json:"type"`
		Text  string `json:"text"`
		ID    string `json:"id"`
		Name  string `json:"name"`
		Input any    `json:"input"`
	} `json:"content_block"`
	Delta struct {
		Type         string `json:"type"`
		Text         string `json:"text"`
		PartialJSON  string `json:"partial_json"`
		StopReason   string `json:"stop_reason"`
		StopSequence string `json:"stop_sequence"`
	} `json:"delta"`
	Usage usage     `json:"usage"`
	Error *apiError `json:"error"`
}

// apiError is the error object of an error answer or event.
type apiError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
