package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Writes to Redis go through a per-stream queue in process, flushed in
// order by one goroutine per stream with capped backoff. Every entry has
// its id assigned here, before the first attempt, so a retried XADD (a
// reply lost in a stall) finds its entry stored and does not add it twice.
//
// Publish returns once its entry is queued: a run does not wait for a
// round trip per event, and a run's events share pipelines (Drop still
// waits for its marker, at most PublishWait). Only while the queue holds
// more than half of MaxBuffer does Publish wait for its entry to be
// stored (at most PublishWait), so that a producer faster than a healthy
// Redis is slowed down before events are lost; a stream whose oldest
// entry has waited PublishWait already (Redis stalled or down) does not
// wait, and its entries are flushed, in order, when Redis answers again.
// The queue is bounded in bytes over all streams (MaxBuffer): an event
// that does not fit is lost, Publish returns ErrBufferFull, and the
// stream's next entry is preceded by an "error" event (EventsLost, not
// retryable) that says how many were lost.

// addScript adds one entry with an explicit id. When Redis refuses the id
// (equal or smaller than the stream's top) and the entry at that id holds
// the same fields, it is a retry and nothing is added; otherwise (another
// writer got ahead) the entry is added with a new id. It returns the id
// stored. KEYS[1] stream; ARGV: id, maxlen, ttl ms, then fields.
var addScript = redis.NewScript(`
local f = {}
for i = 4, #ARGV do f[#f+1] = ARGV[i] end
local r = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], ARGV[1], unpack(f))
if type(r) == 'table' and r.err then
  local got = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
  local same = #got == 1 and #got[1][2] == #f
  if same then
    for i = 1, #f do if got[1][2][i] ~= f[i] then same = false end end
  end
  if same then r = ARGV[1] else
    r = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(f))
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return r`)

