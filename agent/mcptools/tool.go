package mcptools

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/agentgate/agentgate/llm"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ToolError is a tool's own error result (isError): the model sees
// Message in the error tool message and can correct itself.
type ToolError struct {
	Server  string
	Tool    string // the MCP tool name, without the prefix
	Message string
}

func (e *ToolError) Error() string { return e.Message }

// tool is an MCP server's tool as an agent.Tool.
type tool struct {
	c       *Client
	mcpName string
	spec    llm.ToolSpec
	schema  []byte // JSON of the parameters; Spec decodes a fresh copy
}

var notInName = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// ToolName is the name agents see for a server's tool: "<server>_<tool>",
// with characters model APIs refuse replaced by "_".
func ToolName(server, tool string) string {
	return server + "_" + notInName.ReplaceAllString(tool, "_")
}

func newTool(c *Client, t *mcp.Tool) (*tool, error) {
	name := ToolName(c.cfg.Name, t.Name)
	if len(name) > 64 {
		return nil, fmt.Errorf("mcp server %q: tool %q: the name %q is longer than the 64 characters model APIs accept", c.cfg.Name, t.Name, name)
	}
	params, err := objectSchema(t.InputSchema)
	if err != nil {
		return nil, fmt.Errorf("mcp server %q: tool %q: %w", c.cfg.Name, t.Name, err)
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("mcp server %q: tool %q: %w", c.cfg.Name, t.Name, err)
	}
	desc := t.Description
	if desc == "" {
		desc = t.Title
	}
	return &tool{c: c, mcpName: t.Name, spec: llm.ToolSpec{Name: name, Description: desc}, schema: b}, nil
}

// objectSchema is the tool's inputSchema as a map, with "type": "object"
// and "properties" filled in when missing (some model APIs need both).
func objectSchema(in any) (map[string]any, error) {
	m := map[string]any{}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("inputSchema: %w", err)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("inputSchema is not a JSON object: %s", b)
		}
	}
	if typ, ok := m["type"]; !ok {
		m["type"] = "object"
	} else if typ != "object" {
		return nil, fmt.Errorf("inputSchema has type %v, not object", typ)
	}
	if _, ok := m["properties"]; !ok {
		m["properties"] = map[string]any{}
	}
	return m, nil
}

// Spec implements agent.Tool; the parameters are a fresh copy.
func (t *tool) Spec() llm.ToolSpec {
	s := t.spec
	_ = json.Unmarshal(t.schema, &s.Parameters) // it was marshalled from a map
	return s
}

// Call implements agent.Tool with tools/call: structured content is
// returned as JSON, otherwise the content as text; an isError result is a
// *ToolError and a failure to get an answer an *Error.
func (t *tool) Call(ctx context.Context, args map[string]any) (any, error) {
	res, err := t.c.call(ctx, t.mcpName, args)
	if err != nil {
		return nil, err
	}
	text := contentText(res.Content)
	if res.IsError {
		if text == "" {
			text = "the tool reported an error"
		}
		return nil, &ToolError{Server: t.c.cfg.Name, Tool: t.mcpName, Message: text}
	}
	if res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return nil, fmt.Errorf("mcp server %q: tool %q: structured content: %w", t.c.cfg.Name, t.mcpName, err)
		}
		return json.RawMessage(b), nil
	}
	return text, nil
}

// contentText joins the content blocks as text, one per line: text as
// is, an embedded text resource as its text, anything else as a short
// bracketed description.
func contentText(blocks []mcp.Content) string {
	parts := make([]string, 0, len(blocks))
	for _, b := range blocks {
		switch c := b.(type) {
		case *mcp.TextContent:
			parts = append(parts, c.Text)
		case *mcp.ImageContent:
			parts = append(parts, fmt.Sprintf("[image %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *mcp.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *mcp.ResourceLink:
			parts = append(parts, fmt.Sprintf("[resource %s]", c.URI))
		case *mcp.EmbeddedResource:
			switch {
			case c.Resource == nil:
				parts = append(parts, "[resource]")
			case c.Resource.Text != "":
				parts = append(parts, c.Resource.Text)
			default:
				parts = append(parts, fmt.Sprintf("[resource %s, %s, %d bytes]", c.Resource.URI, c.Resource.MIMEType, len(c.Resource.Blob)))
			}
		default:
			if j, err := json.Marshal(b); err == nil {
				parts = append(parts, string(j))
			}
		}
	}
	return strings.Join(parts, "\n")
}
