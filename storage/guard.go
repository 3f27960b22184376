package storage

import (
	"context"
	"strings"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// Guard wraps a backend so that every method accepts only scopes issued for
// an event that fits it (Accepts): a threads:read scope can read a thread
// but not cancel its runs, delete it or schedule on it. The System scope
// passes; the zero Scope and a wrong event are refused with ErrForbidden
// before the backend sees the call, so a programming error fails closed.
// The server wraps the store it is given; Guard(Guard(x)) is Guard(x).
func Guard(st Store) Store { return GuardObserved(st, nil) }

// GuardObserved is Guard with obs (when not nil) told the duration of every
// call the guard lets through. Guarding a guarded store again replaces its
// observer.
func GuardObserved(st Store, obs Observer) Store {
	if g, ok := st.(guarded); ok {
		if obs == nil {
			return g
		}
		st = g.st
	}
	return guarded{st, obs}
}

// IsGuarded reports whether st was returned by Guard.
func IsGuarded(st Store) bool {
	_, ok := st.(guarded)
	return ok
}

// Accepts lists the events whose scopes a storage method (named
// "Threads.Get", "Checkpointer.Put", ...) accepts besides the System scope.
// Nil means the method takes only the System scope.
func Accepts(method string) []Event {
	res, actions := accepted(method)
	var out []Event
	for _, a := range strings.Fields(actions) {
		out = append(out, Event{res, a})
	}
	return out
}

// accepted is the table behind Accepts: the resource and the
// space-separated actions of the events method accepts ("" for none). A
// string, not a slice, so that checking a call allocates nothing.
func accepted(method string) (resource, actions string) {
	const (
		A, T, C, S = "assistants", "threads", "crons", "store"
	)
	switch method {
	case "Assistants.Create":
		return A, "create"
	case "Assistants.Get":
		return A, "read update delete"
	case "Assistants.Update", "Assistants.SetLatest":
		return A, "update"
	case "Assistants.Delete":
		return A, "delete"
	case "Assistants.Search", "Assistants.Count":
		return A, "search"
	case "Assistants.Versions":
		return A, "read"

	case "Threads.Create":
		return T, "create"
	case "Threads.Get":
		// A scope that may change or run on a thread may also see it.
		return T, "read update delete create_run"
	case "Threads.Update", "Threads.SetState":
		return T, "update"
	case "Threads.Delete", "Threads.Prune":
		return T, "delete"
	case "Threads.Search", "Threads.Count":
		return T, "search"
	case "Threads.Copy":
		// The source is read; the copy's metadata comes from threads:create.
		return T, "read"

	case "Runs.Create":
		return T, "create_run"
	case "Runs.Get":
		return T, "read update delete create_run"
	case "Runs.List":
		// delete: the thread's runs are listed to drop their event streams.
		return T, "search read delete"
	case "Runs.Delete":
		return T, "delete"
	case "Runs.Cancel":
		// create_run may cancel too: its multitask strategies interrupt and
		// roll back the thread's runs, and a run's creator may cancel it
		// when its stream disconnects.
		return T, "update delete create_run"

	case "Crons.Create":
		return C, "create"
	case "Crons.CreateThread":
		// The thread a cron will run on: its runs are threads:create_run.
		return T, "create_run"
	case "Crons.Get":
		return C, "read update delete"
	case "Crons.Update":
		return C, "update"
	case "Crons.Delete":
		return C, "delete"
	case "Crons.Search", "Crons.Count":
		return C, "search"
	case "Crons.SearchThreads":
		return T, "search read"

	case "Items.Put":
		return S, "put"
	case "Items.Get":
		return S, "get"
	case "Items.Delete":
		return S, "delete"
	case "Items.Search":
		return S, "search"
	case "Items.ListNamespaces":
		return S, "list_namespaces"

	case "Checkpointer":
		return T, "read update"
	case "Checkpointer.Put", "Checkpointer.PutWrites":
		return T, "update"
	}
	return "", ""
}

// allow checks sc against method's accepted events.
func allow(sc Scope, method string) error {
	switch sc.kind {
	case scopeSystem:
		return nil
	case scopeUnset:
		return ErrNoScope
	}
	if res, actions := accepted(method); res == sc.event.Resource {
		for actions != "" {
			var a string
			a, actions, _ = strings.Cut(actions, " ")
			if a == sc.event.Action {
				return nil
			}
		}
	}
	return Errorf(ErrForbidden, "%s does not accept a scope issued for %s", method, sc.event)
}

type guarded struct {
	st Store
	o  Observer
}

func (g guarded) Assistants() Assistants { return gAssistants{g.st.Assistants(), g.o} }
func (g guarded) Threads() Threads       { return gThreads{g.st.Threads(), g.o} }
func (g guarded) Items() Items           { return gItems{g.st.Items(), g.o} }
func (g guarded) Runs() Runs             { return gRuns{g.st.Runs(), g.o} }
func (g guarded) Crons() Crons           { return gCrons{g.st.Crons(), g.o} }
func (g guarded) Ping(ctx context.Context) error {
	return g.st.Ping(ctx)
}
func (g guarded) Close() error { return g.st.Close() }

func (g guarded) Checkpointer(ctx context.Context, s Scope, threadID string) (_ checkpoint.Saver, err error) {
	if err := allow(s, "Checkpointer"); err != nil {
		return nil, err
	}
	defer done(ctx, g.o, "Checkpointer", s, start(g.o), &err)
	sv, err := g.st.Checkpointer(ctx, s, threadID)
	if err != nil {
		return nil, err
	}
	return gSaver{sv, s, g.o}, nil
}

func (g guarded) Sweep(ctx context.Context, s Scope, o SweepOptions) (_ SweepResult, err error) {
	if err := allow(s, "Sweep"); err != nil {
		return SweepResult{}, err
	}
	defer done(ctx, g.o, "Sweep", s, start(g.o), &err)
	return g.st.Sweep(ctx, s, o)
}

// gSaver refuses writes through a checkpointer opened for reading.
type gSaver struct {
	sv checkpoint.Saver
	s  Scope
	o  Observer
}

func (g gSaver) Put(ctx context.Context, c checkpoint.Config, cp checkpoint.Checkpoint, md checkpoint.Metadata, nv map[string]string) (_ checkpoint.Config, err error) {
	if err := allow(g.s, "Checkpointer.Put"); err != nil {
		return checkpoint.Config{}, err
	}
	defer done(ctx, g.o, "Checkpointer.Put", g.s, start(g.o), &err)
	return g.sv.Put(ctx, c, cp, md, nv)
}

func (g gSaver) PutWrites(ctx context.Context, c checkpoint.Config, w []checkpoint.Write, taskID string) (err error) {
	if err := allow(g.s, "Checkpointer.PutWrites"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Checkpointer.PutWrites", g.s, start(g.o), &err)
	return g.sv.PutWrites(ctx, c, w, taskID)
}

func (g gSaver) GetTuple(ctx context.Context, c checkpoint.Config) (_ checkpoint.Tuple, err error) {
	defer done(ctx, g.o, "Checkpointer.GetTuple", g.s, start(g.o), &err)
	return g.sv.GetTuple(ctx, c)
}

func (g gSaver) List(ctx context.Context, c checkpoint.Config, opts checkpoint.ListOptions) (_ []checkpoint.Tuple, err error) {
	defer done(ctx, g.o, "Checkpointer.List", g.s, start(g.o), &err)
	return g.sv.List(ctx, c, opts)
}

func (g gSaver) DeleteThread(ctx context.Context, threadID string) (err error) {
	if err := allow(g.s, "Checkpointer.DeleteThread"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Checkpointer.DeleteThread", g.s, start(g.o), &err)
	return g.sv.DeleteThread(ctx, threadID)
}

func (g gSaver) CopyThread(ctx context.Context, src, dst string) (err error) {
	if err := allow(g.s, "Checkpointer.CopyThread"); err != nil {
		return err
	}
	defer done(ctx, g.o, "Checkpointer.CopyThread", g.s, start(g.o), &err)
	return g.sv.CopyThread(ctx, src, dst)
}
