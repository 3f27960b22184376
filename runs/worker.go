package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
)

// ResultEvent is the last event of a run's stream: the body that wait and
// join return (§6). Its name starts with "__": SSE handlers never forward it.
const ResultEvent = "__result__"

var (
	errTimeout = errors.New("runs: run timed out")
	errLost    = errors.New("runs: run lost its lease or was deleted")
)

// InterruptKey and ErrorKey mark a result that ended in an interrupt or an
// error.
const (
	InterruptKey = "__interrupt__"
	ErrorKey     = "__error__"
)

func errorBody(name, msg string) map[string]any {
	return map[string]any{"error": name, "message": msg}
}

// execute runs one claimed run to its end.
func (s *Scheduler) execute(ctx context.Context, r storage.Run, sl *slot) {
	ctx, sp := s.startRunSpan(ctx, r.Kwargs, r.RunID, r.ThreadID, r.Attempt)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a := &active{cancel: cancel}
	s.mu.Lock()
	s.running[r.RunID] = a
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, r.RunID)
		s.mu.Unlock()
	}()
	if r.Cancel != "" {
		a.stop(r.Cancel)
	}
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		s.heartbeat(runCtx, r.RunID, a)
	}()
	started := time.Now()
	if o := s.opts.Observer; o != nil && r.Attempt == 1 && !r.CreatedAt.IsZero() {
		o.RunStarted(started.Sub(r.CreatedAt))
	}
	out := s.run(runCtx, r)
	ran := time.Since(started)
	out.started = started
	out.cause = context.Cause(runCtx)
	cancel(nil)
	<-hbDone
	status := "released"
	defer func() {
		if o := s.opts.Observer; o != nil {
			o.RunEnded(status, ran)
		}
		if sp != nil {
			endRunSpan(sp, status, out.err)
		}
	}()
	if ctx.Err() != nil {
		if s.abandoned() {
			return // Shutdown released it; it may run elsewhere by now
		}
		// Stopping: give the lease up, so that the next start (here or in
		// another process) requeues the run at once.
		_, err := s.store.Runs().Heartbeat(context.WithoutCancel(ctx), storage.System(), r.RunID, 0)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			s.log.Error("releasing a run's lease", slog.String("run_id", r.RunID), slog.Any("error", err))
		}
		return
	}
	status = s.end(ctx, r, a, out, sl)
}

// heartbeat renews the lease until ctx ends, and passes on cancel requests
// made elsewhere.
func (s *Scheduler) heartbeat(ctx context.Context, runID string, a *active) {
	t := time.NewTicker(s.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		action, err := s.store.Runs().Heartbeat(ctx, storage.System(), runID, s.opts.Lease)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			a.cancel(errLost)
			return
		case err != nil:
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "renewing a run's lease", slog.String("run_id", runID), slog.Any("error", err))
			}
		case action != "":
			a.stop(action)
		}
	}
}

// outcome is how the graph run went.
type outcome struct {
	kw         Kwargs
	g          *graph.Graph
	saver      checkpoint.Saver
	res        graph.Result
	err        error
	cause      error // of the run's context
	lastValues any
	started    time.Time
}

