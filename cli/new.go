package cli

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/agentgate/agentgate/internal/userbuild"
)

// templateFiles holds the layers of the project templates, one directory
// each. Files ending in .tmpl are rendered with newData; "gitignore" and
// "env.example" get their leading dot (embed skips dot files).
//
//go:embed templates
var templateFiles embed.FS

// projectTemplate is one template of "agentgate new": layers are copied in
// order (shared files live in their own layer).
type projectTemplate struct {
	name, description string
	layers            []string
}

// goModule reports whether the template has a go.mod requiring agentgate.
func (t projectTemplate) goModule() bool { return slices.Contains(t.layers, "gomod") }

func projectTemplates() []projectTemplate {
	return []projectTemplate{
		{"chatbot", "a Go module with your own chatbot graph on a real model (streams tokens), behind bearer tokens and the owner policy",
			[]string{"base", "gomod", "tokens", "chatbot-graph", "chatbot"}},
		{"agent", "a Go module with your own ReAct agent and Go tools on a real model, behind bearer tokens and the owner policy",
			[]string{"base", "gomod", "tokens", "agent"}},
		{"custom-auth", "a Go module with your own Authenticate and owner authorization (auth.path) guarding a chatbot graph",
			[]string{"base", "gomod", "chatbot-graph", "custom-auth"}},
		{"secured-chatbot", "no code: the built-in chatbot behind bearer tokens and the owner policy (starts without a build)",
			[]string{"base", "tokens", "secured-chatbot"}},
	}
}

// goDirective is the go line of generated go.mod files: agentgate's own.
const goDirective = "1.26.0"

// newData is what .tmpl files see.
type newData struct {
	Module, GoVersion, Version, Replace string
}

const newUsage = `Usage: agentgate new [--template NAME] [flags] DIR

Create a project in DIR (which must not exist or be empty) from a template
built into agentgate. "agentgate new --list" lists the templates; the
default is chatbot.

Templates with Go code get a go.mod requiring github.com/agentgate/agentgate
at this binary's version, and agentgate runs "go mod tidy" there. A
development build of agentgate is not on the module proxy: pass
--agentgate-source (or set AGENTGATE_SOURCE) to your agentgate checkout, and
go.mod gets a replace directive pointing at it.

Flags:
`

// runNew is "agentgate new".
func runNew(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("new", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	name := fs.String("template", "chatbot", "template `name` (see --list)")
	list := fs.Bool("list", false, "list the templates and exit")
	module := fs.String("module", "", "module `path` of a Go template's go.mod (default: DIR's base name)")
	source := fs.String("agentgate-source", strings.TrimSpace(e.getenv("AGENTGATE_SOURCE")),
		"`path` of a local agentgate checkout for go.mod's replace directive (env AGENTGATE_SOURCE)")
	noTidy := fs.Bool("no-tidy", false, "do not run go mod tidy in a Go template's module")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), newUsage)
		fs.PrintDefaults()
	}
	pos, code, done := parseInterspersed(fs, args, e)
	if done {
		return code
	}
	if *list {
		for _, t := range projectTemplates() {
			fmt.Fprintf(e.stdout, "%-16s %s\n", t.name, t.description)
		}
		return exitOK
	}
	if len(pos) != 1 {
		fmt.Fprintf(e.stderr, "agentgate new: want one directory, got %d arguments\n\n", len(pos))
		fs.Usage()
		return exitUsage
	}
	var tmpl *projectTemplate
	for _, t := range projectTemplates() {
		if t.name == *name {
			tmpl = &t
		}
	}
	if tmpl == nil {
		fmt.Fprintf(e.stderr, "agentgate new: unknown template %q; \"agentgate new --list\" lists them\n", *name)
		return exitUsage
	}
	dir, err := filepath.Abs(pos[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "agentgate new: %v\n", err)
		return exitError
	}
	if err := checkEmptyDir(dir); err != nil {
		fmt.Fprintf(e.stderr, "agentgate new: %v\n", err)
		return exitError
	}
	data := newData{GoVersion: goDirective}
	mv := agentgateVersion()
	if tmpl.goModule() {
		data.Module = *module
		if data.Module == "" {
			data.Module = moduleFromDir(dir)
		}
		if strings.ContainsAny(data.Module, " \t\n\"'`\\") {
			fmt.Fprintf(e.stderr, "agentgate new: --module %q is not a module path\n", data.Module)
			return exitUsage
		}
		data.Version = mv.version
		if *source != "" {
			if data.Replace, err = checkoutPath(*source); err != nil {
				fmt.Fprintf(e.stderr, "agentgate new: --agentgate-source (or AGENTGATE_SOURCE): %v\n", err)
				return exitError
			}
		}
	}
	if err := writeTemplate(tmpl.layers, dir, data); err != nil {
		fmt.Fprintf(e.stderr, "agentgate new: %v\n", err)
		return exitError
	}
	code = exitOK
	if tmpl.goModule() {
		code = finishModule(ctx, dir, data, mv, *noTidy, e)
	}
	fmt.Fprintf(e.stdout, "Created %s from the %s template.\n\nNext:\n  cd %s\n  agentgate dev\n\nSee %s for requests to try.\n",
		dir, tmpl.name, pos[0], filepath.Join(pos[0], "README.md"))
	return code
}

