package cli

import (
	"strings"
	"testing"

	"github.com/agentgate/agentgate/internal/fakeopenai"
)

func TestBuiltinModelLogLine(t *testing.T) {
	cfg := writeConfig(t, `{"graphs": {"chat": "builtin:chatbot", "agent": "builtin:agent"}}`)
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", cfg)
	body := `{"assistant_id": "agent", "input": {"messages": [{"type": "human", "content": "hi"}]}}`
	if code, _, res := call(t, "POST", r.url+"/runs/wait", body); code != 200 || !strings.Contains(res["messages"].([]any)[1].(map[string]any)["content"].(string), "You said: hi") {
		t.Errorf("echo agent: %d %v", code, res)
	}
	r.stop()
	const echoLine = "chatbot and agent model: echo (no ANTHROPIC_API_KEY, OPENAI_API_KEY or AGENTGATE_MODEL set)"
	if got := r.stderr.String(); strings.Count(got, " model: ") != 1 || !strings.Contains(got, echoLine) {
		t.Errorf("stderr without keys:\n%s", got)
	}

	fake := fakeopenai.New(t, fakeopenai.Reply{Text: "Hi from the fake."})
	r = start(t, map[string]string{"OPENAI_API_KEY": "sk-never-logged", "OPENAI_BASE_URL": fake.URL()},
		"dev", "--memory", "--port", "0", "--config", cfg)
	body = `{"assistant_id": "chat", "input": {"messages": [{"type": "human", "content": "hi"}]}, "config": {"configurable": {"model": "openai:gpt-fake"}}}`
	if code, _, res := call(t, "POST", r.url+"/runs/wait", body); code != 200 || !strings.Contains(res["messages"].([]any)[1].(map[string]any)["content"].(string), "Hi from the fake.") {
		t.Errorf("chatbot on the fake: %d %v", code, res)
	}
	r.stop()
	got := r.stderr.String()
	if !strings.Contains(got, "chatbot and agent model: openai:gpt-4.1-mini (OPENAI_API_KEY is set)") || strings.Contains(got, "sk-never-logged") {
		t.Errorf("stderr with a key:\n%s", got)
	}
	if reqs := fake.Requests(); len(reqs) != 1 || reqs[0]["model"] != "gpt-fake" {
		t.Errorf("fake requests: %v", reqs)
	}
}

func TestBuiltinBadDefaultModel(t *testing.T) {
	code, _, stderr := runSync(t, map[string]string{"AGENTGATE_MODEL": "llama3"},
		"dev", "--memory", "--port", "0", "--config", writeConfig(t, `{"graphs": {"chat": "builtin:chatbot"}}`))
	if code == 0 || !strings.Contains(stderr, "AGENTGATE_MODEL") || !strings.Contains(stderr, "provider:model") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
