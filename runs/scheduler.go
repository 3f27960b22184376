// Package runs schedules and executes runs: workers claim pending runs
// from storage (one running run per thread, oldest first, after their start
// time), hold them with a renewed lease, execute the graph with the
// thread's checkpointer and publish every stream event to the broker:
// stream "run:<run_id>" for the run and "thread:<thread_id>" for the
// thread's stream. Cancellation reaches a running run in process at once,
// and through storage (Heartbeat) from anywhere else.
package runs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
)

// Options configure a Scheduler.
type Options struct {
	Store  storage.Store
	Broker broker.Broker
	// Graphs by graph id.
	Graphs map[string]*graph.Graph
	// Workers is how many runs execute at once (default 10).
	Workers int
	// Lease is how long a claimed run stays leased without a heartbeat
	// (default 8 s); heartbeats come every Lease/3 and expired leases are
	// swept every Lease/8, so a dead process's runs are requeued within
	// about 9 s.
	Lease time.Duration
	// Poll is how often idle workers look for runs that no wake-up
	// announced: delayed runs, runs created by other processes (default 1 s).
	Poll time.Duration
	// Timeout ends runs that run longer with status timeout (default 1 h).
	Timeout time.Duration
	Logger  *slog.Logger
	// Webhooks (see webhook.go): DisableWebhooks turns them off;
	// AllowPrivateWebhooks lets them reach loopback, private and link-local
	// addresses; WebhookTimeout bounds a call (default 10 s).
	DisableWebhooks      bool
	AllowPrivateWebhooks bool
	WebhookTimeout       time.Duration
	// LocalWebhooks, when set, receives the POST of relative webhooks
	// ("/path") in-process: the server's own handler (custom routes).
	LocalWebhooks http.Handler
	// Observer, when set, is told when runs start and end (metrics).
	Observer Observer
	// Tracer, when set, records a "run" span per attempt (a child of the
	// creating request, see TraceparentKey) and passes it to the graph
	// and the webhook; nil traces nothing.
	Tracer trace.Tracer
}

// Observer receives run timings. Its methods are called on the worker's
// goroutine and must be cheap.
type Observer interface {
	// RunStarted: a run's first attempt started, queued after its creation.
	RunStarted(queued time.Duration)
	// RunEnded: an attempt that ran for d ended with status: success,
	// error, timeout, interrupted, rollback (discarded), lost (its lease)
	// or released (the worker stopped; the run will be requeued).
	RunEnded(status string, d time.Duration)
}

// Scheduler runs the workers.
type Scheduler struct {
	opts  Options
	store storage.Store
	bk    broker.Broker
	log   *slog.Logger
	wake  chan struct{}
	hooks *webhooks
	// slots holds a token per run executing in this process, or about to:
	// a worker takes one before it claims, Create before it starts a run
	// itself (Options.Workers bounds both together).
	slots chan struct{}
	// starved is set when a worker found every slot taken; the next slot
	// given back wakes a worker then.
	starved atomic.Bool

	mu       sync.Mutex
	running  map[string]*active
	streams  map[string]string   // run id → its thread's stream (threadStream)
	handoffs map[string]*Handoff // run id → a waiter in this process (handoff.go)
	cancel   context.CancelFunc
	ctx      context.Context // the workers'; done when they stop
	wg       sync.WaitGroup
	stopped  chan struct{} // closed once the workers and webhooks are done
	gaveUp   bool          // Shutdown abandoned runs (shutdown.go)
}

// active is a run executing in this process.
type active struct {
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	action string // the cancel action asked, "" for none
}

// errCancelled is the cause of a run's context when a cancel request stops it.
var errCancelled = errors.New("runs: run cancelled")

// RunStream and ThreadStream name the broker streams. A thread's stream is
// named after the thread and its creation time, so that a thread deleted
// and created again with the same id never sees the old one's events.
func RunStream(runID string) string { return "run:" + runID }
func ThreadStream(threadID string, created time.Time) string {
	return "thread:" + threadID + ":" + strconv.FormatInt(created.UnixMicro(), 10)
}

