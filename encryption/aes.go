package encryption

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Environment variables of the built-in AES mode. The AGENTGATE_ names are
// read when the LANGGRAPH_ ones are unset.
const (
	EnvAESKey      = "LANGGRAPH_AES_KEY"
	EnvAESOldKeys  = "LANGGRAPH_AES_OLD_KEYS"
	EnvAESJSONKeys = "LANGGRAPH_AES_JSON_KEYS"
)

// SystemKeys returns the metadata keys the server reads itself; they
// cannot be listed in AESOptions.JSONKeys.
func SystemKeys() []string {
	return []string{"langgraph_version", "langgraph_api_version", "langgraph_plan", "langgraph_host",
		"langgraph_api_url", "langgraph_request_id", "langgraph_auth_user_id", "langgraph_auth_permissions",
		"graph_id", "assistant_id", "thread_id", "run_id", "user_id", "owner", "source", "step", "parents"}
}

// AESOptions configure NewAES.
type AESOptions struct {
	// Key encrypts every write: 16, 24 or 32 bytes (AES-128/192/256).
	Key []byte
	// OldKeys only decrypt: the keys of a rotation. A value written with
	// one is re-encrypted with Key the next time it is written.
	OldKeys [][]byte
	// JSONKeys are object keys encrypted wherever they appear at the top
	// of a metadata, config, context or payload object.
	JSONKeys []string
	// KeysOnly limits JSON encryption to JSONKeys everywhere. By default
	// the content fields (thread values and interrupts, run kwargs, cron
	// payloads, store item values, and checkpoint metadata "writes") are
	// encrypted whole, value by value.
	KeysOnly bool
}

// Ciphertext formats: a blob is blobMagic, the 4-byte key id, the nonce and
// the sealed bytes; a JSON value becomes the string jsonPrefix + hex key id
// + ":" + base64(nonce + sealed JSON). Anything else is plaintext written
// before encryption was on, and reads as it is.
const (
	blobMagic  = "AGE\x01"
	jsonPrefix = "agentgate:aes:v1:"
	kidLen     = 4
)

type aesKey struct {
	id   [kidLen]byte
	aead cipher.AEAD
}

type aesMode struct {
	cur      aesKey
	keys     map[[kidLen]byte]aesKey
	jsonKeys map[string]bool
	keysOnly bool
}

// NewAES returns the built-in AES-GCM encryption.
func NewAES(o AESOptions) (*Encryption, error) {
	cur, err := newAESKey(o.Key, "key")
	if err != nil {
		return nil, err
	}
	m := &aesMode{cur: cur, keys: map[[kidLen]byte]aesKey{cur.id: cur}, jsonKeys: map[string]bool{}, keysOnly: o.KeysOnly}
	for i, k := range o.OldKeys {
		ok, err := newAESKey(k, fmt.Sprintf("old key %d", i+1))
		if err != nil {
			return nil, err
		}
		if _, dup := m.keys[ok.id]; !dup {
			m.keys[ok.id] = ok
		}
	}
	for _, k := range o.JSONKeys {
		if slices.Contains(SystemKeys(), k) {
			return nil, fmt.Errorf("encryption: JSON key %q is read by the server and cannot be encrypted", k)
		}
		m.jsonKeys[k] = true
	}
	name := fmt.Sprintf("aes-%d-gcm", len(o.Key)*8)
	if n := len(m.keys) - 1; n > 0 {
		name += fmt.Sprintf(", %d old keys", n)
	}
	if len(o.JSONKeys) > 0 {
		name += ", json keys " + strings.Join(o.JSONKeys, ",")
	}
	return &Encryption{Name: name, EncryptJSON: m.encryptJSON, DecryptJSON: m.decryptJSON,
		EncryptBlob: m.encryptBlob, DecryptBlob: m.decryptBlob}, nil
}