func (s *Scheduler) run(ctx context.Context, r storage.Run) (out outcome) {
	s.publish(ctx, r, "metadata", map[string]any{"run_id": r.RunID, "attempt": r.Attempt})
	kw, err := ParseKwargs(r.Kwargs)
	if err != nil {
		out.err = err
		return out
	}
	out.kw = kw
	g := s.opts.Graphs[kw.GraphID()]
	if g == nil {
		out.err = fmt.Errorf("graph %q not found", kw.GraphID())
		return out
	}
	if !kw.Temporary {
		if out.saver, err = s.store.Checkpointer(ctx, storage.System(), r.ThreadID); err != nil {
			out.err = err
			return out
		}
	}
	cfg := s.graphConfig(r, kw, out.saver)
	// A dynamic graph is built for this run's config.
	if g, err = g.For(ctx, cfg); err != nil {
		out.err = err
		return out
	}
	out.g = g
	modes, requested, legacy, tuples := kw.graphModes()
	cfg.StreamModes = modes
	var lm *legacyMessages
	if legacy {
		lm = newLegacyMessages()
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.Timeout, errTimeout)
	defer cancel()
	var input any
	if kw.Command == nil && kw.Input != nil {
		input = kw.Input
	}
	out.res, out.err = g.Stream(ctx, input, cfg, func(ev graph.Event) error {
		if ev.Mode == graph.ModeValues && len(ev.Namespace) == 0 {
			if m, ok := ev.Data.(map[string]any); !ok || len(m) != 1 || m[InterruptKey] == nil {
				out.lastValues = ev.Data
			}
		}
		// astream_events reports nested runs (a subgraph's nodes) in the
		// one "events" stream, subgraphs or not.
		if len(ev.Namespace) > 0 && !kw.Subgraphs && ev.Mode != graph.ModeEvents {
			return nil
		}
		suffix := ""
		if len(ev.Namespace) > 0 && ev.Mode != graph.ModeEvents {
			suffix = "|" + strings.Join(ev.Namespace, "|")
		}
		if lm != nil {
			var extra []namedEvent
			switch {
			case ev.Mode == graph.ModeMessages:
				extra = lm.chunk(ev.Data)
			case ev.Mode == graph.ModeValues && len(ev.Namespace) == 0:
				extra = lm.values(ev.Data)
			}
			for _, e := range extra {
				s.publish(ctx, r, e.name+suffix, e.data)
			}
			if ev.Mode == graph.ModeMessages && !tuples {
				return nil
			}
		}
		if requested[ev.Mode] {
			s.publish(ctx, r, string(ev.Mode)+suffix, ev.Data)
		}
		return nil
	})
	return out
}

func (s *Scheduler) graphConfig(r storage.Run, kw Kwargs, saver checkpoint.Saver) graph.RunConfig {
	conf := kw.configurable()
	md := map[string]any{}
	if m, ok := kw.Config["metadata"].(map[string]any); ok {
		for k, v := range m {
			md[k] = v
		}
	}
	md["run_attempt"] = r.Attempt
	cfg := graph.RunConfig{
		ThreadID:        r.ThreadID,
		RunID:           r.RunID,
		Configurable:    conf,
		Context:         kw.Context,
		Metadata:        md,
		Subgraphs:       kw.Subgraphs,
		InterruptBefore: kw.InterruptBefore,
		InterruptAfter:  kw.InterruptAfter,
		Command:         kw.Command,
		Checkpointer:    saver,
		Durability:      graph.Durability(kw.Durability),
	}
	if saver != nil {
		cfg.CheckpointID, _ = conf["checkpoint_id"].(string)
	}
	if n, ok := kw.Config["recursion_limit"].(float64); ok {
		cfg.RecursionLimit = int(n)
	}
	return cfg
}

