package cli

import (
	"net/url"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/faultproxy"
	"github.com/agentgate/agentgate/internal/testenv"
)

// viaProxy rewrites a postgres:// or redis:// URL to reach its server
// through a fault proxy, which it returns.
func viaProxy(t *testing.T, raw string) (string, *faultproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.Start(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// TestServePostgresStall: while the database stalls, GET /threads/{id}
// answers 503 with Retry-After within --db-timeout (plus a margin), not a
// hang or a 500; once it answers again, the same request is a 200.
func TestServePostgresStall(t *testing.T) {
	db, p := viaProxy(t, testenv.FreshPostgres(t))
	const timeout = time.Second
	r := start(t, map[string]string{"AGENTGATE_DB_TIMEOUT": timeout.String()},
		"serve", "--addr", "127.0.0.1:0", "--database", db, "--config", writeConfig(t, `{}`))
	defer r.stop()
	code, _, th := call(t, "POST", r.url+"/threads", `{}`)
	if code != 200 {
		t.Fatalf("create thread: %d %v", code, th)
	}
	get := r.url + "/threads/" + th["thread_id"].(string)

	p.Stall()
	for i := range 2 { // the second finds the first's connection gone
		t0 := time.Now()
		code, hdr, body := call(t, "GET", get, "")
		took := time.Since(t0)
		if code != 503 || hdr.Get("Retry-After") == "" {
			t.Fatalf("stalled GET %d: %d %v (Retry-After %q)", i, code, body, hdr.Get("Retry-After"))
		}
		if took > timeout+time.Second {
			t.Errorf("stalled GET %d took %v; want at most %v", i, took, timeout+time.Second)
		}
		t.Logf("stalled GET %d: 503 in %v, Retry-After %s, %v", i, took.Round(time.Millisecond), hdr.Get("Retry-After"), body["detail"])
	}

	p.Resume()
	answersAgain(t, get, "resume")

	// While it is unreachable (connections reset, new ones refused), the
	// answer is a 503 at once too, not a 500; dropped connections are
	// replaced once it is back.
	p.Drop()
	for i := range 2 {
		code, hdr, body := call(t, "GET", get, "")
		if code != 503 || hdr.Get("Retry-After") == "" || body["detail"] != "the database cannot be reached; retry later" {
			t.Fatalf("GET %d with the database unreachable: %d %v (Retry-After %q)", i, code, body, hdr.Get("Retry-After"))
		}
	}
	p.Resume()
	answersAgain(t, get, "drop")
}

// answersAgain waits up to 5 s for GET url to answer 200 again after the
// database came back.
func answersAgain(t *testing.T, url, after string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, _, body := call(t, "GET", url, "")
		if code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: still %d %v", after, code, body)
		}
	}
}
