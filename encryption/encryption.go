// Package encryption is the public API for encrypting data at rest: an
// Encryption holds the hooks the server calls before it writes a tenant's
// data to the database and after it reads it back, in the style of
// LangGraph's custom encryption. A langgraph.json "encryption": {"path":
// "./dir:Name"} names an exported *Encryption; NewAES builds the built-in
// AES-GCM one that the LANGGRAPH_AES_KEY environment variable turns on.
//
// What is encrypted (package storage/encrypted applies it): JSON fields of
// threads, assistants, runs, crons and store items go through EncryptJSON
// one object at a time (see Context.Field); checkpoint channel values,
// pending writes and thread values that are not objects go through
// EncryptBlob. Ids, timestamps, statuses and the keys of every JSON object
// stay in clear. Fields encrypted cannot be filtered or searched.
package encryption

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/agentgate/agentgate/auth"
)

// Models name the kind of record a value belongs to (Context.Model).
const (
	ModelThread     = "thread"
	ModelAssistant  = "assistant"
	ModelRun        = "run"
	ModelCron       = "cron"
	ModelCheckpoint = "checkpoint"
	ModelStore      = "store"
)

// Fields name the part of a record (Context.Field). Content fields hold
// what users and graphs said; the others describe the record.
const (
	FieldMetadata   = "metadata"   // thread, assistant, run, cron, checkpoint
	FieldValues     = "values"     // thread state; checkpoint channel values
	FieldInterrupts = "interrupts" // thread
	FieldConfig     = "config"     // thread, assistant
	FieldContext    = "context"    // assistant
	FieldKwargs     = "kwargs"     // run: input, command, config, ...
	FieldPayload    = "payload"    // cron: the run it creates
	FieldValue      = "value"      // store item
	FieldWrites     = "writes"     // checkpoint pending writes
)

// Context says what a hook is encrypting or decrypting.
type Context struct {
	// User is the authenticated caller, nil for the server's own work (run
	// workers, schedulers, the sweeper).
	User *auth.User
	// Model is one of the Model constants, Field one of the Field ones.
	Model, Field string
	// Metadata holds the non-secret key-values the Context hook derived
	// for User (empty without a hook). They are not stored: a decrypt
	// hook that needs to know how a value was encrypted (a tenant, a key
	// id) must read it from the ciphertext, because the server's own
	// reads have no user.
	Metadata map[string]any
}

// Encryption holds the hooks; nil ones leave their kind of data in clear.
// Hooks come in pairs: EncryptJSON with DecryptJSON, EncryptBlob with
// DecryptBlob.
//
// JSON hooks receive one object and must return an object with exactly the
// same keys, transforming values only (the server refuses anything else
// with an error, because stored objects are merged key by key). A decrypt
// hook must return values it did not encrypt unchanged: data written before
// encryption was turned on is read through it too.
type Encryption struct {
	EncryptJSON func(ctx context.Context, c Context, v map[string]any) (map[string]any, error)
	DecryptJSON func(ctx context.Context, c Context, v map[string]any) (map[string]any, error)
	EncryptBlob func(ctx context.Context, c Context, b []byte) ([]byte, error)
	DecryptBlob func(ctx context.Context, c Context, b []byte) ([]byte, error)
	// Context derives Context.Metadata from the caller (nil for the
	// server's own work), for example a tenant id from a claim. It runs
	// before every hook call: keep it cheap (cache what needs I/O).
	Context func(ctx context.Context, user *auth.User) (map[string]any, error)
	// Name describes the encryption in the startup log ("custom" if empty).
	Name string
}

// Validate reports hooks set without their pair, and a nil Encryption.
func (e *Encryption) Validate() error {
	if e == nil {
		return errors.New("encryption: nil *Encryption")
	}
	if (e.EncryptJSON == nil) != (e.DecryptJSON == nil) {
		return errors.New("encryption: EncryptJSON and DecryptJSON must be set together")
	}
	if (e.EncryptBlob == nil) != (e.DecryptBlob == nil) {
		return errors.New("encryption: EncryptBlob and DecryptBlob must be set together")
	}
	if e.EncryptJSON == nil && e.EncryptBlob == nil {
		return errors.New("encryption: no hooks set (want EncryptJSON/DecryptJSON, EncryptBlob/DecryptBlob or both)")
	}
	return nil
}

// SameKeys returns an error naming the keys out added or dropped compared
// with in; the server calls it on every JSON hook's result.
func SameKeys(in, out map[string]any) error {
	var added, removed []string
	for k := range out {
		if _, ok := in[k]; !ok {
			added = append(added, k)
		}
	}
	for k := range in {
		if _, ok := out[k]; !ok {
			removed = append(removed, k)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	sort.Strings(added)
	sort.Strings(removed)
	return fmt.Errorf("must keep the object's keys and transform values only (added %q, removed %q)", added, removed)
}
