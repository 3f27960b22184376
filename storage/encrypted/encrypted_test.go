package encrypted_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/conformance"
	"github.com/agentgate/agentgate/storage/encrypted"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/agentgate/agentgate/storage/postgres"
	"github.com/agentgate/agentgate/storage/sqlite"
)

const (
	key1 = "0123456789abcdef0123456789abcdef"
	key2 = "fedcba9876543210"
)

func aes(t *testing.T, o encryption.AESOptions) *encryption.Encryption {
	t.Helper()
	e, err := encryption.NewAES(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func wrap(t *testing.T, st storage.Store, e *encryption.Encryption) storage.Store {
	t.Helper()
	w, err := encrypted.New(st, e)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// suiteEncryption keeps the fields the suite searches on in clear (KeysOnly)
// and encrypts checkpoints, pending writes, values that are not objects
// and the "secret" keys.
func suiteEncryption(t *testing.T) *encryption.Encryption {
	return aes(t, encryption.AESOptions{Key: []byte(key1), JSONKeys: []string{"secret"}, KeysOnly: true})
}

func TestConformanceMemory(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store { return wrap(t, memory.New(), suiteEncryption(t)) })
}

func TestConformanceSQLite(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "agentgate.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return wrap(t, s, suiteEncryption(t))
	})
}

func TestConformancePostgres(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store {
		s, err := postgres.Open(t.Context(), testenv.FreshPostgres(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return wrap(t, s, suiteEncryption(t))
	})
}

const secret = "the-eagle-lands-at-midnight"

func all() storage.Scope {
	return storage.Authorized(storage.Event{Resource: "test", Action: "any"})
}

func sys() storage.Scope { return storage.System() }

type result[T any] struct {
	v   T
	err error
}

func val[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// writeEverything stores secret in every encrypted field through st.
func writeEverything(t *testing.T, st storage.Store) {
	t.Helper()
	ctx := context.Background()
	val(st.Assistants().Create(ctx, sys(), storage.AssistantCreate{AssistantID: "a1", GraphID: "g",
		Metadata: map[string]any{"api_key": secret, "team": "blue"}, Config: map[string]any{"api_key": secret},
		Context: map[string]any{"api_key": secret}})).get(t)
	val(st.Threads().Create(ctx, sys(), storage.ThreadCreate{ThreadID: "t1",
		Metadata: map[string]any{"owner": "alice", "api_key": secret}})).get(t)
	val(st.Runs().Create(ctx, sys(), storage.RunCreate{RunID: "r1", ThreadID: "t1", AssistantID: "a1", GraphID: "g",
		Kwargs: map[string]any{"input": map[string]any{"messages": []any{secret}}}})).get(t)
	val(st.Threads().SetState(ctx, sys(), "t1", storage.ThreadState{
		Values:     map[string]any{"messages": []any{map[string]any{"content": secret}}},
		Interrupts: map[string]any{"task": []any{secret}}})).get(t)
	val(st.Crons().Create(ctx, sys(), storage.CronCreate{CronID: "c1", AssistantID: "a1", Schedule: "* * * * *",
		Payload: map[string]any{"input": secret}, Metadata: map[string]any{"api_key": secret}})).get(t)
	if err := st.Items().Put(ctx, sys(), storage.ItemPut{Namespace: []string{"notes"}, Key: "k",
		Value: map[string]any{"text": secret}}); err != nil {
		t.Fatal(err)
	}
	sv := val(st.Checkpointer(ctx, sys(), "t1")).get(t)
	cfg := val(sv.Put(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(),
		ChannelValues:   map[string]json.RawMessage{"messages": json.RawMessage(`["` + secret + `"]`)},
		ChannelVersions: map[string]string{"messages": "1"}, VersionsSeen: map[string]map[string]string{}},
		checkpoint.Metadata{"source": "loop", "step": 1, "writes": map[string]any{"node": secret}}, map[string]string{"messages": "1"})).get(t)
	if err := sv.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: "messages", Value: json.RawMessage(`"` + secret + `"`)}}, "task1"); err != nil {
		t.Fatal(err)
	}
}

