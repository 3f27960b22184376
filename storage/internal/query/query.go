// Package query holds the backend-neutral parts of storage queries: argument
// validation, sort keys, the store-item filter and namespace matching. Every
// backend uses it so that they agree on what is valid and what matches.
package query

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/internal/jsontext"
	"github.com/agentgate/agentgate/storage"
)

// Normalize returns the JSON-decoded form of v (maps, slices, float64,
// string, bool, nil): what a JSON column gives back. It is also a deep copy.
// A value already in that form is copied without the JSON round trip.
func Normalize(v any) (any, error) {
	if c, ok := jsontext.Copy(v); ok {
		return c, nil
	}
	return RoundTrip(v)
}

// RoundTrip is Normalize by way of JSON text, for values that are not
// already in decoded form (jsontext.IsNormal).
func RoundTrip(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, storage.Errorf(storage.ErrInvalid, "value is not JSON: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, storage.Errorf(storage.ErrInvalid, "value is not JSON: %v", err)
	}
	return out, nil
}

// NormalizeMap is Normalize for objects; nil gives an empty map.
func NormalizeMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	v, err := Normalize(m)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// Copy deep-copies a normalized JSON value.
func Copy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return CopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Copy(e)
		}
		return out
	}
	return v
}

// CopyMap deep-copies a normalized JSON object (nil stays nil).
func CopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = Copy(e)
	}
	return out
}

// Merge returns a copy of base with the keys of patch set (shallow merge).
func Merge(base, patch map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(patch))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		out[k] = v
	}
	return out
}

// Page checks limit and offset. A limit of 0 means no limit.
func Page(limit, offset int) error {
	if limit < 0 || offset < 0 {
		return storage.Errorf(storage.ErrInvalid, "limit and offset must not be negative")
	}
	return nil
}

// Order is a validated sort: the column, its direction, and the column that
// breaks ties (sorted in the same direction).
type Order struct {
	By   string
	Desc bool
	Tie  string
	// Fold sorts By case-insensitively (ASCII folding).
	Fold bool
}

// ThreadOrder validates a thread sort. The default is updated_at DESC,
// thread_id DESC.
func ThreadOrder(by, order string) (Order, error) {
	switch by {
	case "":
		by = "updated_at"
	case "thread_id", "status", "created_at", "updated_at", "state_updated_at":
	default:
		return Order{}, storage.Errorf(storage.ErrInvalid, "invalid sort_by %q: must be one of thread_id, status, created_at, updated_at, state_updated_at", by)
	}
	desc, err := direction(order)
	if err != nil {
		return Order{}, err
	}
	return Order{By: by, Desc: desc, Tie: "thread_id"}, nil
}

// AssistantOrder validates an assistant sort. The default is created_at
// DESC; name and graph_id sort case-insensitively.
func AssistantOrder(by, order string) (Order, error) {
	switch by {
	case "":
		by = "created_at"
	case "assistant_id", "graph_id", "name", "created_at", "updated_at":
	default:
		return Order{}, storage.Errorf(storage.ErrInvalid, "invalid sort_by %q: must be one of assistant_id, graph_id, name, created_at, updated_at", by)
	}
	desc, err := direction(order)
	if err != nil {
		return Order{}, err
	}
	return Order{By: by, Desc: desc, Tie: "assistant_id", Fold: by == "name" || by == "graph_id"}, nil
}

func direction(order string) (bool, error) {
	switch strings.ToLower(order) {
	case "", "desc":
		return true, nil
	case "asc":
		return false, nil
	}
	return false, storage.Errorf(storage.ErrInvalid, "invalid sort_order %q: must be asc or desc", order)
}

// Status validates a thread status ("" allowed when optional).
func Status(s string, optional bool) error {
	switch s {
	case storage.StatusIdle, storage.StatusBusy, storage.StatusInterrupted, storage.StatusError:
		return nil
	case "":
		if optional {
			return nil
		}
	}
	return storage.Errorf(storage.ErrInvalid, "invalid status %q: must be one of idle, busy, interrupted, error", s)
}

// FoldASCII lowers ASCII letters only, as SQLite's lower() does, so that
// every backend compares names the same way.
func FoldASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Namespace validates a store namespace: labels must be non-empty and
// contain no ".". An empty namespace is allowed only when empty is true.
func Namespace(ns []string, empty bool) error {
	if len(ns) == 0 && !empty {
		return storage.Errorf(storage.ErrInvalid, "namespace is required")
	}
	for _, l := range ns {
		if l == "" || strings.Contains(l, ".") {
			return storage.Errorf(storage.ErrInvalid, "Namespace labels cannot be empty or contain periods. Received: (%s)", quoteLabels(ns))
		}
	}
	return nil
}

// Pattern validates a list-namespaces prefix or suffix, where "*" matches
// any one label.
func Pattern(ns []string) error {
	for _, l := range ns {
		if l == "*" {
			continue
		}
		if l == "" || strings.Contains(l, ".") {
			return storage.Errorf(storage.ErrInvalid, "Namespace labels cannot be empty or contain periods. Received: (%s)", quoteLabels(ns))
		}
	}
	return nil
}

func quoteLabels(ns []string) string {
	q := make([]string, len(ns))
	for i, l := range ns {
		q[i] = fmt.Sprintf("%q", l)
	}
	return strings.Join(q, ", ")
}

