package main

import (
	"bytes"
	"strings"
	"testing"
)

func runReport(t *testing.T, input string, failOnSkip bool) (int, string) {
	t.Helper()
	var out bytes.Buffer
	r := &report{out: &out, buf: map[string][]string{}}
	if err := r.read(strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	code := r.summary(failOnSkip)
	return code, out.String()
}

const passing = `{"Action":"start","Package":"p/a"}
{"Action":"run","Package":"p/a","Test":"TestA"}
{"Action":"output","Package":"p/a","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p/a","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}
{"Action":"pass","Package":"p/a","Test":"TestA"}
{"Action":"output","Package":"p/a","Output":"ok  \tp/a\t0.01s\n"}
{"Action":"pass","Package":"p/a"}
{"Action":"output","Package":"p/none","Output":"?   \tp/none\t[no test files]\n"}
{"Action":"skip","Package":"p/none"}
`

const skipping = `{"Action":"run","Package":"p/db","Test":"TestPG"}
{"Action":"output","Package":"p/db","Test":"TestPG","Output":"=== RUN   TestPG\n"}
{"Action":"output","Package":"p/db","Test":"TestPG","Output":"    db_test.go:9: SKIPPED: set AGENTGATE_TEST_POSTGRES_URL to run this test\n"}
{"Action":"output","Package":"p/db","Test":"TestPG","Output":"--- SKIP: TestPG (0.00s)\n"}
{"Action":"skip","Package":"p/db","Test":"TestPG"}
{"Action":"output","Package":"p/db","Output":"ok  \tp/db\t0.01s\n"}
{"Action":"pass","Package":"p/db"}
`

const failing = `{"Action":"run","Package":"p/b","Test":"TestB"}
{"Action":"output","Package":"p/b","Test":"TestB","Output":"=== RUN   TestB\n"}
{"Action":"output","Package":"p/b","Test":"TestB","Output":"    b_test.go:7: want 1, got 2\n"}
{"Action":"output","Package":"p/b","Test":"TestB","Output":"--- FAIL: TestB (0.00s)\n"}
{"Action":"fail","Package":"p/b","Test":"TestB"}
{"Action":"output","Package":"p/b","Output":"FAIL\n"}
{"Action":"fail","Package":"p/b"}
`

func TestPassing(t *testing.T) {
	code, out := runReport(t, passing, true)
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s", code, out)
	}
	if !strings.Contains(out, "ok  \tp/a") || strings.Contains(out, "SKIPPED") || strings.Contains(out, "=== RUN") {
		t.Errorf("output:\n%s", out)
	}
}

func TestSkipIsReported(t *testing.T) {
	code, out := runReport(t, skipping, false)
	if code != 0 {
		t.Errorf("exit %d without -fail-on-skip, want 0", code)
	}
	want := "p/db.TestPG: db_test.go:9: SKIPPED: set AGENTGATE_TEST_POSTGRES_URL to run this test"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if code, _ := runReport(t, skipping, true); code != 1 {
		t.Errorf("exit %d with -fail-on-skip, want 1", code)
	}
}

func TestFailureShowsOutput(t *testing.T) {
	code, out := runReport(t, failing+passing, false)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"--- FAIL: TestB (p/b)", "b_test.go:7: want 1, got 2", "FAIL\tp/b", "  p/b.TestB", "FAILED (2)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestNonJSONLinesPassThrough(t *testing.T) {
	_, out := runReport(t, "# p/c\nc.go:3:1: syntax error\n"+passing, false)
	if !strings.Contains(out, "c.go:3:1: syntax error") {
		t.Errorf("build error lost:\n%s", out)
	}
}
