package server

import "testing"

// testGraphs registers the graphs the tests use.
func testGraphs(t *testing.T) map[string]Graph {
	t.Helper()
	return map[string]Graph{"agent": "agent", "other": "other"}
}