// JoinNS is the stored form of a namespace: labels joined with ".".
func JoinNS(ns []string) string { return strings.Join(ns, ".") }

// SplitNS is the inverse of JoinNS.
func SplitNS(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ".")
}

// HasPrefix reports whether ns starts with prefix, label by label.
func HasPrefix(ns, prefix []string) bool {
	if len(prefix) > len(ns) {
		return false
	}
	for i, l := range prefix {
		if ns[i] != l {
			return false
		}
	}
	return true
}

// NewID returns a new resource id (a random UUID).
func NewID() string { return uuid.NewString() }

// IfExists validates an if_exists value.
func IfExists(v string) error {
	switch v {
	case "", storage.IfExistsRaise, storage.IfExistsDoNothing:
		return nil
	}
	return storage.Errorf(storage.ErrInvalid, "invalid if_exists %q: must be raise or do_nothing", v)
}

// TTL validates a thread TTL and fills in the default strategy.
func TTL(t *storage.ThreadTTL) (*storage.ThreadTTL, error) {
	if t == nil {
		return nil, nil
	}
	c := *t
	if c.Strategy == "" {
		c.Strategy = "delete"
	}
	if c.Strategy != "delete" && c.Strategy != "keep_latest" {
		return nil, storage.Errorf(storage.ErrInvalid, "invalid ttl strategy %q: must be delete or keep_latest", c.Strategy)
	}
	if c.Minutes <= 0 {
		return nil, storage.Errorf(storage.ErrInvalid, "ttl must be a positive number of minutes")
	}
	return &c, nil
}

// PruneStrategy validates a prune strategy ("" means delete).
func PruneStrategy(s string) (string, error) {
	switch s {
	case "", "delete":
		return "delete", nil
	case "keep_latest":
		return s, nil
	}
	return "", storage.Errorf(storage.ErrInvalid, "invalid prune strategy %q: must be delete or keep_latest", s)
}

// Errors with the messages the API shows.

func ThreadNotFound(id string) error {
	return storage.Errorf(storage.ErrNotFound, "Thread with ID %s not found", id)
}

func ThreadExists(id string) error {
	return storage.Errorf(storage.ErrConflict, "Thread with ID %s already exists", id)
}

func AssistantNotFound(id string) error {
	return storage.Errorf(storage.ErrNotFound, "Assistant %s not found", id)
}

func AssistantExists(id string) error {
	return storage.Errorf(storage.ErrConflict, "Assistant %s already exists", id)
}

func VersionNotFound(id string, v int) error {
	return storage.Errorf(storage.ErrNotFound, "Assistant %s version %d not found", id, v)
}

func ItemNotFound() error { return storage.Errorf(storage.ErrNotFound, "Item not found") }

func ItemForbidden() error { return storage.Errorf(storage.ErrForbidden, "Not authorized") }

// OtherThread is the error of a thread's checkpointer used on another thread.
func OtherThread(bound, got string) error {
	return storage.Errorf(storage.ErrForbidden, "checkpointer of thread %s cannot be used for thread %q", bound, got)
}

// Sweeper checks the scope of a Sweep call.
func Sweeper(s storage.Scope) error {
	if err := s.Check(); err != nil {
		return err
	}
	if !s.IsSystem() {
		return storage.Errorf(storage.ErrForbidden, "only the system scope may sweep expired data")
	}
	return nil
}

// ThreadExpired reports whether a thread's TTL has run out at now.
// TTLOr is ttl, or a copy of def (the store's default TTL of new threads)
// when ttl is nil.
func TTLOr(ttl, def *storage.ThreadTTL) *storage.ThreadTTL {
	if ttl != nil || def == nil {
		return ttl
	}
	c := *def
	return &c
}

// SweepLimit is o.ThreadLimit or its default.
func SweepLimit(o storage.SweepOptions) int {
	if o.ThreadLimit > 0 {
		return o.ThreadLimit
	}
	return storage.DefaultSweepLimit
}

func ThreadExpired(t *storage.Thread, now time.Time) bool {
	return t.TTL != nil && !now.Before(t.UpdatedAt.Add(TTLDuration(t.TTL)))
}

// TTLDuration is a thread TTL as a duration, at most MaxItemTTL (longer
// ones would overflow).
func TTLDuration(t *storage.ThreadTTL) time.Duration {
	if t.Minutes >= MaxItemTTL.Minutes() {
		return MaxItemTTL
	}
	return time.Duration(t.Minutes * float64(time.Minute))
}

// ThreadCreateInput validates c and returns its TTL and normalized
// metadata, the checks every backend's thread Create starts with.
func ThreadCreateInput(c storage.ThreadCreate) (*storage.ThreadTTL, map[string]any, error) {
	if err := IfExists(c.IfExists); err != nil {
		return nil, nil, err
	}
	ttl, err := TTL(c.TTL)
	if err != nil {
		return nil, nil, err
	}
	md, err := NormalizeMap(c.Metadata)
	if err != nil {
		return nil, nil, err
	}
	return ttl, md, nil
}

// Begin checks the context and the scope, as every backend method does first.
func Begin(ctx context.Context, sc storage.Scope) error {
	if err := sc.Check(); err != nil {
		return err
	}
	return ctx.Err()
}

// System checks that a worker method got the System scope.
func System(sc storage.Scope, method string) error {
	if err := sc.Check(); err != nil {
		return err
	}
	if !sc.IsSystem() {
		return SystemOnly(method)
	}
	return nil
}
