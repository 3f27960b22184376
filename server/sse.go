package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
)

// sseWriter writes Server-Sent Events (§5.1): "event:", one line of compact
// JSON in "data:", the event id, a blank line; ": heartbeat" comments keep
// idle connections alive. Every write gets a fresh deadline so that a
// client that stops reading cannot hold the handler forever.
type sseWriter struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	beat time.Duration
	buf  []byte
}

func (s *Server) newSSE(w http.ResponseWriter, r *http.Request, contentLocation, location string) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	if contentLocation != "" {
		h.Set("Content-Location", s.at(contentLocation))
	}
	if location != "" {
		h.Set("Location", s.at(location))
	}
	w.WriteHeader(http.StatusOK)
	sw := &sseWriter{w: w, rc: http.NewResponseController(w), beat: s.beat}
	sw.flush()
	return sw
}

func (sw *sseWriter) write(b []byte) error {
	_ = sw.rc.SetWriteDeadline(time.Now().Add(3 * sw.beat))
	if _, err := sw.w.Write(b); err != nil {
		return err
	}
	return sw.flush()
}

func (sw *sseWriter) flush() error {
	err := sw.rc.Flush()
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return err
}

// event writes one event; data must be compact single-line JSON.
func (sw *sseWriter) event(name string, data []byte, id string) error {
	b := sw.buf[:0]
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	b = append(b, '\n')
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	sw.buf = b
	return sw.write(b)
}

// threadDeleted ends a stream whose thread was deleted with an error event
// that says so (the stream will never resume).
func (sw *sseWriter) threadDeleted() error {
	return sw.event("error", []byte(`{"error":"ThreadDeleted","message":"The thread was deleted; its stream has ended."}`), "")
}

func (sw *sseWriter) heartbeat() error { return sw.write([]byte(": heartbeat\n\n")) }

// streamContext is the context of a long-lived response: it ends with the
// request or when the run workers stop, so that open streams and waits do
// not hold up a shutdown.
func (s *Server) streamContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(s.runs.Context(), cancel)
	return ctx, func() { stop(); cancel() }
}

// errRunGone ends a stream whose run was deleted while it was followed.
var errRunGone = errors.New("server: the run was deleted")

// terminal reports whether a run status is final.
func terminal(status string) bool {
	return status != storage.RunPending && status != storage.RunRunning
}

// follow reads a run's events after cursor and calls fn for each, until
// the run's stream finishes, the run is found ended (or deleted) with
// nothing left to read, fn fails or ctx ends. idle runs after each quiet
// heartbeat period.
func (s *Server) follow(ctx context.Context, sc storage.Scope, run storage.Run, after string,
	fn func(broker.Event) error, idle func() error) error {
	sub, err := s.runs.Broker().Subscribe(ctx, runs.RunStream(run.RunID), after)
	if err != nil {
		if errors.Is(err, broker.ErrBadEventID) {
			return invalid("Invalid Last-Event-ID: must be an event id like <ms>-<seq>")
		}
		return err
	}
	defer sub.Close()
	// A run that already ended only has its retained log (if any) to read.
	draining, gone := terminal(run.Status), false
	for {
		wait := s.beat
		if draining {
			wait = 100 * time.Millisecond
		}
		nctx, cancel := context.WithTimeout(ctx, wait)
		ev, ok, err := sub.Next(nctx)
		cancel()
		switch {
		case err == nil && !ok:
			return nil
		case err == nil:
			if err := fn(ev); err != nil {
				return err
			}
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return err
		case gone:
			return errRunGone // deleted and its stream never finished
		case draining:
			return nil
		}
		if err := idle(); err != nil {
			return err
		}
		cur, err := s.store.Runs().Get(ctx, sc, run.ThreadID, run.RunID)
		if errors.Is(err, storage.ErrNotFound) || err == nil && terminal(cur.Status) {
			draining = true // the run ended but its stream did not: read what is left
			gone = err != nil
		} else if err != nil {
			return err
		}
	}
}

