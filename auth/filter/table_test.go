package filter

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The property tests bind documents through a VALUES list; these tests use
// real tables as storage will: a TEXT column in SQLite, a jsonb column with
// a GIN index in Postgres.

// seed creates a table of n documents with a name of its own (tests may
// share a Postgres database) and returns the name.
func seed(t *testing.T, db *sql.DB, d Dialect, n int) string {
	t.Helper()
	table := fmt.Sprintf("filter_docs_%d_%d", os.Getpid(), time.Now().UnixNano())
	col := "metadata TEXT NOT NULL"
	if d == Postgres {
		col = "metadata jsonb NOT NULL"
	}
	if _, err := db.Exec("CREATE TABLE " + table + " (id integer PRIMARY KEY, " + col + ")"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + table) })
	if d == Postgres {
		if _, err := db.Exec("CREATE INDEX " + table + "_gin ON " + table + " USING gin (metadata jsonb_path_ops)"); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ph := "?, ?"
	if d == Postgres {
		ph = "$1, $2"
	}
	for i := range n {
		doc := map[string]any{"owner": fmt.Sprintf("user%d", i%10), "n": float64(i), "tags": []any{fmt.Sprintf("t%d", i%3), "all"}, "o": map[string]any{"i": float64(i % 2)}}
		b, _ := json.Marshal(doc)
		if _, err := tx.Exec("INSERT INTO "+table+" (id, metadata) VALUES ("+ph+")", i, string(b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return table
}

func count(t testing.TB, db *sql.DB, d Dialect, table string, f Filter) int {
	t.Helper()
	a := NewArgs(d, 1)
	var n int
	q := "SELECT count(*) FROM " + table + " AS t WHERE " + f.SQL(a, "t.metadata")
	if err := db.QueryRow(q, a.Values()...).Scan(&n); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return n
}

func TestTables(t *testing.T) {
	cases := []struct {
		filter string
		want   int
	}{
		{`{"owner": "user3"}`, 20},
		{`{"tags": {"$contains": "t1"}}`, 67},
		{`{"tags": {"$contains": ["t1", "all"]}}`, 67},
		{`{"o": {"$eq": {"i": 1}}}`, 100},
		{`{"$or": [{"owner": "user3"}, {"owner": "user4"}], "o": {"$eq": {"i": 1}}}`, 20},
		{`{"n": 7}`, 1},
		{`{"n": "7"}`, 0},
	}
	for _, e := range engines(t) {
		table := seed(t, e.db, e.d, 200)
		for _, c := range cases {
			f, err := Parse(decode(t, c.filter))
			if err != nil {
				t.Fatal(err)
			}
			if got := count(t, e.db, e.d, table, f); got != c.want {
				t.Errorf("%s: %s counted %d, want %d", e.name, c.filter, got, c.want)
			}
		}
	}
}

// TestPostgresUsesGIN checks the claim that every condition can be served by
// a jsonb_path_ops GIN index on the document column.
func TestPostgresUsesGIN(t *testing.T) {
	es := engines(t)
	if len(es) < 2 {
		t.Skip("SKIPPED: set AGENTGATE_TEST_POSTGRES_URL to run this test")
	}
	db := es[1].db
	table := seed(t, db, Postgres, 2000)
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "ANALYZE "+table); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(t.Context(), "RESET enable_seqscan")
	for _, s := range []string{`{"owner": "user3"}`, `{"tags": {"$contains": ["t1"]}}`, `{"o": {"$eq": {"i": 1}}}`} {
		f, _ := Parse(decode(t, s))
		a := NewArgs(Postgres, 1)
		rows, err := conn.QueryContext(t.Context(), "EXPLAIN SELECT id FROM "+table+" AS t WHERE "+f.SQL(a, "t.metadata"), a.Values()...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			rows.Scan(&line)
			plan.WriteString(line + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), table+"_gin") {
			t.Errorf("%s does not use the GIN index:\n%s", s, plan.String())
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	f, _ := Parse(map[string]any{"owner": "user3", "tags": map[string]any{"$contains": "t1"}, "$or": []any{map[string]any{"n": 1.0}, map[string]any{"o": map[string]any{"$eq": map[string]any{"i": 1.0}}}}})
	doc := map[string]any{"owner": "user3", "n": 2.0, "tags": []any{"t0", "t1", "all"}, "o": map[string]any{"i": 1.0}}
	for b.Loop() {
		if !f.Match(doc) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	raw := map[string]any{"owner": "user3", "tags": map[string]any{"$contains": "t1"}, "$or": []any{map[string]any{"n": 1.0}, map[string]any{"o": map[string]any{"$eq": map[string]any{"i": 1.0}}}}}
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSQLiteScan counts matches of a typical owner filter over 10 000
// rows of TEXT JSON: the cost of a full scan with the filter.
func BenchmarkSQLiteScan(b *testing.B) {
	db, err := sql.Open("sqlite", "file:"+b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE bench_docs (id integer PRIMARY KEY, metadata TEXT NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	tx, _ := db.Begin()
	for i := range 10000 {
		doc, _ := json.Marshal(map[string]any{"owner": fmt.Sprintf("user%d", i%10), "tags": []any{fmt.Sprintf("t%d", i%3)}})
		if _, err := tx.Exec("INSERT INTO bench_docs VALUES (?, ?)", i, string(doc)); err != nil {
			b.Fatal(err)
		}
	}
	tx.Commit()
	for _, s := range []string{`{"owner": "user3"}`, `{"tags": {"$contains": "t1"}}`} {
		f, _ := Parse(decode(b, s))
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if n := count(b, db, SQLite, "bench_docs", f); n == 0 {
					b.Fatal("no rows")
				}
			}
		})
	}
}
