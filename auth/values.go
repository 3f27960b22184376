package auth

import "time"

// Resources and actions of authorization events.
const (
	Threads    = "threads"
	Assistants = "assistants"
	Crons      = "crons"
	Store      = "store"

	Create         = "create"
	Read           = "read"
	Update         = "update"
	Delete         = "delete"
	Search         = "search"
	CreateRun      = "create_run"
	Put            = "put"
	Get            = "get"
	ListNamespaces = "list_namespaces"
)

// actionsOf lists the actions each resource has.
func actionsOf(resource string) []string {
	switch resource {
	case Threads:
		return []string{Create, Read, Update, Delete, Search, CreateRun}
	case Assistants, Crons:
		return []string{Create, Read, Update, Delete, Search}
	case Store:
		return []string{Put, Get, Search, Delete, ListNamespaces}
	}
	return nil
}

// Value is the payload of an event. Handlers receive a pointer to one of the
// types below and may change it: metadata they set is stored with the
// resource, and a store namespace they rewrite is the one used.
type Value interface {
	// Event returns the resource and action the value belongs to.
	Event() (resource, action string)
}

// metadataHolder is implemented by values that carry resource metadata.
type metadataHolder interface {
	metadataPtr() *map[string]any
}

// Metadata returns v's metadata, creating the map if v carries metadata, or
// nil when the event has none (reads and deletes).
func Metadata(v Value) map[string]any {
	h, ok := v.(metadataHolder)
	if !ok {
		return nil
	}
	p := h.metadataPtr()
	if *p == nil {
		*p = map[string]any{}
	}
	return *p
}

// SetMetadata sets metadata[key] = val on values that carry metadata and
// reports whether it did. It is the Go form of the tutorials'
// `value.setdefault("metadata", {})["owner"] = identity`.
func SetMetadata(v Value, key string, val any) bool {
	m := Metadata(v)
	if m == nil {
		return false
	}
	m[key] = val
	return true
}

// ThreadsCreate is the value of threads:create.
type ThreadsCreate struct {
	ThreadID string         `json:"thread_id"`
	Metadata map[string]any `json:"metadata"`
	IfExists string         `json:"if_exists"`
	TTL      map[string]any `json:"ttl,omitempty"`
}

// ThreadsRead is the value of threads:read.
type ThreadsRead struct {
	ThreadID string `json:"thread_id"`
	RunID    string `json:"run_id,omitempty"`
}

// ThreadsUpdate is the value of threads:update (also run cancellation).
type ThreadsUpdate struct {
	ThreadID string         `json:"thread_id"`
	Metadata map[string]any `json:"metadata"`
	Action   string         `json:"action,omitempty"` // interrupt|rollback when cancelling
}

// ThreadsDelete is the value of threads:delete.
type ThreadsDelete struct {
	ThreadID string `json:"thread_id"`
	RunID    string `json:"run_id,omitempty"`
}

// ThreadsSearch is the value of threads:search.
type ThreadsSearch struct {
	Metadata map[string]any `json:"metadata"`
	Values   map[string]any `json:"values,omitempty"`
	Status   string         `json:"status,omitempty"`
	Limit    int            `json:"limit"`
	Offset   int            `json:"offset"`
	IDs      []string       `json:"ids,omitempty"`
	ThreadID string         `json:"thread_id,omitempty"`
}

// RunsCreate is the value of threads:create_run. ThreadID is empty for
// stateless runs. Metadata becomes the run's metadata and, when the run
// creates its thread, part of the thread's.
type RunsCreate struct {
	AssistantID             string         `json:"assistant_id"`
	ThreadID                string         `json:"thread_id,omitempty"`
	RunID                   string         `json:"run_id"`
	Status                  string         `json:"status"`
	Metadata                map[string]any `json:"metadata"`
	PreventInsertIfInflight bool           `json:"prevent_insert_if_inflight"`
	MultitaskStrategy       string         `json:"multitask_strategy"`
	IfNotExists             string         `json:"if_not_exists"`
	AfterSeconds            float64        `json:"after_seconds"`
	Kwargs                  map[string]any `json:"kwargs"`
}

