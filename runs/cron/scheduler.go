// Package cron fires cron jobs: it parses schedules (robfig/cron, standard
// five fields, in the cron's time zone) and, on each tick, creates the
// cron's run through the run scheduler, as the user who created the cron.
// A tick is claimed in storage (Crons.Advance) before its run is created,
// so that several replicas sharing a database fire it once.
package cron

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/storage"
)

// RunCreator creates runs; *runs.Scheduler is one.
type RunCreator interface {
	Create(ctx context.Context, sc storage.Scope, c storage.RunCreate) (storage.RunCreated, error)
}

// Authorizer decides an authorization event for the caller in ctx; the
// server's Authorizer (an *authz.Enforcer, or allow-all without auth) is one.
type Authorizer interface {
	Authorize(ctx context.Context, v auth.Value) (storage.Scope, error)
}

// Options configure a Scheduler.
type Options struct {
	Store storage.Store
	Runs  RunCreator
	// Authorizer re-authorizes every tick as the cron's creator (required).
	Authorizer Authorizer
	// Poll is how often due crons are looked for (default 5 s).
	Poll time.Duration
	// Batch is how many due crons one pass fires at most (default 100).
	Batch  int
	Logger *slog.Logger
}

// Scheduler fires due crons.
type Scheduler struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a stopped scheduler; call Start.
func New(opts Options) (*Scheduler, error) {
	if opts.Store == nil || opts.Runs == nil || opts.Authorizer == nil {
		return nil, errors.New("cron: Options.Store, Options.Runs and Options.Authorizer are required")
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{opts: opts, log: opts.Logger}, nil
}

// Start fires due crons every Poll until ctx ends or Stop is called.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("cron: scheduler already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancel, s.done = cancel, make(chan struct{})
	go s.loop(ctx, s.done)
	return nil
}

// Stop stops the loop and waits for the pass in progress.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (s *Scheduler) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "firing due crons", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue fires the crons due at now: for each, it moves the next run date
// past now and, when this call was the one to move it, creates the run.
// It returns how many runs it created. Failures to create a run are logged
// (the tick is not retried), as the LangGraph servers do.
func (s *Scheduler) RunDue(ctx context.Context, now time.Time) (int, error) {
	crons := s.opts.Store.Crons()
	due, err := crons.Due(ctx, storage.System(), now, s.opts.Batch)
	if err != nil {
		return 0, err
	}
	fired := 0
	for _, c := range due {
		if ctx.Err() != nil {
			return fired, ctx.Err()
		}
		log := s.log.With(slog.String("cron_id", c.CronID))
		next, err := NextRun(c.Schedule, c.Timezone, now)
		if err != nil {
			// A stored schedule that no longer parses: stop firing it.
			log.ErrorContext(ctx, "disabling a cron whose schedule is invalid", slog.Any("error", err))
			off := false
			if _, err := crons.Update(ctx, storage.System(), c.CronID, storage.CronPatch{Enabled: &off}); err != nil {
				log.ErrorContext(ctx, "disabling a cron", slog.Any("error", err))
			}
			continue
		}
		won, err := crons.Advance(ctx, storage.System(), c.CronID, *c.NextRunDate, next)
		if err != nil {
			return fired, err
		}
		if !won {
			continue // another replica fired this tick
		}
		run, err := s.Fire(ctx, c)
		if errors.Is(err, errRefused) {
			log.WarnContext(ctx, "cron tick refused: its creator may no longer run it", slog.Any("error", err))
			s.refused(ctx, c, now, err)
			continue
		}
		if err != nil {
			log.ErrorContext(ctx, "creating a cron's run", slog.Any("error", err))
			continue
		}
		log.InfoContext(ctx, "cron fired", slog.String("run_id", run.RunID), slog.String("thread_id", run.ThreadID))
		fired++
	}
	return fired, nil
}

// Identity is the user a cron runs as: the stored creator, else a plain
// user with the cron's user_id, else none (authentication is off).
func Identity(c storage.Cron) (*auth.Identity, error) {
	var u auth.User
	switch {
	case c.AuthUser != nil:
		b, err := json.Marshal(c.AuthUser)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &u); err != nil {
			return nil, err
		}
	case c.UserID != "":
		u = auth.User{Identity: c.UserID}
	default:
		return nil, nil
	}
	if err := u.Normalize(); err != nil {
		return nil, err
	}
	return &auth.Identity{User: &u, Permissions: u.Permissions}, nil
}

// FireErrorKey is the cron metadata key where a refused tick is recorded
// (time and reason), so that the cron's owner sees it.
const FireErrorKey = "last_fire_error"

// errRefused wraps the authorization error of a tick that was not run.
var errRefused = errors.New("cron: the creator may no longer run it")

