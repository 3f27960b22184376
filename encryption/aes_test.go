package encryption_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/encryption"
)

var (
	k16 = []byte("0123456789abcdef")
	k24 = []byte("0123456789abcdef01234567")
	k32 = []byte("0123456789abcdef0123456789abcdef")
)

func newAES(t *testing.T, o encryption.AESOptions) *encryption.Encryption {
	t.Helper()
	e, err := encryption.NewAES(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var (
	bg    = context.Background()
	kw    = encryption.Context{Model: encryption.ModelRun, Field: encryption.FieldKwargs}
	mdCtx = encryption.Context{Model: encryption.ModelThread, Field: encryption.FieldMetadata}
)

func TestAESRoundTrip(t *testing.T) {
	for _, k := range [][]byte{k16, k24, k32} {
		e := newAES(t, encryption.AESOptions{Key: k, JSONKeys: []string{"api_key"}})
		if want := []string{"aes-128-gcm", "aes-192-gcm", "aes-256-gcm"}[len(k)/8-2]; !strings.HasPrefix(e.Name, want) {
			t.Errorf("name %q, want %s", e.Name, want)
		}
		blob := []byte(`{"messages":["top secret"]}`)
		sealed, err := e.EncryptBlob(bg, kw, blob)
		if err != nil || bytes.Contains(sealed, []byte("top secret")) {
			t.Fatalf("EncryptBlob: %q, %v", sealed, err)
		}
		again, _ := e.EncryptBlob(bg, kw, blob)
		if bytes.Equal(sealed, again) {
			t.Error("two encryptions of one blob are equal (nonce reused)")
		}
		if got, err := e.DecryptBlob(bg, kw, sealed); err != nil || !bytes.Equal(got, blob) {
			t.Errorf("DecryptBlob: %q, %v", got, err)
		}

		in := map[string]any{"input": map[string]any{"text": "top secret"}, "n": 2.0, "none": nil}
		enc, err := e.EncryptJSON(bg, kw, in)
		if err != nil || len(enc) != 3 || strings.Contains(enc["input"].(string), "top secret") || enc["none"] != nil {
			t.Fatalf("EncryptJSON kwargs: %v, %v", enc, err)
		}
		if got, err := e.DecryptJSON(bg, kw, enc); err != nil || !reflect.DeepEqual(got, in) {
			t.Errorf("DecryptJSON: %v, %v", got, err)
		}
		// Metadata: only the listed keys.
		md := map[string]any{"owner": "alice", "api_key": "sk-1"}
		enc, _ = e.EncryptJSON(bg, mdCtx, md)
		if enc["owner"] != "alice" || enc["api_key"] == "sk-1" {
			t.Errorf("metadata: %v", enc)
		}
		if got, _ := e.DecryptJSON(bg, mdCtx, enc); !reflect.DeepEqual(got, md) {
			t.Errorf("metadata back: %v", got)
		}
	}
}

func TestAESKeysOnly(t *testing.T) {
	e := newAES(t, encryption.AESOptions{Key: k16, JSONKeys: []string{"secret"}, KeysOnly: true})
	got, _ := e.EncryptJSON(bg, kw, map[string]any{"input": "x", "secret": "y"})
	if got["input"] != "x" || got["secret"] == "y" {
		t.Errorf("KeysOnly: %v", got)
	}
}

func TestAESWrongKeyFails(t *testing.T) {
	a := newAES(t, encryption.AESOptions{Key: k16})
	b := newAES(t, encryption.AESOptions{Key: []byte("ffffffffffffffff")})
	sealed, _ := a.EncryptBlob(bg, kw, []byte("hello"))
	if _, err := b.DecryptBlob(bg, kw, sealed); err == nil || !strings.Contains(err.Error(), "unknown AES key") {
		t.Errorf("blob under another key: %v", err)
	}
	enc, _ := a.EncryptJSON(bg, kw, map[string]any{"input": "hello"})
	if _, err := b.DecryptJSON(bg, kw, enc); err == nil || !strings.Contains(err.Error(), "unknown AES key") {
		t.Errorf("JSON under another key: %v", err)
	}
	// A tampered ciphertext does not authenticate.
	sealed[len(sealed)-1] ^= 1
	if _, err := a.DecryptBlob(bg, kw, sealed); err == nil || !strings.Contains(err.Error(), "does not authenticate") {
		t.Errorf("tampered blob: %v", err)
	}
}

func TestAESRotation(t *testing.T) {
	old := newAES(t, encryption.AESOptions{Key: k16})
	sealedOld, _ := old.EncryptBlob(bg, kw, []byte("hello"))
	encOld, _ := old.EncryptJSON(bg, kw, map[string]any{"input": "hello"})

	rotated := newAES(t, encryption.AESOptions{Key: k32, OldKeys: [][]byte{k16}})
	if got, err := rotated.DecryptBlob(bg, kw, sealedOld); err != nil || string(got) != "hello" {
		t.Fatalf("old blob after rotation: %q, %v", got, err)
	}
	if got, err := rotated.DecryptJSON(bg, kw, encOld); err != nil || got["input"] != "hello" {
		t.Fatalf("old JSON after rotation: %v, %v", got, err)
	}
	// Writes use the current key: the new key alone reads them.
	newOnly := newAES(t, encryption.AESOptions{Key: k32})
	sealedNew, _ := rotated.EncryptBlob(bg, kw, []byte("hello"))
	if got, err := newOnly.DecryptBlob(bg, kw, sealedNew); err != nil || string(got) != "hello" {
		t.Errorf("rewritten blob with the new key only: %q, %v", got, err)
	}
	encNew, _ := rotated.EncryptJSON(bg, kw, map[string]any{"input": "hello"})
	if got, err := newOnly.DecryptJSON(bg, kw, encNew); err != nil || got["input"] != "hello" {
		t.Errorf("rewritten JSON with the new key only: %v, %v", got, err)
	}
	if _, err := newOnly.DecryptBlob(bg, kw, sealedOld); err == nil {
		t.Error("the new key alone decrypted old data")
	}
}

func TestAESPlaintextPassesThrough(t *testing.T) {
	e := newAES(t, encryption.AESOptions{Key: k16})
	if got, err := e.DecryptBlob(bg, kw, []byte(`{"a":1}`)); err != nil || string(got) != `{"a":1}` {
		t.Errorf("plain blob: %q, %v", got, err)
	}
	in := map[string]any{"input": "written before encryption", "n": 1.0}
	if got, err := e.DecryptJSON(bg, kw, in); err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("plain JSON: %v, %v", got, err)
	}
}

func TestAESBadKeys(t *testing.T) {
	for _, o := range []encryption.AESOptions{
		{Key: []byte("short")},
		{Key: nil},
		{Key: []byte("0123456789abcdef0")},
		{Key: k16, OldKeys: [][]byte{[]byte("x")}},
		{Key: k16, JSONKeys: []string{"owner"}},
	} {
		if _, err := encryption.NewAES(o); err == nil {
			t.Errorf("NewAES(%+v) accepted", o)
		}
	}
	_, err := encryption.NewAES(encryption.AESOptions{Key: []byte("0123456789")})
	if err == nil || !strings.Contains(err.Error(), "is 10 bytes; want 16, 24 or 32") {
		t.Errorf("bad length message: %v", err)
	}
}

func TestAESFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if e, err := encryption.AESFromEnv(env(nil)); e != nil || err != nil {
		t.Errorf("no key: %v, %v", e, err)
	}
	e, err := encryption.AESFromEnv(env(map[string]string{"LANGGRAPH_AES_KEY": string(k32),
		"LANGGRAPH_AES_OLD_KEYS": string(k16) + ", " + string(k24), "LANGGRAPH_AES_JSON_KEYS": "api_key, token"}))
	if err != nil || e.Name != "aes-256-gcm, 2 old keys, json keys api_key,token" {
		t.Fatalf("from env: %+v, %v", e, err)
	}
	if e, err := encryption.AESFromEnv(env(map[string]string{"AGENTGATE_AES_KEY": string(k16)})); err != nil || e == nil {
		t.Errorf("AGENTGATE_AES_KEY: %v, %v", e, err)
	}
	_, err = encryption.AESFromEnv(env(map[string]string{"LANGGRAPH_AES_KEY": "too-short"}))
	if err == nil || !strings.Contains(err.Error(), "LANGGRAPH_AES_KEY") || !strings.Contains(err.Error(), "9 bytes") {
		t.Errorf("bad key from env: %v", err)
	}
	if _, err := encryption.AESFromEnv(env(map[string]string{"LANGGRAPH_AES_JSON_KEYS": "a"})); err == nil {
		t.Error("JSON keys without a key accepted")
	}
}

func TestValidateAndSameKeys(t *testing.T) {
	noop := func(_ context.Context, _ encryption.Context, v map[string]any) (map[string]any, error) { return v, nil }
	if err := (&encryption.Encryption{EncryptJSON: noop}).Validate(); err == nil {
		t.Error("EncryptJSON without DecryptJSON accepted")
	}
	if err := (&encryption.Encryption{}).Validate(); err == nil {
		t.Error("no hooks accepted")
	}
	if err := (&encryption.Encryption{EncryptJSON: noop, DecryptJSON: noop}).Validate(); err != nil {
		t.Error(err)
	}
	err := encryption.SameKeys(map[string]any{"a": 1, "b": 2}, map[string]any{"a": 1, "c": 2})
	if err == nil || !strings.Contains(err.Error(), `added ["c"], removed ["b"]`) {
		t.Errorf("SameKeys: %v", err)
	}
}
