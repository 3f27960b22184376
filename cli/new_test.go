package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/fakeopenai"
	"github.com/agentgate/agentgate/internal/testenv"
)

// runNewCmd runs "agentgate new args..." with a generous timeout (go mod
// tidy may download modules).
func runNewCmd(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code = run(ctx, Program{}, append([]string{"new"}, args...), env{stdout: &out, stderr: &errb, getenv: getenvFrom(vars)})
	return code, out.String(), errb.String()
}

func TestNewListAndRefusals(t *testing.T) {
	code, stdout, _ := runNewCmd(t, nil, "--list")
	for _, name := range []string{"chatbot ", "agent ", "custom-auth ", "secured-chatbot "} {
		if code != exitOK || !strings.Contains(stdout, name) {
			t.Errorf("--list: exit %d, lacks %q:\n%s", code, name, stdout)
		}
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(full, "notes.txt")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{full}, exitError, full + " is not empty (it holds notes.txt)"},
		{[]string{"--template", "custom-auth", full}, exitError, "is not empty"},
		{[]string{file}, exitError, "notes.txt"},
		{[]string{"--template", "nope", t.TempDir()}, exitUsage, `unknown template "nope"`},
		{nil, exitUsage, "want one directory, got 0 arguments"},
		{[]string{"a", "b"}, exitUsage, "want one directory, got 2 arguments"},
		{[]string{"--template", "custom-auth", "--agentgate-source", t.TempDir(), filepath.Join(t.TempDir(), "p")}, exitError, "is not inside a Go module"},
		{[]string{"--template", "custom-auth", "--agentgate-source", filepath.Join(testenv.ModuleRoot(t), "cli"), filepath.Join(t.TempDir(), "p")}, exitError, "is not a checkout of github.com/agentgate/agentgate"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runNewCmd(t, nil, tt.args...)
		if code != tt.code || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("new %q: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.args, code, stdout, stderr, tt.code, tt.want)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Errorf("the non-empty directory was written to: %q", b)
	}
}

func TestModVersionOf(t *testing.T) {
	bi := func(main, dep string) *debug.BuildInfo {
		b := &debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "(devel)"}}
		if main != "" {
			b.Main = debug.Module{Path: agentgateModule, Version: main}
		}
		if dep != "" {
			b.Deps = []*debug.Module{{Path: agentgateModule, Version: dep}}
		}
		return b
	}
	replaced := bi("", develVersion)
	replaced.Deps[0].Replace = &debug.Module{Path: "../agentgate"}
	tests := []struct {
		bi   *debug.BuildInfo
		want modVersion
	}{
		{nil, modVersion{version: develVersion, shown: "(devel)", devel: true}},
		{bi("(devel)", ""), modVersion{version: develVersion, shown: "(devel)", devel: true}},
		{bi("v1.2.3", ""), modVersion{version: "v1.2.3", shown: "v1.2.3", release: true}},
		{bi("v0.0.0-20260101120000-abcdef123456", ""), modVersion{version: "v0.0.0-20260101120000-abcdef123456", shown: "v0.0.0-20260101120000-abcdef123456"}},
		{bi("v1.2.4-0.20260101120000-abcdef123456+dirty", ""), modVersion{version: develVersion, shown: "v1.2.4-0.20260101120000-abcdef123456+dirty", devel: true}},
		{bi("", "v1.3.0"), modVersion{version: "v1.3.0", shown: "v1.3.0", release: true}},
		{replaced, modVersion{version: develVersion, shown: "(devel)", devel: true}},
		{bi(develVersion, ""), modVersion{version: develVersion, shown: develVersion, devel: true}},
	}
	for _, tt := range tests {
		if got := modVersionOf(tt.bi); got != tt.want {
			t.Errorf("modVersionOf = %+v, want %+v", got, tt.want)
		}
	}
}

// TestGoDirectiveMatchesGoMod: generated modules ask for agentgate's Go.
func TestGoDirectiveMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\ngo "+goDirective+"\n") {
		t.Errorf("go.mod's go line is not %q: update goDirective", goDirective)
	}
}

