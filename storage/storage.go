// Package storage defines agentgate's persistence interfaces. Every method
// that reads or writes a tenant's data takes a Scope: the result of the
// authorization decision. Backends (storage/memory, storage/sqlite, later
// storage/postgres) must pass storage/conformance.
//
// Common rules: ids are opaque non-empty strings (the server checks UUID
// syntax); times are UTC with microsecond precision; JSON values come back
// as encoding/json decodes them (numbers are float64); a Limit of 0 means no
// limit; bad arguments (sort keys, statuses, namespaces, negative limits)
// are ErrInvalid. Results never alias stored data.
package storage

import (
	"context"
	"time"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// Store is one backend.
type Store interface {
	Assistants() Assistants
	Threads() Threads
	Items() Items
	Runs() Runs
	Crons() Crons
	// Checkpointer returns the checkpoint saver of one thread after checking
	// that the scope can see the thread (ErrNotFound otherwise). The saver
	// refuses other thread ids (ErrForbidden), except as the destination of
	// CopyThread, which must be a thread the scope can see. Put and PutWrites
	// fail with ErrNotFound once the thread is deleted.
	Checkpointer(ctx context.Context, s Scope, threadID string) (checkpoint.Saver, error)
	// Sweep acts, as of o.Now, on the threads whose TTL has run out (at
	// most o.ThreadLimit, oldest update first: deleted with their
	// checkpoints, or pruned to their latest checkpoints by keep_latest,
	// once per update) and deletes the expired store items. Only the
	// System scope may sweep (ErrForbidden otherwise); the server calls it
	// periodically.
	Sweep(ctx context.Context, s Scope, o SweepOptions) (SweepResult, error)
	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	Close() error
}

// SweepOptions say when a sweep happens and how much it may do.
type SweepOptions struct {
	Now time.Time
	// ThreadLimit bounds the expired threads one sweep acts on (0:
	// DefaultSweepLimit).
	ThreadLimit int
}

// DefaultSweepLimit is SweepOptions.ThreadLimit's default, as LangGraph's
// checkpointer.ttl.sweep_limit.
const DefaultSweepLimit = 1000

// SweepResult counts what Sweep removed.
type SweepResult struct {
	Threads int // deleted
	Pruned  int // kept with only their latest checkpoints (keep_latest)
	Items   int
}

// Assistants stores assistants and their versions. The scope's filters are
// tested on the assistant's metadata (on each version's metadata for
// Versions).
type Assistants interface {
	// Create makes version 1. An existing id gives ErrConflict unless
	// IfExistsDoNothing and the scope can see it (then it is returned).
	Create(ctx context.Context, s Scope, a AssistantCreate) (Assistant, error)
	Get(ctx context.Context, s Scope, id string) (Assistant, error)
	// Update appends a version and makes it the latest.
	Update(ctx context.Context, s Scope, id string, p AssistantPatch) (Assistant, error)
	Delete(ctx context.Context, s Scope, id string) error
	Search(ctx context.Context, s Scope, q AssistantSearch) ([]Assistant, error)
	Count(ctx context.Context, s Scope, q AssistantSearch) (int, error)
	// Versions lists versions newest first; ErrNotFound when the assistant
	// is hidden or no version on the page is visible.
	Versions(ctx context.Context, s Scope, id string, q VersionSearch) ([]AssistantVersion, error)
	// SetLatest copies an existing, visible version (graph_id, name,
	// description, config, context, metadata) into the assistant.
	SetLatest(ctx context.Context, s Scope, id string, version int) (Assistant, error)
}

// Threads stores threads. The scope's filters are tested on the thread's
// metadata. Deleting a thread deletes its checkpoints (and runs).
type Threads interface {
	Create(ctx context.Context, s Scope, t ThreadCreate) (Thread, error)
	Get(ctx context.Context, s Scope, id string) (Thread, error)
	Update(ctx context.Context, s Scope, id string, p ThreadPatch) (Thread, error)
	Delete(ctx context.Context, s Scope, id string) error
	Search(ctx context.Context, s Scope, q ThreadSearch) ([]Thread, error)
	Count(ctx context.Context, s Scope, q ThreadSearch) (int, error)
	// Copy duplicates a thread the scope can see, with all its checkpoints,
	// as dst (new id when empty; dst.Metadata as given, the source's when
	// nil; dst.IfExists is ignored: an existing id is ErrConflict). Values and
	// config are copied; status becomes idle, without interrupts or error.
	Copy(ctx context.Context, s Scope, id string, dst ThreadCreate) (Thread, error)
	// Prune deletes the given threads ("delete") or all but their latest
	// checkpoint ("keep_latest"); ErrNotFound if any is missing or hidden.
	Prune(ctx context.Context, s Scope, ids []string, strategy string) (int, error)
	// SetState records state after a run or a state update.
	SetState(ctx context.Context, s Scope, id string, st ThreadState) (Thread, error)
}

// Runs stores runs. The scope is the parent thread's: its filters are
// tested on the thread's metadata. The worker methods (Claim, Heartbeat,
// Finish, Discard, RequeueExpired) require the System scope.
//
// Thread status follows each change: creating a run makes the thread busy;
// when the last pending or running run ends the thread becomes error (the
// run failed), interrupted (RunFinish.Next) or idle.
type Runs interface {
	// Create inserts a pending run, atomically with the multitask check:
	// with MultitaskReject it gives ErrConflict when the thread has pending
	// or running runs; with interrupt or rollback the pending runs are
	// cancelled at once and the running ones asked to stop
	// (RunCreated.Stopping).
	Create(ctx context.Context, s Scope, c RunCreate) (RunCreated, error)
	// Get reads a run of a thread; with threadID "" it finds the run by id
	// alone (a stateless run), and gives ErrNotFound when the run's thread
	// is hidden from s.
	Get(ctx context.Context, s Scope, threadID, runID string) (Run, error)
	// List gives ErrNotFound when the thread is missing or hidden.
	List(ctx context.Context, s Scope, threadID string, q RunList) ([]Run, error)
	// Delete removes a run (whatever its status).
	Delete(ctx context.Context, s Scope, threadID, runID string) error
	// Cancel stops runs: a pending run is marked interrupted (interrupt) or
	// deleted (rollback); a running one is asked to stop, its worker ends
	// it. It returns the runs it affected as they were before, and
	// ErrNotFound when nothing matched.
	Cancel(ctx context.Context, s Scope, c RunCancel) ([]Run, error)

	// Claim starts the oldest pending run whose start time has come, on a
	// thread without a running run: it becomes running, its attempt is
	// incremented and it is leased for lease. ok is false when none is ready.
	Claim(ctx context.Context, s Scope, lease time.Duration) (run Run, ok bool, err error)
	// Heartbeat extends a running run's lease and returns the cancel action
	// asked of it ("" for none). ErrNotFound when the run is gone or no
	// longer running (it was requeued or deleted).
	Heartbeat(ctx context.Context, s Scope, runID string, lease time.Duration) (cancel string, err error)
	// Finish ends a running run and updates its thread in one transaction.
	Finish(ctx context.Context, s Scope, f RunFinish) (Run, error)
	// Discard deletes a run and the checkpoints it wrote (those whose
	// metadata has run_id = the run's id, with their writes): a rollback.
	Discard(ctx context.Context, s Scope, threadID, runID string) error
	// RequeueExpired returns running runs whose lease expired to pending,
	// or marks them as errors after MaxRunAttempts attempts (the thread
	// gets a WorkerLostError). A run that was asked to stop ends instead:
	// interrupted, or deleted with its checkpoints for a rollback. It
	// returns the runs it changed, with their new status (interrupted for
	// deleted ones).
	RequeueExpired(ctx context.Context, s Scope) ([]Run, error)
	// Stats counts pending runs and running runs whose lease is live (a
	// dead process's runs are not counted until requeued), of every thread
	// (System scope only), for /metrics.
	Stats(ctx context.Context, s Scope) (RunStats, error)
}

// RunStats counts runs by status.
type RunStats struct {
	Pending, Running int
}

// Items is the long-term memory store. The scope's filters are tested on
// ItemDoc(namespace, key, value): a hidden existing item is ErrNotFound; a
// new item (put) or a missing one (delete) failing the filter is ErrForbidden,
// and so is a put whose new value would fail it. Expired items are missing.
type Items interface {
	Put(ctx context.Context, s Scope, p ItemPut) error
	// Get returns ErrNotFound when the item is missing, expired or hidden.
	Get(ctx context.Context, s Scope, namespace []string, key string, refreshTTL bool) (Item, error)
	Delete(ctx context.Context, s Scope, namespace []string, key string) error
	Search(ctx context.Context, s Scope, q ItemSearch) ([]Item, error)
	ListNamespaces(ctx context.Context, s Scope, q NamespaceList) ([][]string, error)
}

// ItemDoc is the document that scope filters are tested on for store items:
// the value's fields plus "namespace" and "key".
func ItemDoc(namespace []string, key string, value map[string]any) map[string]any {
	doc := make(map[string]any, len(value)+2)
	for k, v := range value {
		doc[k] = v
	}
	ns := make([]any, len(namespace))
	for i, l := range namespace {
		ns[i] = l
	}
	doc["namespace"] = ns
	doc["key"] = key
	return doc
}
