package cli

import (
	"strings"
	"testing"

	"github.com/agentgate/agentgate/internal/testenv"
)

// TestServePostgres: `serve --database postgres://...` keeps threads across
// restarts in Postgres (AGENTGATE_TEST_POSTGRES_URL).
func TestServePostgres(t *testing.T) {
	db := testenv.PostgresURL(t)
	cfg := writeConfig(t, `{"graphs": {"chatbot": "builtin:chatbot"}}`)
	r := start(t, nil, "serve", "--addr", "127.0.0.1:0", "--database", db, "--config", cfg)
	code, _, th := call(t, "POST", r.url+"/threads", `{"metadata": {"test": "serve-postgres"}}`)
	if code != 200 {
		t.Fatalf("create thread: %d %v", code, th)
	}
	id := th["thread_id"].(string)
	code, _, out := call(t, "POST", r.url+"/threads/"+id+"/runs/wait", `{"assistant_id": "chatbot", "input": {"messages": [{"role": "user", "content": "hi"}]}}`)
	if code != 200 {
		t.Fatalf("run: %d %v", code, out)
	}
	if c := r.stop(); c != 0 {
		t.Fatalf("exit %d:\n%s", c, r.stderr)
	}
	if !strings.Contains(r.stderr.String(), `"store":"postgres postgres://`) {
		t.Errorf("startup log does not name the Postgres store:\n%s", r.stderr)
	}
	r = start(t, nil, "serve", "--addr", "127.0.0.1:0", "--database", db, "--config", cfg)
	code, _, got := call(t, "GET", r.url+"/threads/"+id+"/state", "")
	if code != 200 {
		t.Fatalf("after restart: %d %v", code, got)
	}
	msgs, _ := got["values"].(map[string]any)["messages"].([]any)
	if len(msgs) != 2 {
		t.Errorf("state after restart: %v", got)
	}
}

func TestServePostgresHidesPassword(t *testing.T) {
	code, stdout, stderr := runSync(t, nil, "serve", "--addr", "127.0.0.1:0", "--database", "postgres://u:hunter2@127.0.0.1:1/db", "--config", writeConfig(t, `{}`))
	if code == 0 || stdout != "" || strings.Contains(stderr, "hunter2") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
