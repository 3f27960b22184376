package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/engine"
)

// LANGGRAPH_CONFIG configures the graphs' system assistants (config, and
// context from its "context" key); an invalid value refuses the start.
func TestLangGraphConfigEnv(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {"agent": "builtin:chatbot"}}`)
	r := start(t, map[string]string{"LANGGRAPH_CONFIG": `{"agent": {"configurable": {"model": "m1"}, "context": {"user": "u"}}}`},
		"dev", "--memory", "--port", "0", "--config", dir)
	code, _, a := call(t, "GET", r.url+"/assistants/"+engine.SystemAssistantID("agent"), "")
	if code != 200 {
		t.Fatalf("GET system assistant = %d %v", code, a)
	}
	if got := fmt.Sprint(a["config"], a["context"]); got != "map[configurable:map[model:m1]] map[user:u]" {
		t.Errorf("system assistant config, context = %s", got)
	}
	for _, bad := range []string{`{"agent": `, `["agent"]`, `{"agent": 1}`, `{"agent": {"context": "x"}}`} {
		code, stdout, stderr := runSync(t, map[string]string{"LANGGRAPH_CONFIG": bad}, "dev", "--memory", "--port", "0", "--config", dir)
		if code != exitError || stdout != "" || !strings.Contains(stderr, "LANGGRAPH_CONFIG") {
			t.Errorf("LANGGRAPH_CONFIG=%s: exit %d, stdout %q, stderr %s", bad, code, stdout, stderr)
		}
	}
}
