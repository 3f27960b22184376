package codecheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/internal/testenv"
)

// mutable reports why a package-level variable's declaration makes
// shared mutable state: a map, a lock or an atomic, or a pointer from new.
func mutable(spec *ast.ValueSpec) string {
	if spec.Type != nil {
		switch ty := spec.Type.(type) {
		case *ast.MapType:
			return "a map"
		case *ast.SelectorExpr:
			if x, ok := ty.X.(*ast.Ident); ok && (x.Name == "sync" || x.Name == "atomic") {
				return x.Name + "." + ty.Sel.Name
			}
		}
	}
	for _, v := range spec.Values {
		switch v := v.(type) {
		case *ast.CompositeLit:
			if _, ok := v.Type.(*ast.MapType); ok {
				return "a map"
			}
		case *ast.CallExpr:
			if id, ok := v.Fun.(*ast.Ident); ok && (id.Name == "make" || id.Name == "new") {
				return id.Name + "(...)"
			}
		}
	}
	return ""
}

// TestNoPackageLevelMutableState: no non-test file declares a
// package-level map, lock, atomic or make/new value (DESIGN: no
// package-level mutable state; state lives in values that are passed).
func TestNoPackageLevelMutableState(t *testing.T) {
	root := testenv.ModuleRoot(t)
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// examples/ and cli/templates/ are users' code (the tutorials'
			// token tables are package-level maps there, as in LangGraph's).
			rel, _ := filepath.Rel(root, path)
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" ||
				rel == "examples" || rel == filepath.Join("cli", "templates")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				spec := s.(*ast.ValueSpec)
				if why := mutable(spec); why != "" {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s:%d: package-level %s is %s", rel, fset.Position(spec.Pos()).Line, spec.Names[0].Name, why)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
