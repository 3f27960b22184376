package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/faultproxy"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// faultRedis is a broker whose client goes through a fault proxy, and a
// direct client to check what Redis holds.
type faultRedis struct {
	b      *Redis
	proxy  *faultproxy.Proxy
	direct *redis.Client
	prefix string
}

func newFaultRedis(t *testing.T, opts RedisOptions) *faultRedis {
	t.Helper()
	opt, viaProxy, p := testenv.RedisBehindProxy(t)
	direct := redis.NewClient(opt)
	t.Cleanup(func() { direct.Close() })
	if err := direct.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	opts.Prefix = "agentgate-test:" + uuid.NewString() + ":"
	if opts.PublishWait == 0 {
		opts.PublishWait = 200 * time.Millisecond
	}
	if opts.Grace == 0 {
		opts.Grace = 500 * time.Millisecond
	}
	b := NewRedis(viaProxy, opts)
	b.block = 100 * time.Millisecond
	b.writeTimeout = 500 * time.Millisecond
	t.Cleanup(func() {
		b.Close()
		keys, _ := direct.Keys(context.Background(), opts.Prefix+"*").Result()
		if len(keys) > 0 {
			direct.Del(context.Background(), keys...)
		}
	})
	return &faultRedis{b: b, proxy: p, direct: direct, prefix: opts.Prefix}
}

// stored returns the data of the events Redis holds for stream, in order,
// and whether it ends with the end marker.
func (f *faultRedis) stored(t *testing.T, stream string) (data []string, ended bool) {
	t.Helper()
	msgs, err := f.direct.XRange(t.Context(), f.prefix+stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, end := m.Values[fieldEnd]; end {
			ended = true
			continue
		}
		d, _ := m.Values[fieldData].(string)
		data = append(data, d)
	}
	return data, ended
}

// waitFlushed waits until nothing is left buffered.
func (f *faultRedis) waitFlushed(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.b.Buffered() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d bytes buffered", f.b.Buffered())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func seq(from, to int) string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, fmt.Sprint(i))
	}
	return strings.Join(s, " ")
}

// TestRedisPublishDuringStall: writes held by a stall reach Redis late,
// after their retries: each event is stored once, in order, and Publish
// does not block for the whole stall.
func TestRedisPublishDuringStall(t *testing.T) {
	f := newFaultRedis(t, RedisOptions{})
	ctx := t.Context()
	if _, err := f.b.Publish(ctx, "run", "values", []byte("0")); err != nil {
		t.Fatal(err)
	}
	f.proxy.Stall()
	start := time.Now()
	for i := 1; i < 20; i++ {
		if _, err := f.b.Publish(ctx, "run", "values", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("publishing during a stall took %v", d)
	}
	time.Sleep(1500 * time.Millisecond) // past the client's timeouts: writes are retried
	f.proxy.Resume()
	if err := f.b.Finish(ctx, "run"); err != nil {
		t.Fatal(err)
	}
	f.waitFlushed(t)
	time.Sleep(100 * time.Millisecond) // late copies of held writes land
	data, ended := f.stored(t, "run")
	if got := strings.Join(data, " "); got != seq(0, 20) || !ended {
		t.Errorf("stored %q (ended %v), want %q once each and the end", got, ended, seq(0, 20))
	}
}

// TestRedisPublishDuringDrop: events published while Redis is unreachable
// are buffered and can be replayed once it is back.
func TestRedisPublishDuringDrop(t *testing.T) {
	f := newFaultRedis(t, RedisOptions{})
	ctx := t.Context()
	f.b.Publish(ctx, "run", "values", []byte("0"))
	f.proxy.Drop()
	for i := 1; i < 10; i++ {
		if _, err := f.b.Publish(ctx, "run", "values", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	f.b.Finish(ctx, "run")
	time.Sleep(500 * time.Millisecond)
	f.proxy.Resume()
	f.waitFlushed(t)
	sub, err := f.b.Subscribe(ctx, "run", Start)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		ev, ok, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(ev.Data))
	}
	if strings.Join(got, " ") != seq(0, 10) {
		t.Errorf("replay after the drop: %v", got)
	}
}

// TestRedisReaderDuringDrop: a reader whose Redis goes away gets
// ErrUnavailable, not the end of the stream.
func TestRedisReaderDuringDrop(t *testing.T) {
	f := newFaultRedis(t, RedisOptions{})
	ctx := t.Context()
	f.b.Publish(ctx, "run", "values", []byte("0"))
	sub, err := f.b.Subscribe(ctx, "run", Start)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := sub.Next(ctx); !ok || err != nil {
		t.Fatalf("first event: %v %v", ok, err)
	}
	f.proxy.Drop()
	defer f.proxy.Resume()
	nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, ok, err := sub.Next(nctx); ok || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Next during a drop: ok %v, %v; want ErrUnavailable", ok, err)
	}
	if _, err := f.b.Subscribe(ctx, "run", Start); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Subscribe during a drop: %v; want ErrUnavailable", err)
	}
}

