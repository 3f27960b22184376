package sqlite

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graph/checkpoint/checkpointtest"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/conformance"
)

func openFile(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "agentgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store { return openFile(t) })
}

func TestConformanceInMemory(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store {
		s, err := Open(t.Context(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestSaver runs the checkpoint suite on the unbound saver.
func TestSaver(t *testing.T) {
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Saver {
		return openFile(t).UnboundSaver()
	})
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	th, err := s.Threads().Create(ctx, storage.System(), storage.ThreadCreate{Metadata: map[string]any{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Threads().Get(ctx, storage.System(), th.ThreadID)
	if err != nil || got.Metadata["k"] != "v" || !got.CreatedAt.Equal(th.CreatedAt) {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.e.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", n, err, len(ms))
	}
	var mode string
	if err := s.e.r.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	if _, err := s.e.r.ExecContext(ctx, `DELETE FROM threads`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.e.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path); err == nil {
		s.Close()
		t.Fatal("opened a database migrated by a newer binary")
	}
}

// TestTwoStoresOneFile has two stores (as two processes would) write the
// same file at once: immediate transactions and the busy timeout must
// serialize them without SQLITE_BUSY.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "a.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	if _, err := stores[0].Assistants().Create(ctx, storage.System(), storage.AssistantCreate{AssistantID: "a", GraphID: "g"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			for range 10 {
				if _, err := s.Assistants().Update(ctx, storage.System(), "a", storage.AssistantPatch{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	a, err := stores[1].Assistants().Get(ctx, storage.System(), "a")
	if err != nil || a.Version != 81 {
		t.Fatalf("version = %d, %v; want 81", a.Version, err)
	}
}

func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir 100%25 é")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Threads().Create(t.Context(), storage.System(), storage.ThreadCreate{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
	if _, err := Open(t.Context(), filepath.Join(dir, "q?.db")); err == nil {
		t.Error("a path with '?' was accepted")
	}
}
