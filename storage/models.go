package storage

import "time"

// Thread statuses.
const (
	StatusIdle        = "idle"
	StatusBusy        = "busy"
	StatusInterrupted = "interrupted"
	StatusError       = "error"
)

// IfExists values for create calls.
const (
	IfExistsRaise     = "raise"
	IfExistsDoNothing = "do_nothing"
)

// Assistant is a configured graph. JSON tags are the wire shape.
type Assistant struct {
	AssistantID string         `json:"assistant_id"`
	GraphID     string         `json:"graph_id"`
	Name        string         `json:"name"`
	Description *string        `json:"description"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	Version     int            `json:"version"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// AssistantVersion is one saved version of an assistant.
type AssistantVersion struct {
	AssistantID string         `json:"assistant_id"`
	Version     int            `json:"version"`
	GraphID     string         `json:"graph_id"`
	Name        string         `json:"name"`
	Description *string        `json:"description"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	CreatedAt   time.Time      `json:"created_at"`
}

// AssistantCreate creates an assistant (version 1). Empty AssistantID means
// generate one. IfExists is IfExistsRaise (default) or IfExistsDoNothing.
type AssistantCreate struct {
	AssistantID string
	GraphID     string
	Name        string
	Description *string
	Config      map[string]any
	Context     map[string]any
	Metadata    map[string]any
	IfExists    string
}

// AssistantPatch makes a new version. Nil fields keep their value; Metadata
// is merged shallowly into the current metadata.
type AssistantPatch struct {
	GraphID     *string
	Name        *string
	Description *string
	Config      map[string]any
	Context     map[string]any
	Metadata    map[string]any
}

// AssistantSearch filters assistants. Metadata is JSON containment. Name is a
// case-insensitive substring. SortBy: assistant_id|graph_id|name|created_at|updated_at.
type AssistantSearch struct {
	GraphID   string
	Name      string
	Metadata  map[string]any
	Limit     int
	Offset    int
	SortBy    string
	SortOrder string
}

// VersionSearch lists versions newest first.
type VersionSearch struct {
	Metadata map[string]any
	Limit    int
	Offset   int
}

// Thread is a conversation. JSON tags are the wire shape.
type Thread struct {
	ThreadID       string         `json:"thread_id"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	StateUpdatedAt time.Time      `json:"state_updated_at"`
	Metadata       map[string]any `json:"metadata"`
	Status         string         `json:"status"`
	Config         map[string]any `json:"config"`
	Values         any            `json:"values"`
	Interrupts     map[string]any `json:"interrupts"`
	Error          any            `json:"error,omitempty"`
	TTL            *ThreadTTL     `json:"ttl,omitempty"`
}

// ThreadTTL deletes a thread Minutes after its last update (Store.Sweep).
type ThreadTTL struct {
	Strategy string  `json:"strategy"`
	Minutes  float64 `json:"ttl"`
}

// ThreadCreate creates a thread. An existing id gives ErrConflict, or the
// existing thread with IfExistsDoNothing when the scope can see it.
type ThreadCreate struct {
	ThreadID string
	Metadata map[string]any
	IfExists string
	TTL      *ThreadTTL
}

// ThreadPatch merges Metadata shallowly into the thread's metadata.
type ThreadPatch struct {
	Metadata map[string]any
	TTL      *ThreadTTL
}

// ThreadSearch filters threads; Metadata and Values are JSON containment.
// SortBy: thread_id|status|created_at|updated_at|state_updated_at.
type ThreadSearch struct {
	IDs       []string
	Metadata  map[string]any
	Values    map[string]any
	Status    string
	Limit     int
	Offset    int
	SortBy    string
	SortOrder string
}

// ThreadState is written when a run ends or state is updated. Nil fields
// are left unchanged; Metadata is merged shallowly.
type ThreadState struct {
	Status     *string
	Values     any
	Interrupts map[string]any
	Error      any
	Config     map[string]any
	Metadata   map[string]any
	// ClearError removes a previous error.
	ClearError bool
}

// Item is a long-term memory entry.
type Item struct {
	Namespace []string       `json:"namespace"`
	Key       string         `json:"key"`
	Value     map[string]any `json:"value"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Score     *float64       `json:"score,omitempty"`
}

// ItemPut upserts an item. TTL, when set, expires it that long after the
// last write (or read with refresh).
type ItemPut struct {
	Namespace []string
	Key       string
	Value     map[string]any
	TTL       *time.Duration
}

// ItemSearch finds items under a namespace prefix (label by label), newest
// update first. Filter tests top-level value fields: {"f": v} is JSON
// equality, {"f": {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte": v, ...}} applies
// each operator; a missing field never matches (not even $ne), and the
// ordering operators compare numbers with numbers and strings with strings.
// Query is accepted and ignored until semantic search exists.
type ItemSearch struct {
	Prefix     []string
	Filter     map[string]any
	Query      string
	Limit      int
	Offset     int
	RefreshTTL bool
}

// NamespaceList lists distinct namespaces. "*" in Prefix or Suffix matches
// any one label; MaxDepth > 0 truncates namespaces and dedupes them.
type NamespaceList struct {
	Prefix   []string
	Suffix   []string
	MaxDepth int
	Limit    int
	Offset   int
}