// readEverything returns every record of writeEverything as JSON.
func readEverything(t *testing.T, st storage.Store) string {
	t.Helper()
	ctx := context.Background()
	var parts []any
	parts = append(parts, val(st.Assistants().Get(ctx, sys(), "a1")).get(t))
	parts = append(parts, val(st.Assistants().Versions(ctx, sys(), "a1", storage.VersionSearch{})).get(t))
	parts = append(parts, val(st.Threads().Get(ctx, sys(), "t1")).get(t))
	parts = append(parts, val(st.Runs().Get(ctx, sys(), "t1", "r1")).get(t))
	parts = append(parts, val(st.Crons().Get(ctx, sys(), "c1")).get(t))
	parts = append(parts, val(st.Items().Get(ctx, sys(), []string{"notes"}, "k", false)).get(t))
	sv := val(st.Checkpointer(ctx, sys(), "t1")).get(t)
	parts = append(parts, val(sv.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{})).get(t))
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecretsAreCiphertextInTheBackend(t *testing.T) {
	raw := memory.New()
	st := wrap(t, raw, aes(t, encryption.AESOptions{Key: []byte(key1), JSONKeys: []string{"api_key"}}))
	writeEverything(t, st)
	if got := readEverything(t, raw); strings.Contains(got, secret) {
		t.Errorf("the backend holds the secret in clear:\n%s", got)
	}
	clear := readEverything(t, st)
	if n := strings.Count(clear, secret); n < 13 {
		t.Errorf("decrypted reads show the secret %d times, want every field (13):\n%s", n, clear)
	}
	ctx := context.Background()
	// A filter on a clear key still finds the thread; one on an encrypted key cannot.
	if got := val(st.Threads().Search(ctx, all(), storage.ThreadSearch{Metadata: map[string]any{"owner": "alice"}})).get(t); len(got) != 1 || got[0].Metadata["api_key"] != secret {
		t.Errorf("search by a clear key: %+v", got)
	}
	if got := val(st.Threads().Search(ctx, all(), storage.ThreadSearch{Metadata: map[string]any{"api_key": secret}})).get(t); len(got) != 0 {
		t.Errorf("search by an encrypted key matched %d threads", len(got))
	}
	if got := val(st.Assistants().Search(ctx, all(), storage.AssistantSearch{Metadata: map[string]any{"team": "blue"}})).get(t); len(got) != 1 {
		t.Errorf("assistant search by a clear key: %+v", got)
	}
	// Checkpoint metadata filters work on the clear keys.
	sv := val(st.Checkpointer(ctx, sys(), "t1")).get(t)
	if got := val(sv.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Filter: map[string]any{"source": "loop"}})).get(t); len(got) != 1 {
		t.Errorf("checkpoint filter on a clear key: %d tuples", len(got))
	}
}

func TestPlaintextWrittenBeforeEncryptionReads(t *testing.T) {
	raw := memory.New()
	writeEverything(t, raw)
	want := readEverything(t, raw)
	st := wrap(t, raw, aes(t, encryption.AESOptions{Key: []byte(key1), JSONKeys: []string{"api_key"}}))
	if got := readEverything(t, st); got != want {
		t.Errorf("plaintext read through the encrypted store changed:\n got %s\nwant %s", got, want)
	}
}

func TestKeyRotation(t *testing.T) {
	raw := memory.New()
	ctx := context.Background()
	old := wrap(t, raw, aes(t, encryption.AESOptions{Key: []byte(key1)}))
	writeEverything(t, old)
	want := readEverything(t, old)

	rotated := wrap(t, raw, aes(t, encryption.AESOptions{Key: []byte(key2), OldKeys: [][]byte{[]byte(key1)}}))
	if got := readEverything(t, rotated); got != want {
		t.Errorf("after rotation:\n got %s\nwant %s", got, want)
	}
	newOnly := wrap(t, raw, aes(t, encryption.AESOptions{Key: []byte(key2)}))
	if _, err := newOnly.Items().Get(ctx, sys(), []string{"notes"}, "k", false); err == nil || !strings.Contains(err.Error(), "unknown AES key") {
		t.Fatalf("reading old-key data without the old key: %v", err)
	}
	// The next write re-encrypts with the current key: the old key is no longer needed.
	it := val(rotated.Items().Get(ctx, sys(), []string{"notes"}, "k", false)).get(t)
	if err := rotated.Items().Put(ctx, sys(), storage.ItemPut{Namespace: it.Namespace, Key: it.Key, Value: it.Value}); err != nil {
		t.Fatal(err)
	}
	if got := val(newOnly.Items().Get(ctx, sys(), []string{"notes"}, "k", false)).get(t); got.Value["text"] != secret {
		t.Errorf("re-encrypted item: %v", got.Value)
	}
}

