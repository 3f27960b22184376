package sqlite

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// TestPollQueriesUseTheirIndexes: the claim poll, the lease sweep, the run
// counts of /metrics and the cron scheduler's poll read through their
// partial indexes, never by scanning every run or cron kept.
func TestPollQueriesUseTheirIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentgate.db")
	st, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	scan := regexp.MustCompile(`^SCAN (runs|r|crons)\b`)
	for name, pq := range sqlcore.PollQueries(dialect()) {
		q := pq.SQL
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, pq.Args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		for _, step := range plan {
			if scan.MatchString(step) {
				t.Errorf("%s scans every row: %s\nplan: %s", name, strings.Join(strings.Fields(q), " "), text)
			}
		}
		if !strings.Contains(text, pq.Index) {
			t.Errorf("%s does not use %s: %s\nplan: %s", name, pq.Index, strings.Join(strings.Fields(q), " "), text)
		}
	}
}
