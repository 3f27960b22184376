package mcptools_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentgate/agentgate/agent/mcptools"
	"github.com/agentgate/agentgate/config"
)

func TestPoolSharesAndReconnects(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	clients := make([]*mcptools.Client, 4)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pool.Client(ctx, "local")
			if err != nil {
				t.Error(err)
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	for _, c := range clients[1:] {
		if c != clients[0] {
			t.Fatal("concurrent users got different sessions")
		}
	}
	tools, err := pool.Tools(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools {
		if tl.Spec().Name == "local_crash" {
			if _, err := tl.Call(ctx, map[string]any{"text": "x"}); err == nil {
				t.Fatal("crash did not fail")
			}
		}
	}
	c, err := pool.Client(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	if c == clients[0] || !c.Alive() {
		t.Fatal("the pool kept the session of a server that exited")
	}
	if _, err := pool.Tools(ctx, "local", "web"); err != nil {
		t.Fatal(err)
	}
	if err := pool.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := pool.Client(ctx, "web"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("after Close: %v", err)
	}
}

func TestPoolConnectFailureIsRetried(t *testing.T) {
	pool, err := mcptools.NewPool(mcptools.ServersConfig{"gone": {Command: "/nonexistent/server"}})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for range 2 {
		if _, err := pool.Tools(context.Background(), "gone"); err == nil || !strings.Contains(err.Error(), `mcp server "gone": connect`) {
			t.Errorf("err = %v", err)
		}
	}
}

func TestSelected(t *testing.T) {
	got, err := mcptools.Selected(map[string]any{"mcp_servers": []any{"a", "b", "a"}}, nil)
	if err != nil || strings.Join(got, ",") != "a,b" {
		t.Errorf("got %v, %v", got, err)
	}
	got, err = mcptools.Selected(map[string]any{"mcp_servers": []string{"x"}}, nil)
	if err != nil || strings.Join(got, ",") != "x" {
		t.Errorf("got %v, %v", got, err)
	}
	got, err = mcptools.Selected(nil, []string{"d"})
	if err != nil || strings.Join(got, ",") != "d" {
		t.Errorf("default: got %v, %v", got, err)
	}
	got, err = mcptools.Selected(map[string]any{"mcp_servers": []any{}}, []string{"d"})
	if err != nil || len(got) != 0 {
		t.Errorf("empty list: got %v, %v", got, err)
	}
	for _, bad := range []any{"a", 3, []any{1}, map[string]any{"command": "sh"}} {
		if _, err := mcptools.Selected(map[string]any{"mcp_servers": bad}, nil); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestServersConfigJSON(t *testing.T) {
	var c mcptools.ServersConfig
	err := c.UnmarshalJSON([]byte(`{
		"files": {"command": "mcp-files", "args": ["--root", "/data"], "env": {"A": "1"}, "call_timeout_seconds": 5},
		"search": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer t"}, "connect_timeout_seconds": 2.5}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	f, s := c["files"], c["search"]
	if f.Name != "files" || f.Command != "mcp-files" || len(f.Args) != 2 || f.Env["A"] != "1" || f.CallTimeout.Seconds() != 5 {
		t.Errorf("files = %+v", f)
	}
	if s.Name != "search" || s.URL == "" || s.Headers["Authorization"] != "Bearer t" || s.ConnectTimeout.Seconds() != 2.5 {
		t.Errorf("search = %+v", s)
	}
	for doc, want := range map[string]string{
		`{"a": {"command": "x", "url": "http://h"}}`: "not both",
		`{"a": {}}`:                                           "give a command",
		`{"a": {"command": "x", "cmd": "y"}}`:                 `unknown field "cmd"`,
		`{"a b": {"command": "x"}}`:                           "use 1-32 letters",
		`{"a": {"url": "file:///etc/passwd"}}`:                "not an http(s) URL",
		`{"a": {"url": "http://h", "args": ["x"]}}`:           "for command servers",
		`{"a": {"command": "x", "headers": {"A": "b"}}}`:      "for url servers",
		`{"a": {"command": "x", "call_timeout_seconds": -1}}`: "timeouts must be",
	} {
		var c mcptools.ServersConfig
		if err := c.UnmarshalJSON([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", doc, err, want)
		}
	}
}

func TestFromConfig(t *testing.T) {
	dir := t.TempDir()
	doc := `{"mcp": {"servers": {"web": {"url": "http://127.0.0.1:1/mcp", "call_timeout_seconds": 1.5}, "fs": {"command": "mcp-fs", "args": ["-r"]}}}}`
	if err := os.WriteFile(filepath.Join(dir, "langgraph.json"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	servers := mcptools.FromConfig(c)
	if err := servers.Validate(); err != nil {
		t.Fatal(err)
	}
	if w, f := servers["web"], servers["fs"]; w.Name != "web" || w.CallTimeout != 1500*time.Millisecond || f.Command != "mcp-fs" || f.Args[0] != "-r" {
		t.Errorf("servers = %+v", servers)
	}
	if len(mcptools.FromConfig(nil)) != 0 {
		t.Error("FromConfig(nil) is not empty")
	}
}
