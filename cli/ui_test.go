package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func uiProject(t *testing.T, tsx string) string {
	t.Helper()
	dir := writeConfig(t, `{"graphs": {"agent": "builtin:chatbot"}, "ui": {"agent": "./src/ui.tsx"}}`)
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "ui.tsx"), []byte(tsx), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fetchText(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeBundlesUI: langgraph.json "ui" is bundled at startup and served.
func TestServeBundlesUI(t *testing.T) {
	dir := uiProject(t, `export default { card: (p: { city: string }) => <div>Weather in {p.city}</div> };`)
	r := start(t, nil, "dev", "--memory", "--no-reload", "--port", "0", "--config", dir)
	code, html := fetchText(t, "POST", r.url+"/ui/agent", `{"name": "card"}`)
	if code != 200 || !strings.Contains(html, `/ui/agent/entrypoint.js" onload='__LGUI_agent.render("card", "{{shadowRootId}}")'`) {
		t.Fatalf("POST /ui/agent: %d %s", code, html)
	}
	code, js := fetchText(t, "GET", r.url+"/ui/agent/entrypoint.js", "")
	if code != 200 || !strings.Contains(js, "Weather in ") || !strings.Contains(js, "LGUI_REQUIRE") {
		t.Fatalf("entrypoint.js: %d %.300s", code, js)
	}
	if !strings.Contains(r.stderr.String(), "generative UI bundled") {
		t.Errorf("no bundle log line:\n%s", r.stderr)
	}
}

// TestServeRefusesABrokenUI: a bundle that does not build stops startup
// with esbuild's message.
func TestServeRefusesABrokenUI(t *testing.T) {
	dir := uiProject(t, `export default { card: () => <div> };`)
	code, _, stderr := runSync(t, nil, "dev", "--memory", "--no-reload", "--port", "0", "--config", dir)
	if code == 0 || !strings.Contains(stderr, `ui "agent"`) || !strings.Contains(stderr, "ui.tsx") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	bad := writeConfig(t, `{"graphs": {}, "ui": {"agent": "../elsewhere/ui.tsx"}}`)
	code, _, stderr = runSync(t, nil, "dev", "--memory", "--no-reload", "--port", "0", "--config", bad)
	if code == 0 || !strings.Contains(stderr, "outside the project directory") {
		t.Fatalf("outside path: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestDevWatchesUISources: dev reloads (and so rebuilds the bundles) when
// a script or style file next to a "ui" entry changes.
func TestDevWatchesUISources(t *testing.T) {
	dir := uiProject(t, `export default {};`)
	for _, f := range []string{"card.tsx", "card.css", "notes.md"} {
		if err := os.WriteFile(filepath.Join(dir, "src", f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := newWatcher(dir)
	for _, f := range []string{"ui.tsx", "card.tsx", "card.css"} {
		if _, ok := w.last[filepath.Join(dir, "src", f)]; !ok {
			t.Errorf("%s not watched", f)
		}
	}
	if _, ok := w.last[filepath.Join(dir, "src", "notes.md")]; ok {
		t.Error("notes.md watched")
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "card.tsx"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := w.changed(); len(got) != 1 || got[0] != filepath.Join(dir, "src", "card.tsx") {
		t.Errorf("changed = %v", got)
	}
}
