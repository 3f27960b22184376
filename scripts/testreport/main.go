// Command testreport reads `go test -json` on stdin and prints what a
// person needs: one line per package, the full output of failed tests, and
// every skipped test with its reason. It exits 1 when anything failed, and
// also when a test was skipped if -fail-on-skip is set (CI must not pass by
// skipping a suite).
//
//	go test -json ./... 2>&1 | go run ./scripts/testreport -fail-on-skip
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

type report struct {
	out      io.Writer
	buf      map[string][]string // output so far, by package + "\x00" + test
	failed   []string            // packages and package.Test names
	skipped  []string            // name: reason
	pkgFails int
	pkgs     int
}

func main() {
	failOnSkip := flag.Bool("fail-on-skip", false, "exit 1 when any test or package was skipped")
	flag.Parse()
	r := &report{out: os.Stdout, buf: map[string][]string{}}
	if err := r.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	os.Exit(r.summary(*failOnSkip))
}

func (r *report) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(r.out, string(line)) // not JSON: a build error or go command output
			continue
		}
		r.handle(e)
	}
	return sc.Err()
}

func (r *report) handle(e event) {
	key := e.Package + "\x00" + e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(r.out, e.Output)
	case "build-fail":
		r.failed = append(r.failed, e.ImportPath+" (build)")
	case "output":
		r.buf[key] = append(r.buf[key], e.Output)
	case "fail":
		if e.Test == "" {
			r.pkgs++
			r.pkgFails++
			for _, l := range r.buf[key] {
				fmt.Fprint(r.out, l)
			}
			fmt.Fprintf(r.out, "FAIL\t%s\n", e.Package)
			r.failed = append(r.failed, e.Package)
		} else {
			fmt.Fprintf(r.out, "--- FAIL: %s (%s)\n", e.Test, e.Package)
			for _, l := range r.buf[key] {
				fmt.Fprint(r.out, "    "+l)
			}
			r.failed = append(r.failed, e.Package+"."+e.Test)
		}
		delete(r.buf, key)
	case "skip":
		reason := lastMeaningful(r.buf[key])
		name := e.Package
		if e.Test != "" {
			name += "." + e.Test
		} else {
			r.pkgs++
			// A package without test files is not a skipped test.
			if strings.Contains(reason, "no test files") {
				delete(r.buf, key)
				return
			}
		}
		r.skipped = append(r.skipped, name+": "+reason)
		delete(r.buf, key)
	case "pass":
		if e.Test == "" {
			r.pkgs++
			for _, l := range r.buf[key] {
				if strings.HasPrefix(l, "ok") {
					fmt.Fprint(r.out, l)
				}
			}
		}
		delete(r.buf, key)
	}
}

// lastMeaningful returns the last output line that says more than a
// RUN/SKIP marker: usually the t.Skip message.
func lastMeaningful(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		return l
	}
	return "(no reason given)"
}

func (r *report) summary(failOnSkip bool) int {
	sort.Strings(r.skipped)
	if len(r.skipped) > 0 {
		fmt.Fprintf(r.out, "\nSKIPPED (%d):\n", len(r.skipped))
		for _, s := range r.skipped {
			fmt.Fprintln(r.out, "  "+s)
		}
	}
	code := 0
	if len(r.failed) > 0 {
		fmt.Fprintf(r.out, "\nFAILED (%d):\n", len(r.failed))
		for _, f := range r.failed {
			fmt.Fprintln(r.out, "  "+f)
		}
		code = 1
	}
	if failOnSkip && len(r.skipped) > 0 {
		fmt.Fprintln(r.out, "\nskipped tests are failures here (-fail-on-skip)")
		code = 1
	}
	fmt.Fprintf(r.out, "\n%d packages, %d failed tests or packages, %d skipped\n", r.pkgs, len(r.failed), len(r.skipped))
	return code
}
