package storage_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// events are every authorization event (auth-spec §4.2).
func events() []storage.Event {
	var out []storage.Event
	for res, acts := range map[string][]string{
		"threads":    {"create", "read", "update", "delete", "search", "create_run"},
		"assistants": {"create", "read", "update", "delete", "search"},
		"crons":      {"create", "read", "update", "delete", "search"},
		"store":      {"put", "get", "delete", "search", "list_namespaces"},
	} {
		for _, a := range acts {
			out = append(out, storage.Event{Resource: res, Action: a})
		}
	}
	return out
}

// systemOnly are the engine's methods: no request scope is accepted.
var systemOnly = []string{"Runs.Claim", "Runs.Heartbeat", "Runs.Finish", "Runs.Discard", "Runs.RequeueExpired",
	"Runs.Stats", "Crons.Due", "Crons.Advance"}

// TestGuardAcceptsOnlyItsEvents calls every method of every guarded
// interface with a scope of every event: a method not accepting the event
// is refused by the guard (ErrForbidden, "does not accept") before the
// backend; an accepted one reaches the backend; the zero scope is refused
// everywhere and the System scope passes everywhere.
func TestGuardAcceptsOnlyItsEvents(t *testing.T) {
	st := storage.Guard(memory.New())
	t.Cleanup(func() { st.Close() })
	ifaces := map[string]any{"Assistants": st.Assistants(), "Threads": st.Threads(), "Runs": st.Runs(),
		"Crons": st.Crons(), "Items": st.Items()}
	scopeT := reflect.TypeFor[storage.Scope]()
	ctxT := reflect.TypeFor[context.Context]()
	checked := 0
	for name, impl := range ifaces {
		v := reflect.ValueOf(impl)
		for i := range v.NumMethod() {
			m := v.Type().Method(i)
			method := name + "." + m.Name
			accepts := storage.Accepts(method)
			if accepts == nil && !slices.Contains(systemOnly, method) {
				t.Errorf("%s: no accepted events and not an engine method", method)
			}
			call := func(sc storage.Scope) error {
				fn := v.Method(i)
				args := make([]reflect.Value, fn.Type().NumIn())
				scopes := 0
				for j := range args {
					in := fn.Type().In(j)
					switch {
					case in == ctxT:
						args[j] = reflect.ValueOf(context.Background())
					case in == scopeT && scopes == 0:
						args[j] = reflect.ValueOf(sc)
						scopes++
					case in == scopeT: // Crons.Search's thread scope
						args[j] = reflect.ValueOf(storage.System())
					default:
						args[j] = reflect.Zero(in)
					}
				}
				out := fn.Call(args)
				err, _ := out[len(out)-1].Interface().(error)
				return err
			}
			for _, ev := range events() {
				err := call(storage.Authorized(ev))
				refused := err != nil && strings.Contains(err.Error(), "does not accept")
				if want := !slices.Contains(accepts, ev); refused != want {
					t.Errorf("%s with a %s scope: refused=%v, want %v (%v)", method, ev, refused, want, err)
				}
				if refused && !errors.Is(err, storage.ErrForbidden) {
					t.Errorf("%s: refusal is not ErrForbidden: %v", method, err)
				}
				checked++
			}
			if err := call(storage.Scope{}); !errors.Is(err, storage.ErrNoScope) {
				t.Errorf("%s with the zero scope: %v", method, err)
			}
			if err := call(storage.System()); err != nil && strings.Contains(err.Error(), "does not accept") {
				t.Errorf("%s refused the System scope: %v", method, err)
			}
		}
	}
	if checked < 40*21 {
		t.Fatalf("checked only %d calls", checked)
	}
}

// TestGuardedCheckpointerIsReadOnlyForReaders: a checkpointer opened with a
// threads:read scope reads but cannot write.
func TestGuardedCheckpointerIsReadOnlyForReaders(t *testing.T) {
	st := storage.Guard(memory.New())
	t.Cleanup(func() { st.Close() })
	th, err := st.Threads().Create(t.Context(), storage.System(), storage.ThreadCreate{})
	if err != nil {
		t.Fatal(err)
	}
	read := storage.Authorized(storage.Event{Resource: "threads", Action: "read"})
	sv, err := st.Checkpointer(t.Context(), read, th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.List(t.Context(), cpConfig(th.ThreadID), cpList()); err != nil {
		t.Fatalf("List: %v", err)
	}
	if _, err := sv.Put(t.Context(), cpConfig(th.ThreadID), cpCheckpoint(), nil, nil); !errors.Is(err, storage.ErrForbidden) {
		t.Fatalf("Put through a read checkpointer: %v", err)
	}
	if err := sv.PutWrites(t.Context(), cpConfig(th.ThreadID), nil, "task"); !errors.Is(err, storage.ErrForbidden) {
		t.Fatalf("PutWrites through a read checkpointer: %v", err)
	}
	if err := sv.DeleteThread(t.Context(), th.ThreadID); !errors.Is(err, storage.ErrForbidden) {
		t.Fatalf("DeleteThread through a read checkpointer: %v", err)
	}
	search := storage.Authorized(storage.Event{Resource: "threads", Action: "search"})
	if _, err := st.Checkpointer(t.Context(), search, th.ThreadID); !errors.Is(err, storage.ErrForbidden) {
		t.Fatalf("Checkpointer with a search scope: %v", err)
	}
	upd := storage.Authorized(storage.Event{Resource: "threads", Action: "update"})
	sv, err = st.Checkpointer(t.Context(), upd, th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Put(t.Context(), cpConfig(th.ThreadID), cpCheckpoint(), nil, nil); err != nil {
		t.Fatalf("Put through an update checkpointer: %v", err)
	}
	if storage.Guard(st) != st || !storage.IsGuarded(st) {
		t.Fatal("Guard wraps twice")
	}
}

func cpConfig(thread string) checkpoint.Config { return checkpoint.Config{ThreadID: thread} }
func cpList() checkpoint.ListOptions           { return checkpoint.ListOptions{} }
func cpCheckpoint() checkpoint.Checkpoint {
	return checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(), TS: "2030-01-01T00:00:00Z"}
}
