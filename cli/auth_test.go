package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
)

// tokenAuth is a tutorial-style Auth: a token table and owner filtering.
func tokenAuth() *auth.Auth {
	users := map[string]string{"tok-alice": "alice", "tok-bob": "bob"}
	return auth.New().
		Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
			id, ok := users[r.BearerToken()]
			if !ok {
				return nil, auth.Unauthorized("Invalid token")
			}
			return &auth.User{Identity: id}, nil
		}).
		On("threads", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			auth.SetMetadata(v, "owner", c.User.Identity)
			return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
		})
}

func echoGraph() (*graph.Graph, error) { return chatbot.New(llm.Echo{}) }

// list calls a route that answers a JSON array.
func list(t *testing.T, method, url, body string, hdr ...string) []map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s %s = %d, %v", method, url, resp.StatusCode, err)
	}
	return out
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// checkOwnerIsolation drives the tutorial flow: 401 without a token, a
// thread of the first user is 404 for the second and absent from their
// search.
func checkOwnerIsolation(t *testing.T, url, tokA, tokB string) {
	t.Helper()
	if code, h, _ := call(t, "POST", url+"/threads/search", `{}`); code != 401 || h.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: POST /threads/search = %d (WWW-Authenticate %q), want 401", code, h.Get("WWW-Authenticate"))
	}
	code, _, th := call(t, "POST", url+"/threads", `{"metadata": {"owner": "someone-else"}}`, bearer(tokA)...)
	if code != 200 {
		t.Fatalf("POST /threads as A = %d %v", code, th)
	}
	id := th["thread_id"].(string)
	if code, _, _ := call(t, "GET", url+"/threads/"+id, "", bearer(tokA)...); code != 200 {
		t.Errorf("A reads own thread: %d", code)
	}
	if code, _, _ := call(t, "GET", url+"/threads/"+id, "", bearer(tokB)...); code != 404 {
		t.Errorf("B reads A's thread: %d, want 404", code)
	}
	if code, _, _ := call(t, "DELETE", url+"/threads/"+id, "", bearer(tokB)...); code != 404 {
		t.Errorf("B deletes A's thread: %d, want 404", code)
	}
	if code, _, got := call(t, "POST", url+"/threads/count", `{}`, bearer(tokB)...); code != 200 {
		t.Errorf("B counts: %d %v", code, got)
	}
	if n := len(list(t, "POST", url+"/threads/search", `{}`, bearer(tokB)...)); n != 0 {
		t.Errorf("B's search shows %d threads, want 0", n)
	}
}

func TestLibraryModeProgram(t *testing.T) {
	t.Chdir(t.TempDir())
	p := Program{Graphs: map[string]any{"echo": echoGraph}, Auth: tokenAuth}
	r := startProgram(t, p, nil, "dev", "--memory", "--port", "0")
	checkOwnerIsolation(t, r.url, "tok-alice", "tok-bob")
	if got := list(t, "POST", r.url+"/assistants/search", `{"graph_id": "echo"}`, bearer("tok-alice")...); len(got) != 1 || got[0]["graph_id"] != "echo" {
		t.Errorf("the program's graph has no system assistant: %v", got)
	}
	if logs := r.stderr.String(); !strings.Contains(logs, "serving the program's graphs") || !strings.Contains(logs, "graphs=[echo]") || !strings.Contains(logs, `auth="program, studio admitted"`) {
		t.Errorf("startup log lacks graphs or auth:\n%s", logs)
	}
}