func TestJSONHooksMustKeepKeys(t *testing.T) {
	e := &encryption.Encryption{
		EncryptJSON: func(_ context.Context, _ encryption.Context, v map[string]any) (map[string]any, error) {
			return map[string]any{"__encrypted__": "blob"}, nil
		},
		DecryptJSON: func(_ context.Context, _ encryption.Context, v map[string]any) (map[string]any, error) { return v, nil },
	}
	st := wrap(t, memory.New(), e)
	_, err := st.Threads().Create(context.Background(), sys(), storage.ThreadCreate{ThreadID: "t", Metadata: map[string]any{"a": 1}})
	if err == nil || !strings.Contains(err.Error(), "must keep the object's keys") || !strings.Contains(err.Error(), "__encrypted__") {
		t.Fatalf("a hook changing keys: %v", err)
	}
	if _, err := encrypted.New(memory.New(), &encryption.Encryption{EncryptBlob: func(_ context.Context, _ encryption.Context, b []byte) ([]byte, error) { return b, nil }}); err == nil {
		t.Error("EncryptBlob without DecryptBlob was accepted")
	}
}

func TestHookErrorsFailTheCall(t *testing.T) {
	boom := errors.New("kms unavailable")
	e := &encryption.Encryption{
		EncryptBlob: func(context.Context, encryption.Context, []byte) ([]byte, error) { return nil, boom },
		DecryptBlob: func(_ context.Context, _ encryption.Context, b []byte) ([]byte, error) { return b, nil },
	}
	st := wrap(t, memory.New(), e)
	ctx := context.Background()
	val(st.Threads().Create(ctx, sys(), storage.ThreadCreate{ThreadID: "t"})).get(t)
	sv := val(st.Checkpointer(ctx, sys(), "t")).get(t)
	_, err := sv.Put(ctx, checkpoint.Config{ThreadID: "t"}, checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(),
		ChannelValues: map[string]json.RawMessage{"x": json.RawMessage(`1`)}}, checkpoint.Metadata{}, nil)
	if !errors.Is(err, boom) {
		t.Errorf("Put with a failing hook: %v", err)
	}
}

func TestHooksSeeTheCallerModelAndField(t *testing.T) {
	var seen []string
	e := &encryption.Encryption{
		Context: func(_ context.Context, u *auth.User) (map[string]any, error) {
			if u == nil {
				return map[string]any{"tenant": "system"}, nil
			}
			return map[string]any{"tenant": u.Identity}, nil
		},
		EncryptJSON: func(_ context.Context, c encryption.Context, v map[string]any) (map[string]any, error) {
			who := "-"
			if c.User != nil {
				who = c.User.Identity
			}
			seen = append(seen, who+" "+c.Model+"."+c.Field+" "+c.Metadata["tenant"].(string))
			return v, nil
		},
		DecryptJSON: func(_ context.Context, _ encryption.Context, v map[string]any) (map[string]any, error) { return v, nil },
	}
	st := wrap(t, memory.New(), e)
	ctx := auth.WithIdentity(context.Background(), &auth.Identity{User: &auth.User{Identity: "alice"}})
	val(st.Threads().Create(ctx, sys(), storage.ThreadCreate{ThreadID: "t", Metadata: map[string]any{"a": 1}})).get(t)
	if err := st.Items().Put(context.Background(), sys(), storage.ItemPut{Namespace: []string{"n"}, Key: "k", Value: map[string]any{"x": 1}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"alice thread.metadata alice", "- store.value system"}
	if !slices.Equal(seen, want) {
		t.Errorf("hook calls %q, want %q", seen, want)
	}
}
