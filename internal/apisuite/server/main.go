// Command server is agentgate in library mode with the API suite's test
// graphs (internal/apisuite/graphs), for scripts/api-suite.sh. It runs
// "agentgate dev --memory" on a private loopback port and serves it on
// -addr through a reverse proxy that adds the one endpoint the suite needs
// and agentgate does not have: POST /internal/truncate, done here with the
// public API (delete threads, non-system assistants, store items).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/agentgate/agentgate/cli"
	"github.com/agentgate/agentgate/internal/apisuite"
	"github.com/agentgate/agentgate/internal/apisuite/graphs"
)

// weatherUI is the fixture's generative UI module.
const weatherUI = `type Props = { city?: string };
function WeatherComponent({ city = "somewhere" }: Props) {
  return <section className="weather">Weather in {city}</section>;
}
export default { "weather-component": WeatherComponent };
`

func main() {
	addr := flag.String("addr", "127.0.0.1:2024", "address the suite talks to")
	flag.Parse()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	inner := fmt.Sprintf("http://127.0.0.1:%d", port)
	os.Setenv(graphs.StoreURLEnv, inner)

	// The suite's langgraph.json "http" section: the custom app is
	// apisuite.App (Program.HTTP); x-configurable-header reaches
	// configurable, which is what http.mts's body-mutating middleware does.
	dir, err := os.MkdirTemp("", "apisuite")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// "ui": the suite's generative UI entry "agent-alias" with a
	// "weather-component" (our own fixture component).
	conf := `{"graphs": {}, "http": {"configurable_headers": {"includes": ["x-configurable-header"]}},
		"ui": {"agent-alias": "./agent/ui.tsx"}}`
	if err := os.WriteFile(filepath.Join(dir, "langgraph.json"), []byte(conf), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "agent"), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "agent", "ui.tsx"), []byte(weatherUI), 0o644); err != nil {
		log.Fatal(err)
	}
	go func() {
		// --no-reload: a reloading dev re-executes this binary, whose
		// own flags would then see its arguments.
		args := []string{"dev", "--memory", "--no-reload", "--port", fmt.Sprint(port), "--config", filepath.Join(dir, "langgraph.json")}
		os.Exit(cli.Main(cli.Program{Graphs: graphs.All(), HTTP: apisuite.App}, append(args, flag.Args()...)))
	}()
	for i := 0; ; i++ {
		resp, err := http.Get(inner + "/ok")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			log.Fatalf("agentgate did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	target, _ := url.Parse(inner)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // stream SSE as it comes
	mux := http.NewServeMux()
	mux.Handle("/", proxy)
	mux.HandleFunc("POST /internal/truncate", func(w http.ResponseWriter, r *http.Request) {
		var flags map[string]bool
		json.NewDecoder(r.Body).Decode(&flags)
		if err := truncate(inner, flags); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	})
	fmt.Printf("apisuite server listening on http://%s (agentgate on %s)\n", *addr, inner)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

func call(method, u string, body any, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != 404 {
		return fmt.Errorf("%s %s: %s", method, u, resp.Status)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// truncate empties what flags name, through the public API.
func truncate(base string, f map[string]bool) error {
	if f["threads"] || f["runs"] || f["checkpoint"] {
		for {
			var ts []struct {
				ThreadID string `json:"thread_id"`
			}
			if err := call("POST", base+"/threads/search", map[string]any{"limit": 1000}, &ts); err != nil {
				return err
			}
			if len(ts) == 0 {
				break
			}
			for _, t := range ts {
				if err := call("DELETE", base+"/threads/"+t.ThreadID, nil, nil); err != nil {
					return err
				}
			}
		}
	}
	if f["assistants"] {
		var as []struct {
			AssistantID string         `json:"assistant_id"`
			Metadata    map[string]any `json:"metadata"`
		}
		if err := call("POST", base+"/assistants/search", map[string]any{"limit": 1000}, &as); err != nil {
			return err
		}
		for _, a := range as {
			if a.Metadata["created_by"] == "system" {
				continue
			}
			if err := call("DELETE", base+"/assistants/"+a.AssistantID, nil, nil); err != nil {
				return err
			}
		}
	}
	if f["store"] {
		var ns struct {
			Namespaces [][]string `json:"namespaces"`
		}
		if err := call("POST", base+"/store/namespaces", map[string]any{"limit": 1000}, &ns); err != nil {
			return err
		}
		for _, n := range ns.Namespaces {
			var items struct {
				Items []struct {
					Namespace []string `json:"namespace"`
					Key       string   `json:"key"`
				} `json:"items"`
			}
			if err := call("POST", base+"/store/items/search", map[string]any{"namespace_prefix": n, "limit": 1000}, &items); err != nil {
				return err
			}
			for _, it := range items.Items {
				if err := call("DELETE", base+"/store/items", map[string]any{"namespace": it.Namespace, "key": it.Key}, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
