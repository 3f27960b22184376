package server

// a2aSchemas document the A2A endpoints in outline; the A2A 0.3
// specification defines the objects.
func a2aSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	object := map[string]any{"type": "object"}
	id := map[string]any{"oneOf": []any{str, map[string]any{"type": "integer"}, map[string]any{"type": "null"}}}
	return map[string]any{
		"A2ARequest": obj(map[string]any{
			"jsonrpc": map[string]any{"type": "string", "enum": []string{"2.0"}},
			"id":      id,
			"method":  map[string]any{"type": "string", "enum": []string{"message/send", "message/stream", "tasks/get"}},
			"params":  object,
		}, "jsonrpc", "method"),
		"A2AResponse": obj(map[string]any{
			"jsonrpc": map[string]any{"type": "string", "enum": []string{"2.0"}},
			"id":      id,
			"result":  map[string]any{"type": "object", "description": "a Task (message/send, tasks/get)"},
			"error": obj(map[string]any{"code": map[string]any{"type": "integer"}, "message": str,
				"data": object}, "code", "message"),
		}, "jsonrpc"),
		"AgentCard": obj(map[string]any{
			"name": str, "description": str, "url": str, "version": str, "protocolVersion": str,
			"preferredTransport": str, "capabilities": object, "defaultInputModes": arr(str),
			"defaultOutputModes": arr(str), "skills": arr(object),
		}, "name", "url", "protocolVersion", "capabilities", "skills"),
	}
}
