// Package checkpoint defines how graph runs are persisted: the Saver
// interface (shaped like LangGraph's BaseCheckpointSaver) and the types it
// stores. Every type round-trips through encoding/json, so an SQL backend can
// keep a checkpoint as a JSON document and its metadata as a JSON object.
//
// Backends must pass the conformance suite in package checkpointtest.
package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// ErrNotFound is returned by GetTuple when no checkpoint matches.
var ErrNotFound = errors.New("checkpoint: not found")

// Config addresses a checkpoint: a thread, a namespace ("" for the root
// graph, "node:task_id|child:task_id" for subgraphs) and an id (empty means
// "the latest" when reading, "no parent" when writing).
type Config struct {
	ThreadID     string `json:"thread_id"`
	CheckpointNS string `json:"checkpoint_ns"`
	CheckpointID string `json:"checkpoint_id,omitempty"`
}

// Checkpoint is a snapshot of a graph's channels taken at a superstep
// boundary.
type Checkpoint struct {
	// V is the format version (currently 1).
	V int `json:"v"`
	// ID is time-ordered: within a thread and namespace, a later checkpoint
	// has a greater ID as a plain string comparison. See NewID.
	ID string `json:"id"`
	// TS is the creation time, RFC 3339 with nanoseconds, UTC.
	TS string `json:"ts"`
	// ChannelValues holds each non-empty channel's value as compact JSON.
	ChannelValues map[string]json.RawMessage `json:"channel_values"`
	// ChannelVersions holds each channel's current version (see
	// FormatVersion); versions of one channel compare as strings.
	ChannelVersions map[string]string `json:"channel_versions"`
	// VersionsSeen maps a node name to the channel versions it had seen
	// when it last ran.
	VersionsSeen map[string]map[string]string `json:"versions_seen"`
	// UpdatedChannels lists the channels written in the step that produced
	// this checkpoint, sorted.
	UpdatedChannels []string `json:"updated_channels,omitempty"`
}

// Metadata is a JSON object stored with a checkpoint. The runtime sets
// "source" (input|loop|update|fork), "step" (int), "parents" (map of
// namespace to checkpoint id) and "writes" (the step's writes keyed by node,
// or null), plus the run's configurable keys that are scalars (thread_id,
// run_id, assistant_id, graph_id, user_id, ...). Filters in List test
// top-level keys for JSON equality.
//
// Backends return metadata decoded from JSON: numbers come back as float64.
type Metadata map[string]any

// Source returns the "source" key, or "".
func (m Metadata) Source() string {
	s, _ := m["source"].(string)
	return s
}

// Step returns the "step" key whatever its numeric type, or 0.
func (m Metadata) Step() int {
	switch v := m["step"].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	}
	return 0
}

// PendingWrite is a write made by a task of the step that follows a
// checkpoint, saved before the step completes so that a resumed run does not
// run that task again.
type PendingWrite struct {
	TaskID  string          `json:"task_id"`
	Channel string          `json:"channel"`
	Value   json.RawMessage `json:"value"`
}

// Write is one channel write handed to PutWrites.
type Write struct {
	Channel string          `json:"channel"`
	Value   json.RawMessage `json:"value"`
}

// Tuple is a checkpoint with everything stored about it.
type Tuple struct {
	// Config addresses this checkpoint (CheckpointID set).
	Config     Config     `json:"config"`
	Checkpoint Checkpoint `json:"checkpoint"`
	Metadata   Metadata   `json:"metadata"`
	// ParentConfig addresses the previous checkpoint; nil for the first.
	ParentConfig *Config `json:"parent_config,omitempty"`
	// PendingWrites are ordered by task id, then by write index.
	PendingWrites []PendingWrite `json:"pending_writes"`
}

// ListOptions narrows List.
type ListOptions struct {
	// Limit caps the number of tuples; 0 means no limit.
	Limit int
	// Before keeps checkpoints whose id is smaller than this id.
	Before string
	// Filter keeps checkpoints whose metadata has each key with a
	// JSON-equal value.
	Filter map[string]any
}

// Saver stores checkpoints. Implementations are safe for concurrent use.
type Saver interface {
	// Put stores cp as the child of config.CheckpointID (empty: no
	// parent) in config's thread and namespace, and returns the config that
	// addresses it. newVersions lists the channels whose versions changed
	// since the parent; a backend may use it to store only new channel
	// values, but GetTuple must always return the whole checkpoint. Putting
	// an existing id replaces that checkpoint (its pending writes stay).
	Put(ctx context.Context, config Config, cp Checkpoint, md Metadata, newVersions map[string]string) (Config, error)
	// PutWrites stores writes of one task against the checkpoint
	// config addresses. Each write is keyed by (task id, WriteIndex(channel,
	// position)); a write with an existing key replaces the stored one.
	PutWrites(ctx context.Context, config Config, writes []Write, taskID string) error
	// GetTuple returns the checkpoint with config's thread, namespace and
	// id, or the latest one of the thread and namespace when the id is
	// empty. ErrNotFound when there is none.
	GetTuple(ctx context.Context, config Config) (Tuple, error)
	// List returns checkpoints of config's thread and namespace (only the
	// one with config.CheckpointID when set), newest first.
	List(ctx context.Context, config Config, opts ListOptions) ([]Tuple, error)
	// DeleteThread removes every checkpoint and write of the thread, in all
	// namespaces. Deleting an unknown thread is not an error.
	DeleteThread(ctx context.Context, threadID string) error
	// CopyThread copies every checkpoint and write of src (all namespaces)
	// to dst, keeping ids; in copied metadata a "thread_id" key is set to
	// dst. Existing checkpoints of dst with the same ids are replaced.
	CopyThread(ctx context.Context, srcThreadID, dstThreadID string) error
}

// Special channels whose writes have fixed negative indexes, so that a task
// writing them again replaces the earlier value.
const (
	ErrorChannel     = "__error__"
	InterruptChannel = "__interrupt__"
	ResumeChannel    = "__resume__"
	ScheduledChannel = "__scheduled__"
)

// WriteValues returns the JSON of each write's value, compacted (an empty
// value is null), for savers that store writes as bytes; a value that is
// not JSON is an error naming the channel.
func WriteValues(writes []Write) ([][]byte, error) {
	out := make([][]byte, len(writes))
	for i, w := range writes {
		v := w.Value
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode write %q: %w", w.Channel, err)
		}
		out[i] = b
	}
	return out, nil
}

// WriteIndex is the index under which a write is keyed: negative and fixed
// for the special channels, the write's position in its PutWrites call
// otherwise.
func WriteIndex(channel string, position int) int {
	switch channel {
	case ErrorChannel:
		return -1
	case ScheduledChannel:
		return -2
	case InterruptChannel:
		return -3
	case ResumeChannel:
		return -4
	}
	return position
}

// NewID returns a new time-ordered checkpoint id: a version 7 UUID, whose
// string form sorts by creation time (and strictly increases within a
// process).
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// FormatVersion renders a channel version number so that versions compare
// correctly as strings.
func FormatVersion(n int64) string {
	s := strconv.FormatInt(n, 10)
	const width = 32
	if len(s) >= width {
		return s
	}
	pad := make([]byte, width-len(s))
	for i := range pad {
		pad[i] = '0'
	}
	return string(pad) + s
}

// ParseVersion is the inverse of FormatVersion; it returns 0 for "".
func ParseVersion(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// Now returns a timestamp in the format of Checkpoint.TS.
func Now() string {
	return time.Now().UTC().Format(time.RFC3339Nano)
}
