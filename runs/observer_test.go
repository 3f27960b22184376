package runs

import (
	"slices"
	"sync"
	"testing"
	"time"
)

type runTimes struct {
	mu      sync.Mutex
	started int
	ended   []string
	bad     bool
}

func (o *runTimes) RunStarted(q time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started++
	o.bad = o.bad || q < 0 || q > time.Minute
}

func (o *runTimes) RunEnded(status string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = append(o.ended, status)
	o.bad = o.bad || d <= 0 || d > time.Minute
}

// TestObserver: each run's start and end reach Options.Observer, with the
// status it ended with and plausible durations.
func TestObserver(t *testing.T) {
	o := &runTimes{}
	e := newEnv(t, nil, Options{Observer: o})
	ok := e.create(t.Context(), e.thread(), "chatbot", Kwargs{Input: human("hi")}, "")
	bad := e.create(t.Context(), e.thread(), "fail", Kwargs{Input: map[string]any{"x": "a"}}, "")
	e.events(ok.RunID)
	e.events(bad.RunID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		o.mu.Lock()
		ended := slices.Sorted(slices.Values(o.ended))
		started, isBad := o.started, o.bad
		o.mu.Unlock()
		if len(ended) == 2 || time.Now().After(deadline) {
			if !slices.Equal(ended, []string{"error", "success"}) || started != 2 || isBad {
				t.Errorf("ended %v, started %d, bad durations %v", ended, started, isBad)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
