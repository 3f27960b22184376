package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// auditConfig is a langgraph.json with a static token list and an owner
// policy; audit is the "audit_log" value ("" for none).
func auditConfig(t *testing.T, audit string) string {
	t.Helper()
	field := ""
	if audit != "" {
		field = `, "audit_log": "` + audit + `"`
	}
	dir := writeConfig(t, `{"auth": {"authenticators": [{"type": "tokens", "name": "static", "file": "tokens.json"}],
		"policy": "owner"`+field+`}}`)
	tokens := `[{"token": "cli-audit-secret-0123456789", "identity": "alice", "extra": {"github_token": "ghp_cli_extra_secret"}}]`
	if err := os.WriteFile(filepath.Join(dir, "tokens.json"), []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAuditLogFromConfigAndFlag: langgraph.json auth.audit_log (relative
// to its directory) and --audit-log, which wins, receive the decisions;
// request lines are info level, without credentials.
func TestAuditLogFromConfigAndFlag(t *testing.T) {
	flagFile := filepath.Join(t.TempDir(), "flag.jsonl")
	for _, c := range []struct {
		name  string
		audit string
		args  []string
		file  func(dir string) string
	}{
		{"config", "audit/decisions.jsonl", nil, func(dir string) string { return filepath.Join(dir, "audit", "decisions.jsonl") }},
		{"flag wins", "ignored.jsonl", []string{"--audit-log", flagFile}, func(string) string { return flagFile }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := auditConfig(t, c.audit)
			if c.name == "config" {
				if err := os.Mkdir(filepath.Join(dir, "audit"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"serve", "--config", dir}, c.args...)
			r := start(t, serveVars(t, "AGENTGATE_LOG_FORMAT", "json"), args...)
			tok := []string{"Authorization", "Bearer cli-audit-secret-0123456789"}
			if code, _, _ := call(t, "POST", r.url+"/threads", `{}`, tok...); code != 200 {
				t.Fatalf("create thread: %d", code)
			}
			if code, _, _ := call(t, "POST", r.url+"/threads/search", `{}`); code != 401 {
				t.Fatalf("no token: %d", code)
			}
			if code := r.stop(); code != exitOK {
				t.Fatalf("exit %d: %s", code, r.stderr)
			}
			data, err := os.ReadFile(c.file(dir))
			if err != nil {
				t.Fatal(err)
			}
			var results []string
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				results = append(results, m["event"].(string)+"="+m["result"].(string))
			}
			if got := strings.Join(results, " "); got != "authenticate=authenticated threads:create=filter authenticate=unauthenticated" {
				t.Errorf("audit events: %s\n%s", got, data)
			}
			if !strings.Contains(string(data), `"authenticator":"static"`) || !strings.Contains(string(data), `"handler":"*"`) {
				t.Errorf("deciders missing:\n%s", data)
			}
			if _, err := os.Stat(filepath.Join(dir, "ignored.jsonl")); err == nil {
				t.Error("auth.audit_log was opened although --audit-log was given")
			}
			logs := r.stderr.String()
			if !strings.Contains(logs, `"msg":"request","method":"POST","route":"/threads","status":200`) {
				t.Errorf("no request line:\n%s", logs)
			}
			for _, s := range []string{string(data), logs} {
				if strings.Contains(s, "cli-audit-secret") || strings.Contains(s, "ghp_cli_extra_secret") {
					t.Errorf("a credential was logged:\n%s", s)
				}
			}
		})
	}
}

func TestRequestLogFlags(t *testing.T) {
	r := start(t, serveVars(t, "AGENTGATE_LOG_FORMAT", "json"), "serve", "--config", writeConfig(t, `{}`),
		"--request-log-sample", "0")
	call(t, "GET", r.url+"/info", "")
	call(t, "GET", r.url+"/nowhere", "")
	if code := r.stop(); code != exitOK {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	if n := strings.Count(r.stderr.String(), `"msg":"request"`); n != 1 || !strings.Contains(r.stderr.String(), `"status":404`) {
		t.Errorf("want only the 404 logged, got %d lines:\n%s", n, r.stderr)
	}
	code, _, stderr := runSync(t, nil, "serve", "--request-log-sample", "1.5")
	if code != exitUsage || !strings.Contains(stderr, "--request-log-sample 1.5: want a fraction from 0 to 1") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
