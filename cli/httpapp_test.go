package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// webappSource is the http.app package added to a new module: a route of
// its own and a header on every response.
const webappSource = `package webapp

import "net/http"

func Routes(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello from http.app"))
	})
	mux.Handle("/", api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Webapp", "on")
		mux.ServeHTTP(w, r)
	})
}
`

// TestHTTPAppBuildsAndServes builds a module (in a temporary directory,
// outside this checkout) whose langgraph.json names http.app and calls its
// route on the running project binary; the API keeps its auth.path.
func TestHTTPAppBuildsAndServes(t *testing.T) {
	url := newEditedGoProject(t, "custom-auth", func(dir string) {
		file := filepath.Join(dir, "langgraph.json")
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(raw, &cfg); err != nil {
			t.Fatal(err)
		}
		cfg["http"] = map[string]any{"app": "./webapp:Routes"}
		if raw, err = json.Marshal(cfg); err != nil {
			t.Fatal(err)
		}
		write := func(name, content string) {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(file, string(raw))
		write(filepath.Join(dir, "webapp", "webapp.go"), webappSource)
	})
	res, err := http.Get(url + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "hello from http.app" || res.Header.Get("X-Webapp") != "on" {
		t.Fatalf("/hello: %d %q %v", res.StatusCode, body, res.Header)
	}
	if code, hdr, _ := call(t, "GET", url+"/info", ""); code != 200 || hdr.Get("X-Webapp") != "on" {
		t.Fatalf("/info: %d %v", code, hdr)
	}
	if code, _, _ := call(t, "POST", url+"/threads/search", "{}"); code != 401 {
		t.Fatalf("threads without a token: %d, want 401", code)
	}
	checkOwnerIsolation(t, url, "user1-token", "user2-token")
}

// dev reloads when a .go file of the http.app package changes.
func TestWatcherWatchesHTTPApp(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"langgraph.json":   `{"http": {"app": "./webapp:Routes"}}`,
		"webapp/webapp.go": "package webapp\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := newWatcher(dir)
	if _, ok := w.last[filepath.Join(dir, "webapp", "webapp.go")]; !ok {
		t.Fatalf("http.app sources not watched: %v", w.last)
	}
}
