package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe bytes.Buffer for stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runSync runs a command that is expected to return on its own.
func runSync(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runProgram(t, Program{}, vars, args...)
}

// runProgram is runSync with a Program.
func runProgram(t *testing.T, p Program, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code = run(ctx, p, args, env{stdout: &out, stderr: &errb, getenv: getenvFrom(vars)})
	return code, out.String(), errb.String()
}

// running is a server started in-process by run.
type running struct {
	url    string
	stdout string // everything printed on stdout
	stderr *syncBuffer
	stop   func() int // cancels and returns the exit code
}

// start runs a server command and waits for its listening line.
func start(t *testing.T, vars map[string]string, args ...string) *running {
	t.Helper()
	return startProgram(t, Program{}, vars, args...)
}

// startProgram is start with a Program (library mode).
func startProgram(t *testing.T, p Program, vars map[string]string, args ...string) *running {
	t.Helper()
	return startEnv(t, p, env{getenv: getenvFrom(vars)}, args...)
}

// startEnv is startProgram with e's getenv and child; it sets the streams.
func startEnv(t *testing.T, p Program, e env, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		e.stdout, e.stderr = pw, stderr
		done <- run(ctx, p, args, e)
		pw.Close()
	}()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	r := &running{stderr: stderr}
	var stopped bool
	var code int
	r.stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("server did not stop within 15s of cancel")
			}
		}
		return code
	}
	t.Cleanup(func() { r.stop() })
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("server exited before listening; stderr:\n%s", stderr)
		}
		r.stdout = line
		url, found := strings.CutPrefix(line, "agentgate listening on ")
		if !found {
			t.Fatalf("first stdout line = %q, want the listening line", line)
		}
		r.url = url
	case <-time.After(15 * time.Second):
		t.Fatalf("no listening line within 15s; stderr:\n%s", stderr)
	}
	go func() { // keep draining; anything more on stdout is a bug
		for l := range lines {
			stderr.Write([]byte("UNEXPECTED STDOUT: " + l + "\n"))
		}
	}()
	return r
}

// startBinary runs an agentgate binary (a project binary) with args and
// the extra environment vars, waits up to 30 s for its listening line and
// returns its URL, its process and its stderr. The process is killed at
// cleanup.
func startBinary(t *testing.T, bin string, args []string, vars ...string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), projectBinaryEnv+"="+bin), vars...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	serr := &syncBuffer{}
	cmd.Stderr = serr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		url, ok := strings.CutPrefix(strings.TrimSpace(line), "agentgate listening on ")
		if !ok {
			t.Fatalf("%s: first stdout %q; stderr:\n%s", bin, line, serr.String())
		}
		return url, cmd, serr
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30s; stderr:\n%s", bin, serr.String())
	}
	return "", nil, nil
}

