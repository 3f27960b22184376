package runs

// A Handoff carries the end of a run to a waiter in the same process
// without the event bus (runs/wait on Redis: no subscription, no reads).
// The waiter registers it (Expect) before it creates the run; Create marks
// it started when it starts the run here itself. Done is then closed when
// the run's streams end here, with what the run stream's result event
// carries, or when the run leaves this process without ending (its lease
// lost, a retry after a database outage): then the waiter reads the run's
// stream as for a run executing elsewhere. A handoff not started is never
// closed: the run went to the queue, and the waiter reads its stream.
type Handoff struct {
	runID   string
	started bool
	done    chan struct{}
	result  []byte // the result event's data, or nil
	ended   bool   // the run's streams ended here
}

// Expect registers a handoff for the run with this id, before the run is
// created; Forget must follow.
func (s *Scheduler) Expect(runID string) *Handoff {
	h := &Handoff{runID: runID, done: make(chan struct{})}
	s.mu.Lock()
	s.handoffs[runID] = h
	s.mu.Unlock()
	return h
}

// Forget unregisters h.
func (s *Scheduler) Forget(h *Handoff) {
	s.mu.Lock()
	if s.handoffs[h.runID] == h {
		delete(s.handoffs, h.runID)
	}
	s.mu.Unlock()
}

// Started reports whether the run was started in this process by Create,
// so that Done will be closed.
func (s *Scheduler) Started(h *Handoff) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return h.started
}

// Done is closed once the run ended here or left this process.
func (h *Handoff) Done() <-chan struct{} { return h.done }

// Result returns, once Done is closed, the data of the run's result event
// (nil when it had none) and whether the run ended here; when not, its
// stream goes on elsewhere.
func (h *Handoff) Result() (data []byte, ended bool) { return h.result, h.ended }

// startHandoff marks the handoff of a run Create starts here.
func (s *Scheduler) startHandoff(runID string) {
	s.mu.Lock()
	if h := s.handoffs[runID]; h != nil {
		h.started = true
	}
	s.mu.Unlock()
}

// handOff closes the started handoff of runID, if any and not closed yet:
// ended with the result event's data when the run's streams ended here,
// else the run left this process.
func (s *Scheduler) handOff(runID string, result []byte, ended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.handoffs[runID]
	if h == nil || !h.started {
		return
	}
	select {
	case <-h.done:
	default:
		h.result, h.ended = result, ended
		close(h.done)
	}
}
