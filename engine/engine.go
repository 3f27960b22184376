// Package engine is what runs without a request: the store the server and
// workers share (wrapped in storage.Guard), the graphs' system assistants,
// the run scheduler and its workers, the cron scheduler and the sweeper of
// expired data. It is the only place besides package runs that uses the
// System scope; request handlers reach the data only with the scopes their
// authorization gave them.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/runs/cron"
	"github.com/agentgate/agentgate/storage"
)

// Options configure an Engine.
type Options struct {
	Store  storage.Store
	Graphs map[string]*graph.Graph
	// Authorizer re-authorizes each cron tick as the cron's creator.
	Authorizer cron.Authorizer
	Logger     *slog.Logger
	// Broker carries run events; nil means an in-process broker.
	Broker broker.Broker
	// Workers, Lease, Poll, Timeout: see runs.Options.
	Workers              int
	Lease, Poll, Timeout time.Duration
	// CronPoll is how often due crons are looked for (default 5 s).
	CronPoll time.Duration
	// NoCrons leaves the cron scheduler off (runs routes disabled).
	NoCrons bool
	// SweepInterval is how often expired threads and store items are
	// deleted (default 5 minutes).
	SweepInterval time.Duration
	// SweepLimit bounds the expired threads one sweep handles (0:
	// storage.DefaultSweepLimit).
	SweepLimit           int
	DisableWebhooks      bool
	AllowPrivateWebhooks bool
	// LocalWebhooks: see runs.Options.
	LocalWebhooks http.Handler
	// GraphConfigs (LANGGRAPH_CONFIG, as the LangGraph servers read it)
	// give, by graph id, the config of the graph's system assistant; a
	// "context" key in it is the assistant's context instead.
	GraphConfigs map[string]map[string]any
	// RunObserver and StorageObserver, when set, receive run timings and
	// the duration of every storage call (metrics).
	RunObserver     runs.Observer
	StorageObserver storage.Observer
	// Tracer, when set, traces runs (see runs.Options.Tracer).
	Tracer trace.Tracer
	// SweepObserver, when set, is told what each periodic sweep removed.
	SweepObserver interface{ Swept(storage.SweepResult) }
}

// DefaultSweepInterval applies when Options.SweepInterval is 0.
const DefaultSweepInterval = 5 * time.Minute

// Engine owns the schedulers; Close stops them.
type Engine struct {
	opts  Options
	store storage.Store
	// systemIDs maps each graph's system assistant id to the graph id.
	systemIDs map[string]string
	log       *slog.Logger
	runs      *runs.Scheduler
	crons     *cron.Scheduler
	stop      context.CancelFunc
	wg        sync.WaitGroup
}

