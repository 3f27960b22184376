//go:build unix

package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/testenv"
)

// TestDevReloadsGoPackage: in a project made by "agentgate new" outside the
// checkout, editing the graph's Go source rebuilds and restarts the server
// on the same URL; an edit that does not compile keeps the last good
// server and prints the compiler's error.
func TestDevReloadsGoPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a project binary three times")
	}
	for _, k := range []string{"AGENTGATE_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"} {
		t.Setenv(k, "") // the echo model
	}
	dir := filepath.Join(t.TempDir(), "bot")
	if code, _, stderr := runNewCmd(t, map[string]string{"AGENTGATE_SOURCE": testenv.ModuleRoot(t)}, "--template", "chatbot", dir); code != exitOK {
		t.Fatalf("new: exit %d\n%s", code, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if code := run(ctx, Program{}, []string{"build", "--config", dir}, env{stdout: &syncBuffer{}, stderr: &syncBuffer{}, getenv: getenvFrom(nil)}); code != exitOK {
		t.Fatalf("build: exit %d", code)
	}
	r := startReloading(t, "dev", "--memory", "--port", "0", "--config", dir)
	reply := func() string {
		code, _, res := call(t, "POST", r.url+"/runs/wait",
			`{"assistant_id": "chatbot", "input": {"messages": [{"role": "user", "content": "hi"}]}}`,
			bearer("alice-demo-token-not-secret")...)
		msgs, _ := res["messages"].([]any)
		if code != 200 || len(msgs) != 2 {
			return ""
		}
		last, _ := msgs[1].(map[string]any)
		s, _ := last["content"].(string)
		return s
	}
	waitLong := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(3 * time.Minute); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("not within 3 minutes: %s; stderr:\n%s", what, r.stderr)
	}
	waitLong("the first answer", func() bool { return reply() == "You said: hi" })

	src := filepath.Join(dir, "chatbot", "chatbot.go")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "return Build(reg.RunModel())", "_ = reg\n\treturn Build(llm.Echo{Prefix: \"Edited: \"})", 1)
	if edited == string(b) {
		t.Fatal("the template's New changed: update this test")
	}
	writeFile(t, src, edited)
	waitLong("the edited graph answering", func() bool { return reply() == "Edited: hi" })

	writeFile(t, src, edited+"\nfunc broken( {\n")
	waitLong("the failed build reported", func() bool {
		s := r.stderr.String()
		return strings.Contains(s, "reload failed; still serving the previous version") && strings.Contains(s, "syntax error")
	})
	if got := reply(); got != "Edited: hi" {
		t.Errorf("after a broken edit the server answered %q, want the last good one", got)
	}
	if code := r.stop(); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, r.stderr)
	}
	assertGone(t, r.stderr.String())
}
