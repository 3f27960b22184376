package broker

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Memory is the in-process Broker of a single server. What it keeps is
// bounded in events per stream, in bytes per stream and in bytes overall;
// see MemoryOptions for which events go first.
type Memory struct {
	finishedRetention time.Duration
	idle              time.Duration
	maxEvents         int
	maxStreamBytes    int64
	maxTotalBytes     int64
	now               func() time.Time

	mu      sync.Mutex
	streams map[string]*memStream
	closed  bool
	total   int64   // counted bytes of the kept events and records of all streams
	count   int     // kept events of all streams
	last    eventID // the newest id given: ids grow across streams, so a
	// stream forgotten and made again never reuses one
	// order[orderHead:] lists the kept events in publish order, for
	// trimming across streams; entries of events already gone are skipped.
	order     []eventRef
	orderHead int
	// ended lists finished streams in the order they finished, so that
	// sweeping only looks at the ones whose retention is over.
	ended     []endedStream
	endedHead int         // ended[:endedHead] were swept
	endedLive int         // entries left by the last compaction of forgotten streams' entries
	idleScan  time.Time   // when open streams were last checked for idleness
	timer     *time.Timer // sweeps when the oldest finished stream expires
}

// endedStream is a stream s that finished at at, or, with settled set,
// whose events up to absolute index upto were settled at at.
type endedStream struct {
	s       *memStream
	at      time.Time
	settled bool
	upto    int
}

// eventRef is an event by stream and absolute index.
type eventRef struct {
	s   *memStream
	abs int
}

type memStream struct {
	name     string  // its key in Memory.streams
	events   []Event // events[off:] are kept
	ids      []eventID
	off      int
	trimmed  int     // absolute index of events[off]: how many were trimmed
	lastTrim eventID // id of the newest trimmed event
	bytes    int64   // counted bytes of the kept events
	finished bool
	dropped  bool // by Drop: subscribers get ErrDropped
	endedAt  time.Time
	lastPub  time.Time     // of the last event (or creation)
	subs     int           // open subscriptions
	changed  chan struct{} // made by a waiting subscriber, closed on the next change
	gone     bool          // forgotten: no longer in Memory.streams
}

func (s *memStream) kept() int { return len(s.events) - s.off }

// MemoryOptions bound what a Memory broker keeps.
//
// Events are trimmed oldest first: on Publish, the stream's own oldest
// events while it is over MaxEvents or MaxStreamBytes, never its newest
// one, even when that alone is over the cap; then the oldest events of all
// streams (in publish order, whatever their stream) while the total is
// over MaxTotalBytes, sparing only the newest event of each open stream
// with subscribers, so that live subscribers still get it. Finished or
// unwatched streams may thus lose all their events. A subscriber behind
// trimmed events goes on with the oldest one kept (Skipped then reports
// true); it neither waits nor fails.
type MemoryOptions struct {
	// FinishedRetention keeps a finished stream readable this long, for
	// replays with Last-Event-ID (default 60 s).
	FinishedRetention time.Duration
	// Idle forgets a stream that was never finished (a kept thread's)
	// when it has had no event and no subscriber this long (default 24 h).
	Idle time.Duration
	// MaxEvents caps the events kept per stream (default 100,000).
	MaxEvents int
	// MaxStreamBytes caps the bytes kept per stream (default 4 MiB).
	MaxStreamBytes int64
	// MaxTotalBytes caps the bytes kept by all streams (default 4 MiB).
	MaxTotalBytes int64
}

// An event counts len(ID)+len(Name)+len(Data) plus eventOverhead bytes
// for its Event, eventID and eventRef values (and the slack of the slices
// holding them). A stream's record counts len(name) plus streamOverhead
// bytes for its memStream, its map entry and its entries in ended, so
// that MaxTotalBytes bounds the records of many small streams too
// (TestMemoryOverheadsCoverTheHeap measures both).
const (
	eventOverhead  = 128
	streamOverhead = 400
)

func eventSize(ev Event) int64 {
	return int64(len(ev.ID)+len(ev.Name)+len(ev.Data)) + eventOverhead
}

func recordSize(name string) int64 { return int64(len(name)) + streamOverhead }

