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

// ThreadTTL acts on a thread Minutes after its last update (Store.Sweep):
// Strategy "delete" deletes it, "keep_latest" keeps the thread and only the
// latest checkpoint of each namespace.
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

// Run statuses.
const (
	RunPending     = "pending"
	RunRunning     = "running"
	RunSuccess     = "success"
	RunError       = "error"
	RunTimeout     = "timeout"
	RunInterrupted = "interrupted"
)

// Multitask strategies: what creating a run does when its thread already
// has pending or running runs.
const (
	MultitaskReject    = "reject"
	MultitaskEnqueue   = "enqueue"
	MultitaskInterrupt = "interrupt"
	MultitaskRollback  = "rollback"
)

// Cancel actions.
const (
	CancelInterrupt = "interrupt"
	CancelRollback  = "rollback"
)

// MaxRunAttempts is how many times a run whose worker died (its lease
// expired) is started before it is marked as an error.
const MaxRunAttempts = 3

// Run is one execution of a graph on a thread. JSON tags are the wire shape.
type Run struct {
	RunID             string         `json:"run_id"`
	ThreadID          string         `json:"thread_id"`
	AssistantID       string         `json:"assistant_id"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
	Status            string         `json:"status"`
	Metadata          map[string]any `json:"metadata"`
	MultitaskStrategy string         `json:"multitask_strategy"`
	Kwargs            map[string]any `json:"kwargs"`
	// Attempt counts the starts by workers (0 while never started).
	Attempt int `json:"-"`
	// Cancel is the action a cancel request asked of the running run
	// ("" when none); workers read it with Heartbeat.
	Cancel string `json:"-"`
	// ThreadCreatedAt is set by Claim, in the claiming transaction: the
	// creation time of the run's thread, which names the thread's event
	// stream (a thread deleted and created again is another stream).
	ThreadCreatedAt time.Time `json:"-"`
}

// RunCreate inserts a pending run on a thread.
type RunCreate struct {
	RunID       string // "" generates one
	ThreadID    string
	AssistantID string
	// GraphID and AssistantID are written to the thread's metadata.
	GraphID           string
	Metadata          map[string]any
	Kwargs            map[string]any
	MultitaskStrategy string // "" means enqueue
	// IfNotExists is "reject" ("" too: a missing thread is ErrNotFound) or
	// "create": the thread is created with ThreadMetadata.
	IfNotExists    string
	ThreadMetadata map[string]any
	// ThreadConfig, when not nil, replaces the thread's config.
	ThreadConfig map[string]any
	// Delay postpones the start: created_at is now + Delay.
	Delay time.Duration
	// StartLease, set by the run scheduler when it has a free worker,
	// starts the run at once when it can (no Delay, no other pending or
	// running run on its thread): it is created running with this lease,
	// as Runs.Claim would leave it, and RunCreated.Started is set.
	StartLease time.Duration
}

// RunCreated is the result of Runs.Create.
type RunCreated struct {
	Run Run
	// Stopping lists the running runs of the thread that the multitask
	// strategy (interrupt or rollback) asked to stop; their workers see the
	// request through Heartbeat. Pending ones were already cancelled.
	Stopping []Run
	// ThreadCreated is set when IfNotExists "create" made the thread.
	ThreadCreated bool
	// Started is set when the run was created running (StartLease); Run
	// is then as Runs.Claim returns it.
	Started bool
}

// RunList lists the runs of a thread, newest first.
type RunList struct {
	Limit  int
	Offset int
	Status string // "" for all
}

// RunCancel selects runs to cancel: RunIDs of ThreadID, or (without
// RunIDs) every run with Status pending, running or "all" (both) of
// ThreadID, or of every visible thread when ThreadID is "".
type RunCancel struct {
	ThreadID string
	RunIDs   []string
	Status   string
	Action   string // interrupt (default) or rollback
}

// RunFinish records how a run ended and the thread's state after it.
type RunFinish struct {
	ThreadID string
	RunID    string
	Status   string // success, error, interrupted or timeout
	// Values are the thread's values after the run (nil keeps them).
	Values any
	// Interrupts are the pending interrupts by task id (nil: none).
	Interrupts map[string]any
	// Error is the run's error ({"error": name, "message": ...}) or nil.
	Error any
	// Next is set when the last checkpoint has tasks left to run (an
	// interrupt or a breakpoint): the thread becomes interrupted.
	Next bool
}
