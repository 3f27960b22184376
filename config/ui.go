package config

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
)

// UI is langgraph.json "ui" and "ui_config": generative UI components,
// bundled at startup (package genui) and served at /ui/{name}.
type UI struct {
	// Entries maps a name (usually a graph id) to the absolute path of
	// the module whose default export maps component names to
	// components; nil when "ui" is absent.
	Entries map[string]string
	// Shared lists extra packages the bundles import from the page
	// rather than bundle ("ui_config.shared").
	Shared []string
}

var uiName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

func (d *decoder) ui(dir string, raw json.RawMessage) (map[string]string, error) {
	obj, err := d.object("ui", raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(obj))
	for name, v := range obj {
		path := "ui." + name
		if !uiName.MatchString(name) {
			return nil, d.errf("ui", "invalid name %q (1-64 letters, digits, '.', '-' and '_')", name)
		}
		p, err := d.str(path, v)
		if err != nil {
			return nil, err
		}
		if p == "" {
			return nil, d.errf(path, "empty path")
		}
		abs := filepath.Clean(filepath.Join(dir, p))
		if filepath.IsAbs(p) {
			abs = filepath.Clean(p)
		}
		if rel, err := filepath.Rel(dir, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, d.errf(path, "%q is outside the project directory %s", p, dir)
		}
		out[name] = abs
	}
	return out, nil
}

func (d *decoder) uiConfig(raw json.RawMessage) ([]string, error) {
	obj, err := d.object("ui_config", raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys("ui_config", obj, "shared"); err != nil {
		return nil, err
	}
	v, ok := obj["shared"]
	if !ok {
		return nil, nil
	}
	return d.strings("ui_config.shared", v)
}
