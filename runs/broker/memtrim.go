package broker

import "time"

// This file holds what Memory keeps: accounting, trimming and sweeping.
// Every method expects m.mu held.

// appendLocked adds ev as the newest event of s.
func (m *Memory) appendLocked(s *memStream, ev Event, id eventID) {
	s.events = append(s.events, ev)
	s.ids = append(s.ids, id)
	n := eventSize(ev)
	s.bytes += n
	m.total += n
	m.count++
	m.order = append(m.order, eventRef{s, s.trimmed + s.kept() - 1})
}

// trimFrontLocked removes the oldest kept event of s.
func (m *Memory) trimFrontLocked(s *memStream) {
	n := eventSize(s.events[s.off])
	s.lastTrim = s.ids[s.off]
	s.events[s.off] = Event{} // release its data
	s.off++
	s.trimmed++
	s.bytes -= n
	m.total -= n
	m.count--
	// Shift the kept events down once half the slice is trimmed; copying
	// to a new slice also gives back the capacity of a shrunk stream.
	if s.off*2 >= len(s.events) && s.off >= 16 || s.kept() == 0 {
		s.events = append([]Event(nil), s.events[s.off:]...)
		s.ids = append([]eventID(nil), s.ids[s.off:]...)
		s.off = 0
	}
}

// trimLocked enforces the caps after an event was added to s: the
// stream's own caps first, then the total across streams.
func (m *Memory) trimLocked(s *memStream) {
	for s.kept() > 1 && (s.kept() > m.maxEvents || s.bytes > m.maxStreamBytes) {
		m.trimFrontLocked(s)
	}
	// Oldest first across streams, except the newest event of an open
	// stream with subscribers: its entry moves to the back of order, and
	// budget stops the loop when only such events are left.
	for budget := m.count; m.total > m.maxTotalBytes && budget > 0 && m.orderHead < len(m.order); {
		r := m.order[m.orderHead]
		m.order[m.orderHead] = eventRef{}
		m.orderHead++
		switch {
		case r.abs < r.s.trimmed: // already trimmed, or its stream forgotten
		case r.abs == r.s.trimmed+r.s.kept()-1 && !r.s.finished && r.s.subs > 0:
			m.order = append(m.order, r)
			budget--
		default:
			for r.s.trimmed <= r.abs {
				m.trimFrontLocked(r.s)
			}
			// A stream nobody reads with nothing left has nothing to
			// replay: its record goes too (a later event makes it again).
			if r.s.kept() == 0 && r.s.subs == 0 {
				m.forgetLocked(r.s)
			}
			budget--
		}
	}
	m.compactOrderLocked()
}

// compactOrderLocked drops the consumed and stale entries of order when
// they outnumber the live ones, so that order stays O(kept events).
func (m *Memory) compactOrderLocked() {
	head := m.orderHead > 1024 && m.orderHead*2 > len(m.order)
	stale := len(m.order)-m.orderHead > 2*m.count+1024
	if !head && !stale {
		return
	}
	live := make([]eventRef, 0, m.count+m.count/4)
	for _, r := range m.order[m.orderHead:] {
		if r.abs >= r.s.trimmed {
			live = append(live, r)
		}
	}
	m.order, m.orderHead = live, 0
}

// forgetLocked removes a stream and releases its events and record;
// subscribers still holding it see every event trimmed.
func (m *Memory) forgetLocked(s *memStream) {
	if s.gone {
		return
	}
	s.gone = true
	delete(m.streams, s.name)
	if n := s.kept(); n > 0 {
		s.lastTrim = s.ids[len(s.ids)-1]
		s.trimmed += n
		m.count -= n
	}
	m.total -= s.bytes + recordSize(s.name)
	s.bytes = 0
	s.events, s.ids, s.off = nil, nil, 0
}

// sweepLocked forgets finished streams past their retention and trims
// settled events past it. It looks at the oldest entries only, so a
// publish costs O(1) amortized.
func (m *Memory) sweepLocked() {
	cutoff := m.now().Add(-m.finishedRetention)
	for m.endedHead < len(m.ended) && m.ended[m.endedHead].at.Before(cutoff) {
		e := m.ended[m.endedHead]
		m.ended[m.endedHead] = endedStream{}
		m.endedHead++
		s := e.s
		if e.settled {
			// Settled events go, all but the stream's newest one; a stream
			// with nothing since and no subscriber (a kept thread's between
			// runs) goes whole, as an idle one would, or every thread ever
			// streamed would keep a record for a day.
			for s.kept() > 1 && s.trimmed <= e.upto {
				m.trimFrontLocked(s)
			}
			if s.subs == 0 && !s.finished && s.trimmed+s.kept()-1 <= e.upto {
				m.forgetLocked(s)
			}
			continue
		}
		// A stream reopened (or finished again) since is not expired.
		if s.finished && s.endedAt.Equal(e.at) {
			m.forgetLocked(s)
		}
	}
	m.compactEndedLocked()
	// Streams never finished: one scan per tenth of the idle time, so
	// that a publish stays O(1) amortized.
	if now := m.now(); now.Sub(m.idleScan) >= m.idle/10 {
		m.idleScan = now
		for _, s := range m.streams {
			if !s.finished && s.subs == 0 && now.Sub(s.lastPub) >= m.idle {
				m.forgetLocked(s)
			}
		}
	}
}

// compactEndedLocked drops the swept entries of ended, and those of
// streams already forgotten (by a cap, Drop or idleness) once they
// outnumber the live streams, so that ended stays O(records) however
// fast streams come and go.
func (m *Memory) compactEndedLocked() {
	swept := m.endedHead > 64 && m.endedHead*2 > len(m.ended)
	stale := len(m.ended)-m.endedHead > 2*(len(m.streams)+m.endedLive)+1024
	if !swept && !stale {
		return
	}
	live := m.ended[:0:0]
	for _, e := range m.ended[m.endedHead:] {
		if !stale || !e.s.gone {
			live = append(live, e)
		}
	}
	m.ended, m.endedHead = live, 0
	if stale {
		m.endedLive = len(live) // many entries of live streams: wait for as many more
	}
}

// armLocked schedules a sweep for when the oldest finished stream expires,
// so that its memory goes back without waiting for another publish.
func (m *Memory) armLocked() {
	if m.timer != nil || m.closed || m.endedHead == len(m.ended) {
		return
	}
	due := m.ended[m.endedHead].at.Add(m.finishedRetention).Sub(m.now())
	m.timer = time.AfterFunc(max(due, 0)+time.Millisecond, m.onTimer)
}

func (m *Memory) onTimer() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.timer = nil
	if m.closed {
		return
	}
	m.sweepLocked()
	m.armLocked()
}