// dropScript deletes a stream and leaves a drop marker in its place.
var dropScript = redis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('XADD', KEYS[1], '*', 'drop', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

// entry is one queued write: an event, an end marker or a drop.
type entry struct {
	id     eventID
	fields []any
	ttl    time.Duration
	drop   bool
	size   int64
	queued time.Time
	stored string        // the id Redis stored, once done
	done   chan struct{} // closed once stored
}

// pubStream is the write side of one stream in this process.
type pubStream struct {
	name     string
	last     eventID // the newest id assigned
	queue    []*entry
	flushing bool
	lost     int // events lost to a full buffer, not yet reported
	used     time.Time
}

// queue is the per-stream write queues of a Redis broker.
type queue struct {
	b       *Redis
	mu      sync.Mutex
	streams map[string]*pubStream
	ready   []*pubStream // streams waiting for a flusher
	// flushers is how many flushLoops run (at most maxFlushers).
	flushers  int
	pipelines int64 // pipelines sent (tests)
	bytes     int64
	swept     time.Time
	ctx       context.Context // ends with Close
	stop      context.CancelFunc
}

func newQueue(b *Redis) *queue {
	ctx, stop := context.WithCancel(context.Background())
	return &queue{b: b, streams: map[string]*pubStream{}, ctx: ctx, stop: stop}
}

// nextID is the next id of st: the current millisecond, or after the last.
func (st *pubStream) nextID(now time.Time) eventID {
	id := eventID{ms: uint64(now.UnixMilli())}
	if !st.last.less(id) {
		id = eventID{ms: st.last.ms, seq: st.last.seq + 1}
	}
	st.last = id
	return id
}

// push queues a write to stream and waits for it as described above; it
// returns the id stored, or the one assigned when it did not wait.
func (q *queue) push(ctx context.Context, stream string, fields []any, ttl time.Duration, drop bool) (string, error) {
	q.mu.Lock()
	if q.ctx.Err() != nil {
		q.mu.Unlock()
		return "", errClosed
	}
	now := time.Now()
	q.sweepLocked(now)
	st := q.streams[stream]
	if st == nil {
		st = &pubStream{name: stream}
		q.streams[stream] = st
	}
	st.used = now
	healthy := len(st.queue) == 0 || drop
	stalled := len(st.queue) > 0 && now.Sub(st.queue[0].queued) >= q.b.publishWait
	if drop {
		q.discardLocked(st)
		st.lost = 0
	}
	e := &entry{fields: fields, ttl: ttl, drop: drop, queued: now, done: make(chan struct{})}
	for _, f := range fields {
		if b, ok := f.([]byte); ok {
			e.size += int64(len(b))
		}
	}
	e.size += 64
	if !drop && !healthy && q.bytes+e.size > q.b.maxBuffer {
		st.lost++
		q.mu.Unlock()
		return "", ErrBufferFull
	}
	if st.lost > 0 && !drop {
		msg := fmt.Sprintf("%d events of this stream were lost while the event bus was unreachable", st.lost)
		data, _ := json.Marshal(map[string]any{"error": "EventsLost", "message": msg, "retryable": false})
		st.lost = 0
		q.appendLocked(st, &entry{fields: []any{fieldName, "error", fieldData, data}, ttl: q.b.idle,
			size: int64(len(data)) + 64, queued: now, done: make(chan struct{})})
	}
	q.appendLocked(st, e)
	if !st.flushing {
		st.flushing = true
		q.scheduleLocked(st)
	}
	wait := drop || q.bytes > q.b.maxBuffer/2 && !stalled
	q.mu.Unlock()
	if !wait {
		return e.id.String(), nil
	}
	t := time.NewTimer(q.b.publishWait)
	defer t.Stop()
	select {
	case <-e.done:
		return e.stored, nil
	case <-t.C:
	case <-ctx.Done():
	case <-q.ctx.Done():
	}
	return e.id.String(), nil // buffered: flushed when Redis answers
}

func (q *queue) appendLocked(st *pubStream, e *entry) {
	e.id = st.nextID(time.Now())
	st.queue = append(st.queue, e)
	q.bytes += e.size
}

// discardLocked forgets the entries of st not sent yet (a drop follows).
func (q *queue) discardLocked(st *pubStream) {
	for _, e := range st.queue {
		q.bytes -= e.size
		close(e.done)
	}
	st.queue = st.queue[:0]
}

// sweepLocked forgets idle streams with nothing queued, once a minute.
func (q *queue) sweepLocked(now time.Time) {
	if now.Sub(q.swept) < time.Minute {
		return
	}
	q.swept = now
	for name, st := range q.streams {
		if len(st.queue) == 0 && !st.flushing && st.lost == 0 && now.Sub(st.used) > time.Minute {
			delete(q.streams, name)
		}
	}
}

// Streams with entries to write wait in q.ready. Up to maxFlushers
// goroutines each take the ready streams (up to maxPipeline entries) and
// write their heads in one pipeline, so that the publishes of concurrent
// runs share round trips; a stream is in one pipeline at a time, which
// keeps its order. After a failure the streams that failed wait a capped
// backoff before they are ready again.
const (
	maxFlushers = 4
	maxPipeline = 512
	maxPerWrite = 256 // entries of one stream per pipeline
)

// flushWork is one stream's part of a pipeline.
type flushWork struct {
	st    *pubStream
	batch []*entry
	ids   []string // stored, in order, up to the first failure
	err   error
}

// scheduleLocked makes st ready and starts a flusher if one may start.
func (q *queue) scheduleLocked(st *pubStream) {
	q.ready = append(q.ready, st)
	if q.flushers < maxFlushers {
		q.flushers++
		go q.flushLoop()
	}
}

// takeLocked takes ready streams' heads for one pipeline.
func (q *queue) takeLocked() []flushWork {
	var work []flushWork
	n, i := 0, 0
	for ; i < len(q.ready) && n < maxPipeline; i++ {
		st := q.ready[i]
		if len(st.queue) == 0 {
			st.flushing = false
			continue
		}
		k := min(len(st.queue), maxPerWrite, maxPipeline-n)
		work = append(work, flushWork{st: st, batch: append([]*entry(nil), st.queue[:k]...)})
		n += k
	}
	q.ready = q.ready[:copy(q.ready, q.ready[i:])]
	return work
}

// flushLoop writes ready streams until none is left or the broker closes.
func (q *queue) flushLoop() {
	backoff := 10 * time.Millisecond
	for {
		q.mu.Lock()
		if q.ctx.Err() != nil || len(q.ready) == 0 {
			if q.ctx.Err() != nil {
				for _, st := range q.ready {
					st.flushing = false
				}
				q.ready = nil
			}
			q.flushers--
			q.mu.Unlock()
			return
		}
		work := q.takeLocked()
		q.mu.Unlock()
		if len(work) == 0 {
			continue
		}
		q.write(work)
		var failed []*pubStream
		var err error
		q.mu.Lock()
		q.pipelines++
		for _, w := range work {
			q.settleLocked(w)
			switch {
			case w.err != nil:
				failed, err = append(failed, w.st), w.err
			case len(w.st.queue) > 0:
				q.ready = append(q.ready, w.st)
			default:
				w.st.flushing = false
			}
		}
		q.mu.Unlock()
		if err == nil {
			backoff = 10 * time.Millisecond
			continue
		}
		q.b.logf("broker: writing to redis (will retry): %v", err)
		select {
		case <-time.After(backoff):
		case <-q.ctx.Done():
		}
		backoff = min(2*backoff, time.Second)
		q.mu.Lock()
		for _, st := range failed {
			if q.ctx.Err() != nil {
				st.flushing = false
			} else {
				q.ready = append(q.ready, st)
			}
		}
		q.mu.Unlock()
	}
}

// settleLocked marks the entries of w that were stored. A drop may have
// discarded entries meanwhile: only those still at the head count.
func (q *queue) settleLocked(w flushWork) {
	st, n := w.st, 0
	for n < len(w.ids) && n < len(st.queue) && st.queue[n] == w.batch[n] {
		e := st.queue[n]
		e.stored = w.ids[n]
		if id, perr := parseID(w.ids[n]); perr == nil && st.last.less(id) {
			st.last = id
		}
		q.bytes -= e.size
		close(e.done)
		n++
	}
	st.queue = st.queue[n:]
}

// write sends the streams' batches in one pipeline (EVALSHA; the scripts
// are loaded and the pipeline sent again when Redis lacks them, which
// idempotent writes allow), setting each one's stored ids and error.
func (q *queue) write(work []flushWork) {
	ctx, cancel := context.WithTimeout(q.ctx, q.b.writeTimeout)
	defer cancel()
	q.writeSha(ctx, work)
	if !slices.ContainsFunc(work, func(w flushWork) bool { return w.err != nil && redis.HasErrorPrefix(w.err, "NOSCRIPT") }) {
		return
	}
	err := addScript.Load(ctx, q.b.rdb).Err()
	if err == nil {
		err = dropScript.Load(ctx, q.b.rdb).Err()
	}
	if err == nil {
		q.writeSha(ctx, work)
		return
	}
	for i := range work {
		if work[i].err != nil {
			work[i].err = err
		}
	}
}

func (q *queue) writeSha(ctx context.Context, work []flushWork) {
	pipe := q.b.rdb.Pipeline()
	cmds := make([][]*redis.Cmd, len(work))
	for i, w := range work {
		key := q.b.prefix + w.st.name
		for _, e := range w.batch {
			ttl := strconv.FormatInt(e.ttl.Milliseconds(), 10)
			if e.drop {
				cmds[i] = append(cmds[i], dropScript.EvalSha(ctx, pipe, []string{key}, ttl))
				continue
			}
			args := append([]any{e.id.String(), q.b.maxEvents, ttl}, e.fields...)
			cmds[i] = append(cmds[i], addScript.EvalSha(ctx, pipe, []string{key}, args...))
		}
	}
	pipe.Exec(ctx)
	for i := range work {
		w := &work[i]
		w.ids, w.err = nil, nil
		for j, c := range cmds[i] {
			if c.Err() != nil {
				if !errors.Is(c.Err(), redis.Nil) {
					w.err = c.Err()
				}
				break
			}
			id, _ := c.Val().(string)
			if w.batch[j].drop {
				id = w.batch[j].id.String()
			}
			w.ids = append(w.ids, id)
		}
	}
}

// tail returns the id of stream's newest entry queued here and not yet
// stored, and whether it ends the stream; ok is false when none is.
func (q *queue) tail(stream string) (id eventID, end, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.streams[stream]
	if st == nil || len(st.queue) == 0 {
		return eventID{}, false, false
	}
	e := st.queue[len(st.queue)-1]
	return e.id, len(e.fields) > 0 && e.fields[0] == fieldEnd, true
}

// Flush waits until the writes queued before it are stored (or given up
// for a drop), or until ctx ends.
func (b *Redis) Flush(ctx context.Context) error {
	b.q.mu.Lock()
	var last []chan struct{}
	for _, st := range b.q.streams {
		if n := len(st.queue); n > 0 {
			last = append(last, st.queue[n-1].done) // settled in order
		}
	}
	b.q.mu.Unlock()
	for _, done := range last {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Buffered returns the bytes of the writes waiting for Redis.
func (b *Redis) Buffered() int64 {
	b.q.mu.Lock()
	defer b.q.mu.Unlock()
	return b.q.bytes
}
