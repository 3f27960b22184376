package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// serveVars are the environment of a serve test on a free loopback port.
func serveVars(t *testing.T, extra ...string) map[string]string {
	t.Helper()
	vars := map[string]string{
		"AGENTGATE_ADDR":       "127.0.0.1:0",
		"AGENTGATE_DATABASE":   filepath.Join(t.TempDir(), "a.db"),
		"AGENTGATE_LOG_FORMAT": "text",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return vars
}

// metricsURLRe finds the separate metrics address in the startup log.
var metricsURLRe = regexp.MustCompile(`metrics="only at (http://127\.0\.0\.1:[0-9]+/metrics)`)

// TestMetricsAddr: with --metrics-addr (or AGENTGATE_METRICS_ADDR),
// /metrics is served on that port alone and the main one answers 404.
func TestMetricsAddr(t *testing.T) {
	for _, c := range []struct {
		name string
		vars map[string]string
		args []string
	}{
		{"serve flag", serveVars(t), []string{"serve", "--metrics-addr", "127.0.0.1:0"}},
		{"dev env", map[string]string{"AGENTGATE_METRICS_ADDR": "127.0.0.1:0"}, []string{"dev", "--memory", "--port", "0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := start(t, c.vars, append(c.args, "--config", writeConfig(t, `{}`))...)
			m := metricsURLRe.FindStringSubmatch(r.stderr.String())
			if m == nil {
				t.Fatalf("startup log lacks the metrics address:\n%s", r.stderr)
			}
			if code, _, body := call(t, "GET", m[1]+"?format=json", ""); code != 200 || body["queue"] == nil {
				t.Errorf("GET %s = %d %v", m[1], code, body)
			}
			if code, _, _ := call(t, "GET", strings.TrimSuffix(m[1], "/metrics")+"/ok", ""); code != 404 {
				t.Errorf("metrics port GET /ok = %d, want 404", code)
			}
			if code, _, body := call(t, "GET", r.url+"/metrics?format=json", ""); code != 404 {
				t.Errorf("main port GET /metrics = %d %v, want 404", code, body)
			}
			if code, _, _ := call(t, "GET", r.url+"/ok", ""); code != 200 {
				t.Errorf("main port GET /ok = %d", code)
			}
			if code := r.stop(); code != exitOK {
				t.Fatalf("exit %d: %s", code, r.stderr)
			}
			if strings.Contains(r.stderr.String(), "UNEXPECTED STDOUT") {
				t.Errorf("more than one line on stdout:\n%s", r.stderr)
			}
		})
	}
}

// TestMetricsToken: a token from AGENTGATE_METRICS_TOKEN or
// --metrics-token-file (which wins) must come as a bearer token.
func TestMetricsToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, token string
		args        []string
	}{
		{"env", "from-env", []string{"serve"}},
		{"file over env", "from-file", []string{"serve", "--metrics-token-file", file}},
		{"dev", "from-env", []string{"dev", "--memory", "--port", "0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := start(t, serveVars(t, "AGENTGATE_METRICS_TOKEN", "from-env"), append(c.args, "--config", writeConfig(t, `{}`))...)
			for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Bearer from-other"}} {
				code, h, body := call(t, "GET", r.url+"/metrics?format=json", "", hdr...)
				if code != 401 || body["detail"] == nil || h.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("%v: %d %v %v, want 401 with detail", hdr, code, h, body)
				}
			}
			if code, _, body := call(t, "GET", r.url+"/metrics?format=json", "", "Authorization", "Bearer "+c.token); code != 200 || body["queue"] == nil {
				t.Errorf("with the token: %d %v", code, body)
			}
			if !strings.Contains(r.stderr.String(), "bearer token required") {
				t.Errorf("startup log does not say a token is required:\n%s", r.stderr)
			}
		})
	}
}

// TestMetricsDefault: serve refuses /metrics to everyone (403) when no
// address or token is set; dev leaves it open and says so.
func TestMetricsDefault(t *testing.T) {
	r := start(t, serveVars(t), "serve", "--config", writeConfig(t, `{}`))
	if code, _, body := call(t, "GET", r.url+"/metrics?format=json", ""); code != 403 || body["detail"] == nil || body["queue"] != nil {
		t.Errorf("serve GET /metrics = %d %v, want 403 with detail", code, body)
	}
	if !strings.Contains(r.stderr.String(), `metrics="off (403)`) {
		t.Errorf("serve startup log does not say /metrics is off:\n%s", r.stderr)
	}
	r = start(t, nil, "dev", "--memory", "--port", "0", "--config", writeConfig(t, `{}`))
	if code, _, body := call(t, "GET", r.url+"/metrics?format=json", ""); code != 200 || body["queue"] == nil {
		t.Errorf("dev GET /metrics = %d %v, want 200", code, body)
	}
	if !strings.Contains(r.stderr.String(), `metrics="open to anyone on the main address (dev)`) {
		t.Errorf("dev startup log does not say /metrics is open:\n%s", r.stderr)
	}
}

// TestMetricsRefusesToStart: an unreadable or empty token file, or a busy
// metrics address, stops the server before it listens.
func TestMetricsRefusesToStart(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy := start(t, nil, "dev", "--memory", "--port", "0", "--config", writeConfig(t, `{}`))
	busyAddr := strings.TrimPrefix(busy.url, "http://")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--metrics-token-file", filepath.Join(t.TempDir(), "nope")}, "--metrics-token-file: open"},
		{[]string{"serve", "--metrics-token-file", empty}, "is empty"},
		{[]string{"serve", "--metrics-addr", busyAddr}, "listen on --metrics-addr " + busyAddr},
	} {
		code, stdout, stderr := runSync(t, serveVars(t), append(c.args, "--config", writeConfig(t, `{}`))...)
		if code != exitError || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
}
