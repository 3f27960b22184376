package query

import (
	"github.com/google/uuid"

	"github.com/agentgate/agentgate/storage"
)

// NewRunID returns a new run id: a version 7 UUID, ordered by time.
func NewRunID() string { return uuid.Must(uuid.NewV7()).String() }

// RunCreate validates a run creation and fills in defaults.
func RunCreate(c storage.RunCreate) (storage.RunCreate, error) {
	switch c.MultitaskStrategy {
	case "":
		c.MultitaskStrategy = storage.MultitaskEnqueue
	case storage.MultitaskReject, storage.MultitaskEnqueue, storage.MultitaskInterrupt, storage.MultitaskRollback:
	default:
		return c, storage.Errorf(storage.ErrInvalid, "invalid multitask_strategy %q: must be one of reject, enqueue, interrupt, rollback", c.MultitaskStrategy)
	}
	switch c.IfNotExists {
	case "", "reject", "create":
	default:
		return c, storage.Errorf(storage.ErrInvalid, "invalid if_not_exists %q: must be reject or create", c.IfNotExists)
	}
	if c.ThreadID == "" {
		return c, storage.Errorf(storage.ErrInvalid, "a run needs a thread id")
	}
	if c.AssistantID == "" {
		return c, storage.Errorf(storage.ErrInvalid, "a run needs an assistant id")
	}
	if c.Delay < 0 {
		c.Delay = 0
	}
	if c.RunID == "" {
		c.RunID = NewRunID()
	}
	return c, nil
}

// RunStatus validates a run status filter ("" allowed when optional).
func RunStatus(s string, optional bool) error {
	switch s {
	case storage.RunPending, storage.RunRunning, storage.RunSuccess, storage.RunError, storage.RunTimeout, storage.RunInterrupted:
		return nil
	case "":
		if optional {
			return nil
		}
	}
	return storage.Errorf(storage.ErrInvalid, "invalid run status %q: must be one of pending, running, success, error, timeout, interrupted", s)
}

// FinalStatus validates the status a run finishes with.
func FinalStatus(s string) error {
	switch s {
	case storage.RunSuccess, storage.RunError, storage.RunTimeout, storage.RunInterrupted:
		return nil
	}
	return storage.Errorf(storage.ErrInvalid, "invalid final run status %q: must be one of success, error, timeout, interrupted", s)
}

// RunCancel validates a cancel request and fills in defaults.
func RunCancel(c storage.RunCancel) (storage.RunCancel, error) {
	switch c.Action {
	case "":
		c.Action = storage.CancelInterrupt
	case storage.CancelInterrupt, storage.CancelRollback:
	default:
		return c, storage.Errorf(storage.ErrInvalid, "invalid action %q: must be interrupt or rollback", c.Action)
	}
	if len(c.RunIDs) > 0 {
		if c.ThreadID == "" {
			return c, storage.Errorf(storage.ErrInvalid, "cancelling run ids needs their thread id")
		}
		if c.Status != "" {
			return c, storage.Errorf(storage.ErrInvalid, "give either run ids or a status, not both")
		}
		return c, nil
	}
	switch c.Status {
	case storage.RunPending, storage.RunRunning, "all":
	default:
		return c, storage.Errorf(storage.ErrInvalid, "invalid status %q: must be one of pending, running, all", c.Status)
	}
	return c, nil
}

// CancelMatches reports whether a run of the right thread is selected by c.
func CancelMatches(c storage.RunCancel, r storage.Run) bool {
	if r.Status != storage.RunPending && r.Status != storage.RunRunning {
		return false
	}
	if len(c.RunIDs) > 0 {
		for _, id := range c.RunIDs {
			if id == r.RunID {
				return true
			}
		}
		return false
	}
	return c.Status == "all" || c.Status == r.Status
}

// ThreadStatusAfter is the status of a thread when one of its runs ended
// (§7.2): busy while other runs are pending or running, then error, then
// interrupted, then idle.
func ThreadStatusAfter(othersActive bool, runStatus string, next bool) string {
	switch {
	case othersActive:
		return storage.StatusBusy
	case runStatus == storage.RunError || runStatus == storage.RunTimeout:
		return storage.StatusError
	case next:
		return storage.StatusInterrupted
	}
	return storage.StatusIdle
}

// RunNotFound is the error of a missing or hidden run.
func RunNotFound(id string) error {
	return storage.Errorf(storage.ErrNotFound, "Run with ID %s not found", id)
}

// ThreadBusy is the error of a run rejected by the multitask strategy.
func ThreadBusy() error {
	return storage.Errorf(storage.ErrConflict, "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.")
}

// NoRunsToCancel is the error of a cancel request that matched nothing.
func NoRunsToCancel() error {
	return storage.Errorf(storage.ErrNotFound, "No matching runs to cancel. The runs may have already finished or may not exist.")
}

// SystemOnly is the error of a worker method called with a request scope.
func SystemOnly(method string) error {
	return storage.Errorf(storage.ErrForbidden, "%s needs the system scope", method)
}

// WorkerLost is the thread error of a run that failed because its workers
// stopped renewing its lease MaxRunAttempts times.
func WorkerLost() map[string]any {
	return map[string]any{"error": "WorkerLostError",
		"message": "The run's worker stopped before the run ended, too many times."}
}