func TestNewDevelBuildWithoutCheckoutSaysWhatToDo(t *testing.T) {
	if !agentgateVersion().devel {
		t.Skip("this test binary has a module version")
	}
	dir := filepath.Join(t.TempDir(), "My Agent")
	code, stdout, stderr := runNewCmd(t, nil, dir, "--template", "agent")
	if code != exitOK || !strings.Contains(stdout, "Created "+dir+" from the agent template") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"development build", "go mod edit -replace github.com/agentgate/agentgate=/path/to/agentgate", "--agentgate-source"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.HasPrefix(string(gomod), "module my-agent\n") || !strings.Contains(string(gomod), "require github.com/agentgate/agentgate "+develVersion) ||
		strings.Contains(string(gomod), "replace") {
		t.Errorf("go.mod:\n%s", gomod)
	}
	for _, f := range []string{".gitignore", ".env.example", "langgraph.json", "tokens.json", "README.md", "myagent/agent.go", "myagent/agent_test.go"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

func TestNewSecuredChatbotStartsWithoutBuild(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bot")
	if code, _, stderr := runNewCmd(t, nil, "--template", "secured-chatbot", dir); code != exitOK || stderr != "" {
		t.Fatalf("new: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		t.Error("the no-code template wrote a go.mod")
	}
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", dir)
	checkOwnerIsolation(t, r.url, "alice-demo-token-not-secret", "bob-demo-token-not-secret")
	r.stop()
	if logs := r.stderr.String(); strings.Contains(logs, "building") {
		t.Errorf("the no-code template built something:\n%s", logs)
	}
}

// newGoProject runs "agentgate new --template name" pointed at this
// checkout, then "agentgate dev" on it the way the command does (build,
// exec), starting the project binary for real. It returns its URL.
func newGoProject(t *testing.T, name string, vars ...string) string {
	return newEditedGoProject(t, name, nil, vars...)
}

// newEditedGoProject is newGoProject calling edit (unless nil) on the new
// module's directory before it is tested, built and served.
func newEditedGoProject(t *testing.T, name string, edit func(dir string), vars ...string) string {
	if testing.Short() {
		t.Skip("builds a project binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPED: no go toolchain on PATH")
	}
	dir := filepath.Join(t.TempDir(), name)
	code, stdout, stderr := runNewCmd(t, map[string]string{"AGENTGATE_SOURCE": testenv.ModuleRoot(t)}, "--template", name, dir)
	if code != exitOK || !strings.Contains(stderr, "running go mod tidy") {
		t.Fatalf("new: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(gomod), "replace github.com/agentgate/agentgate => "+testenv.ModuleRoot(t)) {
		t.Errorf("go.mod lacks the replace directive:\n%s", gomod)
	}
	if edit != nil {
		edit(dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// go mod tidy left a go.sum that builds and tests the module as it is.
	vet := exec.CommandContext(ctx, "go", "test", "./...")
	vet.Dir = dir
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("go test ./... in the new module: %v\n%s", err, out)
	}

	var bin string
	var gotArgs []string
	var errb syncBuffer
	e := env{stdout: &bytes.Buffer{}, stderr: &errb, getenv: getenvFrom(nil),
		exec: func(b string, args []string) error { bin, gotArgs = b, args; return nil }}
	args := []string{"dev", "--memory", "--port", "0", "--config", dir}
	run(ctx, Program{}, args, e)
	if bin == "" || !strings.Contains(errb.String(), "building your Go packages; the first build downloads modules") {
		t.Fatalf("dev did not build and exec a project binary; stderr:\n%s", errb.String())
	}
	if strings.Contains(errb.String(), "lacked entries") {
		t.Errorf("the new module's go.sum was incomplete:\n%s", errb.String())
	}
	t.Logf("agentgate dev:\n%s", errb.String())
	var built bytes.Buffer
	e.stdout = &built
	if code := run(ctx, Program{}, []string{"build", "--config", dir}, e); code != exitOK || strings.TrimSpace(built.String()) != bin {
		t.Errorf("build: exit %d, printed %q, want %q", code, built.String(), bin)
	}

	// No model key from the machine: the echo model unless vars name one.
	url, _, _ := startBinary(t, bin, gotArgs, append([]string{"AGENTGATE_MODEL=", "OPENAI_API_KEY=", "ANTHROPIC_API_KEY="}, vars...)...)
	return url
}

func TestNewCustomAuthBuildsAndServes(t *testing.T) {
	url := newGoProject(t, "custom-auth")
	checkOwnerIsolation(t, url, "user1-token", "user2-token")
}

// runWait posts a stateless run of assistant with one user message as
// token's caller and returns the result's messages.
func runWait(t *testing.T, url, assistant, token, text string) []any {
	t.Helper()
	body := `{"assistant_id": "` + assistant + `", "input": {"messages": [{"role": "user", "content": "` + text + `"}]}}`
	if code, _, _ := call(t, "POST", url+"/runs/wait", body); code != 401 {
		t.Errorf("run without a token: %d, want 401", code)
	}
	code, _, res := call(t, "POST", url+"/runs/wait", body, bearer(token)...)
	if code != 200 {
		t.Fatalf("run: %d %v", code, res)
	}
	msgs, _ := res["messages"].([]any)
	return msgs
}

func TestNewChatbotAnswersWithTheCallersName(t *testing.T) {
	fake := fakeopenai.New(t, fakeopenai.Reply{Text: "Hello Alice!"})
	url := newGoProject(t, "chatbot", "OPENAI_API_KEY=test-key", "OPENAI_BASE_URL="+fake.URL())
	msgs := runWait(t, url, "chatbot", "alice-demo-token-not-secret", "hi")
	if len(msgs) != 2 {
		t.Fatalf("messages %v", msgs)
	}
	if last, _ := msgs[1].(map[string]any); last["content"] != "Hello Alice!" {
		t.Errorf("graph replied %v", last)
	}
	if got := fake.Messages(0); len(got) != 2 || got[0] != [2]string{"system", "You are talking to Alice."} {
		t.Errorf("the model was sent %v", got)
	}
}

func TestNewAgentCallsItsTool(t *testing.T) {
	fake := fakeopenai.New(t,
		fakeopenai.Reply{ToolCalls: []fakeopenai.ToolCall{{ID: "call_1", Name: "text_stats", Args: `{"text": "the quick brown fox"}`}}},
		fakeopenai.Reply{Text: "It has 4 words."})
	url := newGoProject(t, "agent", "OPENAI_API_KEY=test-key", "OPENAI_BASE_URL="+fake.URL())
	msgs := runWait(t, url, "agent", "alice-demo-token-not-secret", "count: the quick brown fox")
	if len(msgs) != 4 {
		t.Fatalf("messages %v", msgs)
	}
	if tool, _ := msgs[2].(map[string]any); tool["type"] != "tool" || tool["content"] != `{"words":4,"characters":19}` {
		t.Errorf("tool message %v", tool)
	}
	if last, _ := msgs[3].(map[string]any); last["content"] != "It has 4 words." {
		t.Errorf("answer %v", last)
	}
}