// end records the run's end in storage, gives its worker slot back and
// closes its stream; it returns the status the run ended with (see
// Observer.RunEnded).
func (s *Scheduler) end(ctx context.Context, r storage.Run, a *active, out outcome, sl *slot) string {
	action := a.cancelAction()
	f := storage.RunFinish{ThreadID: r.ThreadID, RunID: r.RunID, Status: storage.RunSuccess}
	var body any
	switch {
	case out.err != nil && action == storage.CancelRollback:
		if err := s.store.Runs().Discard(ctx, storage.System(), r.ThreadID, r.RunID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			s.log.ErrorContext(ctx, "rolling back a run", slog.String("run_id", r.RunID), slog.Any("error", err))
		}
		s.dropTemporary(ctx, r, out.kw.Temporary)
		sl.give()
		s.finishStreams(ctx, r, map[string]any{}, out.kw.Temporary)
		return "rollback"
	case out.err != nil && action != "":
		f.Status = storage.RunInterrupted
	case out.err != nil && errors.Is(out.cause, errLost):
		// Requeued after its lease ran out (it runs again, here or
		// elsewhere, and its stream goes on) or deleted (its followers
		// see that): its stream is not ended here.
		s.log.WarnContext(ctx, "a run lost its lease while executing; it was stopped here",
			slog.String("run_id", r.RunID), slog.Int("attempt", r.Attempt))
		return "lost"
	case out.err != nil && errors.Is(out.err, storage.ErrUnavailable) && r.Attempt < storage.MaxRunAttempts:
		// The database could not be reached: the run did not fail, so it
		// is not recorded as failed. Its lease is given up (or, with the
		// database still away, runs out) and it runs again from its last
		// checkpoint; its stream goes on with the next attempt.
		s.log.WarnContext(ctx, "the database could not be reached during a run; it will run again",
			slog.String("run_id", r.RunID), slog.Int("attempt", r.Attempt), slog.Any("error", out.err))
		s.releaseLease(ctx, r.RunID)
		return "retried"
	case out.err != nil:
		name, msg := graph.ErrorName(out.err), graph.ErrorMessage(out.err)
		// The event carries the node's own message; the log keeps where.
		s.log.InfoContext(ctx, "run failed", slog.String("run_id", r.RunID), slog.Any("error", out.err))
		f.Status = storage.RunError
		if errors.Is(out.err, context.DeadlineExceeded) {
			f.Status, name = storage.RunTimeout, "TimeoutError"
		}
		e := errorBody(name, msg)
		f.Error = e
		body = map[string]any{ErrorKey: e}
		s.publish(ctx, r, "error", e)
	}
	interrupts := s.state(ctx, r, out, &f)
	if body == nil {
		body = resultBody(out.lastValues, f.Values, interrupts)
	}
	if out.kw.Temporary {
		// Deleting the thread deletes the run: no need to record its end.
		s.dropTemporary(ctx, r, true)
	} else if err := s.whileUnavailable(ctx, func() error {
		_, err := s.store.Runs().Finish(ctx, storage.System(), f)
		return err
	}); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.ErrorContext(ctx, "finishing a run", slog.String("run_id", r.RunID), slog.Any("error", err))
		if errors.Is(err, storage.ErrUnavailable) {
			// Not recorded: its lease runs out and it runs again, so its
			// stream is not ended with a result that storage lacks.
			return "retried"
		}
	}
	s.sendWebhook(ctx, r, out, f)
	sl.give()
	s.finishStreams(ctx, r, body, out.kw.Temporary)
	return f.Status
}