// modeFilter keeps the events a join's stream_mode query asks for
// (metadata and error always pass; "messages" matches messages/...).
func modeFilter(modes []string) func(name string) bool {
	if len(modes) == 0 {
		return func(string) bool { return true }
	}
	return func(name string) bool {
		base, _, _ := strings.Cut(name, "|")
		if base == "metadata" || base == "error" {
			return true
		}
		for _, m := range modes {
			if m == "messages-tuple" {
				m = "messages"
			}
			if base == m || strings.HasPrefix(base, m+"/") || m == "messages" && strings.HasPrefix(base, "messages") {
				return true
			}
		}
		return false
	}
}

// streamRun writes a run's events as SSE until it ends; location is the
// URL that joins it again. On a dropped client, the run is cancelled with
// onDrop when it is set (see disconnectScope).
func (s *Server) streamRun(w http.ResponseWriter, r *http.Request, sc storage.Scope, run storage.Run, after string,
	keep func(string) bool, onDrop *storage.Scope, location string) error {
	sw := s.newSSE(w, r, runLocation(run.ThreadID, run.RunID), location)
	s.prom.runStreams.Inc()
	defer s.prom.runStreams.Dec()
	ctx, cancel := s.streamContext(r)
	defer cancel()
	err := s.follow(ctx, sc, run, after, func(ev broker.Event) error {
		if strings.HasPrefix(ev.Name, "__") || !keep(ev.Name) {
			return nil
		}
		return sw.event(ev.Name, ev.Data, ev.ID)
	}, sw.heartbeat)
	if errors.Is(err, broker.ErrDropped) {
		_ = sw.threadDeleted()
		return nil
	}
	if errors.Is(err, errRunGone) {
		_ = sw.event("error", []byte(`{"error":"RunDeleted","message":"The run was deleted (or its thread); its stream has ended."}`), "")
		return nil
	}
	if err != nil && r.Context().Err() != nil && onDrop != nil {
		s.cancelOnDisconnect(*onDrop, run)
	}
	if err != nil && r.Context().Err() == nil {
		s.log.WarnContext(r.Context(), "run stream ended early", "run_id", run.RunID, "error", err)
		_ = sw.endedEarly(s.runs.Context().Err() != nil)
	}
	return nil // the response has started: errors cannot be reported
}

// endedEarly ends a stream that stops before its run's end (the server is
// shutting down, or the event bus failed) with an error event a client can
// act on: retryable, so it joins again with Last-Event-ID.
func (sw *sseWriter) endedEarly(shutdown bool) error {
	if shutdown {
		return sw.event("error", []byte(`{"error":"ServerShuttingDown","message":"The server is shutting down: join the run again with Last-Event-ID.","retryable":true}`), "")
	}
	return sw.event("error", []byte(`{"error":"StreamInterrupted","message":"The run's event stream failed: join the run again with Last-Event-ID.","retryable":true}`), "")
}

// disconnectScope is the scope that cancels run when a joining client
// leaves (cancel_on_disconnect): threads:update on the run's thread, as a
// cancel request needs. A caller who may not cancel the run gets nil: the
// flag is ignored and the run goes on.
func (s *Server) disconnectScope(r *http.Request, run storage.Run, want bool) *storage.Scope {
	if !want {
		return nil
	}
	sc, err := s.authorize(r, &auth.ThreadsUpdate{ThreadID: run.ThreadID, Action: storage.CancelInterrupt,
		Metadata: map[string]any{"run_ids": []string{run.RunID}}})
	if err != nil {
		s.log.DebugContext(r.Context(), "cancel_on_disconnect ignored: the caller may not cancel the run",
			"run_id", run.RunID, "error", err)
		return nil
	}
	return &sc
}

func (s *Server) cancelOnDisconnect(sc storage.Scope, run storage.Run) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.runs.CancelRuns(ctx, sc, storage.RunCancel{ThreadID: run.ThreadID, RunIDs: []string{run.RunID},
		Action: storage.CancelInterrupt})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.Warn("cancelling a run after its client left", "run_id", run.RunID, "error", err)
	}
}

