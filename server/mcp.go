package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/storage"
)

// POST /mcp is the MCP Streamable HTTP endpoint (stateless, JSON
// responses): every assistant the caller may search is a tool, and
// tools/call runs it statelessly as the caller and waits for its output.
// Each request builds its own MCP server from the caller's assistants, so
// a tool the caller cannot see does not exist for them.

const (
	// mcpMaxTools caps the tools one caller sees (oldest assistants first).
	mcpMaxTools = 1000
	// mcpToolNameMax is MCP's limit on a tool name's length.
	mcpToolNameMax = 128
)

// mcpTool is an assistant exposed as a tool.
type mcpTool struct {
	tool        *mcp.Tool
	assistantID string
}

func (s *Server) handleMCP(w http.ResponseWriter, r *http.Request) error {
	tools, err := s.mcpTools(r)
	if err != nil {
		return err
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "agentgate", Version: s.opts.Version}, &mcp.ServerOptions{
		Logger:       s.log,
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}},
	})
	for _, t := range tools {
		srv.AddTool(t.tool, s.mcpCall(r, t.assistantID))
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless:    true,
		JSONResponse: true,
		Logger:       s.log,
		// With authentication, credentials guard the endpoint; without it,
		// the SDK refuses loopback requests naming another host (DNS
		// rebinding).
		DisableLocalhostProtection: s.authn != nil,
		MaxRequestBodyBytes:        s.maxBody,
	})
	dw := &detailWriter{ResponseWriter: w}
	h.ServeHTTP(dw, r)
	if dw.status != 0 {
		s.prom.errorAnswered(dw.status, nil)
		writeDetail(w, dw.status, strings.TrimSpace(dw.body.String()))
	}
	return nil
}

// mcpTools authorizes assistants:search for the caller and returns the
// assistants it finds (the oldest mcpMaxTools) as tools. Assistants of
// unregistered graphs are left out (they cannot run).
func (s *Server) mcpTools(r *http.Request) ([]mcpTool, error) {
	v := &auth.AssistantsSearch{Metadata: map[string]any{}, Limit: mcpMaxTools}
	scope, err := s.authorize(r, v)
	if err != nil {
		return nil, err
	}
	found, err := s.store.Assistants().Search(r.Context(), scope, storage.AssistantSearch{
		GraphID: v.GraphID, Name: v.Name, Metadata: v.Metadata,
		Limit: mcpMaxTools, SortBy: "created_at", SortOrder: "asc",
	})
	if err != nil {
		return nil, err
	}
	schemas := map[string]map[string]any{}
	used := map[string]bool{}
	out := make([]mcpTool, 0, len(found))
	for _, a := range found {
		g, ok := s.graphs[a.GraphID]
		if !ok {
			continue
		}
		in, ok := schemas[a.GraphID]
		if !ok {
			in = g.Schemas().Input
			if in["type"] != "object" {
				in = map[string]any{"type": "object"}
			}
			schemas[a.GraphID] = in
		}
		desc := a.GraphID
		if a.Description != nil && *a.Description != "" {
			desc = *a.Description
		}
		name := uniqueToolName(a, used)
		out = append(out, mcpTool{assistantID: a.AssistantID,
			tool: &mcp.Tool{Name: name, Title: a.Name, Description: desc, InputSchema: in}})
	}
	return out, nil
}

// toolName maps s onto MCP's tool-name characters (letters, digits, "_",
// "-", "."), "" when nothing of it is a letter or digit.
func toolName(s string) string {
	alnum := false
	b := make([]byte, 0, len(s))
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			alnum = true
			b = append(b, byte(c))
		case c == '_' || c == '-' || c == '.':
			b = append(b, byte(c))
		default:
			b = append(b, '_')
		}
	}
	if !alnum {
		return ""
	}
	return string(b[:min(len(b), mcpToolNameMax)])
}

// uniqueToolName names a's tool: its name, else its graph id, else its id,
// made tool-name safe; a name already taken (by an older assistant) gets
// "_<assistant_id>" appended, so names do not depend on newer assistants.
func uniqueToolName(a storage.Assistant, used map[string]bool) string {
	base := toolName(a.Name)
	if base == "" {
		base = toolName(a.GraphID)
	}
	if base == "" {
		base = toolName(a.AssistantID)
	}
	if !used[base] {
		used[base] = true
		return base
	}
	alt := base[:min(len(base), max(0, mcpToolNameMax-1-len(a.AssistantID)))] + "_" + a.AssistantID
	name := alt
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s_%d", alt, i)
	}
	used[name] = true
	return name
}

