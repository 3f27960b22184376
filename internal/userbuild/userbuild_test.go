package userbuild

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// project makes a self-contained module whose "cli" package prints what
// the generated main hands it.
func project(t *testing.T) (root string, spec Spec) {
	root = t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module \"example.com/proj\"\n\ngo 1.26\n")
	write(t, filepath.Join(root, "cli/cli.go"), `package cli

import ("fmt"; "sort")

type Program struct { Graphs map[string]any; Auth any; Encryption any }

func Main(p Program, args []string) int {
	ids := []string{}
	for id := range p.Graphs { ids = append(ids, id) }
	sort.Strings(ids)
	for _, id := range ids { fmt.Printf("%s=%v ", id, p.Graphs[id]) }
	fmt.Printf("auth=%v encryption=%v args=%v\n", p.Auth, p.Encryption, args)
	return 3
}
`)
	write(t, filepath.Join(root, "agent/agent.go"), "package agent\n\nvar Graph = \"agent-graph\"\nvar Other = \"other-graph\"\n")
	write(t, filepath.Join(root, "app/security/security.go"), "package security\n\nvar Auth = \"my-auth\"\n")
	write(t, filepath.Join(root, "app/crypt/crypt.go"), "package crypt\n\nvar Enc = \"my-encryption\"\n")
	proj := filepath.Join(root, "app")
	spec = Spec{
		ProjectDir: proj,
		Graphs: map[string]Ref{
			"agent": {Dir: filepath.Join(root, "agent"), Symbol: "Graph"},
			"other": {Dir: filepath.Join(root, "agent"), Symbol: "Other"},
		},
		Auth:       &Ref{Dir: filepath.Join(proj, "security"), Symbol: "Auth"},
		Encryption: &Ref{Dir: filepath.Join(proj, "crypt"), Symbol: "Enc"},
		CLIImport:  "example.com/proj/cli",
	}
	return root, spec
}

func TestFindModuleAndImportPath(t *testing.T) {
	root, spec := project(t)
	m, err := FindModule(spec.ProjectDir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Root != root || m.Path != "example.com/proj" {
		t.Fatalf("module = %+v", m)
	}
	if p, _ := m.ImportPath(filepath.Join(root, "app/security")); p != "example.com/proj/app/security" {
		t.Errorf("import path %q", p)
	}
	if _, err := m.ImportPath(filepath.Dir(root)); err == nil {
		t.Error("a directory outside the module got an import path")
	}
	if _, err := FindModule(t.TempDir()); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("no module: %v", err)
	}
}

func TestGenerateErrors(t *testing.T) {
	root, spec := project(t)
	m, _ := FindModule(root)
	bad := spec
	bad.Graphs = map[string]Ref{"agent": {Dir: filepath.Join(root, "agent"), Symbol: "graph"}}
	if _, err := Generate(m, bad); err == nil || !strings.Contains(err.Error(), "graphs.agent") || !strings.Contains(err.Error(), "exported") {
		t.Errorf("unexported symbol: %v", err)
	}
	bad.Graphs = map[string]Ref{"agent": {Dir: filepath.Join(root, "missing"), Symbol: "Graph"}}
	if _, err := Generate(m, bad); err == nil || !strings.Contains(err.Error(), "graphs.agent") {
		t.Errorf("missing dir: %v", err)
	}
	bad = spec
	bad.Encryption = &Ref{Dir: filepath.Join(root, "app/crypt"), Symbol: "enc"}
	if _, err := Generate(m, bad); err == nil || !strings.Contains(err.Error(), "encryption.path") {
		t.Errorf("unexported encryption: %v", err)
	}
	src, err := Generate(m, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "Encryption: p") {
		t.Errorf("the main does not pass the encryption:\n%s", src)
	}
	if strings.Count(string(src), "example.com/proj/agent\"") != 1 {
		t.Errorf("the shared package should be imported once:\n%s", src)
	}
	if strings.Contains(string(src), "HTTP:") {
		t.Errorf("HTTP without http.app:\n%s", src)
	}
}

func TestGenerateHTTPApp(t *testing.T) {
	root, spec := project(t)
	m, _ := FindModule(root)
	write(t, filepath.Join(root, "app/webapp/webapp.go"), "package webapp\n\nvar Routes = 1\n")
	spec.HTTP = &Ref{Dir: filepath.Join(spec.ProjectDir, "webapp"), Symbol: "Routes"}
	src, err := Generate(m, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "\"example.com/proj/app/webapp\"") || !regexp.MustCompile(`HTTP:\s+p2\.Routes,`).Match(src) {
		t.Errorf("generated main:\n%s", src)
	}
	spec.HTTP.Symbol = "routes"
	if _, err := Generate(m, spec); err == nil || !strings.Contains(err.Error(), "http.app") {
		t.Errorf("unexported http.app: %v", err)
	}
}

func TestBuildRunsCachesAndRebuilds(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPED: no go toolchain on PATH")
	}
	root, spec := project(t)
	ctx := context.Background()
	var b Builder
	bin, built, err := b.Build(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !built {
		t.Fatal("first build reported a cache hit")
	}
	out, err := exec.Command(bin, "dev", "--port", "0").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("binary exit: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "agent=agent-graph other=other-graph auth=my-auth encryption=my-encryption args=[dev --port 0]" {
		t.Errorf("binary printed %q", got)
	}
	bin2, built, err := b.Build(ctx, spec)
	if err != nil || built || bin2 != bin {
		t.Fatalf("unchanged sources rebuilt: built=%v %s vs %s err=%v", built, bin2, bin, err)
	}
	write(t, filepath.Join(root, "agent/agent_test.go"), "package agent\n")
	if _, built, _ := b.Build(ctx, spec); built {
		t.Error("a test file change caused a rebuild")
	}
	write(t, filepath.Join(root, "agent/agent.go"), "package agent\n\nvar Graph = \"changed\"\nvar Other = 1\n")
	bin3, built, err := b.Build(ctx, spec)
	if err != nil || !built || bin3 == bin {
		t.Fatalf("changed sources not rebuilt: built=%v err=%v", built, err)
	}
	if out, _ := exec.Command(bin3).CombinedOutput(); !strings.Contains(string(out), "agent=changed") {
		t.Errorf("rebuilt binary printed %q", out)
	}
}

func TestBuildReportsCompileErrors(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPED: no go toolchain on PATH")
	}
	_, spec := project(t)
	spec.Graphs["agent"] = Ref{Dir: spec.Graphs["agent"].Dir, Symbol: "Missing"}
	_, _, err := (&Builder{}).Build(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "Missing") || !strings.Contains(err.Error(), "building your graphs and auth failed") {
		t.Fatalf("compile error not reported clearly: %v", err)
	}
}
