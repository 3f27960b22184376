package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/storage/internal/sqlcore"
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

// TestRowidMigrationKeepsRowsAndPages: migration 5 moves checkpoints,
// pending writes and items to rowid tables with every row and index kept,
// after which a 1.5 KB checkpoint no longer takes an overflow page.
func TestRowidMigrationKeepsRowsAndPages(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agentgate.db")
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if ms[4].Version != 5 {
		t.Fatalf("migration 5 is %s", ms[4].Name)
	}
	if err := sqlcore.Migrate(ctx, db, sqlcore.MigrateOptions{Name: "sqlite", Placeholder: func(int) string { return "?" }}, ms[:4]); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 1500)
	for i := range 50 {
		mustExec(t, db, `INSERT INTO checkpoints VALUES (?, '', ?, 'p', ?, '{}')`, fmt.Sprint("t", i%5), fmt.Sprint("c", i), big)
		mustExec(t, db, `INSERT INTO checkpoint_writes VALUES (?, '', ?, 'task', ?, 'messages', ?)`, fmt.Sprint("t", i%5), fmt.Sprint("c", i), i, big)
		mustExec(t, db, `INSERT INTO items VALUES ('a.b', ?, '["a","b"]', ?, 1, ?, NULL, ?)`, fmt.Sprint("k", i), big, i, sql.NullInt64{Int64: int64(i), Valid: i%2 == 0})
	}
	tables := []string{"checkpoints", "checkpoint_writes", "items"}
	before := map[string]string{}
	for _, tb := range tables {
		before[tb] = dump(t, db, tb)
	}
	db.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err = sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tb := range tables {
		if got := dump(t, db, tb); got != before[tb] {
			t.Errorf("%s changed in the migration:\n%.300s\nwas\n%.300s", tb, got, before[tb])
		}
		var ddl string
		if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, tb).Scan(&ddl); err != nil || strings.Contains(ddl, "WITHOUT ROWID") {
			t.Errorf("%s: %v %s", tb, err, ddl)
		}
	}
	var idx int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('items_updated', 'items_expires')`).Scan(&idx); err != nil || idx != 2 {
		t.Errorf("items' indexes: %d, %v", idx, err)
	}
	pages := func() (n int) {
		if err := db.QueryRow(`PRAGMA page_count`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	start := pages()
	for i := range 400 {
		mustExec(t, db, `INSERT INTO checkpoints VALUES ('big', '', ?, 'p', ?, '{}')`, fmt.Sprintf("c%04d", i), big)
	}
	// 400 rows of ~1.55 KB: ~160 pages in place; with an overflow page
	// each it was over 500.
	if grown := pages() - start; grown > 250 {
		t.Errorf("400 checkpoints of 1.5 KB took %d pages", grown)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dump is a table's rows in primary key order, as text.
func dump(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
