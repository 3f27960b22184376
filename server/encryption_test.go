package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// TestOptionsEncryptionWrapsTheStore: an embedder's Options.Encryption
// encrypts what routes write, and the routes read it back in clear.
func TestOptionsEncryptionWrapsTheStore(t *testing.T) {
	raw := memory.New()
	enc, err := encryption.NewAES(encryption.AESOptions{Key: []byte("0123456789abcdef"), JSONKeys: []string{"api_key"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Options{Store: raw, Encryption: enc})
	const secret = "sk-embedded-91f3"
	r := ts.do("POST", "/threads", map[string]any{"metadata": map[string]any{"api_key": secret, "team": "red"}})
	var th storage.Thread
	r.json(t, &th)
	if r.status != 200 || th.Metadata["api_key"] != secret {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = ts.do("PUT", "/store/items", map[string]any{"namespace": []string{"n"}, "key": "k", "value": map[string]any{"text": secret}})
	if r.status != 204 {
		t.Fatalf("put item: %d %s", r.status, r.body)
	}
	if r = ts.do("GET", "/store/items?namespace=n&key=k", nil); !strings.Contains(string(r.body), secret) {
		t.Errorf("GET item: %d %s", r.status, r.body)
	}
	if r = ts.do("POST", "/threads/search", map[string]any{"metadata": map[string]any{"team": "red"}}); !strings.Contains(string(r.body), secret) {
		t.Errorf("search by a clear key: %d %s", r.status, r.body)
	}
	stored, err := raw.Threads().Get(context.Background(), storage.System(), th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	item, err := raw.Items().Get(context.Background(), storage.System(), []string{"n"}, "k", false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{stored, item})
	if strings.Contains(string(b), secret) || !strings.Contains(string(b), "red") {
		t.Errorf("the backend holds: %s", b)
	}
	half := &encryption.Encryption{EncryptBlob: enc.EncryptBlob}
	if _, err := New(context.Background(), Options{Store: memory.New(), Encryption: half}); err == nil || !strings.Contains(err.Error(), "Options.Encryption") {
		t.Errorf("half a pair: %v", err)
	}
}