// mcpCall is the tools/call handler of one assistant: a stateless run as
// the caller of r (threads:create_run, then assistants:read unless it is a
// system assistant) with the arguments as input, waited for. A run that
// fails is a tool result with isError; a refused call is an MCP error.
func (s *Server) mcpCall(r *http.Request, assistantID string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		input := map[string]any{}
		if args := req.Params.Arguments; len(args) > 0 && string(args) != "null" {
			// As deep as the input of a /runs/wait body may be.
			if jsonDepth(args, MaxJSONDepth) >= MaxJSONDepth {
				return nil, s.mcpError(r, invalid(fmt.Sprintf("Tool arguments are nested deeper than %d levels", MaxJSONDepth-1)))
			}
			if err := json.Unmarshal(args, &input); err != nil {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "tool arguments must be a JSON object"}
			}
		}
		// The caller's identity lives in r's context; the MCP request's
		// context may end the call too.
		cctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
		r := r.WithContext(cctx)
		p, err := s.prepareRun(r, "", &runCreateBody{AssistantID: assistantID, Input: input})
		if err != nil {
			return nil, s.mcpError(r, err)
		}
		h := s.runs.Expect(p.create.RunID)
		defer s.runs.Forget(h)
		run, err := s.insert(r, p)
		if err != nil {
			return nil, s.mcpError(r, err)
		}
		wctx, wcancel := s.streamContext(r)
		defer wcancel()
		result, err := s.runResult(wctx, r, p.scope, run, h, func() error { return nil })
		switch {
		case err == nil:
			return toolResult(result), nil
		case cctx.Err() != nil:
			s.cancelOnDisconnect(p.scope, run) // the caller left or cancelled
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "The tool call was cancelled"}
		case errors.Is(err, errRunGone):
			return nil, s.mcpError(r, notFound("The run was deleted"))
		case wctx.Err() != nil:
			return nil, s.mcpError(r, httpErr(http.StatusServiceUnavailable, "The server is shutting down"))
		}
		return nil, s.mcpError(r, err)
	}
}

// toolResult is a run's result body as one JSON text block; a run that
// failed (its body carries the error key) is an error result.
func toolResult(body []byte) *mcp.CallToolResult {
	var m map[string]json.RawMessage
	failed := json.Unmarshal(body, &m) == nil && m[runs.ErrorKey] != nil
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(body)}}, IsError: failed}
}

// mcpError maps an error as errorResponse does onto a JSON-RPC error whose
// data carries the HTTP status and detail; internal causes are logged.
func (s *Server) mcpError(r *http.Request, err error) error {
	status, detail, _, internal := errorResponse(err)
	if internal {
		s.log.ErrorContext(r.Context(), "MCP tool call failed", "status", status, "error", err)
	}
	code := int64(jsonrpc.CodeInvalidRequest)
	switch {
	case status >= 500:
		code = jsonrpc.CodeInternalError
	case status == http.StatusNotFound || status == http.StatusUnprocessableEntity || status == http.StatusBadRequest:
		code = jsonrpc.CodeInvalidParams
	}
	data, _ := json.Marshal(map[string]any{"status": status, "detail": detail})
	return &jsonrpc.Error{Code: code, Message: detail, Data: data}
}

// detailWriter holds back the plain-text errors the MCP SDK writes (bad
// headers, methods, bodies); handleMCP writes them as {"detail": ...}
// with the same status.
type detailWriter struct {
	http.ResponseWriter
	status int // of a held plain-text error, 0 otherwise
	body   bytes.Buffer
}

func (w *detailWriter) WriteHeader(code int) {
	if code >= 400 && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.status = code
		w.Header().Del("X-Content-Type-Options")
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *detailWriter) Write(b []byte) (int, error) {
	if w.status != 0 {
		return w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *detailWriter) Flush() {
	if w.status == 0 {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

func (w *detailWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