func TestProgramProvidesLangGraphJSONPackages(t *testing.T) {
	// The generated main's situation: langgraph.json names Go packages and
	// the Program carries them, so nothing is built.
	dir := writeConfig(t, `{"graphs": {"agent": "./agent:Graph", "chat": "builtin:chatbot"}, "auth": {"path": "./security:Auth", "cache": {"cache_keys": ["authorization"]}}}`)
	if err := os.Mkdir(filepath.Join(dir, "agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	g, err := echoGraph()
	if err != nil {
		t.Fatal(err)
	}
	p := Program{Graphs: map[string]any{"agent": g}, Auth: tokenAuth()}
	r := startProgram(t, p, nil, "dev", "--memory", "--port", "0", "--config", dir)
	checkOwnerIsolation(t, r.url, "tok-alice", "tok-bob")
	if logs := r.stderr.String(); strings.Contains(logs, "building") || !strings.Contains(logs, `graphs="[agent chat]"`) {
		t.Errorf("logs:\n%s", logs)
	}
}

func TestSecuredChatbotExample(t *testing.T) {
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", filepath.Join("..", "examples", "secured-chatbot"))
	alice, bob := "alice-demo-token-not-secret", "bob-demo-token-not-secret"
	checkOwnerIsolation(t, r.url, alice, bob)
	if code, _, _ := call(t, "PUT", r.url+"/store/items", `{"namespace": ["notes"], "key": "k", "value": {"v": 1}}`, bearer(alice)...); code != 204 && code != 200 {
		t.Fatalf("alice puts a store item: %d", code)
	}
	if code, _, got := call(t, "GET", r.url+"/store/items?namespace=notes&key=k", "", bearer(alice)...); code != 200 || got["value"] == nil {
		t.Errorf("alice reads her item: %d %v", code, got)
	}
	// A missing item reads as null (200), as in LangGraph.
	if code, _, got := call(t, "GET", r.url+"/store/items?namespace=notes&key=k", "", bearer(bob)...); code != 200 || got != nil {
		t.Errorf("bob reads alice's item: %d %v, want null", code, got)
	}
	if code, _, got := call(t, "GET", r.url+"/store/items?namespace=alice.notes&key=k", "", bearer(bob)...); code != 200 || got != nil {
		t.Errorf("bob reads alice's item by its full namespace: %d %v, want null", code, got)
	}
}

func TestStudioHeader(t *testing.T) {
	studio := []string{"X-Auth-Scheme", "langsmith"}
	cfg := writeConfig(t, `{"auth": {"path": "./security:Auth"}}`)
	disabled := writeConfig(t, `{"auth": {"path": "./security:Auth", "disable_studio_auth": true}}`)
	serveVars := func() map[string]string {
		return map[string]string{"AGENTGATE_ADDR": "127.0.0.1:0", "AGENTGATE_DATABASE": filepath.Join(t.TempDir(), "a.db")}
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want int
	}{
		{"dev admits studio", nil, []string{"dev", "--memory", "--port", "0", "--config", cfg}, 200},
		{"dev with disable_studio_auth", nil, []string{"dev", "--memory", "--port", "0", "--config", disabled}, 401},
		{"serve refuses studio", serveVars(), []string{"serve", "--config", cfg}, 401},
		{"serve --studio-auth", serveVars(), []string{"serve", "--studio-auth", "--config", cfg}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startProgram(t, Program{Auth: tokenAuth}, tt.vars, tt.args...)
			if code, _, body := call(t, "POST", r.url+"/threads/search", `{}`, studio...); code != tt.want {
				t.Errorf("studio header: POST /threads/search = %d %v, want %d", code, body, tt.want)
			}
			if code, _, _ := call(t, "POST", r.url+"/threads/search", `{}`); code != 401 {
				t.Errorf("no header: %d, want 401", code)
			}
		})
	}
}

func TestBrokenAuthRefusesToStart(t *testing.T) {
	noAuthenticate := func() *auth.Auth {
		return auth.New().On("threads", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil })
	}
	tests := []struct {
		name string
		prog Program
		cfg  string
		want string
	}{
		{"bad key", Program{}, writeConfig(t, `{"auth": {"authenticators": [{"type": "tokens", "files": "t.json"}]}}`),
			`auth.authenticators[0].files: unknown key`},
		{"policy without authenticator", Program{}, writeConfig(t, `{"auth": {"policy": "owner"}}`),
			`auth.policy: a policy needs an authenticator`},
		{"rules without authenticator", Program{}, writeConfig(t, `{"auth": {"rules": {"*": "true"}}}`),
			`auth.policy: a policy needs an authenticator`},
		{"auth without Authenticate", Program{Auth: noAuthenticate}, writeConfig(t, `{}`),
			`Program.Auth: the Auth has no Authenticate function`},
		{"auth.path without Authenticate", Program{Auth: noAuthenticate}, writeConfig(t, `{"auth": {"path": "./security:Auth"}}`),
			`auth.path "./security:Auth": the Auth has no Authenticate function`},
		{"policy overlaps a Go handler", Program{Auth: func() *auth.Auth {
			return tokenAuth().On("*", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil })
		}}, writeConfig(t, `{"auth": {"policy": "owner"}}`), `auth.policy: `},
		{"unreachable token file", Program{}, writeConfig(t, `{"auth": {"authenticators": [{"type": "tokens", "file": "missing.json"}]}}`),
			`auth.authenticators[0].file: open `},
		{"missing env", Program{}, writeConfig(t, `{"auth": {"authenticators": [{"type": "tokens", "env": "AGENTGATE_TEST_NO_SUCH_VAR"}]}}`),
			`auth.authenticators[0].env: environment variable AGENTGATE_TEST_NO_SUCH_VAR is not set`},
		{"cache alone", Program{}, writeConfig(t, `{"auth": {"cache": {"ttl_seconds": 5}}}`),
			`auth.cache: there is nothing to cache`},
		{"custom without Go auth", Program{}, writeConfig(t, `{"auth": {"authenticators": [{"type": "custom"}]}}`),
			`auth.authenticators[0]: type custom needs a Go Authenticate function`},
		{"duplicate handler", Program{Auth: func() *auth.Auth {
			return tokenAuth().On("threads", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil })
		}}, writeConfig(t, `{}`), `a handler for "threads" is already registered`},
		{"not an auth", Program{Auth: "./security:Auth"}, writeConfig(t, `{}`),
			`Program.Auth: a string is not an auth`},
		{"not a graph", Program{Graphs: map[string]any{"g": 42}}, writeConfig(t, `{}`),
			`Program.Graphs["g"]: a int is not a graph`},
		{"graph id twice", Program{Graphs: map[string]any{"chat": echoGraph}}, writeConfig(t, `{"graphs": {"chat": "builtin:chatbot"}}`),
			`graphs.chat: the program also defines graph "chat"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runProgram(t, tt.prog, nil, "dev", "--memory", "--port", "0", "--config", tt.cfg)
			if code != exitError || stdout != "" {
				t.Errorf("exit %d, stdout %q: the server must not start", code, stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			code, stdout, stderr = runProgram(t, tt.prog, nil, "auth", "check", "--config", tt.cfg)
			if code != exitError || !strings.Contains(stderr, tt.want) || strings.Contains(stdout, "ROUTE") {
				t.Errorf("auth check: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		})
	}
}

func TestTokensWithGoHandlersChain(t *testing.T) {
	// Built-in tokens first, then the Go Authenticate, with the Go
	// handlers kept and the owner preset refused next to them.
	dir := writeConfig(t, `{"auth": {"path": "./security:Auth", "authenticators": [{"type": "tokens", "header": "x-api-key", "file": "keys.json"}]}}`)
	if err := os.WriteFile(filepath.Join(dir, "keys.json"), []byte(`[{"token": "carol-api-key-0123456789", "identity": "carol"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startProgram(t, Program{Auth: tokenAuth}, nil, "dev", "--memory", "--port", "0", "--config", dir)
	checkOwnerIsolation(t, r.url, "tok-alice", "tok-bob")
	code, _, th := call(t, "POST", r.url+"/threads", `{}`, "X-Api-Key", "carol-api-key-0123456789")
	if code != 200 {
		t.Fatalf("carol by API key: %d %v", code, th)
	}
	if md, _ := th["metadata"].(map[string]any); md["owner"] != "carol" {
		t.Errorf("the Go handler did not stamp carol: %v", th["metadata"])
	}
}

func TestAuthCheckCommand(t *testing.T) {
	code, stdout, stderr := runSync(t, nil, "auth", "check", "--config", filepath.Join("..", "examples", "secured-chatbot"))
	if code != exitOK || !strings.Contains(stdout, "GET     /threads/{thread_id}") || !strings.Contains(stdout, "all ") ||
		!strings.Contains(stdout, "policy owner") {
		t.Errorf("secured chatbot: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runProgram(t, Program{Auth: tokenAuth}, nil, "auth", "check", "--config", writeConfig(t, `{}`))
	if code != exitOK || !strings.Contains(stdout, "threads:read") || !strings.Contains(stdout, "warning: ") ||
		!strings.Contains(stdout, "(none: allowed)") {
		t.Errorf("partly covered: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runSync(t, nil, "auth", "check", "--config", writeConfig(t, `{}`))
	if code != exitOK || !strings.Contains(stdout, "no authentication is configured") {
		t.Errorf("no auth: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := runSync(t, nil, "auth", "bogus"); code != exitUsage || !strings.Contains(stderr, "Usage: agentgate auth check") {
		t.Errorf("auth bogus: exit %d %s", code, stderr)
	}
}

// TestDevBuildsProjectBinary runs the generated-main path for real: a
// langgraph.json naming a Go auth package is built into a binary, which
// dev would exec; here the test starts it and checks that it enforces the
// package's auth.
func TestDevBuildsProjectBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain")
	}
	example := filepath.Join("..", "examples", "auth-part2-private")
	var gotBin string
	var gotArgs []string
	var errb bytes.Buffer
	e := env{stdout: &bytes.Buffer{}, stderr: &errb, getenv: getenvFrom(nil),
		exec: func(bin string, args []string) error { gotBin, gotArgs = bin, args; return nil }}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"dev", "--memory", "--port", "0", "--config", example}
	run(ctx, Program{}, args, e)
	if gotBin == "" || !strings.Contains(errb.String(), "building the project binary") {
		t.Fatalf("no project binary was exec'd; stderr:\n%s", errb.String())
	}
	if strings.Join(gotArgs, " ") != strings.Join(args, " ") {
		t.Errorf("exec args = %q, want %q", gotArgs, args)
	}
	var out bytes.Buffer
	e.stdout = &out
	if code := run(ctx, Program{}, []string{"build", "--config", example}, e); code != exitOK || strings.TrimSpace(out.String()) != gotBin {
		t.Errorf("build: exit %d, printed %q, want %q", code, out.String(), gotBin)
	}

	url, _, _ := startBinary(t, gotBin, args)
	checkOwnerIsolation(t, url, "user1-token", "user2-token")
}
