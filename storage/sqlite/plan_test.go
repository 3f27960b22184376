package sqlite

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// TestActiveRunQueriesUseTheirIndex: the claim poll, the lease sweep and
// the run counts of /metrics read the active runs through runs_active,
// never by scanning every run kept.
func TestActiveRunQueriesUseTheirIndex(t *testing.T) {
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
	scan := regexp.MustCompile(`^SCAN (runs|r)\b`)
	for q, args := range sqlcore.ActiveRunQueries(dialect()) {
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
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
				t.Errorf("scans every run: %s\nplan: %s", strings.Join(strings.Fields(q), " "), text)
			}
		}
		if !strings.Contains(text, "runs_active") {
			t.Errorf("does not use runs_active: %s\nplan: %s", strings.Join(strings.Fields(q), " "), text)
		}
	}
}