// assistantNamespace makes graph system assistant ids (UUID v5 of the
// graph id), as the LangGraph servers do.
func assistantNamespace() uuid.UUID {
	return uuid.MustParse("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
}

// SystemAssistantID is the id of a graph's system assistant.
func SystemAssistantID(graphID string) string {
	return uuid.NewSHA1(assistantNamespace(), []byte(graphID)).String()
}

// New registers each graph's system assistant (idempotent) and builds the
// schedulers; Start starts them.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, errors.New("engine: Options.Store is required")
	}
	if opts.Authorizer == nil {
		return nil, errors.New("engine: Options.Authorizer is required")
	}
	e := &Engine{opts: opts, store: storage.GuardObserved(opts.Store, opts.StorageObserver), log: opts.Logger,
		systemIDs: make(map[string]string, len(opts.Graphs))}
	for gid := range opts.Graphs {
		e.systemIDs[SystemAssistantID(gid)] = gid
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if err := e.registerGraphs(ctx); err != nil {
		return nil, err
	}
	bk := opts.Broker
	if bk == nil {
		bk = broker.NewMemory(broker.MemoryOptions{})
	}
	var err error
	e.runs, err = runs.New(runs.Options{Store: e.store, Broker: bk, Graphs: opts.Graphs, Workers: opts.Workers,
		Lease: opts.Lease, Poll: opts.Poll, Timeout: opts.Timeout, Logger: e.log,
		DisableWebhooks: opts.DisableWebhooks, AllowPrivateWebhooks: opts.AllowPrivateWebhooks,
		LocalWebhooks: opts.LocalWebhooks, Observer: opts.RunObserver, Tracer: opts.Tracer})
	if err != nil {
		return nil, err
	}
	if !opts.NoCrons {
		e.crons, err = cron.New(cron.Options{Store: e.store, Runs: e.runs, Authorizer: opts.Authorizer,
			Poll: opts.CronPoll, Logger: e.log})
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Start starts the run workers, the cron scheduler and the sweeper; they
// stop when ctx ends or on Close.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.runs.Start(ctx); err != nil {
		return fmt.Errorf("engine: start the run scheduler: %w", err)
	}
	if e.crons != nil {
		if err := e.crons.Start(ctx); err != nil {
			e.runs.Stop()
			return fmt.Errorf("engine: start the cron scheduler: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	e.stop = cancel
	e.wg.Add(1)
	go e.sweepLoop(ctx)
	return nil
}

// Close stops the sweeper, the cron scheduler and the run workers (runs
// they were executing are requeued).
func (e *Engine) Close() error {
	e.Shutdown(context.Background())
	return nil
}

// Shutdown is Close waiting for running runs at most until ctx ends; it
// returns the ids of the runs abandoned then (runs.Scheduler.Shutdown).
func (e *Engine) Shutdown(ctx context.Context) (abandoned []string) {
	if e.stop != nil {
		e.stop()
		e.wg.Wait()
	}
	if e.crons != nil {
		e.crons.Stop()
	}
	return e.runs.Shutdown(ctx)
}

// Store is the guarded store: request scopes reach only the methods that
// accept their event.
func (e *Engine) Store() storage.Store { return e.store }

// Runs is the run scheduler.
func (e *Engine) Runs() *runs.Scheduler { return e.runs }

// SystemAssistant returns the assistant with id when it is a graph's
// system assistant (registered at startup, metadata created_by=system),
// which runs may use without assistants:read, as in the LangGraph servers.
func (e *Engine) SystemAssistant(ctx context.Context, id string) (storage.Assistant, bool) {
	if e.SystemGraph(id) == "" {
		return storage.Assistant{}, false
	}
	a, err := e.store.Assistants().Get(ctx, storage.System(), id)
	if err != nil || a.Metadata["created_by"] != "system" {
		return storage.Assistant{}, false
	}
	return a, true
}

// SystemGraph is the graph whose system assistant id is id, or "".
func (e *Engine) SystemGraph(id string) string { return e.systemIDs[id] }

// RunStats counts pending and running runs of every thread (operators'
// metrics; never shown to tenants).
func (e *Engine) RunStats(ctx context.Context) (storage.RunStats, error) {
	return e.store.Runs().Stats(ctx, storage.System())
}

// Sweep acts, as of now, on the threads and store items whose TTL ran out
// (see storage.Store.Sweep).
func (e *Engine) Sweep(ctx context.Context) (storage.SweepResult, error) {
	return e.store.Sweep(ctx, storage.System(), storage.SweepOptions{Now: time.Now(), ThreadLimit: e.opts.SweepLimit})
}

// registerGraphs creates each graph's system assistant (idempotent).
func (e *Engine) registerGraphs(ctx context.Context) error {
	ids := make([]string, 0, len(e.opts.Graphs))
	for id := range e.opts.Graphs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		config, actx := systemAssistantConfig(e.opts.GraphConfigs[id])
		_, err := e.store.Assistants().Create(ctx, storage.System(), storage.AssistantCreate{
			AssistantID: SystemAssistantID(id),
			GraphID:     id,
			Name:        id,
			Config:      config,
			Context:     actx,
			Metadata:    map[string]any{"created_by": "system"},
			IfExists:    storage.IfExistsDoNothing,
		})
		if err != nil {
			return fmt.Errorf("engine: register assistant for graph %q: %w", id, err)
		}
	}
	return nil
}

// systemAssistantConfig splits a graph's GraphConfigs entry into the
// system assistant's config and context (both empty when unset).
func systemAssistantConfig(entry map[string]any) (config, actx map[string]any) {
	config, actx = map[string]any{}, map[string]any{}
	for k, v := range entry {
		if k == "context" {
			if m, ok := v.(map[string]any); ok {
				actx = m
			}
			continue
		}
		config[k] = v
	}
	return config, actx
}

func (e *Engine) sweepLoop(ctx context.Context) {
	defer e.wg.Done()
	every := e.opts.SweepInterval
	if every <= 0 {
		every = DefaultSweepInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := e.Sweep(ctx)
		if err == nil && e.opts.SweepObserver != nil {
			e.opts.SweepObserver.Swept(res)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			e.log.ErrorContext(ctx, "sweeping expired threads and store items", slog.Any("error", err))
		case res.Threads > 0 || res.Pruned > 0 || res.Items > 0:
			e.log.InfoContext(ctx, "swept expired threads and store items",
				"threads_deleted", res.Threads, "threads_pruned", res.Pruned, "items", res.Items)
		}
	}
}
