package broker

import (
	"context"
	"sync"
	"time"
)

// Memory is the in-process Broker of a single server.
type Memory struct {
	retention time.Duration
	idle      time.Duration
	maxEvents int
	now       func() time.Time

	mu      sync.Mutex
	streams map[string]*memStream
	closed  bool
	// ended lists finished streams in the order they finished, so that
	// sweeping only looks at the ones whose retention is over.
	ended     []endedStream
	endedHead int       // ended[:endedHead] were swept
	idleScan  time.Time // when open streams were last checked for idleness
}

type endedStream struct {
	name string
	at   time.Time
}

type memStream struct {
	events   []Event
	ids      []eventID
	dropped  int // events removed from the front to honour maxEvents
	last     eventID
	finished bool
	endedAt  time.Time
	lastPub  time.Time     // of the last event (or creation)
	subs     int           // open subscriptions
	changed  chan struct{} // closed and replaced on every change
}

// MemoryOptions bound what a Memory broker keeps.
type MemoryOptions struct {
	// Retention keeps a finished stream readable this long (default 2 min).
	Retention time.Duration
	// Idle forgets a stream that was never finished (a kept thread's)
	// when it has had no event and no subscriber this long (default 24 h).
	Idle time.Duration
	// MaxEvents caps the events kept per stream (default 100,000); the
	// oldest go first.
	MaxEvents int
}

// NewMemory returns an empty in-process broker.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.Retention <= 0 {
		opts.Retention = 2 * time.Minute
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 100_000
	}
	if opts.Idle <= 0 {
		opts.Idle = 24 * time.Hour
	}
	return &Memory{retention: opts.Retention, idle: opts.Idle, maxEvents: opts.MaxEvents, now: time.Now,
		streams: map[string]*memStream{}}
}

func (m *Memory) stream(name string) *memStream {
	s, ok := m.streams[name]
	if !ok {
		s = &memStream{changed: make(chan struct{}), lastPub: m.now()}
		m.streams[name] = s
	}
	return s
}

// Publish implements Broker.
func (m *Memory) Publish(ctx context.Context, stream, name string, data []byte) (Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Event{}, errClosed
	}
	m.sweepLocked()
	s := m.stream(stream)
	if s.finished { // a new run on a thread stream reopens it
		s.finished = false
	}
	id := eventID{ms: uint64(m.now().UnixMilli())}
	if !s.last.less(id) {
		id = eventID{ms: s.last.ms, seq: s.last.seq + 1}
	}
	s.last = id
	s.lastPub = m.now()
	ev := Event{ID: id.String(), Name: name, Data: data}
	s.events = append(s.events, ev)
	s.ids = append(s.ids, id)
	if over := len(s.events) - m.maxEvents; over > 0 {
		s.events = append(s.events[:0:0], s.events[over:]...)
		s.ids = append(s.ids[:0:0], s.ids[over:]...)
		s.dropped += over
	}
	s.notifyLocked()
	return ev, nil
}

func (s *memStream) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Finish implements Broker.
func (m *Memory) Finish(ctx context.Context, stream string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stream(stream)
	s.finished = true
	s.endedAt = m.now()
	m.ended = append(m.ended, endedStream{stream, s.endedAt})
	s.notifyLocked()
	return nil
}

// sweepLocked forgets finished streams past their retention. It looks at
// the oldest finishes only, so a publish costs O(1) amortized.
func (m *Memory) sweepLocked() {
	cutoff := m.now().Add(-m.retention)
	for m.endedHead < len(m.ended) && m.ended[m.endedHead].at.Before(cutoff) {
		e := m.ended[m.endedHead]
		m.ended[m.endedHead] = endedStream{}
		m.endedHead++
		// A stream reopened (or finished again) since is not expired.
		if s := m.streams[e.name]; s != nil && s.finished && s.endedAt.Equal(e.at) {
			delete(m.streams, e.name)
		}
	}
	if m.endedHead > 64 && m.endedHead*2 > len(m.ended) {
		m.ended = append(m.ended[:0:0], m.ended[m.endedHead:]...)
		m.endedHead = 0
	}
	// Streams never finished: one scan per tenth of the idle time, so
	// that a publish stays O(1) amortized.
	if now := m.now(); now.Sub(m.idleScan) >= m.idle/10 {
		m.idleScan = now
		for name, s := range m.streams {
			if !s.finished && s.subs == 0 && now.Sub(s.lastPub) >= m.idle {
				delete(m.streams, name)
			}
		}
	}
}

// Subscribe implements Broker.
func (m *Memory) Subscribe(ctx context.Context, stream, after string) (Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	s := m.stream(stream)
	s.subs++
	sub := &memSub{m: m, s: s}
	switch after {
	case "":
		sub.next = s.dropped + len(s.events)
	case Start, "-":
		sub.next = 0
	default:
		cur, err := parseID(after)
		if err != nil {
			return nil, err
		}
		sub.next = s.dropped
		for i, id := range s.ids {
			if cur.less(id) {
				break
			}
			sub.next = s.dropped + i + 1
		}
	}
	return sub, nil
}

// Close implements Broker.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for _, s := range m.streams {
		s.finished = true
		s.notifyLocked()
	}
	return nil
}

type memSub struct {
	m      *Memory
	s      *memStream
	next   int // absolute index of the next event to read
	closed bool
}

// Next implements Subscription.
func (u *memSub) Next(ctx context.Context) (Event, bool, error) {
	for {
		u.m.mu.Lock()
		s := u.s
		if u.next < s.dropped {
			u.next = s.dropped // fell behind the cap: skip what was dropped
		}
		if i := u.next - s.dropped; i < len(s.events) {
			ev := s.events[i]
			u.next++
			u.m.mu.Unlock()
			return ev, true, nil
		}
		if s.finished {
			u.m.mu.Unlock()
			return Event{}, false, nil
		}
		wait := s.changed
		u.m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return Event{}, false, ctx.Err()
		}
	}
}

// Close implements Subscription.
func (u *memSub) Close() error {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	if !u.closed {
		u.closed = true
		u.s.subs--
		u.s.lastPub = u.m.now() // idle from now on
	}
	return nil
}
