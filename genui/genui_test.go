package genui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildBundlesComponentsWithExternalReact(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "agent/util.ts", `export const label = (c: string): string => "Weather for " + c;`)
	write(t, dir, "agent/ui.css", `.weather { color: rebeccapurple; }`)
	entry := write(t, dir, "agent/ui.tsx", `import "./ui.css";
import { useState } from "react";
import { label } from "./util";
const Weather = (props: { city: string }) => { const [n] = useState(1); return <div className="weather">{label(props.city)} {n}</div>; };
export default { "weather-component": Weather };
`)
	bundles, err := Build(dir, map[string]string{"agent-alias": entry}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(bundles) != 1 || bundles[0].Name != "agent-alias" || bundles[0].Global != "__LGUI_agent_alias" {
		t.Fatalf("bundles = %+v", bundles)
	}
	files := map[string]string{}
	for _, f := range bundles[0].Files {
		files[f.Name] = string(f.Body)
	}
	js, css := files["entrypoint.js"], files["entrypoint.css"]
	for _, want := range []string{
		"var __LGUI_agent_alias =",
		`globalThis[Symbol.for("LGUI_REQUIRE")]`,
		`"react/jsx-runtime"`, `"react"`,
		"Weather for ", "weather-component", `Symbol.for("LGUI_EXT_STORE")`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("entrypoint.js lacks %q:\n%s", want, js)
		}
	}
	if strings.Contains(js, requireShim) {
		t.Errorf("entrypoint.js still uses the plain require shim")
	}
	if strings.Contains(js, "useState=function") || strings.Contains(js, "react.production") {
		t.Errorf("react was bundled")
	}
	if !strings.Contains(css, "rebeccapurple") {
		t.Errorf("entrypoint.css = %q", css)
	}
}

func TestBuildSharedStaysExternal(t *testing.T) {
	dir := t.TempDir()
	entry := write(t, dir, "ui.tsx", `import { x } from "my-design-system"; export default { a: () => <b>{x}</b> };`)
	if _, err := Build(dir, map[string]string{"a": entry}, nil); err == nil || !strings.Contains(err.Error(), "my-design-system") {
		t.Fatalf("unresolvable import: err = %v", err)
	}
	b, err := Build(dir, map[string]string{"a": entry}, []string{"my-design-system"})
	if err != nil {
		t.Fatal(err)
	}
	if js := string(b[0].Files[0].Body); !strings.Contains(js, `"my-design-system"`) {
		t.Errorf("shared import not external:\n%s", js)
	}
}

func TestBuildErrorsNameTheEntry(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "bad.tsx", `export default { a: () => <div> };`)
	_, err := Build(dir, map[string]string{"broken": bad}, nil)
	if err == nil || !strings.Contains(err.Error(), `ui "broken"`) || !strings.Contains(err.Error(), "bad.tsx") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Build(dir, map[string]string{"gone": filepath.Join(dir, "missing.tsx")}, nil); err == nil {
		t.Fatal("missing entry built")
	}
	if _, err := Build(dir, map[string]string{"out": filepath.Join(filepath.Dir(dir), "x.tsx")}, nil); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("outside entry: err = %v", err)
	}
}

func TestGlobalName(t *testing.T) {
	if g := GlobalName("agent-alias.v2"); g != "__LGUI_agent_alias_v2" {
		t.Fatal(g)
	}
}