// TestRedisBufferFull: an event that does not fit in the buffer is lost,
// and the stream says so with an error event where it is missing.
func TestRedisBufferFull(t *testing.T) {
	f := newFaultRedis(t, RedisOptions{MaxBuffer: 1024})
	ctx := t.Context()
	f.proxy.Drop()
	var full int
	for i := range 10 {
		_, err := f.b.Publish(ctx, "run", "values", []byte(fmt.Sprintf("%q", strings.Repeat("x", 200)+fmt.Sprint(i))))
		if errors.Is(err, ErrBufferFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if full == 0 {
		t.Fatal("no publish found the buffer full")
	}
	f.proxy.Resume()
	f.waitFlushed(t)
	f.b.Publish(ctx, "run", "values", []byte(`"after"`))
	f.b.Finish(ctx, "run")
	f.waitFlushed(t)
	data, ended := f.stored(t, "run")
	if len(data) < 2 || !strings.Contains(data[len(data)-2], "EventsLost") || data[len(data)-1] != `"after"` || !ended {
		t.Errorf("stored %v (ended %v), want the EventsLost error before the next event", data, ended)
	}
}

// TestRedisPublishDoesNotWaitForRedis: Publish returns once its event is
// queued, even while Redis does not answer, and the event is stored
// once Redis answers again.
func TestRedisPublishDoesNotWaitForRedis(t *testing.T) {
	f := newFaultRedis(t, RedisOptions{PublishWait: time.Hour})
	ctx := t.Context()
	f.proxy.Stall()
	returned := make(chan error, 1)
	go func() {
		_, err := f.b.Publish(ctx, "run", "values", []byte(`"queued"`))
		returned <- err
	}()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish waited for a stalled Redis")
	}
	f.proxy.Resume()
	if err := f.b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if data, _ := f.stored(t, "run"); strings.Join(data, " ") != `"queued"` {
		t.Errorf("stored %v", data)
	}
}

// TestRedisPublishWaitsWhenTheQueueIsOverHalf: once the queue holds more
// than half of MaxBuffer, Publish waits until its event is stored (a
// producer faster than Redis is slowed down, not dropped), unless its
// stream's oldest entry has already waited PublishWait (a stalled stream
// does not hold its run).
func TestRedisPublishWaitsWhenTheQueueIsOverHalf(t *testing.T) {
	f := newFaultRedis(t, RedisOptions{MaxBuffer: 2048, PublishWait: time.Hour})
	ctx := t.Context()
	data := []byte(`"` + strings.Repeat("x", 98) + `"`) // 164 bytes queued with its overhead
	f.proxy.Stall()
	n := 0
	for f.b.Buffered()+164 <= 1024 { // up to half the buffer: no waiting
		if _, err := f.b.Publish(ctx, "run", "values", data); err != nil {
			t.Fatal(err)
		}
		n++
	}
	var resumed atomic.Bool
	go func() {
		time.Sleep(300 * time.Millisecond)
		resumed.Store(true)
		f.proxy.Resume()
	}()
	if _, err := f.b.Publish(ctx, "run", "values", data); err != nil { // over half
		t.Fatal(err)
	}
	if !resumed.Load() {
		t.Fatal("Publish over half the buffer returned before Redis answered")
	}
	if got, _ := f.stored(t, "run"); len(got) != n+1 {
		t.Errorf("when Publish returned, Redis held %d events, want %d", len(got), n+1)
	}

	// A stalled stream: its first entry has waited PublishWait already.
	g := newFaultRedis(t, RedisOptions{MaxBuffer: 2048, PublishWait: 300 * time.Millisecond})
	g.proxy.Stall()
	defer g.proxy.Resume()
	for g.b.Buffered() <= 1024 { // the last of these waits PublishWait
		if _, err := g.b.Publish(ctx, "run", "values", data); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for range 3 {
		if _, err := g.b.Publish(ctx, "run", "values", data); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d >= 900*time.Millisecond {
		t.Errorf("three publishes to a stalled stream took %v: they waited", d)
	}
}
