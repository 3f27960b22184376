package userbuild

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the progress goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgressHoldsThenStreamsAndBeats(t *testing.T) {
	var w lockedBuffer
	p := newProgress(&w, 20*time.Millisecond, 30*time.Millisecond)
	stop := p.run(time.Now())
	p.Write([]byte("example.com/a\ngo: downloading example.com/b v1.0.0\n"))
	if w.String() != "" {
		t.Fatalf("printed before the quiet time: %q", w.String())
	}
	time.Sleep(150 * time.Millisecond)
	p.Write([]byte("example.com/c\n# example.com/c\nc.go:1:1: oops\n"))
	stop()
	out := w.String()
	for _, want := range []string{"its output follows", "  example.com/a\n", "  go: downloading example.com/b", "still building (", "elapsed; last package example.com/a, 1 so far)", "  example.com/c\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := p.errorText(); got != "# example.com/c\nc.go:1:1: oops" {
		t.Errorf("errorText = %q", got)
	}
}

func TestFetchHint(t *testing.T) {
	out := "go: github.com/agentgate/agentgate@v0.0.0-20260101000000-abcdef123456: reading https://proxy.golang.org/...: 404 Not Found"
	if h := FetchHint(out); !strings.Contains(h, "go mod edit -replace github.com/agentgate/agentgate=/path/to/agentgate") {
		t.Errorf("no hint for %q: %q", out, h)
	}
	if h := FetchHint("agent.go:3:1: undefined: x"); h != "" {
		t.Errorf("hint for a compile error: %q", h)
	}
}

// TestBuildCompletesMissingGoSum: a module that requires agentgate and was
// tidied has go.sum entries for its own imports only; the generated main
// imports package cli and still builds, and the user's files stay as they
// were.
func TestBuildCompletesMissingGoSum(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agentgate server")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPED: no go toolchain on PATH")
	}
	checkout, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module example.com/gosum\n\ngo 1.26\n\n"+
		"require github.com/agentgate/agentgate v0.0.0-00010101000000-000000000000\n\n"+
		"replace github.com/agentgate/agentgate => "+checkout+"\n")
	write(t, filepath.Join(root, "security/security.go"), `package security

import (
	"context"

	"github.com/agentgate/agentgate/auth"
	"github.com/google/uuid"
)

// Auth admits one token.
var Auth = auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
	if r.BearerToken() != "t-"+uuid.Nil.String() {
		return nil, auth.Unauthorized("no")
	}
	return &auth.User{Identity: "u"}, nil
})
`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tidy := exec.CommandContext(ctx, "go", "get", "github.com/google/uuid@v1.6.0")
	tidy.Dir = root
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go get: %v\n%s", err, out)
	}
	tidy = exec.CommandContext(ctx, "go", "mod", "tidy")
	tidy.Dir = root
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	gosum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	if !bytes.Contains(gosum, []byte("github.com/google/uuid")) || bytes.Contains(gosum, []byte("modernc.org/sqlite")) {
		t.Fatalf("the test module's go.sum is not the case under test:\n%s", gosum)
	}

	var log lockedBuffer
	b := Builder{Stderr: &log, Quiet: time.Millisecond}
	spec := Spec{ProjectDir: root, Auth: &Ref{Dir: filepath.Join(root, "security"), Symbol: "Auth"}}
	bin, built, err := b.Build(ctx, spec)
	if err != nil {
		t.Fatalf("build: %v\nlog:\n%s", err, log.String())
	}
	if !built {
		t.Fatal("first build reported a cache hit")
	}
	plain := exec.CommandContext(ctx, "go", "build", "-o", os.DevNull, "./.agentgate/main")
	plain.Dir = root
	if out, err := plain.CombinedOutput(); err == nil || !strings.Contains(string(out), "missing go.sum entry") {
		t.Errorf("a plain go build of the generated main should lack go.sum entries: %v\n%s", err, out)
	}
	if now, _ := os.ReadFile(filepath.Join(root, "go.mod")); !bytes.Equal(now, gomod) {
		t.Errorf("go.mod changed:\n%s", now)
	}
	if now, _ := os.ReadFile(filepath.Join(root, "go.sum")); !bytes.Equal(now, gosum) {
		t.Errorf("go.sum changed:\n%s", now)
	}
	logs := log.String()
	t.Logf("build log:\n%s", logs)
	for _, want := range []string{"building your Go packages; the first build downloads modules", "go build is still running", "  example.com/gosum/.agentgate/main\n", "left yours unchanged"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	out, err := exec.CommandContext(ctx, bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "agentgate ") {
		t.Errorf("built binary: %v %q", err, out)
	}
}
