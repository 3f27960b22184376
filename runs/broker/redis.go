package broker

import (
	"context"
	"errors"
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
}

// RedisOptions configure a Redis broker.
type RedisOptions struct {
	Prefix    string        // key prefix, default "agentgate:stream:"
	Retention time.Duration // default 2 min
	// Idle lets a stream that was never finished (a kept thread's) expire
	// after this long without an event (default 24 h).
	Idle      time.Duration
	MaxEvents int64 // approximate cap per stream, default 100,000
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
	return &Redis{rdb: rdb, prefix: opts.Prefix, retention: opts.Retention, idle: opts.Idle,
		maxEvents: opts.MaxEvents, block: time.Second}
}

const (
	fieldName = "n"
	fieldData = "d"
	fieldEnd  = "end"
	fieldDrop = "drop"
)

// Publish implements Broker.
func (b *Redis) Publish(ctx context.Context, stream, name string, data []byte) (Event, error) {
	key := b.prefix + stream
	// One round trip: the event, and the stream's idle expiry pushed back
	// (Finish shortens it to the retention time).
	pipe := b.rdb.Pipeline()
	add := pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, MaxLen: b.maxEvents, Approx: true,
		Values: []any{fieldName, name, fieldData, data}})
	pipe.Expire(ctx, key, b.idle)
	if _, err := pipe.Exec(ctx); err != nil {
		return Event{}, err
	}
	return Event{ID: add.Val(), Name: name, Data: data}, nil
}

// Finish implements Broker.
func (b *Redis) Finish(ctx context.Context, stream string) error {
	key := b.prefix + stream
	pipe := b.rdb.TxPipeline()
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{fieldEnd, "1"}})
	pipe.Expire(ctx, key, b.retention)
	_, err := pipe.Exec(ctx)
	return err
}

// Drop implements Broker.
func (b *Redis) Drop(ctx context.Context, stream string) error {
	key := b.prefix + stream
	pipe := b.rdb.TxPipeline()
	pipe.Del(ctx, key)
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{fieldDrop, "1"}})
	pipe.Expire(ctx, key, b.retention)
	_, err := pipe.Exec(ctx)
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
	// (skipped) from later ones (ErrDropped).
	last, err := b.rdb.XRevRangeN(ctx, key, "+", "-", 1).Result()
	if err != nil {
		return nil, err
	}
	sub := &redisSub{b: b, key: key, cursor: "0-0"}
	if len(last) == 1 {
		if sub.since, err = parseID(last[0].ID); err != nil {
			return nil, err
		}
	}
	switch after {
	case Start, "-":
	case "":
		if len(last) == 1 {
			sub.cursor = last[0].ID
			if _, end := last[0].Values[fieldEnd]; end {
				sub.done = true
			}
		}
	default:
		sub.cursor = cur.String()
	}
	return sub, nil
}

// Close implements Broker; the client belongs to the caller.
func (b *Redis) Close() error { return nil }

type redisSub struct {
	b       *Redis
	key     string
	cursor  string
	pending []redis.XMessage
	since   eventID // the stream's newest entry when subscribing
	done    bool
	dropped bool
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
		// Block in short slices so that a cancelled ctx is noticed.
		res, err := s.b.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.key, s.cursor},
			Count: 256, Block: s.b.block}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			if ctx.Err() != nil {
				return Event{}, false, ctx.Err()
			}
			return Event{}, false, err
		}
		for _, st := range res {
			s.pending = append(s.pending, st.Messages...)
		}
	}
}

// Close implements Subscription.
func (s *redisSub) Close() error { return nil }