// finishModule runs go mod tidy in a new Go module when its agentgate
// requirement can be resolved, and otherwise says what to do.
func finishModule(ctx context.Context, dir string, data newData, mv modVersion, noTidy bool, e env) int {
	fix := fmt.Sprintf("  cd %s\n  go mod edit -replace %s=/path/to/agentgate\n  go mod tidy\n", dir, agentgateModule)
	if data.Replace == "" && mv.devel {
		fmt.Fprintf(e.stderr, "agentgate new: this agentgate is a development build (version %s) that the Go module proxy cannot serve,\n"+
			"so %s cannot download %s yet. Point it at your agentgate checkout:\n%s"+
			"(or create the project again with --agentgate-source /path/to/agentgate, or AGENTGATE_SOURCE set)\n",
			mv.shown, filepath.Join(dir, "go.mod"), agentgateModule, fix)
		return exitOK
	}
	if noTidy {
		fmt.Fprintf(e.stderr, "agentgate new: --no-tidy: run \"go mod tidy\" in %s before building\n", dir)
		return exitOK
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintf(e.stderr, "agentgate new: no go command on PATH: install Go %s or later, then run \"go mod tidy\" in %s\n", goDirective, dir)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "agentgate new: running go mod tidy in %s (the first run downloads modules and can take a minute)\n", dir)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, goBin, "mod", "tidy")
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(&out, e.stderr)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(e.stderr, "agentgate new: go mod tidy failed (%v); the project is written but does not build yet.\n", err)
		if h := userbuild.FetchHint(out.String()); h != "" || data.Replace == "" && !mv.release {
			fmt.Fprintf(e.stderr, "%s is not on the module proxy at %s. Point the project at your agentgate checkout:\n%s",
				agentgateModule, data.Version, fix)
		} else {
			fmt.Fprintf(e.stderr, "Fix the error above, then run \"go mod tidy\" in %s.\n", dir)
		}
		return exitError
	}
	return exitOK
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string, e env) (pos []string, code int, done bool) {
	for {
		if code, done := parseOnce(fs, args, e); done {
			return nil, code, true
		}
		if fs.NArg() == 0 {
			return pos, exitOK, false
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// checkEmptyDir refuses a dir that holds anything, or is not a directory.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty (it holds %s): choose a new or empty directory", dir, entries[0].Name())
	}
	return nil
}

// moduleFromDir makes a module path from dir's base name.
func moduleFromDir(dir string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(filepath.Base(dir)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '~':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if m := strings.Trim(b.String(), "-._~"); m != "" {
		return m
	}
	return "agent"
}

// checkoutPath returns the absolute path of an agentgate checkout.
func checkoutPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	m, err := userbuild.FindModule(abs)
	if err != nil {
		return "", err
	}
	if m.Root != abs || m.Path != agentgateModule {
		return "", fmt.Errorf("%s is not a checkout of %s (want the directory whose go.mod says \"module %s\")", abs, agentgateModule, agentgateModule)
	}
	return abs, nil
}

// writeTemplate copies the template layers into dir, in order.
func writeTemplate(layers []string, dir string, data newData) error {
	for _, l := range layers {
		if err := writeLayer(l, dir, data); err != nil {
			return err
		}
	}
	return nil
}

// writeLayer copies one template layer into dir.
func writeLayer(name, dir string, data newData) error {
	root := path.Join("templates", name)
	return fs.WalkDir(templateFiles, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := templateFiles.ReadFile(p)
		if err != nil {
			return err
		}
		if t, ok := strings.CutSuffix(target, ".tmpl"); ok {
			target = t
			var buf bytes.Buffer
			tt, err := template.New(rel).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return err
			}
			if err := tt.Execute(&buf, data); err != nil {
				return err
			}
			b = buf.Bytes()
		}
		if base := filepath.Base(target); base == "gitignore" || base == "env.example" {
			target = filepath.Join(filepath.Dir(target), "."+base)
		}
		return os.WriteFile(target, b, 0o644)
	})
}