// New returns a stopped scheduler; call Start.
func New(opts Options) (*Scheduler, error) {
	if opts.Store == nil || opts.Broker == nil {
		return nil, errors.New("runs: Options.Store and Options.Broker are required")
	}
	if opts.Workers <= 0 {
		opts.Workers = 10
	}
	if opts.Lease <= 0 {
		opts.Lease = 8 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Graphs == nil {
		opts.Graphs = map[string]*graph.Graph{}
	}
	return &Scheduler{opts: opts, store: opts.Store, bk: opts.Broker, log: opts.Logger,
		wake: make(chan struct{}, opts.Workers), slots: make(chan struct{}, opts.Workers), running: map[string]*active{}, streams: map[string]string{}, handoffs: map[string]*Handoff{}, ctx: context.Background(),
		hooks: newWebhooks(opts, opts.Logger)}, nil
}

// Broker returns the broker events are published to.
func (s *Scheduler) Broker() broker.Broker { return s.bk }

// Start requeues runs whose lease expired (a crashed process) and starts
// the workers. They stop when ctx ends or Stop is called.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.cancel != nil {
		s.mu.Unlock()
		return errors.New("runs: scheduler already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.ctx = ctx
	s.mu.Unlock()
	if err := s.sweep(ctx); err != nil {
		cancel()
		return err
	}
	for range s.opts.Workers {
		s.wg.Add(1)
		go s.worker(ctx)
	}
	s.wg.Add(1)
	go s.ticker(ctx)
	s.Wake()
	return nil
}

// Stop stops the workers and waits for them. Runs still executing stop
// at their next step boundary, give their lease up and are requeued
// (attempt + 1 when claimed again). Shutdown bounds the wait.
func (s *Scheduler) Stop() { s.Shutdown(context.Background()) }

// Context is done when the workers stop (Stop, or the end of Start's
// context): streams waiting for runs should end then.
func (s *Scheduler) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// Wake tells an idle worker to look for runs now.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Cancel stops a run executing in this process with action (interrupt or
// rollback) at its next step boundary. It reports whether the run was
// found here; runs elsewhere see the request with their next heartbeat.
func (s *Scheduler) Cancel(runID, action string) bool {
	s.mu.Lock()
	a := s.running[runID]
	s.mu.Unlock()
	if a == nil {
		return false
	}
	a.stop(action)
	return true
}

func (a *active) stop(action string) {
	a.mu.Lock()
	if a.action == "" {
		a.action = action
	}
	a.mu.Unlock()
	a.cancel(errCancelled)
}

func (a *active) cancelAction() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.action
}

// sweep requeues expired leases and ends the streams of runs that it
// finished (after too many attempts, or cancelled).
func (s *Scheduler) sweep(ctx context.Context) error {
	changed, err := s.store.Runs().RequeueExpired(ctx, storage.System())
	if err != nil {
		return err
	}
	for _, r := range changed {
		if r.Status == storage.RunPending {
			s.log.WarnContext(ctx, "run requeued after its lease expired", slog.String("run_id", r.RunID), slog.Int("attempt", r.Attempt))
			continue
		}
		if r.Status == storage.RunError {
			s.publish(ctx, r, "error", errorBody("WorkerLostError", "The run's worker stopped before the run ended, too many times."))
		}
		s.finishStreams(ctx, r, nil, false)
	}
	if len(changed) > 0 {
		s.Wake()
	}
	return nil
}

// ticker wakes a worker every Poll (for delayed runs and runs created by
// other processes) and sweeps expired leases every Lease/8.
func (s *Scheduler) ticker(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(s.opts.Poll)
	defer tick.Stop()
	lastSweep := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if time.Since(lastSweep) >= s.opts.Lease/8 {
			lastSweep = time.Now()
			if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "sweeping expired runs", slog.Any("error", err))
			}
		}
		s.Wake()
	}
}

// worker claims and executes runs while there are any and a slot is free,
// then waits for a wake-up (one per run created, up to Workers pending).
func (s *Scheduler) worker(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		for ctx.Err() == nil {
			if !s.take() {
				s.starved.Store(true)
				break
			}
			r, ok, err := s.store.Runs().Claim(ctx, storage.System(), s.opts.Lease)
			if err != nil {
				s.give()
				if ctx.Err() == nil {
					s.log.ErrorContext(ctx, "claiming a run", slog.Any("error", err))
				}
				break
			}
			if !ok {
				s.give()
				break
			}
			sl := &slot{s: s}
			s.execute(ctx, r, sl)
			sl.give()
		}
	}
}

