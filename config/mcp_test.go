package config

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadMCP(t *testing.T) {
	dir := project(t, map[string]string{"langgraph.json": `{
		"mcp": {"servers": {
			"files": {"command": "./bin/files", "args": ["--root", "data"], "env": {"LOG": "debug"}, "cwd": "data", "call_timeout_seconds": 10},
			"git": {"command": "mcp-git"},
			"search": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer t"}, "connect_timeout_seconds": 2.5}
		}}
	}`})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]MCPServer{
		"files": {Name: "files", Command: filepath.Join(dir, "bin", "files"), Args: []string{"--root", "data"},
			Env: map[string]string{"LOG": "debug"}, Dir: filepath.Join(dir, "data"), CallTimeoutSeconds: 10},
		"git":    {Name: "git", Command: "mcp-git"},
		"search": {Name: "search", URL: "https://mcp.example.com/mcp", Headers: map[string]string{"Authorization": "Bearer t"}, ConnectTimeoutSeconds: 2.5},
	}
	if diff := cmp.Diff(want, c.MCP.Servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
	c, err = Load(project(t, map[string]string{"langgraph.json": `{"mcp": {}}`}))
	if err != nil || c.MCP.Servers != nil {
		t.Errorf("empty mcp: %v, %v", c.MCP, err)
	}
}
