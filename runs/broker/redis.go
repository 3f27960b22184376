package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Broker on Redis streams, shared by every replica: a stream is
// one Redis stream key, its entries' ids are the event ids, and Finish
// appends an end marker and lets the key expire after the retention time.
// Drop deletes the key and leaves in its place a key holding only a drop
// marker, expiring after the retention time: subscribers on any replica
// read the marker and end with ErrDropped, while subscriptions made after
// the drop skip it.
type Redis struct {
	rdb       *redis.Client
	prefix    string
	retention time.Duration
	idle      time.Duration
	maxEvents int64
	block     time.Duration
	// Writes: see redisqueue.go.
	q            *queue
	maxBuffer    int64
	publishWait  time.Duration
	writeTimeout time.Duration
	grace        time.Duration // a reader retries this long before ErrUnavailable
	log          *slog.Logger
}

// RedisOptions configure a Redis broker.
type RedisOptions struct {
	Prefix    string        // key prefix, default "agentgate:stream:"
	Retention time.Duration // default 2 min
	// Idle lets a stream that was never finished (a kept thread's) expire
	// after this long without an event (default 24 h).
	Idle      time.Duration
	MaxEvents int64 // approximate cap per stream, default 100,000
	// MaxBuffer caps the bytes of events queued in process for Redis
	// (default 16 MiB); see redisqueue.go.
	MaxBuffer int64
	// PublishWait is how long Publish waits for Redis, when the queue is
	// over half full, before it leaves the event queued (default 1 s).
	PublishWait time.Duration
	// Grace is how long a reader retries a failing Redis before its
	// stream ends with ErrUnavailable (default 2 s).
	Grace  time.Duration
	Logger *slog.Logger
}

// NewRedis returns a broker on rdb; the caller keeps ownership of rdb.
func NewRedis(rdb *redis.Client, opts RedisOptions) *Redis {
	if opts.Prefix == "" {
		opts.Prefix = "agentgate:stream:"
	}
	if opts.Retention <= 0 {
		opts.Retention = 2 * time.Minute
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 100_000
	}
	if opts.Idle <= 0 {
		opts.Idle = 24 * time.Hour
	}
	if opts.MaxBuffer <= 0 {
		opts.MaxBuffer = 16 << 20
	}
	if opts.PublishWait <= 0 {
		opts.PublishWait = time.Second
	}
	if opts.Grace <= 0 {
		opts.Grace = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	b := &Redis{rdb: rdb, prefix: opts.Prefix, retention: opts.Retention, idle: opts.Idle,
		maxEvents: opts.MaxEvents, block: time.Second, maxBuffer: opts.MaxBuffer,
		publishWait: opts.PublishWait, writeTimeout: 2 * time.Second, grace: opts.Grace, log: opts.Logger}
	b.q = newQueue(b)
	return b
}

func (b *Redis) logf(format string, args ...any) { b.log.Warn(fmt.Sprintf(format, args...)) }

// unavailable wraps a Redis error as ErrUnavailable.
func unavailable(err error) error { return fmt.Errorf("%w: %v", ErrUnavailable, err) }

const (
	fieldName = "n"
	fieldData = "d"
	fieldEnd  = "end"
	fieldDrop = "drop"
)

// Publish implements Broker. The event is queued in process and written
// to Redis behind the caller's back (see redisqueue.go); its id is the one
// assigned here, which Redis keeps unless another writer of the stream got
// ahead.
func (b *Redis) Publish(ctx context.Context, stream, name string, data []byte) (Event, error) {
	id, err := b.q.push(ctx, stream, []any{fieldName, name, fieldData, data}, b.idle, false)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: id, Name: name, Data: data}, nil
}

// Finish implements Broker: the end marker is queued after the stream's
// events, and the stream expires after the retention time.
func (b *Redis) Finish(ctx context.Context, stream string) error {
	_, err := b.q.push(ctx, stream, []any{fieldEnd, "1"}, b.retention, false)
	return err
}

// Drop implements Broker; events of the stream still buffered are
// forgotten.
func (b *Redis) Drop(ctx context.Context, stream string) error {
	_, err := b.q.push(ctx, stream, nil, b.retention, true)
	return err
}

