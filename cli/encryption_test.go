package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/internal/testenv"
)

const (
	atRestSecret = "the-owl-flies-at-dawn-7731"
	atRestAPIKey = "sk-live-4f9c2e8a1b"
	atRestClear  = "clear-owner-5512" // a metadata value left in clear
	atRestKey    = "0123456789abcdef0123456789abcdef"
)

// exerciseAtRest writes the secret through the API of the server at url
// (a thread with a listed metadata key, a chatbot run, a store item) and
// checks that the API reads it back decrypted and that a metadata filter
// on a clear key still finds the thread. dump returns the raw database.
func exerciseAtRest(t *testing.T, url string, dump func() string) {
	t.Helper()
	code, _, th := call(t, "POST", url+"/threads", `{"metadata": {"owner": "`+atRestClear+`", "api_key": "`+atRestAPIKey+`"}}`)
	if code != 200 {
		t.Fatalf("create thread: %d %v", code, th)
	}
	id := th["thread_id"].(string)
	body := `{"assistant_id": "chat", "input": {"messages": [{"role": "user", "content": "` + atRestSecret + `"}]}}`
	code, _, out := call(t, "POST", url+"/threads/"+id+"/runs/wait", body)
	if code != 200 || !strings.Contains(mustJSON(t, out), "You said: "+atRestSecret) {
		t.Fatalf("run: %d %v", code, out)
	}
	if code, _, res := call(t, "PUT", url+"/store/items", `{"namespace": ["notes"], "key": "k", "value": {"text": "`+atRestSecret+`"}}`); code != 204 && code != 200 {
		t.Fatalf("put item: %d %v", code, res)
	}

	// The API decrypts.
	code, _, got := call(t, "GET", url+"/threads/"+id, "")
	if code != 200 || !strings.Contains(mustJSON(t, got["values"]), atRestSecret) || got["metadata"].(map[string]any)["api_key"] != atRestAPIKey {
		t.Errorf("GET thread: %d %v", code, got)
	}
	code, _, st := call(t, "GET", url+"/threads/"+id+"/state", "")
	if code != 200 || !strings.Contains(mustJSON(t, st["values"]), "You said: "+atRestSecret) {
		t.Errorf("GET state (from the checkpoint): %d %v", code, st)
	}
	code, _, item := call(t, "GET", url+"/store/items?namespace=notes&key=k", "")
	if code != 200 || item["value"].(map[string]any)["text"] != atRestSecret {
		t.Errorf("GET item: %d %v", code, item)
	}
	code, runs := callList(t, "GET", url+"/threads/"+id+"/runs", "")
	if code != 200 || !strings.Contains(mustJSON(t, runs), atRestSecret) {
		t.Errorf("GET runs (kwargs): %d %v", code, runs)
	}
	// A filter on a clear metadata key still finds the thread.
	code, found := callList(t, "POST", url+"/threads/search", `{"metadata": {"owner": "`+atRestClear+`"}}`)
	if code != 200 || len(found) != 1 || found[0].(map[string]any)["thread_id"] != id {
		t.Errorf("search by a clear key: %d %v", code, found)
	}

	// The database does not hold the plaintext.
	raw := dump()
	if !strings.Contains(raw, atRestClear) || !strings.Contains(raw, id) {
		t.Fatalf("the dump lacks the clear metadata value or the thread id: not the server's database? (%d bytes)", len(raw))
	}
	for _, s := range []string{atRestSecret, atRestAPIKey} {
		if i := strings.Index(raw, s); i >= 0 {
			t.Errorf("the database holds %q in clear: ...%s...", s, raw[max(0, i-200):min(len(raw), i+100)])
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// callList is call for a response that is a JSON array.
func callList(t *testing.T, method, url, body string) (int, []any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// sqliteBytes reads the database file and its WAL and shared memory.
func sqliteBytes(t *testing.T, db string) string {
	t.Helper()
	var sb strings.Builder
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		sb.Write(b)
	}
	return sb.String()
}

func atRestVars(db string) map[string]string {
	return map[string]string{"AGENTGATE_ADDR": "127.0.0.1:0", "AGENTGATE_DATABASE": db,
		"LANGGRAPH_AES_KEY": atRestKey, "LANGGRAPH_AES_JSON_KEYS": "api_key"}
}

// TestEncryptedAtRestSQLiteFile: with LANGGRAPH_AES_KEY the SQLite file
// (and its WAL) never holds the secrets, while the API returns them.
func TestEncryptedAtRestSQLiteFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "enc.db")
	r := start(t, atRestVars(db), "serve", "--config", writeConfig(t, `{"graphs": {"chat": "builtin:chatbot"}}`))
	exerciseAtRest(t, r.url, func() string { return sqliteBytes(t, db) })
	if c := r.stop(); c != exitOK {
		t.Fatalf("exit %d:\n%s", c, r.stderr)
	}
	if !strings.Contains(r.stderr.String(), "\"encryption\":\"aes-256-gcm, json keys api_key\"") {
		t.Errorf("the startup log does not describe the encryption:\n%s", r.stderr)
	}
	// After a clean stop the WAL is checkpointed into the file.
	raw := sqliteBytes(t, db)
	if strings.Contains(raw, atRestSecret) || strings.Contains(raw, atRestAPIKey) {
		t.Error("the database file holds a secret in clear after the stop")
	}
	// Without the key the same database is unreadable, not silently wrong.
	vars := atRestVars(db)
	delete(vars, "LANGGRAPH_AES_KEY")
	delete(vars, "LANGGRAPH_AES_JSON_KEYS")
	r2 := start(t, vars, "serve", "--config", writeConfig(t, `{"graphs": {"chat": "builtin:chatbot"}}`))
	code, found := callList(t, "POST", r2.url+"/threads/search", `{"metadata": {"owner": "`+atRestClear+`"}}`)
	if code != 200 || len(found) != 1 || strings.Contains(mustJSON(t, found), atRestAPIKey) {
		t.Errorf("without the key: %d %v", code, found)
	}
}

// TestEncryptedAtRestPostgres reads every Postgres table raw.
func TestEncryptedAtRestPostgres(t *testing.T) {
	url := testenv.FreshPostgres(t)
	vars := atRestVars(url)
	r := start(t, vars, "serve", "--config", writeConfig(t, `{"graphs": {"chat": "builtin:chatbot"}}`))
	exerciseAtRest(t, r.url, func() string { return postgresDump(t, url) })
}

// postgresDump returns every row of every table of the public schema as text.
func postgresDump(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 5 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	var sb strings.Builder
	for _, tb := range tables {
		rows, err := conn.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{tb}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString(strings.Join(texts, "\n"))
	}
	return sb.String()
}

func TestEncryptionRefusesToStart(t *testing.T) {
	cfg := writeConfig(t, `{}`)
	db := filepath.Join(t.TempDir(), "x.db")
	noop := func(_ context.Context, _ encryption.Context, v map[string]any) (map[string]any, error) { return v, nil }
	half := &encryption.Encryption{EncryptJSON: noop}
	full := &encryption.Encryption{EncryptJSON: noop, DecryptJSON: noop}
	encDir := writeConfig(t, `{"encryption": {"path": "./crypt:Encryption"}}`)
	if err := os.WriteFile(filepath.Join(encDir, "go.mod"), []byte("module example.com/p\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    Program
		vars map[string]string
		dir  string
		want string
	}{
		{"short key", Program{}, map[string]string{"LANGGRAPH_AES_KEY": "short"}, cfg,
			"encryption at rest: LANGGRAPH_AES_KEY: encryption: the AES key is 5 bytes; want 16, 24 or 32 (AES-128, AES-192, AES-256)"},
		{"bad old key", Program{}, map[string]string{"LANGGRAPH_AES_KEY": atRestKey, "LANGGRAPH_AES_OLD_KEYS": "abc"}, cfg,
			"LANGGRAPH_AES_OLD_KEYS: encryption: the AES old key 1 is 3 bytes"},
		{"system key listed", Program{}, map[string]string{"LANGGRAPH_AES_KEY": atRestKey, "LANGGRAPH_AES_JSON_KEYS": "owner"}, cfg,
			`LANGGRAPH_AES_JSON_KEYS: encryption: JSON key "owner" is read by the server and cannot be encrypted`},
		{"json keys without key", Program{}, map[string]string{"AGENTGATE_AES_JSON_KEYS": "a"}, cfg,
			"AGENTGATE_AES_JSON_KEYS is set without LANGGRAPH_AES_KEY"},
		{"both custom and env", Program{Encryption: full}, map[string]string{"LANGGRAPH_AES_KEY": atRestKey}, cfg,
			"both LANGGRAPH_AES_KEY and a custom encryption"},
		{"half a pair", Program{Encryption: half}, nil, cfg,
			"Program.Encryption: encryption: EncryptJSON and DecryptJSON must be set together"},
		{"wrong type", Program{Encryption: "aes"}, nil, cfg, "Program.Encryption: a string is not an encryption"},
		{"encryption path missing dir", Program{}, nil, encDir,
			`encryption.path: package directory ` + filepath.Join(encDir, "crypt") + `: open`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runProgram(t, tt.p, tt.vars, "serve", "--addr", "127.0.0.1:0", "--database", db, "--config", tt.dir)
			if code != exitError || stdout != "" {
				t.Errorf("exit %d, stdout %q: the server must not start", code, stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
		})
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a refused start created the database")
	}
}

// hookPackage is a user's encryption package: per-tenant AES-GCM keys
// derived from the Context hook's tenant, which each ciphertext names.
const hookPackage = `package crypt

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/encryption"
)

const prefix = "hook1:"

func gcm(tenant string) cipher.AEAD {
	k := sha256.Sum256([]byte("demo master key/" + tenant))
	b, _ := aes.NewCipher(k[:])
	g, _ := cipher.NewGCM(b)
	return g
}

func seal(tenant string, plain []byte) string {
	g := gcm(tenant)
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	return prefix + tenant + ":" + base64.StdEncoding.EncodeToString(g.Seal(nonce, nonce, plain, nil))
}

func open(s string) ([]byte, error) {
	tenant, b64, ok := strings.Cut(strings.TrimPrefix(s, prefix), ":")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil {
		return nil, errors.New("malformed ciphertext")
	}
	g := gcm(tenant)
	if len(raw) < g.NonceSize() {
		return nil, errors.New("short ciphertext")
	}
	return g.Open(nil, raw[:g.NonceSize()], raw[g.NonceSize():], nil)
}

func tenant(c encryption.Context) string {
	if t, ok := c.Metadata["tenant"].(string); ok {
		return t
	}
	return "none"
}

func whole(c encryption.Context, key string) bool {
	return key == "api_key" || c.Field != encryption.FieldMetadata && c.Field != encryption.FieldConfig || key == "writes"
}

var Encryption = &encryption.Encryption{
	Name: "tenant-gcm hook",
	Context: func(_ context.Context, u *auth.User) (map[string]any, error) {
		if u == nil {
			return map[string]any{"tenant": "system"}, nil
		}
		return map[string]any{"tenant": u.Identity}, nil
	},
	EncryptBlob: func(_ context.Context, c encryption.Context, b []byte) ([]byte, error) {
		return []byte(seal(tenant(c), b)), nil
	},
	DecryptBlob: func(_ context.Context, _ encryption.Context, b []byte) ([]byte, error) {
		if !strings.HasPrefix(string(b), prefix) {
			return b, nil
		}
		return open(string(b))
	},
	EncryptJSON: func(_ context.Context, c encryption.Context, v map[string]any) (map[string]any, error) {
		out := map[string]any{}
		for k, x := range v {
			if s, ok := x.(string); ok && whole(c, k) {
				out[k] = seal(tenant(c), []byte(s))
			} else if x != nil && whole(c, k) {
				out[k] = map[string]any{"nested": seal(tenant(c), []byte(encodeJSON(x)))}
			} else {
				out[k] = x
			}
		}
		return out, nil
	},
	DecryptJSON: func(_ context.Context, _ encryption.Context, v map[string]any) (map[string]any, error) {
		out := map[string]any{}
		for k, x := range v {
			out[k] = x
			if s, ok := x.(string); ok && strings.HasPrefix(s, prefix) {
				b, err := open(s)
				if err != nil {
					return nil, err
				}
				out[k] = string(b)
			}
			if m, ok := x.(map[string]any); ok && len(m) == 1 {
				if s, ok := m["nested"].(string); ok && strings.HasPrefix(s, prefix) {
					b, err := open(s)
					if err != nil {
						return nil, err
					}
					out[k] = decodeJSON(b)
				}
			}
		}
		return out, nil
	},
}
`

const hookJSON = `package crypt

import "encoding/json"

func encodeJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func decodeJSON(b []byte) any { var v any; _ = json.Unmarshal(b, &v); return v }
`

// TestEncryptionPathHookPackage builds a project whose langgraph.json
// names a user's encryption package (a module outside this checkout,
// with a replace directive), runs its binary on SQLite and reads the file.
func TestEncryptionPathHookPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a project binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPED: no go toolchain on PATH")
	}
	dir := t.TempDir()
	root := testenv.ModuleRoot(t)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod": "module example.com/enchook\n\ngo 1.26\n\nrequire github.com/agentgate/agentgate v0.0.0-00010101000000-000000000000\n\n" +
			"replace github.com/agentgate/agentgate => " + root + "\n",
		"go.sum":         string(sum),
		"langgraph.json": `{"graphs": {"chat": "builtin:chatbot"}, "encryption": {"path": "./crypt:Encryption"}}`,
		"crypt/crypt.go": hookPackage,
		"crypt/json.go":  hookJSON,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db := filepath.Join(t.TempDir(), "hook.db")
	var built, errb syncBuffer
	e := env{stdout: &built, stderr: &errb, getenv: getenvFrom(nil)}
	if code := run(ctx, Program{}, []string{"build", "--config", dir}, e); code != exitOK {
		t.Fatalf("build: exit %d; stderr:\n%s", code, errb.String())
	}
	bin := strings.TrimSpace(built.String())
	t.Logf("build:\n%s", errb.String())
	gotArgs := []string{"serve", "--addr", "127.0.0.1:0", "--database", db, "--config", dir}
	url, cmd, serr := startBinary(t, bin, gotArgs, "AGENTGATE_MODEL=", "OPENAI_API_KEY=", "ANTHROPIC_API_KEY=",
		"LANGGRAPH_AES_KEY=", "AGENTGATE_AES_KEY=", "LANGGRAPH_AES_JSON_KEYS=", "AGENTGATE_AES_JSON_KEYS=")
	exerciseAtRest(t, url, func() string {
		raw := sqliteBytes(t, db)
		if !strings.Contains(raw, "hook1:system:") {
			t.Error("the database holds no ciphertext of the user's hook")
		}
		return raw
	})
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	if !strings.Contains(serr.String(), `"encryption":"tenant-gcm hook"`) {
		t.Errorf("the startup log does not name the hook's encryption:\n%s", serr.String())
	}
}
