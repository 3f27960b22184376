package sqlite

import (
	"fmt"
	"testing"

	"github.com/agentgate/agentgate/storage"
)

// TestStmtCacheBounded: texts beyond the bound still run (unprepared), a
// bad text reports its error and is not cached, and cached statements see
// later writes.
func TestStmtCacheBounded(t *testing.T) {
	s := openFile(t)
	ctx := t.Context()
	for i := range maxCachedStmts + 10 {
		var n int
		if err := s.e.Reader().QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("query %d: n = %d, err = %v", i, n, err)
		}
	}
	if got := len(s.e.stmts.m); got != maxCachedStmts {
		t.Fatalf("cached %d statements, want %d", got, maxCachedStmts)
	}
	if _, err := s.e.Reader().QueryContext(ctx, "SELEKT 1"); err == nil {
		t.Fatal("bad SQL: no error")
	}

	s2 := openFile(t)
	count := func() int {
		n, err := s2.Threads().Count(ctx, storage.System(), storage.ThreadSearch{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("count = %d", n)
	}
	if _, err := s2.Threads().Create(ctx, storage.System(), storage.ThreadCreate{}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("count after create = %d, want 1", n)
	}
	if err := s2.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if st := s2.e.stmts.get(ctx, "SELECT 1"); st != nil {
		t.Fatal("closed cache prepared a statement")
	}
}