// whileUnavailable calls op until it returns anything but
// storage.ErrUnavailable, retrying every 200 ms for up to a third of a
// lease while the database is away, and returns op's last error.
func (s *Scheduler) whileUnavailable(ctx context.Context, op func() error) error {
	deadline := time.Now().Add(s.opts.Lease / 3)
	for {
		err := op()
		if !errors.Is(err, storage.ErrUnavailable) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// releaseLease gives up a run's lease so that it is requeued at once
// (while the database is away, retried; after that the lease runs out by
// itself).
func (s *Scheduler) releaseLease(ctx context.Context, runID string) {
	err := s.whileUnavailable(ctx, func() error {
		_, err := s.store.Runs().Heartbeat(ctx, storage.System(), runID, 0)
		return err
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.WarnContext(ctx, "releasing a run's lease", slog.String("run_id", runID), slog.Any("error", err))
	}
}

// dropTemporary deletes the thread of a temporary (stateless) run.
func (s *Scheduler) dropTemporary(ctx context.Context, r storage.Run, temporary bool) {
	if !temporary {
		return
	}
	if err := s.store.Threads().Delete(ctx, storage.System(), r.ThreadID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.ErrorContext(ctx, "deleting a temporary thread", slog.String("thread_id", r.ThreadID), slog.Any("error", err))
	}
}

// state fills f with the thread's state after the run (values, pending
// interrupts by task, whether tasks are left) and returns the interrupts.
func (s *Scheduler) state(ctx context.Context, r storage.Run, out outcome, f *storage.RunFinish) []graph.InterruptValue {
	var interrupts []graph.InterruptValue
	if out.saver == nil || out.g == nil {
		if out.res.Values != nil {
			f.Values = out.res.Values
		}
		f.Next = len(out.res.Next) > 0
		if len(out.res.Interrupts) > 0 {
			f.Interrupts = map[string]any{"": out.res.Interrupts}
		}
		return out.res.Interrupts
	}
	snap, err := out.g.GetState(ctx, graph.RunConfig{ThreadID: r.ThreadID, Checkpointer: out.saver})
	if err != nil {
		s.log.ErrorContext(ctx, "reading a thread's state after a run", slog.String("run_id", r.RunID), slog.Any("error", err))
		return out.res.Interrupts
	}
	f.Values = snap.Values
	f.Next = len(snap.Next) > 0
	for _, t := range snap.Tasks {
		if len(t.Interrupts) > 0 {
			if f.Interrupts == nil {
				f.Interrupts = map[string]any{}
			}
			f.Interrupts[t.ID] = t.Interrupts
			interrupts = append(interrupts, t.Interrupts...)
		}
	}
	return interrupts
}

// resultBody is what wait and join return: the last values event (else the
// thread's values, else {}), with the pending interrupts under
// "__interrupt__".
func resultBody(last, values any, interrupts []graph.InterruptValue) any {
	v := last
	if v == nil {
		v = values
	}
	if v == nil {
		v = map[string]any{}
	}
	if len(interrupts) == 0 {
		return v
	}
	m, ok := v.(map[string]any)
	if !ok {
		b, _ := json.Marshal(v)
		m = map[string]any{}
		json.Unmarshal(b, &m)
	}
	cp := make(map[string]any, len(m)+1)
	for k, x := range m {
		cp[k] = x
	}
	cp[InterruptKey] = interrupts
	return cp
}

// publish sends one event to the run's stream and the thread's.
func (s *Scheduler) publish(ctx context.Context, r storage.Run, name string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		b, _ = json.Marshal(errorBody("SerializationError", err.Error()))
		name = "error"
	}
	ctx = context.WithoutCancel(ctx)
	if _, err := s.bk.Publish(ctx, RunStream(r.RunID), name, b); err != nil {
		s.log.ErrorContext(ctx, "publishing a run event", slog.String("run_id", r.RunID), slog.Any("error", err))
	}
	if ts := s.threadStream(ctx, r); ts != "" {
		if _, err := s.bk.Publish(ctx, ts, name, b); err != nil {
			s.log.ErrorContext(ctx, "publishing a thread event", slog.String("thread_id", r.ThreadID), slog.Any("error", err))
		}
	}
}

// finishStreams publishes the result (when not nil) and ends the run's
// stream; the thread stream gets a run_done metadata event, and ends too
// when the thread was deleted (a temporary run's), so that the broker can
// forget it.
func (s *Scheduler) finishStreams(ctx context.Context, r storage.Run, body any, threadGone bool) {
	ctx = context.WithoutCancel(ctx)
	var result []byte
	if body != nil {
		if b, err := json.Marshal(body); err == nil {
			result = b
			s.bk.Publish(ctx, RunStream(r.RunID), ResultEvent, b)
		}
	}
	if err := s.bk.Finish(ctx, RunStream(r.RunID)); err != nil {
		s.log.ErrorContext(ctx, "finishing a run stream", slog.String("run_id", r.RunID), slog.Any("error", err))
	}
	s.handOff(r.RunID, result, true)
	ts := s.threadStream(ctx, r)
	s.forgetStream(r.RunID)
	if ts == "" {
		return
	}
	b, _ := json.Marshal(map[string]any{"status": "run_done", "run_id": r.RunID})
	s.bk.Publish(ctx, ts, "metadata", b)
	if st, ok := s.bk.(broker.Settler); ok && !threadGone {
		// The run's events on its thread's stream go after the same grace
		// as its own stream's, not when the thread has been idle a day.
		_ = st.Settle(ctx, ts)
	}
	if threadGone {
		if err := s.bk.Finish(ctx, ts); err != nil {
			s.log.ErrorContext(ctx, "finishing a thread stream", slog.String("thread_id", r.ThreadID), slog.Any("error", err))
		}
	}
}