// AESFromEnv builds the AES encryption from LANGGRAPH_AES_KEY (raw key
// bytes), LANGGRAPH_AES_OLD_KEYS (comma-separated) and
// LANGGRAPH_AES_JSON_KEYS (comma-separated), or their AGENTGATE_AES_
// equivalents; nil without a key.
func AESFromEnv(getenv func(string) string) (*Encryption, error) {
	get := func(name string) (string, string) {
		if v := getenv(name); v != "" {
			return v, name
		}
		alt := strings.Replace(name, "LANGGRAPH_", "AGENTGATE_", 1)
		return getenv(alt), alt
	}
	key, keyVar := get(EnvAESKey)
	old, oldVar := get(EnvAESOldKeys)
	jk, jkVar := get(EnvAESJSONKeys)
	if key == "" {
		for _, v := range [][2]string{{old, oldVar}, {jk, jkVar}} {
			if v[0] != "" {
				return nil, fmt.Errorf("%s is set without %s: set the current key too", v[1], EnvAESKey)
			}
		}
		return nil, nil
	}
	o := AESOptions{Key: []byte(key), JSONKeys: splitList(jk)}
	if _, err := newAESKey(o.Key, "key"); err != nil {
		return nil, fmt.Errorf("%s: %w", keyVar, err)
	}
	for i, k := range splitList(old) {
		if _, err := newAESKey([]byte(k), fmt.Sprintf("old key %d", i+1)); err != nil {
			return nil, fmt.Errorf("%s: %w", oldVar, err)
		}
		o.OldKeys = append(o.OldKeys, []byte(k))
	}
	e, err := NewAES(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", jkVar, err)
	}
	return e, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func newAESKey(k []byte, what string) (aesKey, error) {
	switch len(k) {
	case 16, 24, 32:
	default:
		return aesKey{}, fmt.Errorf("encryption: the AES %s is %d bytes; want 16, 24 or 32 (AES-128, AES-192, AES-256)", what, len(k))
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return aesKey{}, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return aesKey{}, err
	}
	sum := sha256.Sum256(append([]byte("agentgate key id\x00"), k...))
	var id [kidLen]byte
	copy(id[:], sum[:])
	return aesKey{id: id, aead: g}, nil
}

func (k aesKey) seal(plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return k.aead.Seal(nonce, nonce, plain, nil)
}

func (m *aesMode) open(id [kidLen]byte, sealed []byte) ([]byte, error) {
	k, ok := m.keys[id]
	if !ok {
		return nil, fmt.Errorf("encryption: value encrypted with an unknown AES key (id %x): configure it in %s", id, EnvAESOldKeys)
	}
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("encryption: truncated AES ciphertext")
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("encryption: AES ciphertext (key id %x) does not authenticate: %w", id, err)
	}
	return plain, nil
}

func (m *aesMode) encryptBlob(_ context.Context, _ Context, b []byte) ([]byte, error) {
	out := append([]byte(blobMagic), m.cur.id[:]...)
	return append(out, m.cur.seal(b)...), nil
}

func (m *aesMode) decryptBlob(_ context.Context, _ Context, b []byte) ([]byte, error) {
	if len(b) < len(blobMagic)+kidLen || string(b[:len(blobMagic)]) != blobMagic {
		return b, nil // written before encryption was on
	}
	var id [kidLen]byte
	copy(id[:], b[len(blobMagic):])
	return m.open(id, b[len(blobMagic)+kidLen:])
}

// whole reports whether every value of c's object is encrypted.
func (m *aesMode) whole(c Context, key string) bool {
	if m.jsonKeys[key] {
		return true
	}
	if m.keysOnly {
		return false
	}
	switch c.Field {
	case FieldValues, FieldInterrupts, FieldKwargs, FieldPayload, FieldValue:
		return true
	case FieldMetadata:
		return c.Model == ModelCheckpoint && key == "writes"
	}
	return false
}

func (m *aesMode) encryptJSON(_ context.Context, c Context, v map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(v))
	for k, x := range v {
		if !m.whole(c, k) || x == nil {
			out[k] = x
			continue
		}
		plain, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("encryption: %s.%s.%s: %w", c.Model, c.Field, k, err)
		}
		out[k] = jsonPrefix + hex.EncodeToString(m.cur.id[:]) + ":" + base64.RawStdEncoding.EncodeToString(m.cur.seal(plain))
	}
	return out, nil
}

func (m *aesMode) decryptJSON(_ context.Context, c Context, v map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(v))
	for k, x := range v {
		s, ok := x.(string)
		if !ok || !strings.HasPrefix(s, jsonPrefix) {
			out[k] = x
			continue
		}
		kid, b64, ok := strings.Cut(s[len(jsonPrefix):], ":")
		idb, err := hex.DecodeString(kid)
		if !ok || err != nil || len(idb) != kidLen {
			return nil, fmt.Errorf("encryption: %s.%s.%s: malformed AES value", c.Model, c.Field, k)
		}
		sealed, err := base64.RawStdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("encryption: %s.%s.%s: malformed AES value: %w", c.Model, c.Field, k, err)
		}
		plain, err := m.open([kidLen]byte(idb), sealed)
		if err != nil {
			return nil, fmt.Errorf("%s.%s.%s: %w", c.Model, c.Field, k, err)
		}
		var val any
		if err := json.Unmarshal(plain, &val); err != nil {
			return nil, fmt.Errorf("encryption: %s.%s.%s: %w", c.Model, c.Field, k, err)
		}
		out[k] = val
	}
	return out, nil
}
