package anthropic

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/graph"
	"github.com/google/uuid"
)

// block is a content block of the reply as it streams in.
type block struct {
	typ   string // "text" or "tool_use"; others are ignored
	text  strings.Builder
	id    string
	name  string
	args  strings.Builder // partial JSON, concatenated
	input any             // the input given at content_block_start
}

// accumulator builds the reply from stream events and passes chunks on.
type accumulator struct {
	onChunk func(graph.Message)
	id      string
	emitted bool
	model   string
	blocks  map[int64]*block
	order   []int64
	stop    string
	stopSeq string
	in      int64 // input tokens, less cached ones
	cacheRd int64
	cacheWr int64
	outTok  int64
	started bool
	stopped bool
}

func newAccumulator(model string, onChunk func(graph.Message)) *accumulator {
	return &accumulator{
		onChunk: onChunk,
		id:      "run-" + uuid.NewString(),
		model:   model,
		blocks:  map[int64]*block{},
	}
}

func (a *accumulator) emit(c graph.Message) {
	a.emitted = true
	if a.onChunk != nil {
		c.Type, c.ID = graph.ChunkType, a.id
		a.onChunk(c)
	}
}

// add takes one event; an error means the stream does not make sense.
func (a *accumulator) add(ev event) error {
	if a.stopped {
		return fmt.Errorf("event %q after message_stop", ev.Type)
	}
	if !a.started && ev.Type != "message_start" {
		return fmt.Errorf("event %q before message_start", ev.Type)
	}
	switch ev.Type {
	case "message_start":
		if a.started {
			return fmt.Errorf("second message_start")
		}
		a.started = true
		msg := ev.Message
		if msg.ID != "" && !a.emitted {
			a.id = msg.ID
		}
		if msg.Model != "" {
			a.model = msg.Model
		}
		a.addUsage(msg.Usage)
	case "content_block_start":
		if _, dup := a.blocks[ev.Index]; dup {
			return fmt.Errorf("content block %d started twice", ev.Index)
		}
		cb := ev.ContentBlock
		b := &block{typ: cb.Type}
		a.blocks[ev.Index] = b
		a.order = append(a.order, ev.Index)
		switch cb.Type {
		case "text":
			if cb.Text != "" {
				b.text.WriteString(cb.Text)
				a.emit(graph.Message{Content: cb.Text})
			}
		case "tool_use":
			b.id, b.name, b.input = cb.ID, cb.Name, cb.Input
			a.emit(graph.Message{Content: "", ToolCallChunks: []any{toolCallChunk(cb.Name, "", cb.ID, ev.Index)}})
		}
	case "content_block_delta":
		b, ok := a.blocks[ev.Index]
		if !ok {
			return fmt.Errorf("delta for content block %d, which did not start", ev.Index)
		}
		switch d := ev.Delta; d.Type {
		case "text_delta":
			if b.typ != "text" {
				return fmt.Errorf("text delta for a %s block", b.typ)
			}
			b.text.WriteString(d.Text)
			if d.Text != "" {
				a.emit(graph.Message{Content: d.Text})
			}
		case "input_json_delta":
			if b.typ != "tool_use" {
				return fmt.Errorf("input_json delta for a %s block", b.typ)
			}
			b.args.WriteString(d.PartialJSON)
			if d.PartialJSON != "" {
				a.emit(graph.Message{Content: "", ToolCallChunks: []any{toolCallChunk("", d.PartialJSON, "", ev.Index)}})
			}
		}
	case "message_delta":
		a.stop = ev.Delta.StopReason
		a.stopSeq = ev.Delta.StopSequence
		a.addUsage(ev.Usage) // cumulative
	case "message_stop":
		a.stopped = true
	}
	return nil
}

// addUsage takes counts from message_start or message_delta: output
// tokens always, the others when given and not zero.
func (a *accumulator) addUsage(u usage) {
	a.outTok = u.OutputTokens
	for _, f := range []struct {
		v   *int64
		dst *int64
	}{{u.InputTokens, &a.in}, {u.CacheReadInputTokens, &a.cacheRd}, {u.CacheCreationInputTokens, &a.cacheWr}} {
		if f.v != nil && *f.v > 0 {
			*f.dst = *f.v
		}
	}
}

// toolCallChunk is LangChain's tool_call_chunk; "" name or id is null.
func toolCallChunk(name, args, id string, index int64) map[string]any {
	c := map[string]any{"name": nil, "args": args, "id": nil, "index": index, "type": "tool_call_chunk"}
	if name != "" {
		c["name"] = name
	}
	if id != "" {
		c["id"] = id
	}
	return c
}

// message is the whole reply, once the stream has ended.
func (a *accumulator) message() (graph.Message, error) {
	if !a.stopped {
		return graph.Message{}, streamError("stream ended before message_stop", nil)
	}
	var text strings.Builder
	var blocks []any
	var calls []graph.ToolCall
	for _, i := range a.order {
		b := a.blocks[i]
		switch b.typ {
		case "text":
			text.WriteString(b.text.String())
			if b.text.Len() > 0 {
				blocks = append(blocks, map[string]any{"type": "text", "text": b.text.String()})
			}
		case "tool_use":
			args, err := b.parseArgs()
			if err != nil {
				return graph.Message{}, streamError(fmt.Sprintf("tool call %s: args are not a JSON object", b.id), err)
			}
			calls = append(calls, graph.ToolCall{Name: b.name, Args: args, ID: b.id, Type: "tool_call"})
			blocks = append(blocks, map[string]any{"type": "tool_use", "id": b.id, "name": b.name, "input": args})
		}
	}
	reply := graph.Message{Type: graph.AIType, ID: a.id, Content: text.String(), ToolCalls: calls}
	if len(calls) > 0 {
		reply.Content = blocks
	}
	meta := map[string]any{"model_name": a.model, "stop_reason": a.stop, "model_provider": provider}
	if a.stopSeq != "" {
		meta["stop_sequence"] = a.stopSeq
	}
	reply.ResponseMetadata = meta
	reply.UsageMetadata = a.usageMetadata()
	return reply, nil
}

// usageMetadata is LangChain's shape: input_tokens counts cached input too,
// which input_token_details splits out.
func (a *accumulator) usageMetadata() map[string]any {
	in := a.in + a.cacheRd + a.cacheWr
	m := map[string]any{
		"input_tokens":  int(in),
		"output_tokens": int(a.outTok),
		"total_tokens":  int(in + a.outTok),
	}
	if a.cacheRd > 0 || a.cacheWr > 0 {
		m["input_token_details"] = map[string]any{
			"cache_read":     int(a.cacheRd),
			"cache_creation": int(a.cacheWr),
		}
	}
	return m
}

// parseArgs reads the streamed input JSON, else the input given at start.
func (b *block) parseArgs() (map[string]any, error) {
	args := map[string]any{}
	if s := strings.TrimSpace(b.args.String()); s != "" {
		if err := json.Unmarshal([]byte(s), &args); err != nil {
			return nil, err
		}
		if args == nil { // "null"
			args = map[string]any{}
		}
		return args, nil
	}
	if in, ok := b.input.(map[string]any); ok {
		return in, nil
	}
	return args, nil
}
