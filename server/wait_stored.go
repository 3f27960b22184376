package server

import (
	"context"
	"errors"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// awaitStored waits for run to end by polling storage, calling idle every
// heartbeat period: the way to a run's result when the event bus fails.
// It returns errRunGone when the run is deleted.
func (s *Server) awaitStored(ctx context.Context, sc storage.Scope, run storage.Run, idle func() error) error {
	poll, beat := 50*time.Millisecond, time.Now()
	for {
		cur, err := s.store.Runs().Get(ctx, sc, run.ThreadID, run.RunID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return errRunGone
		case err != nil:
			return err
		case terminal(cur.Status):
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
		poll = min(2*poll, time.Second)
		if time.Since(beat) >= s.beat {
			beat = time.Now()
			if err := idle(); err != nil {
				return err
			}
		}
	}
}
