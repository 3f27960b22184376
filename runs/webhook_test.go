package runs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// hookTarget is a webhook receiver on a loopback port.
type hookTarget struct {
	srv    *httptest.Server
	bodies chan map[string]any
}

func newHookTarget(t *testing.T) *hookTarget {
	h := &hookTarget{bodies: make(chan map[string]any, 10)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &m) != nil {
			t.Errorf("webhook request %s %s %q", r.Method, r.Header.Get("Content-Type"), b)
		}
		h.bodies <- m
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookTarget) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-h.bodies:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the webhook was not called")
		return nil
	}
}

func TestWebhookPostsTheRunWhenItEnds(t *testing.T) {
	h := newHookTarget(t)
	e := newEnv(t, nil, Options{AllowPrivateWebhooks: true})
	th := e.thread()
	r := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("hello"), Webhook: h.srv.URL + "/hook?x=1"}, "")
	m := h.next(t)
	if m["run_id"] != r.RunID || m["thread_id"] != th || m["status"] != storage.RunSuccess || m["kwargs"] == nil {
		t.Fatalf("payload %v", m)
	}
	if _, ok := m["error"]; ok {
		t.Errorf("error in a successful run's payload: %v", m["error"])
	}
	vals, _ := m["values"].(map[string]any)
	if msgs, _ := vals["messages"].([]any); len(msgs) != 2 {
		t.Errorf("values %v", m["values"])
	}
	times := map[string]time.Time{}
	for _, k := range []string{"run_started_at", "run_ended_at", "webhook_sent_at", "created_at", "updated_at"} {
		s, _ := m[k].(string)
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("%s = %v: %v", k, m[k], err)
		}
		times[k] = v
	}
	if times["run_started_at"].After(times["run_ended_at"]) || times["run_ended_at"].After(times["webhook_sent_at"]) {
		t.Errorf("times %v", times)
	}

	// A failed run: status error and the message.
	r = e.create(t.Context(), th, "fail", Kwargs{Input: map[string]any{"x": "a"}, Webhook: h.srv.URL}, "")
	m = h.next(t)
	if m["run_id"] != r.RunID || m["status"] != storage.RunError || !strings.Contains(m["error"].(string), "kaboom") {
		t.Fatalf("failed run payload %v", m)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWebhookToLoopbackRefusedByDefault: without AllowPrivateWebhooks the
// call to a loopback receiver is refused at connect time and logged.
func TestWebhookToLoopbackRefusedByDefault(t *testing.T) {
	h := newHookTarget(t)
	logs := &lockedBuffer{}
	e := newEnv(t, nil, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	th := e.thread()
	r := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("hello"), Webhook: h.srv.URL}, "")
	waitStatus(t, e, th, r.RunID, storage.RunSuccess)
	e.sched.Stop() // waits for webhook calls in flight
	select {
	case m := <-h.bodies:
		t.Fatalf("loopback webhook called: %v", m)
	default:
	}
	if !strings.Contains(logs.String(), errPrivateTarget.Error()) {
		t.Fatalf("refusal not logged: %s", logs.String())
	}
}

func TestWebhooksDisabled(t *testing.T) {
	h := newHookTarget(t)
	e := newEnv(t, nil, Options{AllowPrivateWebhooks: true, DisableWebhooks: true})
	th := e.thread()
	r := e.create(t.Context(), th, "chatbot", Kwargs{Input: human("hello"), Webhook: h.srv.URL}, "")
	waitStatus(t, e, th, r.RunID, storage.RunSuccess)
	e.sched.Stop()
	select {
	case m := <-h.bodies:
		t.Fatalf("disabled webhook called: %v", m)
	default:
	}
}

// TestWebhookClientRefusesPrivateTargets dials real listeners: by IP and
// by a name that resolves to loopback.
func TestWebhookClientRefusesPrivateTargets(t *testing.T) {
	h := newHookTarget(t)
	w := newWebhooks(Options{}, slog.New(slog.DiscardHandler))
	defer w.wait()
	port := h.srv.URL[strings.LastIndex(h.srv.URL, ":"):]
	for _, u := range []string{h.srv.URL, "http://localhost" + port} {
		res, err := w.client.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
			t.Errorf("POST %s succeeded", u)
		} else if !errors.Is(err, errPrivateTarget) {
			t.Errorf("POST %s: %v, want errPrivateTarget", u, err)
		}
	}
	allowed := newWebhooks(Options{AllowPrivateWebhooks: true}, slog.New(slog.DiscardHandler))
	defer allowed.wait()
	res, err := allowed.client.Post(h.srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	<-h.bodies
}

func TestPublicAddr(t *testing.T) {
	for _, c := range []struct {
		ip     string
		public bool
	}{
		{"127.0.0.1", false}, {"127.9.9.9", false}, {"::1", false}, {"10.1.2.3", false}, {"172.16.0.1", false},
		{"192.168.1.1", false}, {"169.254.169.254", false}, {"fe80::1", false}, {"fc00::1", false},
		{"0.0.0.0", false}, {"0.1.2.3", false}, {"::", false}, {"100.64.0.1", false}, {"224.0.0.1", false},
		{"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"64:ff9b::7f00:1", false}, {"64:ff9b::a9fe:a9fe", false},
		{"2002:7f00:1::1", false}, {"2002:c0a8:101::", false}, {"::127.0.0.1", false}, {"fec0::1", false}, {"64:ff9b:1::1", false},
		{"64:ff9b::808:808", true}, {"2002:808:808::1", true},
		{"8.8.8.8", true}, {"1.1.1.1", true}, {"2001:4860:4860::8888", true}, {"::ffff:8.8.8.8", true},
	} {
		if got := publicAddr(netip.MustParseAddr(c.ip)); got != c.public {
			t.Errorf("publicAddr(%s) = %v, want %v", c.ip, got, c.public)
		}
	}
}

func TestCheckWebhookURL(t *testing.T) {
	for _, ok := range []string{"https://example.com/hook", "http://example.com:8080/a?b=c", "http://10.0.0.1/x"} {
		if err := CheckWebhookURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"/runs/hook", "hook", "//example.com/x", "ftp://example.com/x", "file:///etc/passwd",
		"https://user:pass@example.com/", "http://", "::not a url"} {
		if err := CheckWebhookURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestWebhookPayloadCarriesNoIdentity(t *testing.T) {
	conf := map[string]any{KeyAuthUser: map[string]any{"identity": "alice", "github_token": "ghp_secret"},
		KeyAuthUserID: "alice", KeyAuthPermissions: []string{"p"}, "user_id": "alice", "thread_id": "t"}
	run := storage.Run{RunID: "r", ThreadID: "t", Kwargs: map[string]any{"config": map[string]any{"configurable": conf, "tags": []any{}}}}
	p := WebhookPayload(run, time.Now(), time.Now(), map[string]any{}, "")
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "ghp_secret") || strings.Contains(string(b), "langgraph_auth_") {
		t.Fatalf("webhook payload shows the identity: %s", b)
	}
	if !strings.Contains(string(b), `"user_id":"alice"`) {
		t.Errorf("payload lost the rest of configurable: %s", b)
	}
	if _, ok := conf[KeyAuthUser]; !ok {
		t.Error("Redacted changed the stored run's config")
	}
}

func TestCheckLocalWebhook(t *testing.T) {
	for _, ok := range []string{"/hook", "/custom/webhook?a=b"} {
		if err := CheckLocalWebhook(ok); err != nil || !LocalWebhook(ok) {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"//evil.example/x", "/x#frag", "hook", "http://example.com/x", ""} {
		if CheckLocalWebhook(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
