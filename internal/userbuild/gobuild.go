package userbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// agentgateModule is the module every generated main imports (package cli).
const agentgateModule = "github.com/agentgate/agentgate"

// goBuild runs go build for the main package in mainDir, writing out.
//
// The generated main imports github.com/agentgate/agentgate/cli, which
// needs many more modules than the user's own packages do; `go mod tidy`
// never sees the main (it lives under .agentgate/, which ./... skips), so
// the user's go.sum usually lacks their entries. Rather than edit the
// user's go.mod and go.sum, the build reads copies under .agentgate/build
// (-modfile) that the go command may complete (-mod=mod). A workspace
// (go.work) or a vendor directory cannot use -modfile; they build in place.
func (b *Builder) goBuild(ctx context.Context, m Module, base, mainDir, out string) error {
	goBin := b.GoBin
	if goBin == "" {
		goBin = "go"
	}
	rel, err := filepath.Rel(m.Root, mainDir)
	if err != nil {
		return err
	}
	args := []string{"build", "-v", "-o", out}
	modDir := filepath.Join(base, "build")
	copied := false
	if mode, why := b.buildMode(ctx, goBin, m); mode == "" {
		if err := copyModFiles(m.Root, modDir); err != nil {
			return err
		}
		copied = true
		args = append(args, "-modfile", filepath.Join(modDir, "go.mod"), "-mod=mod")
	} else {
		b.logf("agentgate: %s: building with your go.mod as it is (%s)", m.Root, why)
	}
	args = append(args, "./"+filepath.ToSlash(rel))

	b.logf("agentgate: building your Go packages; the first build downloads modules and can take a few minutes")
	p := newProgress(b.Stderr, b.Quiet, b.Heartbeat)
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = m.Root
	cmd.Stdout = p
	cmd.Stderr = p
	start := time.Now()
	stop := p.run(start)
	err = cmd.Run()
	stop()
	if err != nil {
		text := p.errorText()
		return fmt.Errorf("building your graphs and auth failed (%v):\n%s%s", err, text, FetchHint(text))
	}
	if copied {
		if changed := changedModFiles(m.Root, modDir); changed != "" {
			b.logf("agentgate: your %s lacked entries the generated main needs (it imports %s/cli); the build completed copies in %s and left yours unchanged",
				changed, agentgateModule, modDir)
		}
	}
	return nil
}

// buildMode returns "" when the build can use -modfile, otherwise the
// mode to keep and why.
func (b *Builder) buildMode(ctx context.Context, goBin string, m Module) (mode, why string) {
	if _, err := os.Stat(filepath.Join(m.Root, "vendor", "modules.txt")); err == nil {
		return "vendor", "it vendors its dependencies"
	}
	cmd := exec.CommandContext(ctx, goBin, "env", "GOWORK")
	cmd.Dir = m.Root
	if out, err := cmd.Output(); err == nil {
		if w := strings.TrimSpace(string(out)); w != "" && w != "off" {
			return "workspace", "it is in the workspace " + w
		}
	}
	return "", ""
}

func (b *Builder) logf(format string, args ...any) {
	if b.Stderr != nil {
		fmt.Fprintf(b.Stderr, format+"\n", args...)
	}
}

// copyModFiles copies go.mod and go.sum (when present) from root to dir.
func copyModFiles(root, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) && name == "go.sum" {
			b, err = nil, nil
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// changedModFiles names the user's files whose copies in dir differ.
func changedModFiles(root, dir string) string {
	var changed []string
	for _, name := range []string{"go.mod", "go.sum"} {
		a, _ := os.ReadFile(filepath.Join(root, name))
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(a, b) {
			changed = append(changed, name)
		}
	}
	return strings.Join(changed, " and ")
}

// FetchHint explains go command output that failed to download the
// agentgate module (a development build's version is not on the module
// proxy): how to point go.mod at a local checkout. It is "" otherwise.
func FetchHint(out string) string {
	if !strings.Contains(out, agentgateModule+"@") && !strings.Contains(out, "module "+agentgateModule+":") {
		return ""
	}
	for _, s := range []string{"reading http", "not available", "unknown revision", "invalid version", "404", "410", "403", "cannot find module", "no matching versions"} {
		if strings.Contains(out, s) {
			return "\nhint: the go command cannot download " + agentgateModule + " at the version your go.mod requires " +
				"(development builds are not on the module proxy). Point your module at a local checkout:\n" +
				"\tgo mod edit -replace " + agentgateModule + "=/path/to/agentgate\n" +
				"(see \"Your Go code\" in docs/config.md)"
		}
	}
	return ""
}

// progress receives go build's output. It keeps all of it for errors and,
// once the build has run longer than quiet, streams it to w, printing a
// "still building" line whenever w has been silent for heartbeat.
type progress struct {
	w                io.Writer
	quiet, heartbeat time.Duration

	mu        sync.Mutex
	all       bytes.Buffer
	partial   []byte
	held      []string
	streaming bool
	pkgs      int    // packages go build -v named
	last      string // the last of them
	lastOut   time.Time
}

func newProgress(w io.Writer, quiet, heartbeat time.Duration) *progress {
	if quiet <= 0 {
		quiet = 3 * time.Second
	}
	if heartbeat <= 0 {
		heartbeat = 15 * time.Second
	}
	return &progress{w: w, quiet: quiet, heartbeat: heartbeat}
}

// isPackageLine reports whether a line is an import path that go build -v
// prints as it builds a package (its other lines all contain a space).
func isPackageLine(line string) bool {
	return line != "" && !strings.ContainsAny(line, " \t")
}

func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.all.Write(b)
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := string(p.partial[:i])
		p.partial = p.partial[i+1:]
		if isPackageLine(line) {
			p.pkgs++
			p.last = line
		}
		if p.streaming {
			p.emit(line)
		} else {
			p.held = append(p.held, line)
		}
	}
	return len(b), nil
}

// emit prints one line of build output; p.mu is held.
func (p *progress) emit(line string) {
	fmt.Fprintf(p.w, "  %s\n", line)
	p.lastOut = time.Now()
}

// run starts streaming after quiet and the heartbeat; stop ends both.
func (p *progress) run(start time.Time) (stop func()) {
	if p.w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			return
		case <-time.After(p.quiet):
		}
		p.mu.Lock()
		p.streaming = true
		fmt.Fprintf(p.w, "agentgate: go build is still running; its output follows\n")
		for _, l := range p.held {
			p.emit(l)
		}
		p.held = nil
		p.lastOut = time.Now()
		p.mu.Unlock()
		tick := time.NewTicker(p.heartbeat / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				p.mu.Lock()
				if now.Sub(p.lastOut) >= p.heartbeat {
					fmt.Fprintf(p.w, "agentgate: still building (%s elapsed; last package %s, %d so far)\n",
						now.Sub(start).Round(time.Second), orNone(p.last), p.pkgs)
					p.lastOut = now
				}
				p.mu.Unlock()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func orNone(s string) string {
	if s == "" {
		return "none yet"
	}
	return s
}

// errorText is the build output without go build -v's package lines.
func (p *progress) errorText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keep []string
	for _, l := range strings.Split(p.all.String(), "\n") {
		if !isPackageLine(l) && strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "go: downloading ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