// Subscribe implements Broker.
func (b *Redis) Subscribe(ctx context.Context, stream, after string) (Subscription, error) {
	key := b.prefix + stream
	var cur eventID
	if after != "" && after != Start && after != "-" {
		var err error
		if cur, err = parseID(after); err != nil {
			return nil, err
		}
	}
	// The newest entry tells drop markers from before this subscription
	// (skipped) from later ones (ErrDropped). Entries this process queued
	// and Redis does not hold yet are older than the subscription too; the
	// queue is read first, so that one stored in between is seen in Redis.
	qid, qend, queued := b.q.tail(stream)
	last, err := b.rdb.XRevRangeN(ctx, key, "+", "-", 1).Result()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unavailable(err)
	}
	sub := &redisSub{b: b, key: key, cursor: "0-0"}
	top, topEnd := "", false // the newest entry, and whether it ends the stream
	if len(last) == 1 {
		if sub.since, err = parseID(last[0].ID); err != nil {
			return nil, err
		}
		top = last[0].ID
		_, topEnd = last[0].Values[fieldEnd]
	}
	if queued && sub.since.less(qid) {
		sub.since, top, topEnd = qid, qid.String(), qend
	}
	switch after {
	case Start, "-":
	case "":
		if top != "" {
			sub.cursor, sub.done = top, topEnd
		}
	default:
		sub.cursor = cur.String()
	}
	return sub, nil
}

// Close implements Broker: buffered writes are given up. The client
// belongs to the caller.
func (b *Redis) Close() error {
	b.q.stop()
	return nil
}

type redisSub struct {
	b       *Redis
	key     string
	cursor  string
	pending []redis.XMessage
	since   eventID // the stream's newest entry when subscribing
	done    bool
	dropped bool
	failing time.Time // since when XREAD fails, or zero
}

// Next implements Subscription.
func (s *redisSub) Next(ctx context.Context) (Event, bool, error) {
	for {
		if s.dropped {
			return Event{}, false, ErrDropped
		}
		if s.done {
			return Event{}, false, nil
		}
		if len(s.pending) > 0 {
			msg := s.pending[0]
			s.pending = s.pending[1:]
			s.cursor = msg.ID
			if _, end := msg.Values[fieldEnd]; end {
				s.done = true
				return Event{}, false, nil
			}
			if _, drop := msg.Values[fieldDrop]; drop {
				if id, err := parseID(msg.ID); err == nil && !s.since.less(id) {
					continue // dropped before this subscription
				}
				s.dropped, s.pending = true, nil
				continue
			}
			name, _ := msg.Values[fieldName].(string)
			data, _ := msg.Values[fieldData].(string)
			return Event{ID: msg.ID, Name: name, Data: []byte(data)}, true, nil
		}
		if err := ctx.Err(); err != nil {
			return Event{}, false, err
		}
		res, err := s.read(ctx)
		switch {
		case errors.Is(err, redis.Nil):
			s.failing = time.Time{}
			continue
		case err != nil:
			if errors.Is(ctx.Err(), context.Canceled) {
				return Event{}, false, ctx.Err()
			}
			// Retry a failing Redis for the grace time, then report it:
			// the stream did not end, it could not be read.
			if s.failing.IsZero() {
				s.failing = time.Now()
			}
			if ctx.Err() != nil || time.Since(s.failing) >= s.b.grace {
				return Event{}, false, unavailable(err)
			}
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return Event{}, false, unavailable(err)
			}
			continue
		}
		s.failing = time.Time{}
		for _, st := range res {
			s.pending = append(s.pending, st.Messages...)
		}
	}
}

// read blocks on XREAD in short slices. Its context outlives a deadline
// of ctx by the block and grace times (it ends at once when ctx is
// cancelled), so that a Redis that does not answer shows as an error
// rather than as ctx's deadline.
func (s *redisSub) read(ctx context.Context) ([]redis.XStream, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.b.block+s.b.grace)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()
	return s.b.rdb.XRead(rctx, &redis.XReadArgs{Streams: []string{s.key, s.cursor},
		Count: 256, Block: s.b.block}).Result()
}

// Close implements Subscription.
func (s *redisSub) Close() error { return nil }
