package models

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/anthropic"
	"github.com/agentgate/agentgate/llm/openai"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestInit(t *testing.T) {
	keys := envOf(map[string]string{"ANTHROPIC_API_KEY": "sk-ant-test", "OPENAI_API_KEY": "sk-test"})
	cases := []struct {
		spec    string
		env     func(string) string
		want    string // "echo", "anthropic", "openai"
		wantErr string
	}{
		{"echo", nil, "echo", ""},
		{" echo ", nil, "echo", ""},
		{"anthropic:claude-sonnet-4-5", keys, "anthropic", ""},
		{"openai:gpt-4.1-mini", keys, "openai", ""},
		{"claude-haiku-4-5", keys, "anthropic", ""},
		{"gpt-4o", keys, "openai", ""},
		{"o3-mini", keys, "openai", ""},
		{"o4-mini", keys, "openai", ""},
		{"o1", keys, "openai", ""},
		{"openai:llama3.1", envOf(map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}), "openai", ""},
		{"", keys, "", "no model named"},
		{"llama3", keys, "", `cannot tell the provider of "llama3"`},
		{"mistral:large", keys, "", `unknown provider "mistral"`},
		{"openai:", keys, "", "names no model"},
		{"anthropic:claude-sonnet-4-5", envOf(nil), "", "ANTHROPIC_API_KEY"},
		{"openai:gpt-4.1-mini", envOf(nil), "", "OPENAI_API_KEY"},
	}
	for _, c := range cases {
		m, err := Init(c.spec, c.env)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Init(%q) error = %v, want one containing %q", c.spec, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Init(%q): %v", c.spec, err)
			continue
		}
		got := ""
		switch m.(type) {
		case llm.Echo:
			got = "echo"
		case *anthropic.Model:
			got = "anthropic"
		case *openai.Model:
			got = "openai"
		}
		if got != c.want {
			t.Errorf("Init(%q) = %T, want %s", c.spec, m, c.want)
		}
	}
}

func TestUnknownSpecNamesAcceptedForms(t *testing.T) {
	_, err := Init("llama3", envOf(nil))
	for _, want := range []string{"provider:model", "anthropic:claude-sonnet-4-5", "openai:gpt-4.1-mini", "echo"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestDefault(t *testing.T) {
	cases := []struct {
		env       map[string]string
		spec, why string
	}{
		{nil, "echo", "no ANTHROPIC_API_KEY, OPENAI_API_KEY or AGENTGATE_MODEL set"},
		{map[string]string{"AGENTGATE_MODEL": "openai:gpt-4o", "ANTHROPIC_API_KEY": "k"}, "openai:gpt-4o", "AGENTGATE_MODEL is set"},
		{map[string]string{"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}, DefaultAnthropic, "ANTHROPIC_API_KEY is set"},
		{map[string]string{"OPENAI_API_KEY": "k"}, DefaultOpenAI, "OPENAI_API_KEY is set"},
		{map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1"}, DefaultOpenAI, "OPENAI_BASE_URL is set"},
	}
	for _, c := range cases {
		spec, why := Default(envOf(c.env))
		if spec != c.spec || !strings.HasPrefix(why, c.why) {
			t.Errorf("Default(%v) = %q, %q; want %q, %q", c.env, spec, why, c.spec, c.why)
		}
		for _, v := range c.env {
			if v == "k" && strings.Contains(why, "=k") {
				t.Errorf("reason %q shows a key", why)
			}
		}
	}
}

func TestRegistryCachesAndValidatesDefault(t *testing.T) {
	r, err := NewRegistry(envOf(map[string]string{"OPENAI_API_KEY": "sk-test"}))
	if err != nil {
		t.Fatal(err)
	}
	if spec, _ := r.Default(); spec != DefaultOpenAI {
		t.Errorf("default = %q", spec)
	}
	a, _ := r.Model("openai:gpt-4o")
	b, _ := r.Model("openai:gpt-4o")
	if a != b {
		t.Error("the same spec built two clients")
	}
	if d, _ := r.Model(""); d != any(r.cache[DefaultOpenAI]) {
		t.Error(`Model("") is not the default`)
	}
	if _, err := NewRegistry(envOf(map[string]string{"AGENTGATE_MODEL": "nope"})); err == nil || !strings.Contains(err.Error(), "AGENTGATE_MODEL") {
		t.Errorf("bad AGENTGATE_MODEL: %v", err)
	}
	if _, err := NewRegistry(envOf(map[string]string{"AGENTGATE_MODEL": "anthropic:claude-sonnet-4-5"})); err == nil || !strings.Contains(err.Error(), "ANTHROPIC_API_KEY") {
		t.Errorf("AGENTGATE_MODEL without its key: %v", err)
	}
	for i := range 2 * maxCached {
		if _, err := r.Model("openai:m" + strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.cache) > maxCached {
		t.Errorf("%d clients cached", len(r.cache))
	}
}

// runIn streams model once inside a node of a run with configurable conf.
func runIn(t *testing.T, conf map[string]any, model llm.ChatModel) (string, error) {
	t.Helper()
	var text string
	g, err := graph.New().AddChannel("messages", graph.Messages()).
		AddNode("n", func(ctx context.Context, s graph.State) (any, error) {
			msgs, _ := graph.ToMessages(s["messages"])
			reply, err := model.Stream(ctx, msgs, nil)
			text = reply.Text()
			return nil, err
		}).AddEdge(graph.START, "n").AddEdge("n", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Invoke(context.Background(), graph.State{"messages": "hi"}, graph.RunConfig{Configurable: conf})
	return text, err
}

func TestRunModelReadsConfigurable(t *testing.T) {
	r, err := NewRegistry(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	m := r.RunModel().BindTools([]llm.ToolSpec{{Name: "t"}}) // echo cannot call tools: ignored
	if got, err := runIn(t, nil, m); err != nil || got != "You said: hi" {
		t.Errorf("default: %q, %v", got, err)
	}
	if got, err := runIn(t, map[string]any{"model": "echo"}, m); err != nil || got != "You said: hi" {
		t.Errorf("echo: %q, %v", got, err)
	}
	if _, err := runIn(t, map[string]any{"model": "gpt-nokey"}, m); err == nil || !strings.Contains(err.Error(), "configurable.model") || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Errorf("no key: %v", err)
	}
	if _, err := runIn(t, map[string]any{"model": 3.0}, m); err == nil || !strings.Contains(err.Error(), "must be a string") {
		t.Errorf("number: %v", err)
	}
}