// AssistantsCreate is the value of assistants:create.
type AssistantsCreate struct {
	AssistantID string         `json:"assistant_id"`
	GraphID     string         `json:"graph_id"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	IfExists    string         `json:"if_exists"`
	Name        string         `json:"name"`
	Description *string        `json:"description"`
}

// AssistantsRead is the value of assistants:read.
type AssistantsRead struct {
	AssistantID string `json:"assistant_id"`
}

// AssistantsUpdate is the value of assistants:update (patch or set latest).
type AssistantsUpdate struct {
	AssistantID string         `json:"assistant_id"`
	GraphID     string         `json:"graph_id,omitempty"`
	Config      map[string]any `json:"config,omitempty"`
	Context     map[string]any `json:"context,omitempty"`
	Metadata    map[string]any `json:"metadata"`
	Name        string         `json:"name,omitempty"`
	Description *string        `json:"description,omitempty"`
	Version     int            `json:"version,omitempty"`
}

// AssistantsDelete is the value of assistants:delete.
type AssistantsDelete struct {
	AssistantID string `json:"assistant_id"`
}

// AssistantsSearch is the value of assistants:search.
type AssistantsSearch struct {
	GraphID  string         `json:"graph_id,omitempty"`
	Name     string         `json:"name,omitempty"`
	Metadata map[string]any `json:"metadata"`
	Limit    int            `json:"limit"`
	Offset   int            `json:"offset"`
}

// CronsCreate is the value of crons:create.
type CronsCreate struct {
	CronID   string         `json:"cron_id"`
	ThreadID string         `json:"thread_id,omitempty"`
	Payload  map[string]any `json:"payload"`
	Schedule string         `json:"schedule"`
	UserID   string         `json:"user_id,omitempty"`
	EndTime  *time.Time     `json:"end_time,omitempty"`
	Metadata map[string]any `json:"metadata"`
}

// CronsRead is the value of crons:read.
type CronsRead struct {
	CronID string `json:"cron_id"`
}

// CronsUpdate is the value of crons:update.
type CronsUpdate struct {
	CronID         string         `json:"cron_id"`
	Payload        map[string]any `json:"payload,omitempty"`
	Schedule       string         `json:"schedule,omitempty"`
	EndTime        *time.Time     `json:"end_time,omitempty"`
	Enabled        *bool          `json:"enabled,omitempty"`
	OnRunCompleted string         `json:"on_run_completed,omitempty"`
	Metadata       map[string]any `json:"metadata"`
}

// CronsDelete is the value of crons:delete.
type CronsDelete struct {
	CronID string `json:"cron_id"`
}

// CronsSearch is the value of crons:search.
type CronsSearch struct {
	AssistantID string `json:"assistant_id,omitempty"`
	ThreadID    string `json:"thread_id,omitempty"`
	Limit       int    `json:"limit"`
	Offset      int    `json:"offset"`
}

// StorePut is the value of store:put. A rewritten Namespace is where the
// item is stored.
type StorePut struct {
	Namespace []string       `json:"namespace"`
	Key       string         `json:"key"`
	Value     map[string]any `json:"value"`
}

// StoreGet is the value of store:get.
type StoreGet struct {
	Namespace []string `json:"namespace"`
	Key       string   `json:"key"`
}

// StoreDelete is the value of store:delete.
type StoreDelete struct {
	Namespace []string `json:"namespace"`
	Key       string   `json:"key"`
}

// StoreSearch is the value of store:search; Namespace is the prefix.
type StoreSearch struct {
	Namespace []string       `json:"namespace"`
	Filter    map[string]any `json:"filter,omitempty"`
	Limit     int            `json:"limit"`
	Offset    int            `json:"offset"`
	Query     string         `json:"query,omitempty"`
}

// StoreListNamespaces is the value of store:list_namespaces; Namespace is
// the prefix.
type StoreListNamespaces struct {
	Namespace []string `json:"namespace"`
	Suffix    []string `json:"suffix,omitempty"`
	MaxDepth  int      `json:"max_depth,omitempty"`
	Limit     int      `json:"limit"`
	Offset    int      `json:"offset"`
}

func (*ThreadsCreate) Event() (string, string)       { return Threads, Create }
func (*ThreadsRead) Event() (string, string)         { return Threads, Read }
func (*ThreadsUpdate) Event() (string, string)       { return Threads, Update }
func (*ThreadsDelete) Event() (string, string)       { return Threads, Delete }
func (*ThreadsSearch) Event() (string, string)       { return Threads, Search }
func (*RunsCreate) Event() (string, string)          { return Threads, CreateRun }
func (*AssistantsCreate) Event() (string, string)    { return Assistants, Create }
func (*AssistantsRead) Event() (string, string)      { return Assistants, Read }
func (*AssistantsUpdate) Event() (string, string)    { return Assistants, Update }
func (*AssistantsDelete) Event() (string, string)    { return Assistants, Delete }
func (*AssistantsSearch) Event() (string, string)    { return Assistants, Search }
func (*CronsCreate) Event() (string, string)         { return Crons, Create }
func (*CronsRead) Event() (string, string)           { return Crons, Read }
func (*CronsUpdate) Event() (string, string)         { return Crons, Update }
func (*CronsDelete) Event() (string, string)         { return Crons, Delete }
func (*CronsSearch) Event() (string, string)         { return Crons, Search }
func (*StorePut) Event() (string, string)            { return Store, Put }
func (*StoreGet) Event() (string, string)            { return Store, Get }
func (*StoreDelete) Event() (string, string)         { return Store, Delete }
func (*StoreSearch) Event() (string, string)         { return Store, Search }
func (*StoreListNamespaces) Event() (string, string) { return Store, ListNamespaces }

func (v *ThreadsCreate) metadataPtr() *map[string]any    { return &v.Metadata }
func (v *ThreadsUpdate) metadataPtr() *map[string]any    { return &v.Metadata }
func (v *ThreadsSearch) metadataPtr() *map[string]any    { return &v.Metadata }
func (v *RunsCreate) metadataPtr() *map[string]any       { return &v.Metadata }
func (v *AssistantsCreate) metadataPtr() *map[string]any { return &v.Metadata }
func (v *AssistantsUpdate) metadataPtr() *map[string]any { return &v.Metadata }
func (v *AssistantsSearch) metadataPtr() *map[string]any { return &v.Metadata }
func (v *CronsCreate) metadataPtr() *map[string]any      { return &v.Metadata }
func (v *CronsUpdate) metadataPtr() *map[string]any      { return &v.Metadata }

// StoreNamespace returns the namespace of a store event's value (the prefix
// for search and list_namespaces) and whether v is a store value.
func StoreNamespace(v Value) ([]string, bool) {
	switch v := v.(type) {
	case *StorePut:
		return v.Namespace, true
	case *StoreGet:
		return v.Namespace, true
	case *StoreDelete:
		return v.Namespace, true
	case *StoreSearch:
		return v.Namespace, true
	case *StoreListNamespaces:
		return v.Namespace, true
	}
	return nil, false
}

// SetStoreNamespace replaces the namespace of a store event's value; the
// server uses the new one (re-validated) for the operation. It reports
// whether v is a store value.
func SetStoreNamespace(v Value, ns []string) bool {
	switch v := v.(type) {
	case *StorePut:
		v.Namespace = ns
	case *StoreGet:
		v.Namespace = ns
	case *StoreDelete:
		v.Namespace = ns
	case *StoreSearch:
		v.Namespace = ns
	case *StoreListNamespaces:
		v.Namespace = ns
	default:
		return false
	}
	return true
}
