package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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