// createAndStream inserts the run and streams it from its first event.
func (s *Server) createAndStream(w http.ResponseWriter, r *http.Request, p *prepared) error {
	run, err := s.insert(r, p)
	if err != nil {
		return err
	}
	loc := runLocation(run.ThreadID, run.RunID) + "/stream"
	if p.stateless {
		loc = statelessStreamLocation(run.RunID)
	}
	return s.streamRun(w, r, p.scope, run, broker.Start, modeFilter(nil), p.onDrop(), loc)
}

// waitResult waits for the run's result (§6) and writes it, with
// whitespace keep-alives while waiting (the status is then committed).
func (s *Server) waitResult(w http.ResponseWriter, r *http.Request, sc storage.Scope, run storage.Run, onDrop *storage.Scope, h *runs.Handoff) error {
	started := false
	rc := http.NewResponseController(w)
	ctx, cancel := s.streamContext(r)
	defer cancel()
	keepAlive := func() error {
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
		}
		_ = rc.SetWriteDeadline(time.Now().Add(3 * s.beat))
		if _, err := w.Write([]byte("\n")); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return nil
	}
	result, err := s.runResult(ctx, r, sc, run, h, keepAlive)
	if errors.Is(err, errRunGone) {
		if !started {
			return notFound(fmt.Sprintf("Run with ID %s not found (it was deleted)", run.RunID))
		}
		_, _ = w.Write([]byte(`{"` + runs.ErrorKey + `":{"error":"RunDeleted","message":"The run was deleted (or its thread)."}}`))
		return nil
	}
	if err != nil {
		if r.Context().Err() != nil {
			if onDrop != nil {
				s.cancelOnDisconnect(*onDrop, run)
			}
			return nil
		}
		if ctx.Err() != nil && !started {
			return httpErr(http.StatusServiceUnavailable, "The server is shutting down")
		}
		if !started {
			return err
		}
		s.log.WarnContext(r.Context(), "waiting for a run failed", "run_id", run.RunID, "error", err)
		return nil
	}
	if !started {
		return writeRaw(w, result)
	}
	_ = rc.SetWriteDeadline(time.Now().Add(3 * s.beat))
	_, _ = w.Write(result)
	return nil
}

// runResult waits for run's result body (§6): its result event or, when
// the event bus fails, its end in storage. A run this process started
// for the caller (h, when not nil) hands its result over without the bus
// unless it leaves this process. idle runs after each quiet heartbeat
// period. errRunGone means the run was deleted.
func (s *Server) runResult(ctx context.Context, r *http.Request, sc storage.Scope, run storage.Run, h *runs.Handoff, idle func() error) ([]byte, error) {
	if h != nil && s.runs.Started(h) {
		if err := s.awaitHandoff(ctx, h, idle); err != nil {
			return nil, err
		}
		if result, ended := h.Result(); ended {
			if result == nil {
				result = s.fallbackResult(r, sc, run)
			}
			return result, nil
		}
		// It left: deleted (its lease found gone), or requeued.
		if _, err := s.store.Runs().Get(ctx, sc, run.ThreadID, run.RunID); errors.Is(err, storage.ErrNotFound) {
			return nil, errRunGone
		}
	}
	var result []byte
	err := s.follow(ctx, sc, run, broker.Start, func(ev broker.Event) error {
		if ev.Name == runs.ResultEvent {
			result = ev.Data
		}
		return nil
	}, idle)
	if errors.Is(err, broker.ErrDropped) {
		return nil, errRunGone // its thread was deleted, and the run with it
	}
	if errors.Is(err, broker.ErrUnavailable) {
		// The result never depends on the bus: wait for the run's end in
		// storage and answer from there.
		s.log.WarnContext(r.Context(), "event bus failed while waiting for a run: reading its result from storage",
			"run_id", run.RunID, "error", err)
		result, err = nil, s.awaitStored(ctx, sc, run, idle)
	}
	if err != nil {
		return nil, err
	}
	if result == nil {
		result = s.fallbackResult(r, sc, run)
	}
	return result, nil
}

// awaitHandoff waits for h, calling idle every heartbeat period.
func (s *Server) awaitHandoff(ctx context.Context, h *runs.Handoff, idle func() error) error {
	t := time.NewTicker(s.beat)
	defer t.Stop()
	for {
		select {
		case <-h.Done():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := idle(); err != nil {
				return err
			}
		}
	}
}
