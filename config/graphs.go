package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// GraphKind says where a graph comes from.
type GraphKind int

const (
	// GraphBuiltin is a graph compiled into agentgate ("builtin:<name>").
	GraphBuiltin GraphKind = iota + 1
	// GraphGoPackage is an exported variable of a Go package in the project
	// ("./dir:Name").
	GraphGoPackage
)

func (k GraphKind) String() string {
	switch k {
	case GraphBuiltin:
		return "builtin"
	case GraphGoPackage:
		return "go package"
	}
	return "unknown"
}

// BuiltinPrefix starts the path of a graph built into agentgate.
const BuiltinPrefix = "builtin:"

// Graph is one entry of "graphs".
type Graph struct {
	ID string
	// Ref is the path as written, e.g. "builtin:chatbot" or "./agent:Graph".
	Ref  string
	Kind GraphKind
	// Builtin is the built-in graph's name (GraphBuiltin).
	Builtin string
	// Dir is the absolute package directory and Symbol the exported name
	// (GraphGoPackage).
	Dir    string
	Symbol string
	// Description is optional.
	Description string
}

var builtinName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

func (d *decoder) graphs(dir string, raw json.RawMessage) (map[string]Graph, error) {
	obj, err := d.object("graphs", raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Graph, len(obj))
	for id, v := range obj {
		path := "graphs." + id
		if strings.TrimSpace(id) == "" {
			return nil, d.errf("graphs", "a graph id must not be empty")
		}
		g := Graph{ID: id}
		switch {
		case isKind(v, '"'):
			g.Ref, _ = d.str(path, v)
		case isKind(v, '{'):
			m, err := d.object(path, v)
			if err != nil {
				return nil, err
			}
			if err := d.checkKeys(path, m, "path", "description"); err != nil {
				return nil, err
			}
			p, ok := m["path"]
			if !ok {
				return nil, d.errf(path, `missing key "path"`)
			}
			if g.Ref, err = d.str(path+".path", p); err != nil {
				return nil, err
			}
			if desc, ok := m["description"]; ok {
				if g.Description, err = d.str(path+".description", desc); err != nil {
					return nil, err
				}
			}
			path += ".path"
		default:
			return nil, d.errf(path, `expected "<package dir>:<Name>", "builtin:<name>" or an object {"path", "description"}, got %s`, kind(v))
		}
		if err := d.graphRef(path, dir, &g); err != nil {
			return nil, err
		}
		out[id] = g
	}
	return out, nil
}

// graphRef parses g.Ref into its kind and parts.
func (d *decoder) graphRef(path, dir string, g *Graph) error {
	ref := g.Ref
	if name, ok := strings.CutPrefix(ref, BuiltinPrefix); ok {
		if !builtinName.MatchString(name) {
			return d.errf(path, "invalid built-in graph name %q (lower-case letters, digits, '-' and '_')", name)
		}
		g.Kind, g.Builtin = GraphBuiltin, name
		return nil
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 {
		return d.errf(path, `%q must be "<package dir>:<Name>" (for example "./agent:Graph") or "builtin:<name>"`, ref)
	}
	pkg, sym := ref[:i], ref[i+1:]
	switch strings.ToLower(filepath.Ext(pkg)) {
	case ".py", ".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".tsx", ".jsx":
		return d.errf(path, "%q is a Python or JavaScript file; agentgate serves Go graphs: use \"./<package dir>:<ExportedName>\" or \"builtin:<name>\"", pkg)
	}
	if pkg != "." && pkg != ".." && !strings.HasPrefix(pkg, "./") && !strings.HasPrefix(pkg, "../") {
		return d.errf(path, "%q: the package must be a directory relative to langgraph.json starting with \"./\" (for example \"./agent:Graph\")", ref)
	}
	if !exportedIdent(sym) {
		return d.errf(path, "%q: %q is not an exported Go identifier (it must start with an upper-case letter)", ref, sym)
	}
	abs := filepath.Join(dir, filepath.FromSlash(pkg))
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return d.errf(path, "%q: package directory %s does not exist", ref, abs)
	}
	g.Kind, g.Dir, g.Symbol = GraphGoPackage, abs, sym
	return nil
}

func exportedIdent(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || !unicode.IsUpper(r) {
		return false
	}
	for _, r := range s {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// env decodes "env": a .env file path relative to the config, or an object
// of variables.
func (d *decoder) env(c *Config, raw json.RawMessage) error {
	switch {
	case isKind(raw, '"'):
		name, _ := d.str("env", raw)
		if name == "" {
			return d.errf("env", "the .env file path must not be empty")
		}
		file := filepath.Join(c.Dir, filepath.FromSlash(name))
		if filepath.IsAbs(name) {
			file = name
		}
		c.EnvFile = file
		vars, err := readEnvFile(file)
		if os.IsNotExist(err) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: env: %s does not exist; continuing without it", d.file, file))
			return nil
		}
		if err != nil {
			return d.errf("env", "read %s: %v", file, err)
		}
		c.Env = vars
		return nil
	case isKind(raw, '{'):
		obj, err := d.object("env", raw)
		if err != nil {
			return err
		}
		for k, v := range obj {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return d.errf("env", "invalid variable name %q", k)
			}
			s, err := d.str("env."+k, v)
			if err != nil {
				return err
			}
			c.Env[k] = s
		}
		return nil
	}
	return d.errf("env", "expected a .env file path (string) or an object of variables, got %s", kind(raw))
}
