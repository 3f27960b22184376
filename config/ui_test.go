package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestUI(t *testing.T) {
	dir := t.TempDir()
	c, err := Parse("langgraph.json", dir, []byte(`{"graphs": {}, "ui": {"agent-alias": "./agent/ui.tsx", "b": "b.tsx"},
		"ui_config": {"shared": ["@acme/design"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.UI.Entries["agent-alias"] != filepath.Join(dir, "agent", "ui.tsx") || c.UI.Entries["b"] != filepath.Join(dir, "b.tsx") {
		t.Errorf("entries %v", c.UI.Entries)
	}
	if !slices.Equal(c.UI.Shared, []string{"@acme/design"}) || slices.Contains(c.Ignored, "ui") {
		t.Errorf("shared %v, ignored %v", c.UI.Shared, c.Ignored)
	}
	for js, want := range map[string]string{
		`{"ui": {"a": "../x.tsx"}}`:              "outside the project directory",
		`{"ui": {"a": "/etc/x.tsx"}}`:            "outside the project directory",
		`{"ui": {"a b": "./x.tsx"}}`:             "invalid name",
		`{"ui": {"a": ""}}`:                      "empty path",
		`{"ui": {"a": 1}}`:                       "ui.a",
		`{"ui_config": {"shared": "react-dom"}}`: "ui_config.shared",
		`{"ui_config": {"sharde": []}}`:          `unknown key "sharde"`,
	} {
		if _, err := Parse("langgraph.json", dir, []byte(js)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", js, err, want)
		}
	}
}
