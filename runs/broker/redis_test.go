package broker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// testRedis is a client of the test Redis, closed when the test ends.
func testRedis(t *testing.T) *redis.Client {
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// testBroker is a Redis broker on rdb under a fresh key prefix (returned),
// closed, and its keys deleted, when the test ends.
func testBroker(t *testing.T, rdb *redis.Client, opts RedisOptions) (*Redis, string) {
	opts.Prefix = "agentgate-test:" + uuid.NewString() + ":"
	b := NewRedis(rdb, opts)
	t.Cleanup(func() {
		b.Close()
		keys, _ := rdb.Keys(context.Background(), opts.Prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})
	return b, opts.Prefix
}

func TestRedis(t *testing.T) {
	rdb := testRedis(t)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	runSuite(t, func(t *testing.T) Broker {
		b, _ := testBroker(t, rdb, RedisOptions{Retention: time.Minute})
		b.block = 100 * time.Millisecond
		return b
	})
}

// TestRedisStreamsExpire: every publish pushes a stream's expiry to the
// idle time; Finish shortens it to the retention time.
func TestRedisStreamsExpire(t *testing.T) {
	rdb := testRedis(t)
	ctx := t.Context()
	b, prefix := testBroker(t, rdb, RedisOptions{Retention: time.Minute, Idle: time.Hour})
	for _, s := range []string{"thread", "run"} {
		if _, err := b.Publish(ctx, s, "e", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Finish(ctx, "run"); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(ctx, prefix+"thread").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL of an open stream = %v, want about an hour", ttl)
	}
	if ttl := rdb.TTL(ctx, prefix+"run").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL of a finished stream = %v, want at most a minute", ttl)
	}
}

// TestRedisDropDeletesEvents: after Drop the key holds only the drop
// marker, expiring after the retention time.
func TestRedisDropDeletesEvents(t *testing.T) {
	rdb := testRedis(t)
	ctx := t.Context()
	b, prefix := testBroker(t, rdb, RedisOptions{Retention: time.Minute})
	for range 3 {
		if _, err := b.Publish(ctx, "thread", "e", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Drop(ctx, "thread"); err != nil {
		t.Fatal(err)
	}
	entries := rdb.XRange(ctx, prefix+"thread", "-", "+").Val()
	if len(entries) != 1 || entries[0].Values[fieldDrop] == nil {
		t.Errorf("after Drop the stream holds %v, want the drop marker only", entries)
	}
	if ttl := rdb.TTL(ctx, prefix+"thread").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL after Drop = %v, want at most a minute", ttl)
	}
}

// TestRedisConcurrentStreamsSharePipelines: streams publishing at once are
// written together, in fewer pipelines than events, each in its order.
func TestRedisConcurrentStreamsSharePipelines(t *testing.T) {
	rdb := testRedis(t)
	ctx := t.Context()
	b, prefix := testBroker(t, rdb, RedisOptions{Retention: time.Minute})
	const streams, events = 24, 25
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			for j := range events {
				if _, err := b.Publish(ctx, fmt.Sprintf("s%d", i), "e", fmt.Appendf(nil, "%d", j)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	b.q.mu.Lock()
	pipelines := b.q.pipelines
	b.q.mu.Unlock()
	t.Logf("%d events in %d pipelines", streams*events, pipelines)
	if pipelines > streams*events*4/5 {
		t.Errorf("%d events took %d pipelines", streams*events, pipelines)
	}
	for i := range streams {
		msgs, err := rdb.XRange(ctx, fmt.Sprintf("%ss%d", prefix, i), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != events {
			t.Fatalf("stream %d has %d entries, want %d", i, len(msgs), events)
		}
		for j, m := range msgs {
			if m.Values[fieldData] != fmt.Sprint(j) {
				t.Errorf("stream %d entry %d = %v", i, j, m.Values[fieldData])
			}
		}
	}
}

// TestRedisLoadsItsScripts: after Redis forgets its scripts (a restart, a
// SCRIPT FLUSH), the next writes load them and are stored once.
func TestRedisLoadsItsScripts(t *testing.T) {
	rdb := testRedis(t)
	ctx := t.Context()
	b, prefix := testBroker(t, rdb, RedisOptions{Retention: time.Minute})
	for round := range 2 {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, s := range []string{"a", "b"} {
			wg.Go(func() {
				if _, err := b.Publish(ctx, s, "e", fmt.Appendf(nil, "%d", round)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if err := b.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"a", "b"} {
		msgs, err := rdb.XRange(ctx, prefix+s, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].Values[fieldData] != "0" || msgs[1].Values[fieldData] != "1" {
			t.Errorf("stream %s: %v", s, msgs)
		}
	}
}
