package engine_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/internal/testenv"
)

const storagePath = "github.com/agentgate/agentgate/storage"

// mintersOf are the module's packages (directories relative to the module
// root) allowed to mint each kind of scope outside package storage: the
// System scope only the engine and the workers and schedulers it runs; an
// Authorized scope only the enforcer (authz) and the server's allow-all
// authorizer used when no auth is configured.
func mintersOf(fn string) []string {
	switch fn {
	case "System":
		return []string{"engine", "runs", "runs/cron"}
	case "Authorized":
		return []string{"authz", "server/system.go"}
	}
	return nil
}

// TestScopesAreMintedOnlyByTheirOwners parses every non-test Go file of the
// module and fails on a call of storage.System or storage.Authorized (or a
// storage.Scope literal with fields) outside the packages allowed to make
// one. Request handlers therefore never hold the System scope.
func TestScopesAreMintedOnlyByTheirOwners(t *testing.T) {
	root := testenv.ModuleRoot(t)
	files, calls := 0, map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			rel == "storage" || strings.HasPrefix(rel, "storage/") {
			return nil
		}
		files++
		for _, c := range scopeCalls(t, path) {
			calls[c.fn]++
			allowed := slices.ContainsFunc(mintersOf(c.fn), func(m string) bool {
				return filepath.ToSlash(filepath.Dir(rel)) == m || rel == m
			})
			if !allowed {
				t.Errorf("%s:%d: storage.%s outside %v", rel, c.line, c.fn, mintersOf(c.fn))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 || calls["System"] == 0 || calls["Authorized"] == 0 {
		t.Fatalf("walked %d files, found %v: the walk is broken", files, calls)
	}
}

type scopeCall struct {
	fn   string
	line int
}

// scopeCalls finds storage.System / storage.Authorized calls and
// storage.Scope literals with fields in one file, whatever the import's
// local name.
func scopeCalls(t *testing.T, path string) []scopeCall {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	local := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == storagePath {
			local = "storage"
			if imp.Name != nil {
				local = imp.Name.Name
			}
		}
	}
	if local == "" {
		return nil
	}
	var out []scopeCall
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == local && (x.Sel.Name == "System" || x.Sel.Name == "Authorized") {
				out = append(out, scopeCall{x.Sel.Name, fset.Position(x.Pos()).Line})
			}
		case *ast.CompositeLit:
			if sel, ok := x.Type.(*ast.SelectorExpr); ok && len(x.Elts) > 0 {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == local && sel.Sel.Name == "Scope" {
					out = append(out, scopeCall{"Scope literal", fset.Position(x.Pos()).Line})
				}
			}
		}
		return true
	})
	return out
}
