package cli

import "testing"

// TestMountPrefixFromConfig: langgraph.json http.mount_prefix reaches the
// server.
func TestMountPrefixFromConfig(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {"chat": "builtin:chatbot"}, "http": {"mount_prefix": "/agents"}}`)
	r := start(t, nil, "dev", "--memory", "--no-reload", "--port", "0", "--config", dir)
	if code, _, _ := call(t, "GET", r.url+"/agents/ok", ""); code != 200 {
		t.Errorf("GET /agents/ok = %d", code)
	}
	if code, _, _ := call(t, "GET", r.url+"/ok", ""); code != 404 {
		t.Errorf("GET /ok = %d, want 404 outside the prefix", code)
	}
	if code, _, _ := call(t, "GET", r.url+"/agents/assistants/chat", ""); code != 200 {
		t.Errorf("GET /agents/assistants/chat = %d", code)
	}
}