func call(t *testing.T, method, url, body string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, resp.Header, m
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "langgraph.json"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDevMemoryServesAndStops(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {}, "python_version": "3.12"}`)
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", dir)
	if !strings.HasPrefix(r.url, "http://127.0.0.1:") || strings.HasSuffix(r.url, ":0") {
		t.Errorf("listening url = %q, want a kernel-chosen port on 127.0.0.1", r.url)
	}
	if code, _, body := call(t, "GET", r.url+"/ok", ""); code != 200 || body["ok"] != true {
		t.Fatalf("GET /ok = %d %v", code, body)
	}
	code, _, th := call(t, "POST", r.url+"/threads", `{"metadata": {"k": "v"}}`)
	if code != 200 {
		t.Fatalf("POST /threads = %d %v", code, th)
	}
	if code, _, _ := call(t, "GET", r.url+"/threads/"+th["thread_id"].(string), ""); code != 200 {
		t.Fatalf("GET thread = %d", code)
	}
	if code := r.stop(); code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, r.stderr)
	}
	logs := r.stderr.String()
	for _, want := range []string{"level=INFO", "store=memory", `key=python_version`, "shutting down", "msg=stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "UNEXPECTED STDOUT") {
		t.Errorf("more than one line on stdout:\n%s", logs)
	}
}

func TestDevSQLitePersistsAcrossRestarts(t *testing.T) {
	dir := writeConfig(t, `{}`)
	r := start(t, nil, "dev", "--port", "0", "--config", filepath.Join(dir, "langgraph.json"))
	code, _, th := call(t, "POST", r.url+"/threads", `{"metadata": {"n": 1}}`)
	if code != 200 {
		t.Fatalf("POST /threads = %d %v", code, th)
	}
	if code := r.stop(); code != exitOK {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".agentgate", "agentgate.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	r2 := start(t, nil, "dev", "--port", "0", "--config", dir)
	code, _, got := call(t, "GET", r2.url+"/threads/"+th["thread_id"].(string), "")
	if code != 200 || got["thread_id"] != th["thread_id"] {
		t.Fatalf("after restart GET thread = %d %v", code, got)
	}
}

func TestServeFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{
		"AGENTGATE_ADDR":       "127.0.0.1:0",
		"AGENTGATE_DATABASE":   filepath.Join(dir, "prod.db"),
		"AGENTGATE_LOG_FORMAT": "json",
	}
	r := start(t, vars, "serve", "--config", writeConfig(t, `{}`))
	if code, _, _ := call(t, "GET", r.url+"/ok?check_db=true", ""); code != 200 {
		t.Fatalf("GET /ok?check_db = %d", code)
	}
	r.stop()
	first, _, _ := strings.Cut(r.stderr.String(), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(first), &rec); err != nil || rec["msg"] == nil {
		t.Errorf("serve log line is not JSON: %q", first)
	}
	if _, err := os.Stat(vars["AGENTGATE_DATABASE"]); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestServeFlagsOverrideEnvironment(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"AGENTGATE_ADDR": "256.0.0.1:1", "AGENTGATE_LOG_FORMAT": "xml", "AGENTGATE_DATABASE": "postgres://x"}
	r := start(t, vars, "serve", "--addr", "127.0.0.1:0", "--log-format", "text",
		"--database", filepath.Join(dir, "a.db"), "--config", writeConfig(t, `{}`))
	r.stop()
	if !strings.Contains(r.stderr.String(), "level=INFO") {
		t.Errorf("want text logs:\n%s", r.stderr)
	}
}

func TestHTTPConfigReachesServer(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {"chatbot": "builtin:chatbot"},
		"http": {"disable_store": true, "disable_a2a": true, "disable_mcp": true, "cors": {"allow_origins": ["https://app.example"]}}}`)
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", dir)
	if code, _, _ := call(t, "GET", r.url+"/store/items?namespace=a&key=b", ""); code != 404 {
		t.Errorf("disabled store: GET /store/items = %d, want 404", code)
	}
	if code, _, _ := call(t, "POST", r.url+"/mcp", `{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}`,
		"Accept", "application/json, text/event-stream"); code != 404 {
		t.Errorf("disabled MCP: POST /mcp = %d, want 404", code)
	}
	if code, _, _ := call(t, "GET", r.url+"/.well-known/agent-card.json?assistant_id=chatbot", ""); code != 404 {
		t.Errorf("disabled A2A: agent card = %d, want 404", code)
	}
	if code, _, _ := call(t, "POST", r.url+"/a2a/chatbot", `{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"id":"x"}}`); code != 404 {
		t.Errorf("disabled A2A: POST /a2a/chatbot = %d, want 404", code)
	}
	if code, _, _ := call(t, "GET", r.url+"/assistants/chatbot", ""); code != 200 {
		t.Errorf("GET /assistants/chatbot = %d, want 200", code)
	}
	_, h, _ := call(t, "OPTIONS", r.url+"/threads", "",
		"Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	if got := h.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("preflight Access-Control-Allow-Origin = %q", got)
	}
	_, h, _ = call(t, "OPTIONS", r.url+"/threads", "",
		"Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if got := h.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("foreign origin got Access-Control-Allow-Origin %q", got)
	}
}

func TestExampleChatbotStarts(t *testing.T) {
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", filepath.Join("..", "examples", "chatbot"))
	req := `{"graph_id": "chatbot", "metadata": {"created_by": "system"}}`
	resp, err := http.Post(r.url+"/assistants/search", "application/json", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var found []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&found); err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0]["graph_id"] != "chatbot" || found[0]["name"] != "chatbot" {
		t.Fatalf("system assistants = %v, want the chatbot's", found)
	}
}

func TestDevWithoutDefaultConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	r := start(t, nil, "dev", "--memory", "--port", "0")
	r.stop()
	if !strings.Contains(r.stderr.String(), "running with no graphs") {
		t.Errorf("want a note about the missing langgraph.json:\n%s", r.stderr)
	}
}

