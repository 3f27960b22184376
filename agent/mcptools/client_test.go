package mcptools_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/agent"
	"github.com/agentgate/agentgate/agent/mcptools"
)

func connect(t *testing.T, cfg mcptools.ServerConfig) *mcptools.Client {
	t.Helper()
	c, err := mcptools.Connect(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func toolsByName(t *testing.T, c *mcptools.Client) map[string]agent.Tool {
	t.Helper()
	tools, err := c.Tools(context.Background())
	if err != nil {
		t.Fatalf("Tools: %v", err)
	}
	m := map[string]agent.Tool{}
	for _, tl := range tools {
		m[tl.Spec().Name] = tl
	}
	return m
}

func names(m map[string]agent.Tool) string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// transports runs f against the test server over both transports.
func transports(t *testing.T, f func(t *testing.T, c *mcptools.Client, prefix string)) {
	t.Run("http", func(t *testing.T) {
		ts := httpServer(t)
		f(t, connect(t, mcptools.ServerConfig{Name: "web", URL: ts.URL}), "web_")
	})
	t.Run("stdio", func(t *testing.T) {
		f(t, connect(t, stdioConfig(t, "local", "stdio")), "local_")
	})
}

func TestListTools(t *testing.T) {
	transports(t, func(t *testing.T, c *mcptools.Client, p string) {
		tools := toolsByName(t, c)
		want := strings.Join([]string{p + "add", p + "crash", p + "echo", p + "fail", p + "sleep"}, ",")
		if got := names(tools); got != want {
			t.Fatalf("tools = %s, want %s", got, want)
		}
		spec := tools[p+"add"].Spec()
		if spec.Description != "Adds two numbers." {
			t.Errorf("description = %q", spec.Description)
		}
		props, _ := spec.Parameters["properties"].(map[string]any)
		if spec.Parameters["type"] != "object" || props["a"] == nil || props["b"] == nil {
			t.Errorf("parameters = %v", spec.Parameters)
		}
		// Spec returns a copy.
		spec.Parameters["type"] = "changed"
		if tools[p+"add"].Spec().Parameters["type"] != "object" {
			t.Error("Spec shares its parameters")
		}
	})
}

func TestCallTool(t *testing.T) {
	transports(t, func(t *testing.T, c *mcptools.Client, p string) {
		tools := toolsByName(t, c)
		ctx := context.Background()
		out, err := tools[p+"add"].Call(ctx, map[string]any{"a": 2, "b": 40})
		if err != nil {
			t.Fatal(err)
		}
		raw, ok := out.(json.RawMessage)
		if !ok || string(raw) != `{"sum":42}` {
			t.Errorf("add = %#v, want structured JSON {\"sum\":42}", out)
		}
		out, err = tools[p+"echo"].Call(ctx, map[string]any{"text": "hi"})
		if err != nil || out != "echo:\nhi" {
			t.Errorf("echo = %#v, %v", out, err)
		}
	})
}

func TestErrorResult(t *testing.T) {
	transports(t, func(t *testing.T, c *mcptools.Client, p string) {
		_, err := toolsByName(t, c)[p+"fail"].Call(context.Background(), map[string]any{"text": "x"})
		var te *mcptools.ToolError
		if !errors.As(err, &te) || !strings.Contains(te.Message, "the disk is on fire") || te.Tool != "fail" {
			t.Fatalf("err = %#v, want a ToolError about the fire", err)
		}
		// Bad arguments are an error result too (the server validates them).
		_, err = toolsByName(t, c)[p+"add"].Call(context.Background(), map[string]any{"a": "two"})
		if !errors.As(err, &te) {
			t.Fatalf("bad arguments: err = %v, want a ToolError", err)
		}
	})
}

func TestCallTimeout(t *testing.T) {
	ts := httpServer(t)
	for _, cfg := range []mcptools.ServerConfig{{Name: "web", URL: ts.URL}, stdioConfig(t, "local", "stdio")} {
		cfg.CallTimeout = 200 * time.Millisecond
		c := connect(t, cfg)
		start := time.Now()
		_, err := toolsByName(t, c)[cfg.Name+"_sleep"].Call(context.Background(), map[string]any{"millis": 10000})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 200ms") {
			t.Errorf("%s: err = %v, want a timeout", cfg.Name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: the timeout took %v", cfg.Name, d)
		}
		// The session still works.
		if _, err := toolsByName(t, c)[cfg.Name+"_sleep"].Call(context.Background(), map[string]any{"millis": 1}); err != nil {
			t.Errorf("%s: after a timeout: %v", cfg.Name, err)
		}
	}
}

func TestCancel(t *testing.T) {
	transports(t, func(t *testing.T, c *mcptools.Client, p string) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := toolsByName(t, c)[p+"sleep"].Call(ctx, map[string]any{"millis": 2000})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("cancellation took %v", d)
		}
	})
}

func TestStdioServerExitsMidCall(t *testing.T) {
	c := connect(t, stdioConfig(t, "local", "stdio"))
	start := time.Now()
	_, err := toolsByName(t, c)["local_crash"].Call(context.Background(), map[string]any{"text": "x"})
	var me *mcptools.Error
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "the server process exited") {
		t.Fatalf("err = %v, want an *mcptools.Error saying the process exited", err)
	}
	if !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "crashing on purpose") {
		t.Errorf("err = %v, want the exit status and stderr", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if c.Alive() {
		t.Error("Alive after the server exited")
	}
	t.Log(err)
}

func TestHTTPServerGoneMidCall(t *testing.T) {
	ts := httpServer(t)
	c := connect(t, mcptools.ServerConfig{Name: "web", URL: ts.URL})
	sleep := toolsByName(t, c)["web_sleep"]
	time.AfterFunc(200*time.Millisecond, func() {
		ts.CloseClientConnections()
		ts.Close()
	})
	start := time.Now()
	_, err := sleep.Call(context.Background(), map[string]any{"millis": 10000})
	var me *mcptools.Error
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want an *mcptools.Error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	t.Log(err)
}

func TestConnectTimeout(t *testing.T) {
	cfg := stdioConfig(t, "mute", "mute")
	cfg.ConnectTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := mcptools.Connect(context.Background(), cfg)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `mcp server "mute": connect: timed out after 300ms`) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestConnectFails(t *testing.T) {
	_, err := mcptools.Connect(context.Background(), mcptools.ServerConfig{Name: "nope", Command: "/nonexistent/mcp-server"})
	if err == nil || !strings.Contains(err.Error(), `mcp server "nope": connect`) {
		t.Errorf("err = %v", err)
	}
	_, err = mcptools.Connect(context.Background(), mcptools.ServerConfig{Name: "bad", URL: "ftp://x"})
	if err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Errorf("err = %v", err)
	}
}