// Fire creates one run of c now, authorized again as the cron's creator
// through the same Authorizer as an API request (threads:create_run, and
// assistants:read unless the assistant is a graph's system assistant): a
// creator who lost access gets no run. The run goes on c's thread
// (multitask strategy from the payload, enqueue by default), or on a new
// thread that is deleted after the run unless on_run_completed is keep.
// The config is merged as for an API request (runs.MergeConfig).
func (s *Scheduler) Fire(ctx context.Context, c storage.Cron) (storage.Run, error) {
	p, err := ParsePayload(c.Payload)
	if err != nil {
		return storage.Run{}, err
	}
	id, err := Identity(c)
	if err != nil {
		return storage.Run{}, fmt.Errorf("cron %s: its user: %w", c.CronID, err)
	}
	if id != nil {
		ctx = auth.WithIdentity(ctx, id)
	}
	st := s.opts.Store
	a, err := s.assistant(ctx, c.AssistantID)
	if err != nil {
		return storage.Run{}, err
	}
	threadID, ifNotExists, temporary := c.ThreadID, "", false
	if threadID == "" {
		threadID, ifNotExists = uuid.NewString(), "create"
		temporary = c.OnRunCompleted != storage.CronKeepThread
	}
	runID := uuid.Must(uuid.NewV7()).String()
	strategy := p.MultitaskStrategy
	if strategy == "" {
		strategy = storage.MultitaskEnqueue
	}
	md := maps.Clone(p.Metadata)
	if md == nil {
		md = map[string]any{}
	}
	if ifNotExists == "create" {
		maps.Copy(md, c.Metadata) // a new thread carries the cron's (authorized) metadata
	}
	modes := p.StreamMode
	if len(modes) == 0 {
		modes = []string{"values"}
	}
	// The handler sees the run's kwargs (config merged without the thread's
	// yet) and may change them; its changes are applied below.
	pre := runs.MergeConfig(ctx, runs.ConfigInput{Assistant: a, Config: p.Config, Context: p.Context,
		RunID: runID, ThreadID: threadID})
	kw := runs.Kwargs{Input: p.Input, Config: pre.Config, Context: p.Context, StreamMode: modes,
		InterruptBefore: p.InterruptBefore, InterruptAfter: p.InterruptAfter, Webhook: p.Webhook,
		Temporary: temporary, Subgraphs: p.StreamSubgraphs, Resumable: p.StreamResumable, Durability: p.Durability}
	kwMap, err := kw.Map()
	if err != nil {
		return storage.Run{}, err
	}
	v := &auth.RunsCreate{AssistantID: a.AssistantID, RunID: runID, Status: storage.RunPending, Metadata: md,
		PreventInsertIfInflight: strategy == storage.MultitaskReject, MultitaskStrategy: strategy,
		IfNotExists: cmp.Or(ifNotExists, "reject"), Kwargs: kwMap}
	if c.ThreadID != "" {
		v.ThreadID = threadID
	}
	scope, err := s.opts.Authorizer.Authorize(ctx, v)
	if err != nil {
		return storage.Run{}, fmt.Errorf("%w: threads:create_run: %w", errRefused, err)
	}
	if v.Metadata != nil {
		md = v.Metadata
	}
	var thread *storage.Thread
	if c.ThreadID != "" {
		t, err := st.Threads().Get(ctx, scope, threadID)
		if err != nil {
			return storage.Run{}, fmt.Errorf("%w: thread %s: %w", errRefused, threadID, err)
		}
		thread = &t
	}
	runMD := maps.Clone(md)
	if _, ok := runMD["assistant_id"]; !ok {
		runMD["assistant_id"] = a.AssistantID
	}
	if kw, err = kw.Apply(v.Kwargs); err != nil {
		return storage.Run{}, fmt.Errorf("cron %s: %w", c.CronID, err)
	}
	merged := runs.MergeConfig(ctx, runs.ConfigInput{Assistant: a, Thread: thread, Config: kw.Config,
		Context: kw.Context, Metadata: md, RunID: runID, ThreadID: threadID})
	kw.Config, kw.Context = merged.Config, merged.Context
	if kwMap, err = kw.Map(); err != nil {
		return storage.Run{}, err
	}
	out, err := s.opts.Runs.Create(ctx, scope, storage.RunCreate{RunID: runID, ThreadID: threadID,
		AssistantID: a.AssistantID, GraphID: a.GraphID, Metadata: runMD, Kwargs: kwMap, MultitaskStrategy: strategy,
		IfNotExists: ifNotExists, ThreadMetadata: md, ThreadConfig: runs.ThreadConfig(merged)})
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return storage.Run{}, fmt.Errorf("%w: %w", errRefused, err)
		}
		return storage.Run{}, err
	}
	return out.Run, nil
}

// assistant reads the cron's assistant as the creator in ctx: a graph's
// system assistant needs no assistants:read (as for API runs).
func (s *Scheduler) assistant(ctx context.Context, id string) (storage.Assistant, error) {
	a, err := s.opts.Store.Assistants().Get(ctx, storage.System(), id)
	if err != nil || a.Metadata["created_by"] == "system" {
		return a, err
	}
	sc, err := s.opts.Authorizer.Authorize(ctx, &auth.AssistantsRead{AssistantID: id})
	if err != nil {
		return storage.Assistant{}, fmt.Errorf("%w: assistants:read: %w", errRefused, err)
	}
	if a, err = s.opts.Store.Assistants().Get(ctx, sc, id); err != nil {
		return storage.Assistant{}, fmt.Errorf("%w: assistant %s: %w", errRefused, id, err)
	}
	return a, nil
}

// refused records a tick that authorization refused on the cron (metadata
// FireErrorKey), so that its owner can see why nothing ran.
func (s *Scheduler) refused(ctx context.Context, c storage.Cron, now time.Time, cause error) {
	md := map[string]any{FireErrorKey: map[string]any{"at": now.UTC().Format(time.RFC3339), "detail": cause.Error()}}
	if _, err := s.opts.Store.Crons().Update(ctx, storage.System(), c.CronID, storage.CronPatch{Metadata: md}); err != nil {
		s.log.ErrorContext(ctx, "recording a refused cron tick", slog.String("cron_id", c.CronID), slog.Any("error", err))
	}
}
