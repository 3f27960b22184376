// Package testenv gives tests the URLs of external services, and the
// checkout's root (ModuleRoot). A test that needs a service skips visibly
// when it is not configured, and fails instead when CI=true, so a CI run
// can never pass by skipping a suite.
package testenv

import (
	"os"
	"testing"
)

// PostgresURL returns AGENTGATE_TEST_POSTGRES_URL.
func PostgresURL(t testing.TB) string { return need(t, "AGENTGATE_TEST_POSTGRES_URL") }

// RedisURL returns AGENTGATE_TEST_REDIS_URL.
func RedisURL(t testing.TB) string { return need(t, "AGENTGATE_TEST_REDIS_URL") }

func need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set, and CI=true forbids skipping this test", name)
	}
	t.Skipf("SKIPPED: set %s to run this test", name)
	return ""
}
