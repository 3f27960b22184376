package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

// forgerAuth authenticates alice, and two tokens whose users pose as the
// Studio user: the reserved identity, and kind StudioUser.
func forgerAuth() *auth.Auth {
	return auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		switch r.BearerToken() {
		case "tok-alice":
			return &auth.User{Identity: "alice"}, nil
		case "tok-forged-identity":
			return &auth.User{Identity: auth.StudioIdentity}, nil
		case "tok-forged-kind":
			return &auth.User{Identity: "mallory", Extra: map[string]any{"kind": "StudioUser"}}, nil
		}
		return nil, auth.Unauthorized("Invalid token")
	})
}

// With studio_sees_all, only the Studio admission sees everything; users
// an authenticator returns as Studio are refused, in serve and in dev.
func TestStudioSeesAllOnlyByAdmission(t *testing.T) {
	cfg := writeConfig(t, `{"auth": {"path": "./security:Auth", "policy": "owner", "owner": {"studio_sees_all": true}}}`)
	serveVars := func() map[string]string {
		return map[string]string{"AGENTGATE_ADDR": "127.0.0.1:0", "AGENTGATE_DATABASE": filepath.Join(t.TempDir(), "a.db")}
	}
	tests := []struct {
		name   string
		vars   map[string]string
		args   []string
		studio int // the Studio header's answer
	}{
		{"serve", serveVars(), []string{"serve", "--config", cfg}, 401},
		{"serve --studio-auth", serveVars(), []string{"serve", "--studio-auth", "--config", cfg}, 200},
		{"dev", nil, []string{"dev", "--memory", "--port", "0", "--config", cfg}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startProgram(t, Program{Auth: forgerAuth}, tt.vars, tt.args...)
			code, _, th := call(t, "POST", r.url+"/threads", `{}`, bearer("tok-alice")...)
			if code != 200 {
				t.Fatalf("alice creates a thread: %d %v", code, th)
			}
			path := r.url + "/threads/" + th["thread_id"].(string)
			for _, tok := range []string{"tok-forged-identity", "tok-forged-kind"} {
				if code, _, body := call(t, "GET", path, "", bearer(tok)...); code != 401 {
					t.Errorf("%s reads alice's thread: %d %v, want 401", tok, code, body)
				}
			}
			if code, _, body := call(t, "GET", path, "", "X-Auth-Scheme", "langsmith"); code != tt.studio {
				t.Errorf("studio header reads alice's thread: %d %v, want %d", code, body, tt.studio)
			}
			if !strings.Contains(r.stderr.String(), "reserved Studio identity") {
				t.Errorf("refusals not logged:\n%s", r.stderr.String())
			}
		})
	}
}

// A token file naming the Studio user stops the server at startup.
func TestTokenFileCannotNameStudio(t *testing.T) {
	for name, c := range map[string]struct{ entry, want string }{
		"reserved identity": {`{"token": "forged-studio-token-0123", "identity": "langgraph-studio-user"}`,
			`identity "langgraph-studio-user" is reserved for the Studio user`},
		"kind StudioUser": {`{"token": "forged-kind-token-0123", "identity": "mallory", "extra": {"kind": "StudioUser"}}`,
			`extra.kind "StudioUser" is reserved for the Studio user`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, `{"auth": {"authenticators": [{"type": "tokens", "file": "keys.json"}], "policy": "owner", "owner": {"studio_sees_all": true}}}`)
			if err := os.WriteFile(filepath.Join(dir, "keys.json"), []byte("["+c.entry+"]"), 0o600); err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{"AGENTGATE_ADDR": "127.0.0.1:0", "AGENTGATE_DATABASE": filepath.Join(t.TempDir(), "a.db")}
			for _, args := range [][]string{{"serve", "--config", dir}, {"dev", "--memory", "--port", "0", "--config", dir}} {
				code, stdout, stderr := runSync(t, vars, args...)
				if code != exitError || stdout != "" || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "auth.authenticators[0]") {
					t.Errorf("%s: exit %d, stdout %q, stderr:\n%s", args[0], code, stdout, stderr)
				}
			}
		})
	}
}
