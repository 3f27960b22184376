package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrationsOnceAndNewerRefused: reopening applies nothing twice, and a
// database migrated by a newer binary is refused rather than used.
func TestMigrationsOnceAndNewerRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentgate.db")
	for range 2 {
		st, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations rows %d (want %d), %v", n, len(ms), err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if st, err := Open(t.Context(), path); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		if st != nil {
			st.Close()
		}
		t.Fatalf("opening a newer database: %v", err)
	}
}
