package apisuite

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/apisuite/graphs"
	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage/memory"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	g, err := graphs.AgentSimple()
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	s, err := server.New(context.Background(), server.Options{Store: st, Version: "0.0.0-test",
		Graphs: map[string]server.Graph{"agent_simple": g}, App: App})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs
}

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("%d %q: %v", r.status, r.body, err)
	}
	return m
}

// TestAppRoutes follows the suite's "custom routes" test.
func TestAppRoutes(t *testing.T) {
	hs := newServer(t)
	u := hs.URL
	r := do(t, "GET", u+"/custom/my-route?aCoolParam=13", "", "x-custom-input", "hey")
	if m := r.json(t); r.status != 200 || m["foo"] != "bar" || r.header.Get("x-custom-output") != "hey" || r.header.Get("x-js-middleware") != "true" {
		t.Errorf("my-route: %d %v %v", r.status, m, r.header)
	}
	if r = do(t, "GET", u+"/runs/afakeroute", ""); r.json(t)["foo"] != "afakeroute" {
		t.Errorf("afakeroute: %d %s", r.status, r.body)
	}
	for path, want := range map[string]int{"/does/not/exist": 404, "/custom/error": 400, "/custom/webhook-payload": 404} {
		if r = do(t, "GET", u+path, ""); r.status != want || r.header.Get("x-js-middleware") != "true" {
			t.Errorf("%s: %d, want %d (%v)", path, r.status, want, r.header)
		}
	}
	if r = do(t, "GET", u+"/info", ""); r.status != 200 || r.header.Get("x-js-middleware") != "true" {
		t.Errorf("/info: %d %v", r.status, r.header)
	}
	if r = do(t, "GET", u+"/info?interrupt", ""); r.json(t)["status"] != "interrupted" {
		t.Errorf("/info?interrupt: %s", r.body)
	}
}

// TestAppStreaming: the four lines arrive as separate chunks.
func TestAppStreaming(t *testing.T) {
	hs := newServer(t)
	res, err := http.Get(hs.URL + "/custom/streaming")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var chunks []string
	buf := make([]byte, 1024)
	for {
		n, err := res.Body.Read(buf)
		if n > 0 {
			chunks = append(chunks, string(buf[:n]))
		}
		if err != nil {
			break
		}
	}
	if got := strings.Join(chunks, ""); got != "Count: 0\nCount: 1\nCount: 2\nCount: 3\n" || len(chunks) < 4 {
		t.Errorf("chunks %q", chunks)
	}
}

// TestAppWebhookAndClient: a run's relative webhook reaches
// /custom/webhook; /custom/client runs agent_simple in-process.
func TestAppWebhookAndClient(t *testing.T) {
	hs := newServer(t)
	u := hs.URL
	th := do(t, "POST", u+"/threads", "{}").json(t)["thread_id"].(string)
	r := do(t, "POST", u+"/threads/"+th+"/runs/wait",
		`{"assistant_id":"agent_simple","input":{"messages":[{"role":"human","content":"foo"}]},"webhook":"/custom/webhook"}`)
	if r.status != 200 {
		t.Fatalf("run: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r = do(t, "GET", u+"/custom/webhook-payload", ""); r.status != 200 && time.Now().Before(deadline); r = do(t, "GET", u+"/custom/webhook-payload", "") {
		time.Sleep(50 * time.Millisecond)
	}
	if m := r.json(t); m["status"] != "success" || m["thread_id"] != th {
		t.Errorf("webhook payload: %d %v", r.status, m)
	}

	r = do(t, "GET", u+"/custom/client", "")
	res, _ := r.json(t)["result"].(map[string]any)
	msgs, _ := res["messages"].([]any)
	found := false
	for _, m := range msgs {
		if mm, _ := m.(map[string]any); mm["content"] == "input" {
			found = true
		}
	}
	if r.status != 200 || !found {
		t.Errorf("client: %d %s", r.status, r.body)
	}
}