// Create inserts a run (see storage.Runs.Create), stops the runs its
// multitask strategy interrupts or rolls back, and wakes a worker.
//
// With a free worker it asks storage to start the run at once
// (StartLease) and executes it without a claim: one write less per run,
// and no worker races for it.
func (s *Scheduler) Create(ctx context.Context, sc storage.Scope, c storage.RunCreate) (storage.RunCreated, error) {
	wctx, direct := s.reserve()
	if direct {
		c.StartLease = s.opts.Lease
	} else {
		c.StartLease = 0
	}
	out, err := s.store.Runs().Create(ctx, sc, c)
	if direct && (err != nil || !out.Started) {
		s.give()
		s.wg.Done()
	}
	if err != nil {
		return out, err
	}
	for _, r := range out.Stopping {
		s.Cancel(r.RunID, out.Run.MultitaskStrategy)
	}
	if out.Started {
		run := out.Run
		s.startHandoff(run.RunID)
		go func() {
			defer s.wg.Done()
			sl := &slot{s: s}
			defer sl.give()
			defer s.handOff(run.RunID, nil, false) // unless its streams ended
			s.execute(wctx, run, sl)
		}()
		// The caller sees the run as created, queued, as LangGraph
		// reports a new run (it may be running already either way).
		out.Run.Status, out.Run.Attempt, out.Run.ThreadCreatedAt = storage.RunPending, 0, time.Time{}
		return out, nil
	}
	s.Wake()
	return out, nil
}

// reserve takes a slot for a run Create starts itself, when the workers
// run and one is free; it returns their context.
func (s *Scheduler) reserve() (context.Context, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil || s.stopped != nil || s.ctx.Err() != nil || !s.take() {
		return nil, false
	}
	s.wg.Add(1)
	return s.ctx, true
}

// take takes a slot if one is free.
func (s *Scheduler) take() bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// slot is the worker slot of one executing run, given back once: before
// the run's streams end (a client that sees the end may start its next
// run at once, and finds the slot free) or when the run returns.
type slot struct {
	s    *Scheduler
	done bool
}

func (sl *slot) give() {
	if !sl.done {
		sl.done = true
		sl.s.give()
	}
}

// give gives a slot back, waking a worker if one found none free.
func (s *Scheduler) give() {
	<-s.slots
	if s.starved.Swap(false) {
		s.Wake()
	}
}

// CancelRuns cancels runs (see storage.Runs.Cancel): pending ones at once
// (their streams are closed, the threads of temporary ones deleted),
// running ones at their next step boundary.
func (s *Scheduler) CancelRuns(ctx context.Context, sc storage.Scope, c storage.RunCancel) ([]storage.Run, error) {
	found, err := s.store.Runs().Cancel(ctx, sc, c)
	if err != nil {
		return nil, err
	}
	action := c.Action
	if action == "" {
		action = storage.CancelInterrupt
	}
	for _, r := range found {
		if r.Status == storage.RunRunning {
			s.Cancel(r.RunID, action)
			continue
		}
		k, err := ParseKwargs(r.Kwargs)
		temporary := err == nil && k.Temporary
		s.dropTemporary(ctx, r, temporary)
		s.finishStreams(ctx, r, map[string]any{}, temporary)
	}
	s.Wake()
	return found, nil
}

// Workers reports how many runs this process may execute at once and how
// many it is executing.
func (s *Scheduler) Workers() (max, active int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Workers, len(s.running)
}

// threadStream is the stream of r's thread ("" when the thread is gone:
// nothing is published there), looked up once per run.
func (s *Scheduler) threadStream(ctx context.Context, r storage.Run) string {
	s.mu.Lock()
	name, ok := s.streams[r.RunID]
	s.mu.Unlock()
	if ok {
		return name
	}
	// A claimed run knows its thread's creation time (read with the claim);
	// otherwise a thread created after the run is another thread.
	if !r.ThreadCreatedAt.IsZero() {
		name = ThreadStream(r.ThreadID, r.ThreadCreatedAt)
	} else {
		t, err := s.store.Threads().Get(ctx, storage.System(), r.ThreadID)
		switch {
		case err == nil && !t.CreatedAt.After(r.CreatedAt):
			name = ThreadStream(t.ThreadID, t.CreatedAt)
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			s.log.ErrorContext(ctx, "reading a run's thread", slog.String("run_id", r.RunID), slog.Any("error", err))
			return ""
		}
	}
	s.mu.Lock()
	s.streams[r.RunID] = name
	s.mu.Unlock()
	return name
}

// forgetStream drops the cached thread stream of a run that ended.
func (s *Scheduler) forgetStream(runID string) {
	s.mu.Lock()
	delete(s.streams, runID)
	s.mu.Unlock()
}
