//go:build unix

package cli

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testChildEnv makes the test binary run cli.Main (see TestMain): it stands
// in for the agentgate executable as a reloading dev's server process.
const testChildEnv = "AGENTGATE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(testChildEnv) == "1" {
		p := Program{}
		p.Graphs = map[string]any{}
		if os.Getenv(testSlowGraphEnv) == "1" {
			p.Graphs["slow"] = slowGraph
		}
		if u := os.Getenv(testChaosEnv); u != "" {
			p.Graphs["chaos"] = chaosGraph(u)
		}
		os.Exit(Main(p, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// testChild runs this test binary as agentgate.
func testChild(args []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), testChildEnv+"=1")
	return cmd
}

// startReloading starts "agentgate dev" with server processes.
func startReloading(t *testing.T, args ...string) *running {
	t.Helper()
	return startEnv(t, Program{}, env{getenv: getenvFrom(nil), child: testChild}, args...)
}

// graphCount is how many assistants of graph id the server lists.
func graphCount(t *testing.T, url, id string) int {
	t.Helper()
	return len(list(t, "POST", url+"/assistants/search", `{"graph_id": "`+id+`"}`))
}

// servedGraphs is graphCount while a reload may be under way: a request
// the replaced server cuts as it stops counts as -1 (the poll asks again).
func servedGraphs(url, id string) int {
	resp, err := http.Post(url+"/assistants/search", "application/json", strings.NewReader(`{"graph_id": "`+id+`"}`))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var out []map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return -1
	}
	return len(out)
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool, r *running) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("not within 10s: %s; stderr:\n%s", what, r.stderr)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDevReloadsOnConfigChange: an edited langgraph.json restarts the server
// on the same URL; an invalid one keeps the last good server and says why;
// stopping dev leaves no server process behind.
func TestDevReloadsOnConfigChange(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {"a": "builtin:chatbot"}}`)
	file := filepath.Join(dir, "langgraph.json")
	r := startReloading(t, "dev", "--port", "0", "--config", dir)
	if n := graphCount(t, r.url, "a"); n != 1 {
		t.Fatalf("assistants of graph a = %d, want 1", n)
	}

	writeFile(t, file, `{"graphs": {"a": "builtin:chatbot", "b": "builtin:chatbot"}}`)
	waitFor(t, "graph b served after editing langgraph.json", func() bool { return servedGraphs(r.url, "b") == 1 }, r)
	waitFor(t, "reload finished", func() bool { return strings.Contains(r.stderr.String(), "msg=reloaded") }, r)
	if n := graphCount(t, r.url, "a"); n != 1 {
		t.Errorf("after reload, assistants of graph a = %d, want 1", n)
	}

	writeFile(t, file, `{"graphs": {"a": "builtin:chatbot",`)
	waitFor(t, "reload failure logged", func() bool {
		return strings.Contains(r.stderr.String(), "reload failed; still serving the previous version") &&
			strings.Contains(r.stderr.String(), "invalid JSON")
	}, r)
	if n := graphCount(t, r.url, "b"); n != 1 {
		t.Errorf("after a bad config, assistants of graph b = %d, want the last good server (1)", n)
	}

	if code := r.stop(); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, r.stderr)
	}
	logs := r.stderr.String()
	for _, want := range []string{"msg=\"reloading on changes\"", "msg=\"change detected; reloading\"", "msg=reloaded",
		"langgraph.json", "agentgate dev: "} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "UNEXPECTED STDOUT") {
		t.Errorf("more than one line on stdout:\n%s", logs)
	}
	assertGone(t, logs)
	t.Logf("stderr:\n%s", logs)
}

// TestDevNoReload: with --no-reload an edit changes nothing.
func TestDevNoReload(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {"a": "builtin:chatbot"}}`)
	r := startReloading(t, "dev", "--memory", "--no-reload", "--port", "0", "--config", dir)
	writeFile(t, filepath.Join(dir, "langgraph.json"), `{"graphs": {"a": "builtin:chatbot", "b": "builtin:chatbot"}}`)
	time.Sleep(3 * reloadPoll)
	if n := graphCount(t, r.url, "b"); n != 0 {
		t.Errorf("--no-reload: assistants of graph b = %d, want 0", n)
	}
	r.stop()
	if logs := r.stderr.String(); strings.Contains(logs, "reload") {
		t.Errorf("--no-reload logged a reload:\n%s", logs)
	}
}

// assertGone checks that every server process named in the logs (pid=N)
// has exited.
func assertGone(t *testing.T, logs string) {
	t.Helper()
	ms := regexp.MustCompile(`pid=(\d+)`).FindAllStringSubmatch(logs, -1)
	if len(ms) == 0 {
		t.Fatalf("no pid in the logs:\n%s", logs)
	}
	for _, m := range ms {
		pid, _ := strconv.Atoi(m[1])
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("server process %d still exists after stop (kill 0: %v)", pid, err)
		}
	}
}

// TestReloadOnlyInDev: serve, --no-reload and a server process never
// supervise.
func TestReloadOnlyInDev(t *testing.T) {
	e := env{getenv: getenvFrom(nil), child: testChild}
	child := env{getenv: getenvFrom(map[string]string{listenFDEnv: "3"}), child: testChild}
	for _, c := range []struct {
		f    serverFlags
		e    env
		want bool
	}{
		{serverFlags{mode: "dev"}, e, true},
		{serverFlags{mode: "serve"}, e, false},
		{serverFlags{mode: "dev", noReload: true}, e, false},
		{serverFlags{mode: "dev"}, child, false},
		{serverFlags{mode: "dev"}, env{getenv: getenvFrom(nil)}, false},
	} {
		if got := reloads(c.f, c.e); got != c.want {
			t.Errorf("reloads(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
}
