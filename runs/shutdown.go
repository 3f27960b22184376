package runs

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// releaseTimeout bounds the storage work of Shutdown after its wait.
const releaseTimeout = 2 * time.Second

// Shutdown stops the workers and waits for them until ctx ends. Runs that
// stopped give their lease up; runs whose graph ignores cancellation past
// ctx are abandoned: their leases are released and they are logged and
// returned. Released runs are then requeued, so that the next start (or
// another process) resumes them at once. Later calls do not wait again.
func (s *Scheduler) Shutdown(ctx context.Context) (abandoned []string) {
	s.mu.Lock()
	cancel, gaveUp := s.cancel, s.gaveUp
	if s.stopped == nil {
		done := make(chan struct{})
		s.stopped = done
		go func() {
			s.wg.Wait()
			s.hooks.wait()
			close(done)
		}()
	}
	stopped := s.stopped
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if gaveUp {
		return nil
	}
	select {
	case <-stopped:
	case <-ctx.Done():
		s.mu.Lock()
		s.gaveUp = true
		for id := range s.running {
			abandoned = append(abandoned, id)
		}
		s.mu.Unlock()
		sort.Strings(abandoned)
	}
	if cancel == nil {
		return abandoned // never started
	}
	rctx, done := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer done()
	for _, id := range abandoned {
		s.log.Warn("abandoning a run that did not stop in time; its lease is released", slog.String("run_id", id))
		if _, err := s.store.Runs().Heartbeat(rctx, storage.System(), id, 0); err != nil {
			s.log.Error("releasing a run's lease", slog.String("run_id", id), slog.Any("error", err))
		}
	}
	if err := s.sweep(rctx); err != nil {
		s.log.Error("requeueing released runs", slog.Any("error", err))
	}
	return abandoned
}

// abandoned reports whether Shutdown gave up on the running runs.
func (s *Scheduler) abandoned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gaveUp
}
