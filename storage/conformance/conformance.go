// Package conformance is the one test suite every storage backend must
// pass (in the style of Dex's storage/conformance). A backend's test calls
//
//	conformance.Run(t, func(t *testing.T) storage.Store { ... })
//
// with a constructor that returns a new, empty store for each call and
// closes it in t.Cleanup.
package conformance

import (
	"context"
	"errors"
	"testing"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
)

type test struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}

// Run runs the whole suite; each test gets its own store.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	var tests []test
	tests = append(tests, scopeTests()...)
	tests = append(tests, assistantTests()...)
	tests = append(tests, threadTests()...)
	tests = append(tests, itemTests()...)
	tests = append(tests, checkpointerTests()...)
	tests = append(tests, runTests()...)
	tests = append(tests, cronTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
	t.Run("CheckpointSaver", func(t *testing.T) { runSaverSuite(t, newStore) })
}

func scopeTests() []test {
	return []test{
		{"NoScope", testNoScope},
		{"Sweep", testSweep},
		{"SweepHugeTTL", testSweepHugeTTL},
		{"SweepKeepLatestAndLimit", testSweepKeepLatestAndLimit},
	}
}

func ctx() context.Context { return context.Background() }

// sys is the system scope; all is an authorized scope without filters.
// Backends do not check a scope's event (storage.Guard does, tested in
// package storage), so the suite's scopes name a placeholder one.
func sys() storage.Scope { return storage.System() }
func all() storage.Scope { return storage.Authorized(anyEvent()) }

func anyEvent() storage.Event { return storage.Event{Resource: "conformance", Action: "any"} }

// scope builds an authorized scope from raw filters.
func scope(t *testing.T, raws ...map[string]any) storage.Scope {
	t.Helper()
	var fs []filter.Filter
	for _, r := range raws {
		f, err := filter.Parse(r)
		if err != nil {
			t.Fatalf("filter.Parse(%v): %v", r, err)
		}
		fs = append(fs, f)
	}
	return storage.Authorized(anyEvent(), fs...)
}

// owner is the scope of the owner-isolation pattern.
func owner(t *testing.T, who string) storage.Scope {
	t.Helper()
	return scope(t, map[string]any{"owner": who})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// result lets a test write val(f()).get(t) for a call that must succeed.
type result[T any] struct {
	v   T
	err error
}

func val[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// isErr fails unless err wraps kind, and checks that storage errors carry
// a message for the client.
func isErr(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v, want %v", what, err, kind)
		return
	}
	if kind != storage.ErrNoScope && err.Error() == "" {
		t.Errorf("%s: empty error message", what)
	}
}

func testNoScope(t *testing.T, s storage.Store) {
	var z storage.Scope
	c := ctx()
	a := val(s.Assistants().Create(c, sys(), storage.AssistantCreate{GraphID: "g"})).get(t)
	th := val(s.Threads().Create(c, sys(), storage.ThreadCreate{})).get(t)
	must(t, s.Items().Put(c, sys(), storage.ItemPut{Namespace: []string{"n"}, Key: "k", Value: map[string]any{"x": 1}}))
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrNoScope) {
			t.Errorf("%s with the zero Scope: err = %v, want ErrNoScope", what, err)
		}
	}
	as := s.Assistants()
	_, err := as.Create(c, z, storage.AssistantCreate{GraphID: "g"})
	check("Assistants.Create", err)
	_, err = as.Get(c, z, a.AssistantID)
	check("Assistants.Get", err)
	_, err = as.Update(c, z, a.AssistantID, storage.AssistantPatch{})
	check("Assistants.Update", err)
	check("Assistants.Delete", as.Delete(c, z, a.AssistantID))
	_, err = as.Search(c, z, storage.AssistantSearch{})
	check("Assistants.Search", err)
	_, err = as.Count(c, z, storage.AssistantSearch{})
	check("Assistants.Count", err)
	_, err = as.Versions(c, z, a.AssistantID, storage.VersionSearch{})
	check("Assistants.Versions", err)
	_, err = as.SetLatest(c, z, a.AssistantID, 1)
	check("Assistants.SetLatest", err)

	ts := s.Threads()
	_, err = ts.Create(c, z, storage.ThreadCreate{})
	check("Threads.Create", err)
	_, err = ts.Get(c, z, th.ThreadID)
	check("Threads.Get", err)
	_, err = ts.Update(c, z, th.ThreadID, storage.ThreadPatch{})
	check("Threads.Update", err)
	check("Threads.Delete", ts.Delete(c, z, th.ThreadID))
	_, err = ts.Search(c, z, storage.ThreadSearch{})
	check("Threads.Search", err)
	_, err = ts.Count(c, z, storage.ThreadSearch{})
	check("Threads.Count", err)
	_, err = ts.Copy(c, z, th.ThreadID, storage.ThreadCreate{})
	check("Threads.Copy", err)
	_, err = ts.Prune(c, z, []string{th.ThreadID}, "delete")
	check("Threads.Prune", err)
	st := storage.StatusBusy
	_, err = ts.SetState(c, z, th.ThreadID, storage.ThreadState{Status: &st})
	check("Threads.SetState", err)

	is := s.Items()
	check("Items.Put", is.Put(c, z, storage.ItemPut{Namespace: []string{"n"}, Key: "k2", Value: map[string]any{}}))
	_, err = is.Get(c, z, []string{"n"}, "k", false)
	check("Items.Get", err)
	check("Items.Delete", is.Delete(c, z, []string{"n"}, "k"))
	_, err = is.Search(c, z, storage.ItemSearch{})
	check("Items.Search", err)
	_, err = is.ListNamespaces(c, z, storage.NamespaceList{})
	check("Items.ListNamespaces", err)

	_, err = s.Checkpointer(c, z, th.ThreadID)
	check("Checkpointer", err)

	// Nothing was changed by the refused calls.
	if got := val(as.Get(c, sys(), a.AssistantID)).get(t); got.Version != 1 {
		t.Errorf("assistant changed: version %d", got.Version)
	}
	if got := val(ts.Get(c, sys(), th.ThreadID)).get(t); got.Status != storage.StatusIdle {
		t.Errorf("thread changed: status %q", got.Status)
	}
	if n := val(as.Count(c, sys(), storage.AssistantSearch{})).get(t); n != 1 {
		t.Errorf("%d assistants, want 1", n)
	}
	if n := val(ts.Count(c, sys(), storage.ThreadSearch{})).get(t); n != 1 {
		t.Errorf("%d threads, want 1", n)
	}
	if _, err := is.Get(c, sys(), []string{"n"}, "k", false); err != nil {
		t.Errorf("item after refused delete: %v", err)
	}
	if _, err := is.Get(c, sys(), []string{"n"}, "k2", false); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("item written by a refused put: %v", err)
	}
	if err := s.Ping(c); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