func TestRefusesToStart(t *testing.T) {
	pkgDir := writeConfig(t, `{"graphs": {"agent": "./agent:Graph"}}`)
	if err := os.Mkdir(filepath.Join(pkgDir, "agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	noModule := writeConfig(t, `{"graphs": {"agent": "./agent:Graph"}}`)
	if err := os.Mkdir(filepath.Join(noModule, "agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	authDir := writeConfig(t, `{"auth": {"path": "./security:Auth"}}`)
	for _, d := range []string{pkgDir, authDir} {
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte("module example.com/p\n\ngo 1.26\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"unknown config key", nil, []string{"dev", "--memory", "--port", "0", "--config", writeConfig(t, `{"http": {"cors": {"allow_origin": []}}}`)},
			`http.cors: unknown key "allow_origin"`},
		{"explicit missing config", nil, []string{"dev", "--memory", "--port", "0", "--config", filepath.Join(tmp, "nope.json")},
			"nope.json: no such file"},
		{"go package graph without go files", nil, []string{"dev", "--memory", "--port", "0", "--config", pkgDir},
			`graphs.agent: package directory ` + filepath.Join(pkgDir, "agent") + ` has no Go files`},
		{"unknown builtin", nil, []string{"dev", "--memory", "--port", "0", "--config", writeConfig(t, `{"graphs": {"x": "builtin:nosuch"}}`)},
			`graphs.x: unknown built-in graph "nosuch"`},
		{"auth path missing dir", nil, []string{"dev", "--memory", "--port", "0", "--config", authDir},
			`auth.path: package directory ` + filepath.Join(authDir, "security") + `: open`},
		{"go package outside a module", nil, []string{"dev", "--memory", "--port", "0", "--config", noModule},
			`is not inside a Go module: Go graphs and auth need a go.mod`},
		{"studio auth string", nil, []string{"dev", "--memory", "--port", "0", "--config", writeConfig(t, `{"auth": {"disable_studio_auth": "true"}}`)},
			`auth.disable_studio_auth: expected a JSON boolean`},
		{"serve without database", nil, []string{"serve", "--addr", "127.0.0.1:0", "--config", writeConfig(t, `{}`)},
			"no database: set --database or AGENTGATE_DATABASE"},
		{"serve unreachable postgres", nil, []string{"serve", "--addr", "127.0.0.1:0", "--database", "postgres://u:secret@127.0.0.1:1/db", "--config", writeConfig(t, `{}`)},
			"--database postgres://u:xxxxx@127.0.0.1:1/db: postgres: "},
		{"serve unreachable postgres from env", map[string]string{"AGENTGATE_DATABASE": "postgresql://u@127.0.0.1:1/db"}, []string{"serve", "--addr", "127.0.0.1:0", "--config", writeConfig(t, `{}`)},
			"--database postgresql://u@127.0.0.1:1/db: postgres: "},
		{"serve other url", nil, []string{"serve", "--addr", "127.0.0.1:0", "--database", "mysql://x", "--config", writeConfig(t, `{}`)},
			`--database "mysql://x": want a SQLite file path or a postgres:// URL`},
		{"address in use", nil, []string{"dev", "--memory", "--port", port, "--config", writeConfig(t, `{}`)},
			"listen on 127.0.0.1:" + port},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runSync(t, tt.vars, tt.args...)
			if code != exitError {
				t.Errorf("exit code %d, want %d", code, exitError)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing (the server must not start)", stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "Usage:\n  agentgate <command>"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"dev", "--port", "70000"}, "--port 70000 is out of range"},
		{[]string{"dev", "--port", "x"}, `invalid value "x" for flag -port`},
		{[]string{"dev", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "--log-format", "xml"}, `log format "xml": want json or text`},
		{[]string{"serve", "--log-level", "loud"}, `log level "loud"`},
		{[]string{"version", "now"}, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		code, stdout, stderr := runSync(t, nil, tt.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.args, code, stdout, stderr, exitUsage, tt.want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"dev", "--help"}, {"serve", "-h"}, {"version", "--help"}, {"build", "--help"}, {"new", "--help"}, {"auth", "--help"}, {"auth", "check", "--help"}} {
		code, stdout, stderr := runSync(t, nil, args...)
		if code != exitOK || !strings.Contains(stdout, "Usage: agentgate") && !strings.Contains(stdout, "Usage:\n  agentgate") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	code, stdout, _ := runSync(t, nil, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "agentgate ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

// TestWebhookFlagsAndConfig: --allow-private-webhooks lets a run's webhook
// reach a loopback receiver; http.disable_webhooks turns webhooks off.
func TestWebhookFlagsAndConfig(t *testing.T) {
	got := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()
	body := `{"assistant_id": "chatbot", "input": {"messages": [{"type": "human", "content": "hi"}]}, "webhook": "` + hook.URL + `"}`

	r := start(t, nil, "dev", "--memory", "--port", "0", "--allow-private-webhooks",
		"--config", writeConfig(t, `{"graphs": {"chatbot": "builtin:chatbot"}}`))
	if code, _, res := call(t, "POST", r.url+"/runs/wait", body); code != 200 {
		t.Fatalf("runs/wait = %d %v", code, res)
	}
	select {
	case b := <-got:
		if !strings.Contains(b, `"status":"success"`) {
			t.Errorf("webhook body %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not called")
	}
	r.stop()

	r = start(t, nil, "dev", "--memory", "--port", "0", "--allow-private-webhooks",
		"--config", writeConfig(t, `{"graphs": {"chatbot": "builtin:chatbot"}, "http": {"disable_webhooks": true}}`))
	if code, _, res := call(t, "POST", r.url+"/runs/wait", body); code != 200 {
		t.Fatalf("runs/wait = %d %v", code, res)
	}
	r.stop() // waits for webhook calls in flight
	select {
	case b := <-got:
		t.Fatalf("disabled webhook called with %s", b)
	default:
	}
}
