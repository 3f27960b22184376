// Package encrypted wraps a storage.Store so that what it writes is
// encrypted with an *encryption.Encryption and what it reads is decrypted:
// thread metadata, config, values and interrupts; assistant metadata,
// config and context; run metadata and kwargs; cron metadata and payload;
// store item values; checkpoint channel values, metadata and pending
// writes. Which values of each object are encrypted is the hooks' choice;
// keys, ids, timestamps, statuses and TTLs stay in clear, so scope filters
// and searches work on values left in clear and never match encrypted ones.
package encrypted

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
)

// New returns st encrypting with e (st itself when e is nil). e must pass
// Validate.
func New(st storage.Store, e *encryption.Encryption) (storage.Store, error) {
	if e == nil {
		return st, nil
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return store{st, codec{e}}, nil
}

type store struct {
	st storage.Store
	c  codec
}

func (s store) Assistants() storage.Assistants { return assistants{s.st.Assistants(), s.c} }
func (s store) Threads() storage.Threads       { return threads{s.st.Threads(), s.c} }
func (s store) Items() storage.Items           { return items{s.st.Items(), s.c} }
func (s store) Runs() storage.Runs             { return runs{s.st.Runs(), s.c} }
func (s store) Crons() storage.Crons           { return crons{s.st.Crons(), s.c} }
func (s store) Ping(ctx context.Context) error { return s.st.Ping(ctx) }
func (s store) Close() error                   { return s.st.Close() }

func (s store) Sweep(ctx context.Context, sc storage.Scope, o storage.SweepOptions) (storage.SweepResult, error) {
	return s.st.Sweep(ctx, sc, o)
}

func (s store) Checkpointer(ctx context.Context, sc storage.Scope, threadID string) (checkpoint.Saver, error) {
	sv, err := s.st.Checkpointer(ctx, sc, threadID)
	if err != nil {
		return nil, err
	}
	return saver{sv, s.c}, nil
}

// blobPrefix marks a blob stored where JSON is expected (a checkpoint
// value, thread values that are not an object): a JSON string holding
// blobPrefix and the blob in base64.
const blobPrefix = "agentgate:enc:"

type codec struct{ e *encryption.Encryption }

// hookContext is the Context of a hook call for ctx's caller.
func (c codec) hookContext(ctx context.Context, model, field string) (encryption.Context, error) {
	hc := encryption.Context{Model: model, Field: field, Metadata: map[string]any{}}
	if id, ok := auth.IdentityFrom(ctx); ok {
		hc.User = id.User
	}
	if c.e.Context != nil {
		md, err := c.e.Context(ctx, hc.User)
		if err != nil {
			return hc, fmt.Errorf("encryption context: %w", err)
		}
		if md != nil {
			hc.Metadata = md
		}
	}
	return hc, nil
}

// object runs a JSON hook on m (nil and empty objects are left alone) and
// checks that it kept the keys.
func (c codec) object(ctx context.Context, enc bool, model, field string, m map[string]any) (map[string]any, error) {
	hook, verb := c.e.DecryptJSON, "DecryptJSON"
	if enc {
		hook, verb = c.e.EncryptJSON, "EncryptJSON"
	}
	if hook == nil || len(m) == 0 {
		return m, nil
	}
	hc, err := c.hookContext(ctx, model, field)
	if err != nil {
		return nil, err
	}
	out, err := hook(ctx, hc, m)
	if err != nil {
		return nil, fmt.Errorf("encryption: %s of %s %s: %w", verb, model, field, err)
	}
	if err := encryption.SameKeys(m, out); err != nil {
		return nil, fmt.Errorf("encryption: %s of %s %s %w", verb, model, field, err)
	}
	return out, nil
}

func (c codec) enc(ctx context.Context, model, field string, m map[string]any) (map[string]any, error) {
	return c.object(ctx, true, model, field, m)
}

func (c codec) dec(ctx context.Context, model, field string, m map[string]any) (map[string]any, error) {
	return c.object(ctx, false, model, field, m)
}

// encRaw encrypts one JSON document as a blob, stored as a JSON string.
func (c codec) encRaw(ctx context.Context, model, field string, raw json.RawMessage) (json.RawMessage, error) {
	if c.e.EncryptBlob == nil {
		return raw, nil
	}
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("encryption: %s %s: %w", model, field, err)
	}
	hc, err := c.hookContext(ctx, model, field)
	if err != nil {
		return nil, err
	}
	b, err := c.e.EncryptBlob(ctx, hc, buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("encryption: EncryptBlob of %s %s: %w", model, field, err)
	}
	return json.Marshal(blobPrefix + base64.StdEncoding.EncodeToString(b))
}

// decRaw reverses encRaw; anything else is plaintext and returned as is.
func (c codec) decRaw(ctx context.Context, model, field string, raw json.RawMessage) (json.RawMessage, error) {
	if c.e.DecryptBlob == nil || len(raw) < len(blobPrefix)+2 || raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || !strings.HasPrefix(s, blobPrefix) {
		return raw, nil
	}
	b, err := base64.StdEncoding.DecodeString(s[len(blobPrefix):])
	if err != nil {
		return nil, fmt.Errorf("encryption: %s %s: malformed blob: %w", model, field, err)
	}
	hc, err := c.hookContext(ctx, model, field)
	if err != nil {
		return nil, err
	}
	plain, err := c.e.DecryptBlob(ctx, hc, b)
	if err != nil {
		return nil, fmt.Errorf("encryption: DecryptBlob of %s %s: %w", model, field, err)
	}
	return plain, nil
}

// encAny encrypts a JSON value of any shape: objects with the JSON hooks,
// anything else but null as a blob.
func (c codec) encAny(ctx context.Context, model, field string, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return c.enc(ctx, model, field, x)
	}
	if c.e.EncryptBlob == nil {
		return v, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encryption: %s %s: %w", model, field, err)
	}
	b, err := c.encRaw(ctx, model, field, raw)
	if err != nil {
		return nil, err
	}
	var s string
	err = json.Unmarshal(b, &s)
	return s, err
}

func (c codec) decAny(ctx context.Context, model, field string, v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		return c.dec(ctx, model, field, x)
	case string:
		if !strings.HasPrefix(x, blobPrefix) || c.e.DecryptBlob == nil {
			return v, nil
		}
		raw, _ := json.Marshal(x)
		plain, err := c.decRaw(ctx, model, field, raw)
		if err != nil {
			return nil, err
		}
		var out any
		if err := json.Unmarshal(plain, &out); err != nil {
			return nil, fmt.Errorf("encryption: %s %s: %w", model, field, err)
		}
		return out, nil
	}
	return v, nil
}

// decOne decrypts x in place with dec, unless err (the wrapped call's) is
// set; a decryption error drops x.
func decOne[T any](ctx context.Context, x T, err error, dec func(context.Context, *T) error) (T, error) {
	if err != nil {
		return x, err
	}
	if err := dec(ctx, &x); err != nil {
		var zero T
		return zero, err
	}
	return x, nil
}

// decAll is decOne for every element of xs.
func decAll[T any](ctx context.Context, xs []T, err error, dec func(context.Context, *T) error) ([]T, error) {
	if err != nil {
		return xs, err
	}
	for i := range xs {
		if err := dec(ctx, &xs[i]); err != nil {
			return nil, err
		}
	}
	return xs, nil
}