// NewMemory returns an empty in-process broker.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.FinishedRetention <= 0 {
		opts.FinishedRetention = time.Minute
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 100_000
	}
	if opts.Idle <= 0 {
		opts.Idle = 24 * time.Hour
	}
	if opts.MaxStreamBytes <= 0 {
		opts.MaxStreamBytes = 4 << 20
	}
	if opts.MaxTotalBytes <= 0 {
		opts.MaxTotalBytes = 4 << 20
	}
	return &Memory{finishedRetention: opts.FinishedRetention, idle: opts.Idle, maxEvents: opts.MaxEvents,
		maxStreamBytes: opts.MaxStreamBytes, maxTotalBytes: opts.MaxTotalBytes, now: time.Now,
		streams: map[string]*memStream{}}
}

// Bytes returns the counted bytes of the events and stream records kept.
func (m *Memory) Bytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total
}

func (m *Memory) stream(name string) *memStream {
	s, ok := m.streams[name]
	if !ok {
		s = &memStream{name: name, lastPub: m.now()}
		m.streams[name] = s
		m.total += recordSize(name)
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
	s.finished = false // a new run on a thread stream reopens it
	id := eventID{ms: uint64(m.now().UnixMilli())}
	if !m.last.less(id) {
		id = eventID{ms: m.last.ms, seq: m.last.seq + 1}
	}
	m.last = id
	s.lastPub = m.now()
	ev := Event{ID: id.String(), Name: name, Data: data}
	m.appendLocked(s, ev, id)
	m.trimLocked(s)
	s.notifyLocked()
	return ev, nil
}

// notifyLocked wakes the subscribers waiting for a change of s.
func (s *memStream) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// Finish implements Broker.
func (m *Memory) Finish(ctx context.Context, stream string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stream(stream)
	s.finished = true
	s.endedAt = m.now()
	m.ended = append(m.ended, endedStream{s: s, at: s.endedAt})
	m.armLocked()
	s.notifyLocked()
	return nil
}

// Settle implements Settler: the events s holds now are released after the
// finished retention, as a finished stream's would be, but the stream
// stays open (its subscribers wait for more). The newest event stays while
// the stream has subscribers or newer events; else the stream is forgotten.
func (m *Memory) Settle(ctx context.Context, stream string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.streams[stream]
	if s == nil || s.kept() == 0 {
		return nil
	}
	m.ended = append(m.ended, endedStream{s: s, at: m.now(), settled: true, upto: s.trimmed + s.kept() - 1})
	m.armLocked()
	return nil
}

// Drop implements Broker: the stream's events are released at once.
func (m *Memory) Drop(ctx context.Context, stream string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.streams[stream]; s != nil {
		m.forgetLocked(s)
		s.dropped = true
		s.notifyLocked()
	}
	return nil
}

// Subscribe implements Broker.
func (m *Memory) Subscribe(ctx context.Context, stream, after string) (Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	var cur eventID
	if after != "" && after != Start && after != "-" {
		var err error
		if cur, err = parseID(after); err != nil {
			return nil, err
		}
	}
	s := m.stream(stream)
	s.subs++
	sub := &memSub{m: m, s: s}
	switch after {
	case "":
		sub.next = s.trimmed + s.kept()
	case Start, "-":
		sub.next = 0
	default:
		ids := s.ids[s.off:]
		sub.next = s.trimmed + sort.Search(len(ids), func(i int) bool { return cur.less(ids[i]) })
		if s.trimmed > 0 && cur.less(s.lastTrim) {
			sub.next = s.trimmed - 1 // events after the cursor were trimmed
		}
	}
	return sub, nil
}

// Close implements Broker.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	for _, s := range m.streams {
		s.finished = true
		s.notifyLocked()
	}
	return nil
}

type memSub struct {
	m       *Memory
	s       *memStream
	next    int // absolute index of the next event to read
	skipped bool
	closed  bool
}

// Next implements Subscription.
func (u *memSub) Next(ctx context.Context) (Event, bool, error) {
	for {
		u.m.mu.Lock()
		s := u.s
		if s.dropped {
			u.m.mu.Unlock()
			return Event{}, false, ErrDropped
		}
		if u.next < s.trimmed { // fell behind a cap: go on with the oldest kept
			u.next = s.trimmed
			u.skipped = true
		}
		if i := u.next - s.trimmed; i < s.kept() {
			ev := s.events[s.off+i]
			u.next++
			u.m.mu.Unlock()
			return ev, true, nil
		}
		if s.finished {
			u.m.mu.Unlock()
			return Event{}, false, nil
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
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

// Skipped implements Skipper: whether Next went past trimmed events.
func (u *memSub) Skipped() bool {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	return u.skipped
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
